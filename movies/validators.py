from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

FIRST_FILM_YEAR = 1888
YEARS_AHEAD = 10


def latest_allowed_year() -> int:
    return timezone.now().year + YEARS_AHEAD


@deconstructible
class NotTooFarAheadValidator:
    """Refuse a year more than ``YEARS_AHEAD`` years after the current one (which moves on)."""

    def __call__(self, value: int) -> None:
        limit = latest_allowed_year()
        if value > limit:
            raise ValidationError(
                _("Ensure this value is less than or equal to %(limit)s."),
                code="max_value",
                params={"limit": limit},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NotTooFarAheadValidator)

    def __hash__(self) -> int:
        return hash(type(self))
