"""Root URL configuration. Every API path works with or without its trailing slash."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from common.health import HealthView

# JSON under /api/, Django's pages elsewhere (debug off; common.errors says what covers debug on).
handler400 = "common.errors.bad_request"
handler403 = "common.errors.permission_denied"
handler404 = "common.errors.page_not_found"
handler500 = "common.errors.server_error"

urlpatterns = [
    re_path(r"^healthz/?$", HealthView.as_view(), name="healthz"),
    path("api/auth/", include("accounts.urls")),
    path("api/", include("config.api_router")),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(
        r"^api/redoc/?$",
        SpectacularRedocView.as_view(url_name="schema", template_name="docs/redoc.html"),
        name="redoc",
    ),
    path("admin/", admin.site.urls),
]
