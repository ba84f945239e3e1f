"""Revocation derived from the database's state, whatever writes it (docs/explanation/sessions-and-revocation.md).

- A change of a user's password, email, is_staff or is_active ends their live sessions (a write:
  toggling back never revives one), unless the writing transaction holds an exemption row: the
  session a password change keeps, or a re-hash of the same password at login.
- On PostgreSQL, ending a session (or deleting a live one, or moving its expiry earlier) notifies
  channel ``accounts_revocation`` with the user's id, once per user per statement; a notification
  is delivered only if its transaction commits. Every worker listens and forgets that user's
  sessions (accounts/revocation_listener.py).
"""

import accounts.models
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

CREDENTIALS_DIFFER = (
    "OLD.password {ne} NEW.password OR OLD.email {ne} NEW.email "
    "OR OLD.is_staff {ne} NEW.is_staff OR OLD.is_active {ne} NEW.is_active"
)
ONLY_PASSWORD_CHANGED = "OLD.email {eq} NEW.email AND OLD.is_staff {eq} NEW.is_staff AND OLD.is_active {eq} NEW.is_active"
SPARED = (
    "SELECT 1 FROM accounts_credentialchangeexemption e WHERE e.user_id = NEW.id "
    "AND ((e.rehash AND {only_password}) OR e.keep_session_id = accounts_loginsession.id)"
)

POSTGRESQL = [
    f"""
    CREATE FUNCTION accounts_end_sessions_on_credential_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE accounts_loginsession SET ended_at = now(), end_reason = 'credentials_changed'
        WHERE user_id = NEW.id AND ended_at IS NULL
          AND NOT EXISTS ({SPARED.format(only_password=ONLY_PASSWORD_CHANGED.format(eq="IS NOT DISTINCT FROM"))});
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE TRIGGER accounts_user_credentials_changed
    AFTER UPDATE OF password, email, is_staff, is_active ON accounts_user
    FOR EACH ROW WHEN ({CREDENTIALS_DIFFER.format(ne="IS DISTINCT FROM")})
    EXECUTE FUNCTION accounts_end_sessions_on_credential_change()
    """,
    """
    CREATE FUNCTION accounts_notify_revocation() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            PERFORM pg_notify('accounts_revocation', ended.user_id::text)
            FROM (
                SELECT DISTINCT user_id FROM old_rows
                WHERE ended_at IS NULL AND expires_at > now() AND idle_expires_at > now()
            ) AS ended;
        ELSE
            PERFORM pg_notify('accounts_revocation', ended.user_id::text)
            FROM (
                SELECT DISTINCT o.user_id FROM old_rows o LEFT JOIN new_rows n ON n.id = o.id
                WHERE o.ended_at IS NULL AND (
                    n.id IS NULL OR n.ended_at IS NOT NULL OR n.user_id <> o.user_id
                    OR n.expires_at < o.expires_at OR n.idle_expires_at < o.idle_expires_at)
            ) AS ended;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER accounts_session_revoked AFTER UPDATE ON accounts_loginsession
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_notify_revocation()
    """,
    """
    CREATE TRIGGER accounts_session_deleted AFTER DELETE ON accounts_loginsession
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_notify_revocation()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER accounts_session_deleted ON accounts_loginsession",
    "DROP TRIGGER accounts_session_revoked ON accounts_loginsession",
    "DROP FUNCTION accounts_notify_revocation()",
    "DROP TRIGGER accounts_user_credentials_changed ON accounts_user",
    "DROP FUNCTION accounts_end_sessions_on_credential_change()",
]

# SQLite (development only) has no notifications: there every request reads its session.
SQLITE = [
    f"""
    CREATE TRIGGER accounts_user_credentials_changed
    AFTER UPDATE OF password, email, is_staff, is_active ON accounts_user
    FOR EACH ROW WHEN {CREDENTIALS_DIFFER.format(ne="IS NOT")}
    BEGIN
        UPDATE accounts_loginsession
        SET ended_at = strftime('%Y-%m-%d %H:%M:%f', 'now'), end_reason = 'credentials_changed'
        WHERE user_id = NEW.id AND ended_at IS NULL
          AND NOT EXISTS ({SPARED.format(only_password=ONLY_PASSWORD_CHANGED.format(eq="IS"))});
    END
    """,
]
SQLITE_REVERSE = ["DROP TRIGGER accounts_user_credentials_changed"]


def create_triggers(apps, schema_editor):
    # What the trigger would have done had it been there: users made inactive before it have no
    # live session left.
    apps.get_model("accounts", "LoginSession").objects.filter(
        ended_at__isnull=True, user__is_active=False
    ).update(ended_at=django.utils.timezone.now(), end_reason="credentials_changed")
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(vendor, []):
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}.get(vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_login_sessions'),
    ]

    operations = [
        migrations.CreateModel(
            name='CredentialChangeExemption',
            fields=[
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to=settings.AUTH_USER_MODEL)),
                ('keep_session_id', models.UUIDField(null=True)),
                ('rehash', models.BooleanField(default=False)),
            ],
        ),
        migrations.RemoveField(
            model_name='user',
            name='token_version',
        ),
        migrations.AlterField(
            model_name='user',
            name='email',
            field=accounts.models.NormalizedEmailField(max_length=254, unique=True, verbose_name='email address'),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
