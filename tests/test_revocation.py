"""Tokens stop working the moment their session ends or their user changes in a way that matters.

A change of password, email, ``is_staff`` or ``is_active`` ends every session of the user, however
it is written (a database trigger: ``save()``, ``QuerySet.update()``, SQL); a password-hash upgrade
on login does not.
"""

import io

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts import services
from accounts.models import CredentialChangeExemption, EndReason, LoginSession, User
from accounts.services import user_password_change
from tests.helpers import (
    PASSWORD,
    QuickPBKDF2PasswordHasher,
    access_token_for,
    bearer_client,
    login_pair,
)

ME = "/api/auth/me/"


def status_with(token: str) -> int:
    return bearer_client(token).get(ME).status_code


def refused_because(token: str) -> str:
    """The code of the 401 a request with ``token`` gets."""
    response = bearer_client(token).get(ME)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    return response.json()["code"]


def end_reasons(user: User) -> set[str]:
    return set(LoginSession.objects.filter(user=user).values_list("end_reason", flat=True))


@pytest.mark.django_db
def test_logout_needs_a_valid_token_of_any_user(api_client, regular_user):
    assert api_client.post("/api/auth/logout/").status_code == 401
    pair = login_pair(regular_user)
    non_admin = bearer_client(pair.access.value)
    assert non_admin.post("/api/auth/logout").status_code == 204  # their own session: no admin
    assert non_admin.get("/api/auth/me/").status_code == 401


@pytest.mark.django_db
def test_deleted_user_token_is_refused(admin_user, admin_token):
    admin_user.delete()
    assert refused_because(admin_token) == "token_revoked"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("is_active", False), ("email", "renamed@example.com"), ("is_staff", False)],
)
def test_changed_account_refuses_earlier_tokens(admin_user, admin_token, field, value):
    setattr(admin_user, field, value)
    admin_user.save()
    assert refused_because(admin_token) == "token_revoked"
    assert end_reasons(admin_user) == {EndReason.CREDENTIALS_CHANGED}


@pytest.mark.django_db
def test_changed_password_revokes_tokens(admin_user, admin_token):
    admin_user.set_password("a brand new passphrase")
    admin_user.save(update_fields=["password"])
    assert status_with(admin_token) == 401
    assert end_reasons(admin_user) == {EndReason.CREDENTIALS_CHANGED}


@pytest.mark.django_db
def test_password_change_on_a_user_loaded_with_deferred_fields_revokes(admin_user, admin_token):
    partial = User.objects.only("id", "email").get(pk=admin_user.pk)
    partial.set_password("a brand new passphrase")
    partial.save()
    assert status_with(admin_token) == 401
    assert User.objects.get(pk=admin_user.pk).check_password("a brand new passphrase")


@pytest.mark.django_db
def test_password_hash_assigned_directly_in_a_shell_revokes(admin_user, admin_token):
    admin_user.password = make_password("typed in a shell")
    admin_user.save()
    assert status_with(admin_token) == 401


@pytest.mark.django_db
def test_changepassword_command_revokes(admin_user, admin_token, monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "a-Changed-passphrase-8")
    call_command("changepassword", admin_user.email, stdout=io.StringIO())
    assert status_with(admin_token) == 401


@pytest.mark.django_db
def test_saving_a_credential_field_without_writing_it_keeps_tokens(admin_user, admin_token):
    admin_user.is_staff = False
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    assert status_with(admin_token) == 200


@pytest.mark.django_db
def test_non_admin_after_losing_staff_status_gets_403_with_a_new_token(admin_user):
    admin_user.is_staff = False
    admin_user.save()
    token = access_token_for(admin_user)
    assert bearer_client(token).get("/api/movies/").status_code == 403
    assert status_with(token) == 200  # their own account still serves them


@pytest.mark.django_db
def test_a_token_issued_from_the_same_object_after_two_changes_works(admin_user):
    # Each change ends the sessions of its time; a session started after both is good.
    admin_user.is_staff = False
    admin_user.save()
    admin_user.is_staff = True
    admin_user.save()
    assert status_with(access_token_for(admin_user)) == 200


@pytest.mark.django_db
def test_a_password_saved_with_update_fields_as_an_iterator_revokes(admin_user, admin_token):
    admin_user.set_password("a-Different-passphrase-42")
    admin_user.save(update_fields=(name for name in ["password"]))
    assert status_with(admin_token) == 401
    assert end_reasons(admin_user) == {EndReason.CREDENTIALS_CHANGED}


