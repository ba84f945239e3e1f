import pytest

from tests.helpers import run_manage


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/healthz/"])
def test_healthz_is_ok_while_the_database_answers(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_does_not_answer():
    # A real server process whose database is a closed port: the connection is refused.
    script = (
        "from django.test import Client; r = Client().get('/healthz');"
        "print(r.status_code, r.content.decode())"
    )
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        script,
        env={
            "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
            "DJANGO_ALLOWED_HOSTS": "testserver",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '503 {"status":"unavailable"}'
