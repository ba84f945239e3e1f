"""What one worker remembers of the sessions it has verified, so that only a session's first
request in the worker reads the database (docs/explanation/sessions-and-revocation.md).

The memory is only as good as the listener that feeds it (accounts/revocation_listener.py): it
answers only while the listener *vouches* for it, that is while its last heartbeat is recent.
Every notification and every (re)connection moves a generation counter, and a session read from
the database is remembered only if the counter did not move while it was read: a read that raced
a revocation is used for its own request and then dropped, never kept.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class VerifiedSession:
    """A live session and what authentication and the permission need of its user."""

    session_id: uuid.UUID
    user_id: int
    email: str
    is_staff: bool
    is_superuser: bool
    ends_at: datetime  # the earlier of its idle and absolute expiries, as read


class SessionMemory:
    """A bounded LRU of ``VerifiedSession`` by session id, shared by a worker's threads and
    locked against its listener thread."""

    def __init__(self, size: int, *, clock: Callable[[], float] = time.monotonic):
        self.size = size
        self._clock = clock
        # Whether the listener has something waiting that it has not read yet (a notification
        # on its way in): then the memory answers nothing until it has been read.
        self.unread: Callable[[], bool] = lambda: False
        self._lock = threading.Lock()
        self._sessions: OrderedDict[uuid.UUID, VerifiedSession] = OrderedDict()
        self._generations = itertools.count()
        self._reset()
        self._vouched_until = clock()  # a deadline on the clock: vouches for nothing yet

    def __len__(self) -> int:
        return len(self._sessions)

    def recall(self, session_id: uuid.UUID, *, now: datetime) -> VerifiedSession | None:
        """The remembered session, or ``None``: unknown, past its remembered expiry (verify it
        again: a refresh may have moved it), or the listener cannot vouch right now."""
        with self._lock:
            if not self._vouching():
                return None
            entry = self._sessions.get(session_id)
            if entry is None:
                return None
            if entry.ends_at <= now:
                del self._sessions[session_id]
                return None
            self._sessions.move_to_end(session_id)
            return entry

    def ticket(self) -> int | None:
        """Taken before a session is read from the database; ``remember`` needs it. ``None``
        when the listener cannot vouch: then nothing read now may be remembered."""
        with self._lock:
            return self._generation if self._vouching() else None

    def remember(self, entry: VerifiedSession, ticket: int | None) -> bool:
        """Keep ``entry`` unless a revocation or reconnection happened since ``ticket``."""
        with self._lock:
            if ticket is None or ticket != self._generation or not self._vouching():
                return False
            self._sessions[entry.session_id] = entry
            self._sessions.move_to_end(entry.session_id)
            while len(self._sessions) > self.size:
                del self._sessions[next(iter(self._sessions))]  # the least recently used
            return True

    def forget_user(self, user_id: int) -> None:
        """A revocation of ``user_id``'s sessions: forget them; no read in flight is kept."""
        with self._lock:
            self._generation = next(self._generations)
            ended = [key for key, entry in self._sessions.items() if entry.user_id == user_id]
            for session_id in ended:
                del self._sessions[session_id]

    def vouch(self, seconds: float) -> None:
        """A heartbeat: the listener is connected and has heard everything sent before it."""
        with self._lock:
            if self._clock() >= self._vouched_until:
                self._reset()  # it could not vouch a moment ago: what it held may be stale
            self._vouched_until = self._clock() + seconds

    def reset(self, *, vouch_seconds: float) -> None:
        """The listener (re)connected (``vouch_seconds`` > 0) or lost its connection (0)."""
        with self._lock:
            self._reset()
            self._vouched_until = self._clock() + vouch_seconds

    def vouching(self) -> bool:
        with self._lock:
            return self._vouching()

    def _vouching(self) -> bool:
        if self._clock() < self._vouched_until:
            return not self.unread()
        if self._sessions:
            self._reset()  # cannot vouch: drop what it held
        return False

    def _reset(self) -> None:
        self._generation = next(self._generations)
        self._sessions.clear()