@pytest.mark.django_db
def test_a_new_object_saved_over_an_existing_id_ends_that_accounts_sessions(
    api_client, admin_user, admin_token
):
    # Django's save() of an unsaved object whose id exists updates that row.
    refresh_token = api_client.post(
        "/api/auth/login/", {"email": admin_user.email, "password": PASSWORD}
    ).json()["refresh_token"]
    User(pk=admin_user.pk, email="intruder@example.com", is_staff=True).save()
    assert status_with(admin_token) == 401
    refused = api_client.post("/api/auth/refresh/", {"refresh_token": refresh_token})
    assert refused.status_code == 401
    assert end_reasons(admin_user) == {EndReason.CREDENTIALS_CHANGED}


@pytest.mark.django_db
def test_unrelated_save_keeps_tokens_valid(admin_user, admin_token):
    admin_user.is_superuser = True
    admin_user.save()
    assert status_with(admin_token) == 200
    assert end_reasons(admin_user) == {""}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "save_kwargs", [{}, {"update_fields": ["is_superuser"]}], ids=["all", "some"]
)
def test_stale_copy_saved_after_logout_all_revives_nothing(admin_user, admin_token, save_kwargs):
    stale = User.objects.get(pk=admin_user.pk)
    assert bearer_client(admin_token).post("/api/auth/logout/all/").status_code == 204
    fresh = access_token_for(User.objects.get(pk=admin_user.pk))
    stale.is_superuser = True
    stale.save(**save_kwargs)
    assert status_with(admin_token) == 401
    assert status_with(fresh) == 200


@pytest.mark.django_db
def test_stale_copy_with_the_old_password_hash_ends_sessions(admin_user):
    stale = User.objects.get(pk=admin_user.pk)
    current = User.objects.get(pk=admin_user.pk)
    current.set_password("the newer passphrase")
    current.save()
    token = access_token_for(current)
    stale.save()  # writes the older hash back: a credential change like any other
    assert status_with(token) == 401


