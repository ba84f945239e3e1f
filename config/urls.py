"""Root URL configuration. Every API path works with or without its trailing slash."""

from django.contrib import admin
from django.urls import include, path, re_path

from config.health import HealthView

urlpatterns = [
    re_path(r"^healthz/?$", HealthView.as_view(), name="healthz"),
    path("api/auth/", include("accounts.urls")),
    path("api/", include("movies.urls")),
    path("admin/", admin.site.urls),
]
