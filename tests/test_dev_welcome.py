"""`make run`'s last words before the server's banner: one block with the development admin's
credentials and every URL, so the password does not scroll away among other lines."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User


def welcome(**options) -> list[str]:
    out = StringIO()
    call_command("dev_welcome", stdout=out, **options)
    return out.getvalue().splitlines()


@pytest.mark.django_db
def test_one_block_with_the_admins_credentials_and_the_urls(settings):
    settings.DEBUG = True
    lines = welcome(host="127.0.0.1", port="8001")

    assert lines[0] == lines[-1] == "=" * 72
    assert f"Development admin: admin@example.com  password: {settings.DEV_ADMIN_PASSWORD}" in lines
    for url in (
        "http://127.0.0.1:8001/api/movies/",
        "http://127.0.0.1:8001/api/docs/",
        "http://127.0.0.1:8001/api/docs/?lang=es",
        "http://127.0.0.1:8001/api/redoc/",
        "http://127.0.0.1:8001/admin/",
        "http://127.0.0.1:8001/healthz",
    ):
        assert any(line.endswith(url) for line in lines), url
    admin = User.objects.get(email="admin@example.com")
    assert admin.is_staff
    assert admin.check_password(settings.DEV_ADMIN_PASSWORD)


@pytest.mark.django_db
def test_running_it_again_creates_nobody_and_prints_the_same_credentials(settings):
    settings.DEBUG = True
    first = welcome()
    again = welcome()
    assert "Created the development admin." in first
    assert "Created the development admin." not in again
    assert [line for line in again if "password" in line] == [
        line for line in first if "password" in line
    ]
    assert User.objects.count() == 1
