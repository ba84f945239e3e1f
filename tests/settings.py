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
