import atexit
import copy
import shutil
import tempfile
import uuid

import pytest
from hypothesis import settings as hypothesis_settings
from hypothesis.configuration import set_hypothesis_home_dir
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import MovieFactory
from tests.helpers import PASSWORD, access_token_for, bearer_client

SCREENSHOTS_KEY = pytest.StashKey()

# Property-based tests keep no example database, and hypothesis keeps its other files (such as
# its Unicode tables) in a temporary folder: nothing is written into the working tree.
_hypothesis_home = tempfile.mkdtemp(prefix="movies-api-hypothesis-")
atexit.register(shutil.rmtree, _hypothesis_home, ignore_errors=True)
set_hypothesis_home_dir(_hypothesis_home)
hypothesis_settings.register_profile("project", database=None, derandomize=True)
hypothesis_settings.load_profile("project")


# Modules whose tests start servers, a browser, Node or a fuzzer: `make test` runs them,
# `make check` (the everyday loop) leaves them out.
SLOW_MODULES = {
    "test_adding_a_resource",
    "test_api_schema_fuzz",
    "test_browser",
    "test_dependency_outages",
    "test_docs_examples",
    "test_generated_client",
    "test_no_server_errors",
    "test_production_server",
    "test_revocation_push",
    "test_session_memory",
    "test_slow_clients",
    "test_two_servers",
    "test_typescript_client",
}


def pytest_collection_modifyitems(config, items):
    """Marks the tests of ``SLOW_MODULES`` ``slow``. Tests marked ``postgres`` (what PostgreSQL
    alone does: notifications) are left out of a run on SQLite, not skipped: .ci/run's second
    pass runs them."""
    from django.db import connection

    for item in items:
        if item.module.__name__.rpartition(".")[2] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)

    if connection.vendor == "postgresql":
        return
    left_out = [item for item in items if item.get_closest_marker("postgres")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


def pytest_terminal_summary(terminalreporter, config):
    folder = config.stash.get(SCREENSHOTS_KEY, None)
    shots = sorted(folder.glob("*.png")) if folder else []
    if shots:
        terminalreporter.write_line(f"Browser screenshots ({len(shots)}): {folder}")


@pytest.fixture(scope="session")
def screenshots(request, tmp_path_factory):
    """Where browser tests leave their screenshots: this run's temporary folder, never the tree."""
    folder = tmp_path_factory.mktemp("screenshots")
    request.config.stash[SCREENSHOTS_KEY] = folder
    return folder


@pytest.fixture(autouse=True)
def own_cache_keys(settings) -> str:
    """Every test gets cache keys of its own (throttle counters included), so tests, and two
    runs sharing one Redis, never see each other's counts and nothing needs flushing."""
    prefix = f"test-{uuid.uuid4().hex}"
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = prefix
    settings.CACHES = caches
    return prefix


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing cost is not what these tests are about; the real hasher is in production settings.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_user("admin@example.com", PASSWORD, is_staff=True)


@pytest.fixture
def regular_user(db) -> User:
    return User.objects.create_user("reader@example.com", PASSWORD)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def admin_token(admin_user) -> str:
    return access_token_for(admin_user)


@pytest.fixture
def admin_client(admin_token) -> APIClient:
    return bearer_client(admin_token)


@pytest.fixture
def make_movie(db):
    """Create a movie from sensible defaults; keyword arguments override them."""
    return MovieFactory
