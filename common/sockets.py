"""Ending a wait on a socket from another thread."""

import contextlib
import os
import socket


def shut_down(fileno: int) -> None:
    """Shut the socket behind ``fileno`` down: a thread blocked reading it wakes up with an
    error. (``shutdown()`` acts on the socket, not on this descriptor, which is a copy.)"""
    with contextlib.suppress(OSError), socket.socket(fileno=os.dup(fileno)) as sock:
        sock.shutdown(socket.SHUT_RDWR)
