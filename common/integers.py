"""Whole numbers from paths and query strings: ASCII digits only.

Python's ``int()`` also reads other scripts' digits (``int("١٢") == 12``), signs, underscores and
surrounding blanks; an identifier or a page number spelled that way is a different string naming
the same row, which caches, logs and clients do not expect. Every integer the API reads from a URL
goes through ``parse_ascii_int``.
"""

from __future__ import annotations

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
