"""GET /healthz: each dependency's state, 503 only when the database does not answer."""

import pytest

from tests.helpers import PRODUCTION_ENV, run_manage
from tests.servers import free_port, unreachable_redis_cache

ALL_UP = {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.fixture
def cache_down(settings, own_cache_keys):
    settings.CACHES = unreachable_redis_cache(own_cache_keys)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/healthz/"])
def test_healthz_is_ok_while_every_dependency_answers(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 200
    assert response.json() == ALL_UP


@pytest.mark.django_db
@pytest.mark.usefixtures("cache_down")
def test_healthz_is_200_degraded_when_the_cache_does_not_answer(api_client):
    response = api_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "unavailable"}


def test_healthz_is_503_when_the_database_does_not_answer():
    # A real server process whose database is a closed port: the connection is refused.
    script = (
        "from django.test import Client; r = Client().get('/healthz');"
        "print(r.status_code, r['Retry-After'], r.content.decode())"
    )
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        script,
        env={
            "DATABASE_URL": f"postgres://nobody@127.0.0.1:{free_port()}/none",
            "DJANGO_ALLOWED_HOSTS": "testserver",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '503 5 {"status":"unavailable","database":"unavailable","cache":"ok"}'
    )


def test_healthz_answers_plain_http_probes_while_https_redirects_the_rest(tmp_path):
    # Production settings (HTTPS on): a load balancer's plain-HTTP probe must not get a 301.
    script = (
        "from django.test import Client; c = Client();"
        "print(*[(r.status_code, r.get('Location')) for r in"
        " (c.get('/healthz'), c.get('/healthz/'), c.get('/api/movies/'))], sep='|')"
    )
    env = {
        **PRODUCTION_ENV,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
    }
    result = run_manage("shell", "-v", "0", "-c", script, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split("|") == [
        "(200, None)",
        "(200, None)",
        "(301, 'https://testserver/api/movies/')",
    ]
