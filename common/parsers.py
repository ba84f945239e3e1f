"""Request body parsing that no input can turn into a server error."""

from __future__ import annotations

import codecs
import re
from itertools import accumulate
from json import JSONDecodeError

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json

# Far deeper than any body this API reads (a movie is one flat object), far below the depth at
# which Python's JSON decoder, or anything walking the result afterwards, runs out of stack.
MAX_JSON_DEPTH = 32
# A string, escapes included (an unclosed one runs to the end: every quote starts a match that
# cannot fail, so there is no backtracking and the scan stays linear), and anything that is not a
# bracket: neither can nest.
_STRINGS = re.compile(r'"[^"\\]*(?:\\.?[^"\\]*)*(?:"|\Z)', flags=re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# What a JSON escape such as \ud800 leaves when it is not half of a pair: not Unicode text, so
# nothing downstream (hashing, the database, logs) can encode it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` nests arrays and objects more than ``limit`` deep (brackets in strings
    aside). Counted with a running sum, no recursion, so any depth is measured safely."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0) > limit


def holds_lone_surrogate(value: object) -> bool:
    """Whether a parsed JSON value has a string (or key) with a lone UTF-16 surrogate.

    Recursive: call it only on a value whose depth ``json_depth_exceeds`` has bounded."""
    if isinstance(value, str):
        return _LONE_SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(holds_lone_surrogate(key) or holds_lone_surrogate(v) for key, v in value.items())
    if isinstance(value, list):
        return any(map(holds_lone_surrogate, value))
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing with a 400 a body nested deeper than ``MAX_JSON_DEPTH``
    before the decoder (which recurses once per level) sees it, and a body whose strings are
    not Unicode text (an escaped lone surrogate such as ``"\\ud800"``)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
        except ValueError:  # UnicodeDecodeError included
            raise ParseError(
                _("JSON parse error - the body is not %(encoding)s text.") % {"encoding": encoding}
            ) from None
        if json_depth_exceeds(text):
            raise ParseError(
                _("JSON parse error - nested deeper than %(limit)d levels.")
                % {"limit": MAX_JSON_DEPTH}
            )
        parse_constant = json.strict_constant if self.strict else None
        try:
            data = json.loads(text, parse_constant=parse_constant)
        except JSONDecodeError as exc:
            # The decoder's own words are English: say where, in the request's language.
            raise ParseError(
                _("JSON parse error - invalid JSON at line %(line)d, column %(column)d.")
                % {"line": exc.lineno, "column": exc.colno}
            ) from None
        except ValueError:  # NaN or Infinity, an integer of thousands of digits
            raise ParseError(
                _("JSON parse error - a number is not finite or has too many digits.")
            ) from None
        if not isinstance(data, dict):
            # Every body this API reads is an object; anything else is not a body it can read.
            raise ParseError(_("JSON parse error - the body must be a JSON object."))
        if holds_lone_surrogate(data):
            raise ParseError(
                _(
                    "JSON parse error - a string holds an unpaired \\ud800-\\udfff escape, which "
                    "is not Unicode text."
                )
            )
        return data