@pytest.mark.django_db
def test_password_change_through_django_admin_revokes_tokens(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    token = access_token_for(admin_user)
    client.force_login(admin_user)
    response = client.post(
        f"/admin/accounts/user/{admin_user.pk}/password/",
        {
            "password1": "another-Long-passphrase-7",
            "password2": "another-Long-passphrase-7",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.check_password("another-Long-passphrase-7")
    assert status_with(token) == 401


@pytest.mark.django_db
def test_staff_status_removed_in_the_admin_change_form_revokes(client, admin_user):
    editor = User.objects.create_superuser("editor@example.com", PASSWORD)
    token = access_token_for(admin_user)
    client.force_login(editor)
    change_url = f"/admin/accounts/user/{admin_user.pk}/change/"
    form = client.get(change_url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "is_staff": "",
            "groups": [],
            "user_permissions": [],
            "login_sessions-TOTAL_FORMS": "1",
            "login_sessions-INITIAL_FORMS": "1",
            "login_sessions-MIN_NUM_FORMS": "0",
            "login_sessions-MAX_NUM_FORMS": "1000",
            "login_sessions-0-id": str(LoginSession.objects.get(user=admin_user).pk),
            "login_sessions-0-user": str(admin_user.pk),
        }
    )
    data["is_active"] = "on"
    data.pop("password", None)
    response = client.post(change_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(pk=admin_user.pk).is_staff is False
    assert refused_because(token) == "token_revoked"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("hashers", "old_hash", "new_prefix"),
    [
        # Same algorithm, fewer iterations: what a Django upgrade that raises the count meets.
        (
            ["tests.helpers.QuickPBKDF2PasswordHasher"],
            lambda: QuickPBKDF2PasswordHasher().encode(PASSWORD, "somesalt", iterations=1000),
            "pbkdf2_sha256$2000$",
        ),
        # A hasher listed second: Django re-hashes with the first one on the next login.
        (
            [
                "django.contrib.auth.hashers.MD5PasswordHasher",
                "tests.helpers.QuickPBKDF2PasswordHasher",
            ],
            lambda: QuickPBKDF2PasswordHasher().encode(PASSWORD, "somesalt"),
            "md5$",
        ),
        # The production list: PBKDF2 (Django's default until now) upgraded to Argon2id.
        (
            ["accounts.hashers.Argon2idPasswordHasher", "tests.helpers.QuickPBKDF2PasswordHasher"],
            lambda: QuickPBKDF2PasswordHasher().encode(PASSWORD, "somesalt"),
            "argon2$argon2id$v=19$m=19456,t=2,p=1$",
        ),
    ],
    ids=["more-iterations", "another-hasher-first", "pbkdf2-to-argon2id"],
)
def test_password_hash_upgrade_on_login_keeps_sessions(
    api_client, settings, hashers, old_hash, new_prefix
):
    settings.PASSWORD_HASHERS = hashers
    old_hash = old_hash()
    user = User.objects.create_user("upgrade@example.com", is_staff=True)
    User.objects.filter(pk=user.pk).update(password=old_hash)
    token = access_token_for(user)

    response = api_client.post("/api/auth/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert User.objects.get(pk=user.pk).password.startswith(new_prefix)  # upgraded
    assert status_with(token) == 200
    assert status_with(response.json()["access_token"]) == 200
    assert end_reasons(user) == {""}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        {"password": "md5$salt$0123456789abcdef0123456789abcdef"},
        {"email": "renamed@example.com"},
        {"is_staff": False},
        {"is_active": False},
    ],
    ids=["password", "email", "is_staff", "is_active"],
)
def test_queryset_update_of_a_credential_ends_the_sessions(admin_user, change):
    token, other = access_token_for(admin_user), login_pair(admin_user)
    User.objects.filter(pk=admin_user.pk).update(**change)
    assert status_with(token) == 401
    assert status_with(other.access.value) == 401
    assert end_reasons(admin_user) == {EndReason.CREDENTIALS_CHANGED}


@pytest.mark.django_db
def test_sql_update_of_a_credential_ends_the_sessions(admin_user, admin_token):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_user SET is_active = %s WHERE id = %s", [False, admin_user.pk]
        )
        cursor.execute(
            "UPDATE accounts_user SET is_active = %s WHERE id = %s", [True, admin_user.pk]
        )
    # Ended, not merely refused while inactive: re-activating revives nothing.
    assert refused_because(admin_token) == "token_revoked"
    assert end_reasons(admin_user) == {EndReason.CREDENTIALS_CHANGED}
    assert status_with(access_token_for(admin_user)) == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "changed"),
    [("is_active", False), ("email", "renamed@example.com"), ("is_staff", False)],
)
def test_change_and_change_back_revives_nothing(admin_user, admin_token, field, changed):
    original = getattr(admin_user, field)
    users = User.objects.filter(pk=admin_user.pk)
    users.update(**{field: changed})
    users.update(**{field: original})
    assert refused_because(admin_token) == "token_revoked"
    assert end_reasons(admin_user) == {EndReason.CREDENTIALS_CHANGED}


@pytest.mark.django_db
def test_an_update_that_writes_the_same_values_ends_nothing(admin_user, admin_token):
    User.objects.filter(pk=admin_user.pk).update(
        email=admin_user.email, is_staff=True, is_active=True, password=admin_user.password
    )
    assert status_with(admin_token) == 200
    assert end_reasons(admin_user) == {""}


@pytest.mark.django_db
def test_a_credential_change_ends_no_other_users_sessions(admin_user):
    other_admin = User.objects.create_user("other@example.com", PASSWORD, is_staff=True)
    token = access_token_for(other_admin)
    User.objects.filter(pk=admin_user.pk).update(is_active=False)
    assert status_with(token) == 200


