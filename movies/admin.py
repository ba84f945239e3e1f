import csv

from django import forms
from django.contrib import admin, messages
from django.db.models import F
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.conditional import VersionMismatch
from movies.models import Movie
from movies.services import movie_save

CSV_COLUMNS = ("id", "title", "year", "category", "rating", "overview", "created_at", "updated_at")
# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value) -> str:
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_PREFIXES) else text


def _is_admin(request) -> bool:
    return request.user.is_active and request.user.is_staff


class DecadeListFilter(admin.SimpleListFilter):
    title = _("decade")
    parameter_name = "decade"

    def lookups(self, request, model_admin):
        decades = (
            model_admin.get_queryset(request)
            .annotate(decade=F("year") / 10 * 10)
            .values_list("decade", flat=True)
            .distinct()
            .order_by("-decade")
        )
        # "1990 to 1999" with an en dash: the same in every language, where "1990s" is English.
        return [(str(decade), f"{decade}\N{EN DASH}{decade + 9}") for decade in decades]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            decade = int(self.value())
        except ValueError:
            return queryset.none()
        return queryset.filter(year__gte=decade, year__lte=decade + 9)


class RatingBandListFilter(admin.SimpleListFilter):
    title = _("rating")
    parameter_name = "rating_band"
    BANDS = {
        "low": (_("below 5"), 0, 5),
        "mid": (_("5 to 7.9"), 5, 8),
        "high": (_("8 and above"), 8, 11),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _low, _high) in self.BANDS.items()]

    def queryset(self, request, queryset):
        band = self.BANDS.get(self.value())
        if band is None:
            return queryset
        _label, low, high = band
        return queryset.filter(rating__gte=low, rating__lt=high)


CONFLICT = _(
    "Someone saved this movie after you opened it. It now reads: %(title)s (%(year)s), "
    "%(category)s, rated %(rating)s; overview: “%(overview)s”. Your changes are still in "
    "the form below: compare them with it (or its History), then save again to keep yours."
)
CHANGED_MEANWHILE = _("Someone changed this movie while you were saving it. Open it again.")


class MovieAdminForm(forms.ModelForm):
    """The movie form, with the version its admin saw: saving over a newer version shows the
    other's values instead of silently overwriting them."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Movie
        fields = ("title", "overview", "year", "rating", "category")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What the database holds now, not the instance's: a form reverting to an old version
        # (the History page) changes the current one.
        self.fields["seen_version"].initial = self._current_version()

    def _current_version(self) -> int | None:
        if self.instance.pk is None:
            return None
        return Movie.objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()

    def clean(self):
        cleaned = super().clean()
        seen, current = cleaned.get("seen_version"), self._current_version()
        if self.instance.pk is not None and seen is not None and seen != current:
            other = Movie.objects.filter(pk=self.instance.pk).first()
            if other is None:
                raise forms.ValidationError(CHANGED_MEANWHILE, code="deleted")
            # The next save is over the version just shown: it is the admin's informed choice.
            self.data = self.data.copy()
            self.data[self.add_prefix("seen_version")] = current
            values = {name: getattr(other, name) for name in ("title", "year", "category")}
            raise forms.ValidationError(
                CONFLICT,
                code="conflict",
                params={**values, "rating": other.rating, "overview": other.overview},
            )
        return cleaned


@admin.register(Movie)
class MovieAdmin(SimpleHistoryAdmin):
    list_display = ("title", "year", "category", "rating", "updated_at")
    list_filter = ("category", DecadeListFilter, RatingBandListFilter)
    search_fields = ("title", "overview")
    ordering = ("title", "id")
    list_per_page = 50
    readonly_fields = ("created_at", "updated_at")
    actions = ("export_csv",)

    # Every admin (active staff) manages the catalog, as through the API; no per-model grants.
    def has_module_permission(self, request) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _is_admin(request)

    def has_add_permission(self, request) -> bool:
        return _is_admin(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return _is_admin(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _is_admin(request)

    form = MovieAdminForm

    def save_model(self, request, obj, form, change) -> None:
        # The form put its cleaned data on obj; the one write path checks the rules and saves,
        # over the version the form showed and no other.
        movie_save(movie=obj, expected_version=form.cleaned_data.get("seen_version"))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except VersionMismatch:  # a save between the form's check and its write: nothing saved
            self.message_user(request, CHANGED_MEANWHILE, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=_("Export selected movies as CSV"), permissions=("view",))
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="movies.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_COLUMNS)
        for row in queryset.order_by("title", "id").values_list(*CSV_COLUMNS):
            writer.writerow([_csv_cell(value) for value in row])
        return response


class ChangeListFilter(admin.ChoicesFieldListFilter):
    """simple-history's kind of change (created, changed, deleted), under a translated title."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("change")


@admin.register(Movie.history.model)
class MovieVersionAdmin(admin.ModelAdmin):
    """Every recorded version of every movie, deleted ones included (filter "Deleted"); each
    links to the form that restores it (simple-history's revert, which brings a deleted movie
    back under its old id)."""

    list_display = ("title", "year", "change", "changed_by", "changed_at", "restore")
    list_filter = (("history_type", ChangeListFilter),)
    search_fields = ("title",)

    # simple-history's own columns are named after its fields, in English only.
    @admin.display(description=_("change"), ordering="history_type")
    def change(self, record):
        return record.get_history_type_display()

    @admin.display(description=_("changed by"), ordering="history_user")
    def changed_by(self, record):
        return record.history_user

    @admin.display(description=_("changed at"), ordering="history_date")
    def changed_at(self, record):
        return record.history_date

    @admin.display(description=_("restore"))
    def restore(self, record):
        url = reverse("admin:movies_movie_simple_history", args=[record.id, record.history_id])
        return format_html('<a href="{}">{}</a>', url, _("Review and restore"))

    def has_module_permission(self, request) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _is_admin(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
