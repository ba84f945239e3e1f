"""Django's and DRF's own messages whose Spanish this project words anew, and those of
django-simple-history, which has no Spanish.

Their bundled Spanish is sometimes stilted or wrong ("Solicitud fue regulada (throttled)",
"Asegúrese de que este valor es mayor…", "introduzca el dirección…"). Marked here, these
messages stay in the project's catalog (``makemessages``), and Django reads the project's
``locale/`` before any app's, so the project's wording wins. The words follow the glossary of
docs/how-to/translations.md; tests/test_translations.py checks that each one really overrides.
"""

from django.utils.translation import gettext_noop

OVERRIDDEN = (
    # DRF
    gettext_noop("Authentication credentials were not provided."),
    gettext_noop("Request was throttled."),
    gettext_noop("Expected available in {wait} second."),
    gettext_noop("Expected available in {wait} seconds."),
    gettext_noop("This field is required."),
    gettext_noop("This field may not be blank."),
    gettext_noop('"{input}" is not a valid choice.'),
    gettext_noop("Ensure this value is greater than or equal to {min_value}."),
    gettext_noop("Ensure this value is less than or equal to {max_value}."),
    gettext_noop("Ensure that there are no more than {max_digits} digits in total."),
    gettext_noop("Ensure that there are no more than {max_decimal_places} decimal places."),
    gettext_noop(
        "Ensure that there are no more than {max_whole_digits} digits before the decimal point."
    ),
    gettext_noop("Invalid page."),
    gettext_noop("Not a valid string."),
    gettext_noop("You do not have permission to perform this action."),
    gettext_noop('Unsupported media type "{media_type}" in request.'),
    gettext_noop("ascending"),
    gettext_noop("descending"),
    # Django
    gettext_noop("Ensure this value is greater than or equal to %(limit_value)s."),
    gettext_noop("Ensure this value is less than or equal to %(limit_value)s."),
    gettext_noop(
        "Please enter the correct %(username)s and password for a staff account. Note that both "
        "fields may be case-sensitive."
    ),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("History"),
)

# django-simple-history's admin pages (it ships no Spanish).
TRANSLATED = (
    gettext_noop("Change history: %s"),
    gettext_noop('The %(name)s "%(obj)s" was changed successfully.'),
    gettext_noop("You may edit it again below"),
    gettext_noop("Revert %s"),
    gettext_noop("Created"),
    gettext_noop("Changed"),
    gettext_noop("Deleted"),
    gettext_noop(
        "Choose a date from the list below to revert to a previous version of this object."
    ),
    gettext_noop("This object doesn't have a change history."),
    gettext_noop("Revert %(verbose_name)s"),
    gettext_noop("Press the 'Revert' button below to revert to this version of the object."),
    gettext_noop("Press the 'Change History' button below to edit the history."),
    gettext_noop("View history: %s"),
    gettext_noop("View %s"),
    gettext_noop("View %(verbose_name)s"),
    gettext_noop("Changes"),
    gettext_noop("Deleted %(type_name)s"),
    gettext_noop("Object"),
    gettext_noop("Date/time"),
    gettext_noop("Comment"),
    gettext_noop("Changed by"),
    gettext_noop("Change reason"),
    gettext_noop("Revert"),
    gettext_noop("Change History"),
)
