"""Settings for the test run: the project's own, with development secrets outside the tree.

Each run gets its own secrets file in a temporary folder, so tests never write into the working
tree and two runs side by side share nothing.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

if "DJANGO_DEV_SECRETS_FILE" not in os.environ:
    _folder = tempfile.mkdtemp(prefix="movies-api-test-")
    atexit.register(shutil.rmtree, _folder, ignore_errors=True)
    os.environ["DJANGO_DEV_SECRETS_FILE"] = str(Path(_folder) / "dev-secrets.json")

from config.settings import *  # noqa: F403

# In-process tests run in transactions that never commit, so no revocation is ever pushed: every
# request reads its session. Tests of the memory turn it on (tests/test_session_memory.py).
JWT = {**JWT, "SESSION_MEMORY_SIZE": 0}  # noqa: F405