@pytest.mark.django_db
def test_saved_email_is_trimmed_and_lower_cased(admin_user, api_client):
    admin_user.email = "  New.Address@Example.COM "
    admin_user.save()
    assert User.objects.get(pk=admin_user.pk).email == "new.address@example.com"
    response = api_client.post(
        "/api/auth/login/", {"email": "new.address@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200


class ChangedWhileCheckingHasher(QuickPBKDF2PasswordHasher):
    """Runs ``meanwhile`` once, after checking a password and before the login goes on: what a
    credential change that commits while a login is hashing looks like to that login."""

    algorithm = "pbkdf2_sha256_changed_while_checking"
    meanwhile = None

    def verify(self, password, encoded):
        matches = super().verify(password, encoded)
        change, type(self).meanwhile = type(self).meanwhile, None
        if change is not None:
            change()
        return matches


def _set_new_password(user):
    user.set_password("a-new-password-after-a-leak-42")
    user.save()


def _deactivate(user):
    user.is_active = False
    user.save()


def _rename(user):
    user.email = "renamed.meanwhile@example.com"
    user.save()


def _demote(user):
    user.is_staff = False
    user.save()


def _log_out_everywhere(user):
    bearer_client(access_token_for(user)).post("/api/auth/logout/all/")


def _change_password_from_another_session(user):
    # As POST /api/auth/password/ does: that session is kept.
    user_password_change(
        user=user,
        current_password=PASSWORD,
        new_password="a-new-password-after-a-leak-42",
        keep=login_pair(user).session_id,
    )


def log_in_while(meanwhile, *, settings, client, user):
    """A login of ``user`` with the right password that runs ``meanwhile`` once its password
    check is done: what a change committed while the login is hashing looks like to it."""
    settings.PASSWORD_HASHERS = [f"{__name__}.ChangedWhileCheckingHasher"]
    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD))
    ChangedWhileCheckingHasher.meanwhile = meanwhile
    response = client.post("/api/auth/login/", {"email": user.email, "password": PASSWORD})
    assert ChangedWhileCheckingHasher.meanwhile is None  # it did run
    return response


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [_set_new_password, _deactivate, _rename, _demote, _change_password_from_another_session],
)
def test_a_login_racing_a_credential_change_gets_no_session(
    settings, api_client, admin_user, change, caplog
):
    response = log_in_while(
        lambda: change(User.objects.get(pk=admin_user.pk)),
        settings=settings,
        client=api_client,
        user=admin_user,
    )
    # Not a wrong password: a conflict to retry, not counted as a failure by the login policy.
    assert response.status_code == 409
    assert response.json()["code"] == "login_conflict"
    live = LoginSession.objects.filter(user=admin_user, ended_at__isnull=True)
    assert live.count() == (1 if change is _change_password_from_another_session else 0)
    assert (
        f"Login failed for {admin_user.email!r}: its credentials changed meanwhile"
        in caplog.messages
    )


@pytest.mark.django_db
def test_a_login_conflict_is_not_counted_as_a_failed_password(settings, api_client, admin_user):
    # With a cap of one failed password per account, one counted failure would refuse the next
    # attempt from an address the account has never logged in from (429).
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    response = log_in_while(
        lambda: _rename(User.objects.get(pk=admin_user.pk)),
        settings=settings,
        client=api_client,
        user=admin_user,
    )
    assert response.status_code == 409
    elsewhere = {"email": admin_user.email, "password": "wrong"}  # the account that conflicted
    answer = api_client.post("/api/auth/login/", elsewhere, REMOTE_ADDR="10.44.0.1")
    assert answer.status_code == 401


@pytest.mark.django_db
def test_a_login_racing_log_out_everywhere_starts_a_session(settings, api_client, admin_user):
    # Logging out everywhere ends the sessions that exist; the right password may start another.
    response = log_in_while(
        lambda: _log_out_everywhere(admin_user),
        settings=settings,
        client=api_client,
        user=admin_user,
    )
    assert response.status_code == 200
    assert status_with(response.json()["access_token"]) == 200
    assert end_reasons(admin_user) == {EndReason.LOGOUT_ALL, ""}


def _delete_user(user):
    user.delete()


def _rehash_the_same_password(user):
    # Another login of the same user re-hashing the same password (a new salt): no change.
    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD))


@pytest.mark.django_db
def test_a_login_racing_the_deletion_of_its_user_gets_no_session(settings, api_client, admin_user):
    response = log_in_while(
        lambda: _delete_user(admin_user), settings=settings, client=api_client, user=admin_user
    )
    assert response.json()["code"] == "login_conflict"  # 409: retry, and be refused then
    assert not LoginSession.objects.exists()


@pytest.mark.django_db
def test_a_login_racing_a_rehash_of_the_same_password_succeeds(settings, api_client, admin_user):
    # The correct password is never a failure: the hash changed, the password did not.
    response = log_in_while(
        lambda: _rehash_the_same_password(admin_user),
        settings=settings,
        client=api_client,
        user=admin_user,
    )
    assert response.status_code == 200
    assert status_with(response.json()["access_token"]) == 200


