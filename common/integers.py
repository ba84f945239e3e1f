"""Whole numbers from paths and query strings: ASCII digits only.

Python's ``int()`` also reads other scripts' digits (``int("١٢") == 12``), signs, underscores and
surrounding blanks; an identifier or a page number spelled that way is a different string naming
the same row, which caches, logs and clients do not expect. Every integer the API reads from a URL
goes through ``parse_ascii_int``.
"""

from __future__ import annotations

import argparse
import re

# 18 digits always fit a signed 64-bit column; nothing the API counts needs more.
MAX_DIGITS = 18
MAX_ASCII_INT = 10**MAX_DIGITS - 1
_ASCII_INTEGER = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}", flags=re.ASCII)


def parse_ascii_int(raw: object) -> int:
    """The integer ``raw`` spells in ASCII digits (optionally after a ``-``), or ``ValueError``."""
    if not isinstance(raw, str) or not _ASCII_INTEGER.fullmatch(raw):
        raise ValueError(f"not a whole number in ASCII digits: {raw!r}")
    return int(raw)


def bounded_int(low: int, high: int):
    """An ``argparse`` type: a whole number in ASCII digits from ``low`` to ``high``, else a
    usage error naming the range (``manage.py`` shows it; ``call_command`` raises it)."""

    def parse(raw: str) -> int:
        try:
            value = parse_ascii_int(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"use a whole number from {low} to {high}")
        return value

    return parse
