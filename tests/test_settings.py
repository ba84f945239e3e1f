"""Configuration comes from the environment; production refuses weak or missing secrets."""

import json

import pytest

from common.env import local_dev_secrets
from tests.helpers import PASSWORD, PRODUCTION_ENV, run_manage


def test_production_settings_pass_check_deploy():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DJANGO_SECRET_KEY", "", "DJANGO_SECRET_KEY must be set"),
        ("DJANGO_SECRET_KEY", "short-secret", "DJANGO_SECRET_KEY is shorter than 32 bytes"),
        # Django's own bar (check --deploy, security.W009): 50 characters, 5 distinct ones.
        ("DJANGO_SECRET_KEY", "x" * 40 + "0123456789"[:9], "shorter than 50 characters"),
        ("DJANGO_SECRET_KEY", "abcd" * 20, "fewer than 5 distinct characters"),
        ("JWT_SIGNING_KEYS", "", "JWT_SIGNING_KEYS must be set"),
        ("JWT_SIGNING_KEYS", "no-colon-here", "kid:secret pairs"),
        ("JWT_SIGNING_KEYS", "weak:only-twenty-bytes!!", "'weak' is shorter than 32 bytes"),
        ("JWT_SIGNING_KEYS", "weak:" + "a" * 64, "'weak' has fewer than 5 distinct characters"),
        (
            "JWT_SIGNING_KEYS",
            "k1:first-secret-long-enough-0123456789,k1:second-secret-long-enough-012345",
            "key id 'k1' is used 2 times",
        ),
        ("DJANGO_ALLOWED_HOSTS", "", "DJANGO_ALLOWED_HOSTS must be set"),
    ],
)
def test_production_refuses_to_start_without_strong_secrets(variable, value, message):
    # The settings refuse as they load, so gunicorn (which runs no system checks) refuses too.
    result = run_manage("check", env={**PRODUCTION_ENV, variable: value})
    assert result.returncode != 0
    assert message in result.stderr
    secret = value.partition(":")[2] or value
    if len(secret) >= 8:
        assert secret not in result.stderr + result.stdout


def test_a_secret_just_strong_enough_starts():
    env = {
        **PRODUCTION_ENV,
        "DJANGO_SECRET_KEY": "abcde" * 10,
        "JWT_SIGNING_KEYS": "k1:" + "abcde" * 6 + "ab",
    }
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stderr


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


def test_passwords_are_hashed_with_argon2id_at_owasps_parameters():
    from accounts.hashers import Argon2idPasswordHasher
    from config import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0] == "accounts.hashers.Argon2idPasswordHasher"
    hasher = Argon2idPasswordHasher()
    encoded = hasher.encode(PASSWORD, hasher.salt())
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.verify(PASSWORD, encoded)