class CountingHasher(QuickPBKDF2PasswordHasher):
    """Counts the passwords it verifies and the new hashes it makes (each takes a new salt)."""

    algorithm = "pbkdf2_sha256_counting"
    verified: list[str] = []
    hashed = 0

    def verify(self, password, encoded):
        type(self).verified.append(password)
        return super().verify(password, encoded)

    def salt(self):
        type(self).hashed += 1
        return super().salt()


@pytest.mark.django_db
def test_a_login_checks_the_password_once_and_an_unknown_email_costs_the_same(
    settings, api_client, admin_user
):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    User.objects.filter(pk=admin_user.pk).update(password=make_password(PASSWORD))
    CountingHasher.verified, CountingHasher.hashed = [], 0
    ok = api_client.post("/api/auth/login/", {"email": admin_user.email, "password": PASSWORD})
    assert ok.status_code == 200
    assert (CountingHasher.verified, CountingHasher.hashed) == ([PASSWORD], 0)
    CountingHasher.verified = []
    unknown = api_client.post("/api/auth/login/", {"email": "nobody@example.com", "password": "x1"})
    assert unknown.status_code == 401
    assert (CountingHasher.verified, CountingHasher.hashed) == ([], 1)  # hashed all the same


@pytest.mark.django_db
def test_the_backend_answers_none_without_an_email(rf):
    assert authenticate(rf.post("/"), password=PASSWORD) is None
    assert authenticate(rf.post("/"), email=None, password=PASSWORD) is None
    assert authenticate(rf.post("/"), email="admin@example.com") is None


@pytest.mark.django_db
def test_no_exemption_outlives_the_write_it_was_for(settings, api_client, admin_user):
    # A password change through the API and a re-hash at login each leave the table empty, so a
    # later change of credentials spares nothing.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "tests.helpers.QuickPBKDF2PasswordHasher",
    ]
    User.objects.filter(pk=admin_user.pk).update(
        password=QuickPBKDF2PasswordHasher().encode(PASSWORD, "somesalt")
    )
    login = api_client.post("/api/auth/login/", {"email": admin_user.email, "password": PASSWORD})
    assert login.status_code == 200
    assert not CredentialChangeExemption.objects.exists()
    token = login.json()["access_token"]
    changed = bearer_client(token).post(
        "/api/auth/password/",
        {"current_password": PASSWORD, "new_password": "a-Different-passphrase-9"},
    )
    assert changed.status_code == 204
    assert not CredentialChangeExemption.objects.exists()
    assert status_with(token) == 200  # the caller's session was kept ...
    user = User.objects.get(pk=admin_user.pk)
    user.set_password("yet-Another-passphrase-3")
    user.save()
    assert status_with(token) == 401  # ... and a later change ends it like any other


@pytest.mark.django_db
@pytest.mark.parametrize("reset", ["an administrator's reset", "a logout of that session"])
def test_a_password_change_racing_a_reset_or_logout_changes_nothing(settings, admin_user, reset):
    # The current password is checked, then (while the request goes on) an administrator resets
    # the password, or the caller's session ends: the change must not overwrite or outlive it.
    settings.PASSWORD_HASHERS = [f"{__name__}.ChangedWhileCheckingHasher"]
    User.objects.filter(pk=admin_user.pk).update(password=make_password(PASSWORD))
    pair = login_pair(admin_user)

    def meanwhile():
        if reset == "an administrator's reset":
            user = User.objects.get(pk=admin_user.pk)
            user.set_password("the-Administrators-choice-5")
            user.save()
        else:
            LoginSession.objects.filter(pk=pair.session_id).update(ended_at=timezone.now())

    ChangedWhileCheckingHasher.meanwhile = meanwhile
    response = bearer_client(pair.access.value).post(
        "/api/auth/password/",
        {"current_password": PASSWORD, "new_password": "the-Attackers-choice-77"},
    )
    assert ChangedWhileCheckingHasher.meanwhile is None
    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"
    stored = User.objects.get(pk=admin_user.pk)
    assert not stored.check_password("the-Attackers-choice-77")
    if reset == "an administrator's reset":
        assert stored.check_password("the-Administrators-choice-5")


