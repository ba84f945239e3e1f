from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.filters import SearchFilter
from rest_framework.reverse import reverse

from movies.filters import MovieFilter
from movies.models import Movie
from movies.pagination import MoviePagination
from movies.serializers import MovieSerializer


class MovieViewSet(viewsets.ModelViewSet):
    """The movie catalog, for admins."""

    queryset = Movie.objects.all()
    serializer_class = MovieSerializer
    filter_backends = (DjangoFilterBackend, SearchFilter)
    filterset_class = MovieFilter
    search_fields = ("title", "overview")
    pagination_class = MoviePagination
    # Ids beyond the database column's range are unknown, not errors.
    lookup_value_regex = r"[0-9]{1,18}"

    def get_success_headers(self, data) -> dict:
        return {"Location": reverse("movie-detail", args=[data["id"]], request=self.request)}
