"""Query-string rules every list shares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.utils.translation import gettext_lazy as _

GIVE_ONCE = _("Give this parameter once.")


def repeated_parameters(query: Mapping, names: Iterable[str]) -> dict[str, list[str]]:
    """An error for each of ``names`` given more than once (``?year=abc&year=2000``): Django
    would read only the last value, silently, so a wrong one would go unnoticed. ``query`` is a
    ``QueryDict``; a plain mapping cannot repeat a key."""
    getlist = getattr(query, "getlist", None)
    if getlist is None:
        return {}
    return {name: [GIVE_ONCE] for name in names if len(getlist(name)) > 1}
