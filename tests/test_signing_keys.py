"""Key rotation: the first key signs, every configured key verifies; weak keys fail checks."""

import jwt
import pytest
from django.core import checks
from django.core.management import CommandError, call_command

from tests.helpers import access_token_for, bearer_client, forge_token, override_jwt

NEW_KEY = ("k2", "a-new-signing-key-that-is-long-enough-to-sign")
OLD_KEY = ("k1", "the-old-signing-key-that-is-still-trusted-now")


@pytest.fixture
def rotated_keys(settings):
    override_jwt(settings, SIGNING_KEYS=[NEW_KEY, OLD_KEY])


@pytest.mark.django_db
@pytest.mark.usefixtures("rotated_keys")
def test_first_key_signs_new_tokens(admin_user):
    token = access_token_for(admin_user)
    assert jwt.get_unverified_header(token)["kid"] == "k2"
    assert bearer_client(token).get("/api/auth/me/").status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("rotated_keys")
def test_token_signed_with_the_second_verify_only_key_is_accepted(admin_user):
    token = forge_token(admin_user, kid=OLD_KEY[0], key=OLD_KEY[1])
    assert bearer_client(token).get("/api/auth/me/").status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("rotated_keys")
def test_token_claiming_one_kid_but_signed_with_the_other_key_is_refused(admin_user):
    token = forge_token(admin_user, kid=OLD_KEY[0], key=NEW_KEY[1])
    assert bearer_client(token).get("/api/auth/me/").status_code == 401


@pytest.mark.django_db
def test_token_signed_with_a_retired_key_is_refused(admin_user, settings):
    token = forge_token(admin_user, kid=OLD_KEY[0], key=OLD_KEY[1])
    override_jwt(settings, SIGNING_KEYS=[NEW_KEY])
    response = bearer_client(token).get("/api/auth/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].endswith(
        'error_description="The token signature is invalid."'
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("rotated_keys")
def test_token_accepted_before_its_key_is_retired_is_refused_after(admin_user, settings):
    # A verified token is remembered; changing the settings must forget it.
    token = forge_token(admin_user, kid=OLD_KEY[0], key=OLD_KEY[1])
    assert bearer_client(token).get("/api/auth/me/").status_code == 200
    override_jwt(settings, SIGNING_KEYS=[NEW_KEY])
    response = bearer_client(token).get("/api/auth/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].endswith(
        'error_description="The token signature is invalid."'
    )


def _check_ids(settings, keys, debug):
    settings.DEBUG = debug
    override_jwt(settings, SIGNING_KEYS=keys)
    return {(type(message), message.id) for message in checks.run_checks()}


def test_short_key_is_an_error_outside_debug(settings):
    found = _check_ids(settings, [("k", "x" * 31)], debug=False)
    assert (checks.Error, "accounts.E002") in found


def test_key_of_32_bytes_passes(settings):
    # 16 characters, 32 bytes: the length is counted in bytes.
    found = _check_ids(settings, [("k", "éàüöñ" * 3 + "é")], debug=False)
    assert not any(check_id.startswith("accounts.") for _, check_id in found)


def test_key_of_few_distinct_characters_is_an_error_outside_debug(settings):
    found = _check_ids(settings, [("k", "abcd" * 16)], debug=False)
    assert (checks.Error, "accounts.E002") in found


def test_short_key_is_a_warning_in_debug(settings):
    found = _check_ids(settings, [("k", "short")], debug=True)
    assert (checks.Warning, "accounts.E002") in found


def test_duplicate_kid_is_an_error_outside_debug(settings):
    found = _check_ids(settings, [("k", "abcdefgh" * 5), ("k", "ijklmnop" * 5)], debug=False)
    assert (checks.Error, "accounts.E002") in found


def test_weak_key_stops_the_check_command(settings):
    settings.DEBUG = False
    override_jwt(settings, SIGNING_KEYS=[("k", "tiny")])
    with pytest.raises(CommandError, match=r"accounts\.E002"):
        call_command("check")
