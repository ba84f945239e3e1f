import pytest
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_get_by_id
from tests.helpers import PASSWORD


@pytest.mark.django_db
def test_user_read_by_id_matches_what_the_orm_loads():
    created = User.objects.create_user("row@example.com", PASSWORD, is_staff=True)
    User.objects.filter(pk=created.pk).update(last_login=timezone.now(), token_version=7)
    expected = User.objects.get(pk=created.pk)
    read = user_get_by_id(user_id=created.pk)
    for field in User._meta.concrete_fields:
        value, wanted = getattr(read, field.attname), getattr(expected, field.attname)
        assert (value, type(value)) == (wanted, type(wanted)), field.name
    assert read._state.adding is False
    assert read.check_password(PASSWORD)


@pytest.mark.django_db
def test_user_read_by_unknown_id_is_none():
    assert user_get_by_id(user_id=123456) is None
