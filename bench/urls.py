"""Benchmark-only URLs: the real ones, plus two twins of the movie viewset (detail and list).

- ``/bench/open/movies/``: no authentication at all. It measures what authentication costs: same
  viewset, same serializer, same queries for the movies, minus reading and verifying the token and
  the user (``make bench``: bench/run.py and bench/auth.py).
- ``/bench/simplejwt/movies/``: djangorestframework-simplejwt's ``JWTAuthentication`` and
  ``IsAdminUser`` instead of the project's class, to compare with a common library (bench/auth.py;
  its settings are ``SIMPLE_JWT`` in bench/settings.py).
"""

from django.urls import re_path
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication

from config.urls import urlpatterns as project_urlpatterns
from movies.views import MovieViewSet


class OpenMovieViewSet(MovieViewSet):
    authentication_classes = ()
    permission_classes = (AllowAny,)


class SimpleJWTMovieViewSet(MovieViewSet):
    authentication_classes = (SimpleJWTAuthentication,)
    permission_classes = (IsAdminUser,)


def twin_routes(prefix: str, viewset) -> list:
    """The detail and list routes of a benchmark twin of the movie viewset under ``prefix``."""
    return [
        re_path(rf"^{prefix}/movies/(?P<pk>[^/]+)/?$", viewset.as_view({"get": "retrieve"})),
        re_path(rf"^{prefix}/movies/?$", viewset.as_view({"get": "list"})),
    ]


urlpatterns = [
    *project_urlpatterns,
    *twin_routes("bench/open", OpenMovieViewSet),
    *twin_routes("bench/simplejwt", SimpleJWTMovieViewSet),
]
