"""Root URL configuration. Every API path works with or without its trailing slash."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from common.docs import RedocView, SchemaView, SwaggerUIView
from common.health import HealthView

urlpatterns = [
    # `/` leads to the docs, keeping ?lang=es; the favicon is a static file (whitenoise in
    # production), looked up per request so collectstatic's hashed name is found.
    path("", RedirectView.as_view(url="/api/docs/", query_string=True), name="home"),
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("common/favicon.ico"))),
    re_path(r"^healthz/?$", HealthView.as_view(), name="healthz"),
    path("api/auth/", include("accounts.urls")),
    path("api/", include("config.api_router")),
    re_path(r"^api/schema/?$", SchemaView.as_view(), name="schema"),
    re_path(r"^api/docs/?$", SwaggerUIView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^api/redoc/?$", RedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
]
