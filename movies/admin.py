import csv

from django.contrib import admin
from django.db.models import F
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

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
        return [(str(decade), f"{decade}s") for decade in decades]

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


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
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

    def save_model(self, request, obj, form, change) -> None:
        # The form put its cleaned data on obj; the one write path checks the rules and saves.
        movie_save(movie=obj)

    @admin.action(description=_("Export selected movies as CSV"), permissions=("view",))
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="movies.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_COLUMNS)
        for row in queryset.order_by("title", "id").values_list(*CSV_COLUMNS):
            writer.writerow([_csv_cell(value) for value in row])
        return response