@pytest.mark.django_db
def test_a_rehash_at_login_never_reverts_a_password_changed_meanwhile(settings, api_client):
    # An outdated hash of the old password; while a login with it is checked, the password
    # changes. The login's re-hash must not write the old password back.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        f"{__name__}.ChangedWhileCheckingHasher",
    ]
    user = User.objects.create_user("outdated@example.com", is_staff=True)
    User.objects.filter(pk=user.pk).update(
        password=ChangedWhileCheckingHasher().encode(PASSWORD, "somesalt")
    )

    def change():
        fresh = User.objects.get(pk=user.pk)
        fresh.set_password("the-New-passphrase-61")
        fresh.save()

    ChangedWhileCheckingHasher.meanwhile = change
    response = api_client.post("/api/auth/login/", {"email": user.email, "password": PASSWORD})
    assert ChangedWhileCheckingHasher.meanwhile is None
    assert response.status_code == 409
    stored = User.objects.get(pk=user.pk)
    assert stored.check_password("the-New-passphrase-61")
    assert not stored.check_password(PASSWORD)
    assert not LoginSession.objects.filter(user=user, ended_at__isnull=True).exists()


def _rehash_as_a_login_does(user):
    # What another login's re-hash writes: the same password, a new hash, no session ended.
    fresh = User.objects.get(pk=user.pk)
    assert services._password_write(
        user=fresh, new_hash=make_password(PASSWORD), replaces=fresh.password, keep=None
    )


def _change_password_in_the_same_session(user, session_id):
    user_password_change(
        user=User.objects.get(pk=user.pk),
        current_password=PASSWORD,
        new_password="the-First-new-passphrase-2",
        keep=session_id,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("meanwhile", ["another change", "a re-hash"])
def test_a_password_change_that_checked_a_password_changed_meanwhile(
    settings, admin_user, meanwhile
):
    # A double submit: both requests checked the old password; the first one committed. The
    # second is refused as a wrong current password. A re-hash of the same password meanwhile
    # (another login) is no change: the change goes through.
    settings.PASSWORD_HASHERS = [f"{__name__}.ChangedWhileCheckingHasher"]
    User.objects.filter(pk=admin_user.pk).update(password=make_password(PASSWORD))
    pair = login_pair(admin_user)
    ChangedWhileCheckingHasher.meanwhile = (
        (lambda: _change_password_in_the_same_session(admin_user, pair.session_id))
        if meanwhile == "another change"
        else (lambda: _rehash_as_a_login_does(admin_user))
    )
    response = bearer_client(pair.access.value).post(
        "/api/auth/password/",
        {"current_password": PASSWORD, "new_password": "the-Second-new-passphrase-3"},
    )
    assert ChangedWhileCheckingHasher.meanwhile is None
    stored = User.objects.get(pk=admin_user.pk)
    if meanwhile == "another change":
        assert response.status_code == 400
        assert response.json() == {"current_password": ["The current password is incorrect."]}
        assert stored.check_password("the-First-new-passphrase-2")
    else:
        assert response.status_code == 204
        assert stored.check_password("the-Second-new-passphrase-3")
    assert status_with(pair.access.value) == 200  # the caller's session goes on either way


@pytest.mark.django_db
def test_a_login_that_rehashes_checks_the_password_once_and_hashes_it_once(
    settings, api_client, admin_user
):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    User.objects.filter(pk=admin_user.pk).update(
        password=CountingHasher().encode(PASSWORD, "somesalt", iterations=1000)  # outdated
    )
    CountingHasher.verified, CountingHasher.hashed = [], 0
    response = api_client.post(
        "/api/auth/login/", {"email": admin_user.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert (CountingHasher.verified, CountingHasher.hashed) == ([PASSWORD], 1)
    assert User.objects.get(pk=admin_user.pk).password.startswith("pbkdf2_sha256_counting$2000$")


@pytest.mark.django_db
def test_a_password_change_writes_only_its_users_row(admin_user):
    # Another user whose stored hash is, by chance, the very same string.
    twin = User.objects.create_user("twin@example.com", is_staff=True)
    User.objects.filter(pk__in=[admin_user.pk, twin.pk]).update(
        password=QuickPBKDF2PasswordHasher().encode(PASSWORD, "samesalt")
    )
    admin_token = access_token_for(admin_user)
    settings_hashers = ["tests.helpers.QuickPBKDF2PasswordHasher"]
    with override_settings(PASSWORD_HASHERS=settings_hashers):
        response = bearer_client(admin_token).post(
            "/api/auth/password/",
            {"current_password": PASSWORD, "new_password": "only-Mine-changes-4"},
        )
        assert response.status_code == 204
        assert User.objects.get(pk=twin.pk).check_password(PASSWORD)
        assert User.objects.get(pk=admin_user.pk).check_password("only-Mine-changes-4")
