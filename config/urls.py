"""Root URL configuration. Every API path works with or without its trailing slash."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from common.docs import RedocView, SwaggerUIView
from common.health import HealthView

urlpatterns = [
    re_path(r"^healthz/?$", HealthView.as_view(), name="healthz"),
    path("api/auth/", include("accounts.urls")),
    path("api/", include("config.api_router")),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SwaggerUIView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^api/redoc/?$", RedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
]
