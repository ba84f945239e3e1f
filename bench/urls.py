"""Benchmark-only URLs: the real ones, plus the movie viewset without authentication.

The twin measures what authentication costs: same viewset, same serializer, same queries for the
movie, minus reading and verifying the token and the user row.
"""

from django.urls import re_path
from rest_framework.permissions import AllowAny

from config.urls import urlpatterns as project_urlpatterns
from movies.views import MovieViewSet


class OpenMovieViewSet(MovieViewSet):
    authentication_classes = ()
    permission_classes = (AllowAny,)


urlpatterns = [
    *project_urlpatterns,
    re_path(
        r"^bench/open/movies/(?P<pk>[^/]+)/?$",
        OpenMovieViewSet.as_view({"get": "retrieve"}),
        name="bench-open-movie",
    ),
]
