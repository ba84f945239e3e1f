import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from accounts.models import User
from tests.helpers import PASSWORD


@pytest.mark.django_db
def test_email_is_stored_lower_case_and_unique_ignoring_case():
    user = User.objects.create_user("  Ada.Lovelace@Example.COM ", PASSWORD)
    assert user.email == "ada.lovelace@example.com"
    with pytest.raises(IntegrityError):
        User.objects.create_user("ADA.LOVELACE@example.com", PASSWORD)


@pytest.mark.django_db
def test_creating_a_user_with_a_taken_id_fails_and_never_overwrites_the_account(admin_user):
    # objects.create() inserts (force_insert): it must not turn into an update of another row.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(pk=admin_user.pk, email="intruder@example.com", is_staff=True)
    admin_user.refresh_from_db()
    assert admin_user.email == "admin@example.com"
    assert admin_user.check_password(PASSWORD)


@pytest.mark.django_db
def test_user_has_no_username_and_logs_in_by_email():
    user = User.objects.create_user("grace@example.com", PASSWORD)
    assert not hasattr(user, "username")
    assert User.USERNAME_FIELD == "email"
    assert User.objects.get_by_natural_key("GRACE@example.com") == user
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_createsuperuser_noinput_reads_email_and_password_from_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Root@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", "--noinput", verbosity=0)
    user = User.objects.get()
    assert (user.email, user.is_staff, user.is_superuser) == ("root@example.com", True, True)
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_createsuperuser_interactive_asks_for_email_and_password(monkeypatch):
    answers = iter(["boss@example.com"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSWORD)
    call_command("createsuperuser", interactive=True, stdin=None, verbosity=0)
    assert User.objects.get().email == "boss@example.com"


@pytest.mark.django_db
def test_admin_adds_and_edits_users_by_email(client, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "New.Admin@Example.com",
            "usable_password": "true",
            "password1": "a-long-Unusual-passphrase-9",
            "password2": "a-long-Unusual-passphrase-9",
        },
    )
    assert response.status_code == 302, response.content
    created = User.objects.get(email="new.admin@example.com")
    assert created.check_password("a-long-Unusual-passphrase-9")

    duplicate = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "NEW.ADMIN@example.com",
            "usable_password": "true",
            "password1": "a-long-Unusual-passphrase-9",
            "password2": "a-long-Unusual-passphrase-9",
        },
    )
    assert duplicate.status_code == 200
    assert b"already exists" in duplicate.content

    change = client.get(f"/admin/accounts/user/{created.pk}/change/")
    assert change.status_code == 200


@pytest.mark.django_db
def test_an_email_written_with_queryset_update_is_stored_normalized(admin_user):
    User.objects.filter(pk=admin_user.pk).update(email="  Moved.Elsewhere@Example.COM ")
    assert User.objects.values_list("email", flat=True).get(pk=admin_user.pk) == (
        "moved.elsewhere@example.com"
    )
    assert User.objects.get(email="MOVED.elsewhere@example.com").pk == admin_user.pk


@pytest.mark.django_db
def test_an_email_cannot_be_removed_by_an_update(admin_user):
    # Written as NULL, refused by the database (not by a crash of the normalizing field).
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=admin_user.pk).update(email=None)
    assert User.objects.get(pk=admin_user.pk).email == admin_user.email
