"""Schema-driven fuzzing: for every documented operation, generated requests authenticated as an
admin never get a 5xx, every response matches what the OpenAPI schema documents, requests that
break the schema are refused and requests that fit it are accepted (positive and negative data,
the explicit examples, the coverage phase's boundary values, then random fuzzing)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

EXAMPLES_PER_OPERATION = 60


@pytest.fixture(autouse=True)
def _keep_the_test_transaction_open():
    """Django's test client keeps Django from closing the database connection after each
    request; calling the WSGI application directly, the test must, or on PostgreSQL the test's
    transaction is closed with it."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def a_movie(make_movie):
    # Not the documented example's title and year: creating that one must succeed.
    return make_movie(title="An existing movie", year=2009)


schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
# Schema-valid requests a rule no schema can state refuses: an If-Match that names another
# version (412), an Idempotency-Key already used with another body (422).
_acceptance = schema.config.checks.positive_data_acceptance
_acceptance.expected_statuses = [*_acceptance.expected_statuses, "412", "422"]
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES_PER_OPERATION,
    deterministic=True,
    # The admin's token is added to every request below; a generated or removed Authorization
    # header would be put back by it, and then judged as if it had been sent.
    with_security_parameters=False,
    # NUL may be generated: every text field's schema refuses it, as the server does. Strings
    # that are not UTF-8 (lone surrogates) are left out.
    allow_x00=True,
    codec="utf-8",
)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
@pytest.mark.usefixtures("a_movie")
def test_every_operation_answers_as_documented(case, admin_token):
    # Every check schemathesis has, negative_data_rejection and positive_data_acceptance too.
    # Each case starts from the same catalog: a movie created by one case would make the next
    # case's identical, schema-valid create a duplicate (a 400 the schema cannot describe).
    with transaction.atomic():
        case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"})
        transaction.set_rollback(True)
