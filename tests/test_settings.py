"""Configuration comes from the environment; production refuses weak or missing secrets."""

import json

import pytest

from common.env import local_dev_secrets
from tests.helpers import PRODUCTION_ENV, run_manage


def test_production_settings_pass_check_deploy():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DJANGO_SECRET_KEY", "", "DJANGO_SECRET_KEY must be set"),
        ("DJANGO_SECRET_KEY", "short-secret", "DJANGO_SECRET_KEY must be at least 32 bytes"),
        ("JWT_SIGNING_KEYS", "", "JWT_SIGNING_KEYS must be set"),
        ("JWT_SIGNING_KEYS", "no-colon-here", "kid:secret pairs"),
        ("DJANGO_ALLOWED_HOSTS", "", "DJANGO_ALLOWED_HOSTS must be set"),
    ],
)
def test_production_refuses_to_start_without_strong_secrets(variable, value, message):
    result = run_manage("check", env={**PRODUCTION_ENV, variable: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_short_jwt_key_is_a_system_check_error_in_production():
    env = {**PRODUCTION_ENV, "JWT_SIGNING_KEYS": "weak:only-twenty-bytes!!"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "accounts.E002" in result.stderr
    assert "only-twenty-bytes" not in result.stderr + result.stdout


def test_development_needs_no_environment_and_reuses_its_generated_secrets(tmp_path):
    path = tmp_path / "dev-secrets.json"
    first = local_dev_secrets(path)
    assert len(first["secret_key"]) >= 50
    assert len(first["jwt_key"].encode()) >= 32
    assert local_dev_secrets(path) == first
    assert json.loads(path.read_text()) == first
    assert path.stat().st_mode & 0o077 == 0


def test_manage_py_runs_with_no_environment_at_all():
    result = run_manage("check", env={})
    assert result.returncode == 0, result.stderr
