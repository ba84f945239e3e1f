from django.urls import re_path

from accounts.views import (
    LoginView,
    LogoutAllView,
    LogoutView,
    MeView,
    PasswordChangeView,
    RefreshView,
    SessionDetailView,
    SessionListView,
)

urlpatterns = [
    re_path(r"^login/?$", LoginView.as_view(), name="login"),
    re_path(r"^refresh/?$", RefreshView.as_view(), name="refresh"),
    re_path(r"^logout/?$", LogoutView.as_view(), name="logout"),
    re_path(r"^logout/all/?$", LogoutAllView.as_view(), name="logout-all"),
    re_path(r"^sessions/?$", SessionListView.as_view(), name="sessions"),
    re_path(r"^sessions/(?P<id>[^/]+)/?$", SessionDetailView.as_view(), name="session"),
    re_path(r"^password/?$", PasswordChangeView.as_view(), name="password"),
    re_path(r"^me/?$", MeView.as_view(), name="me"),
]
