"""A stateful fake of the five pipeline APIs, served by Connexion from `specs/`."""

import warnings

# Connexion 3.3 imports Starlette's TestClient at import time, and Starlette 1.10 warns there that
# it wants `httpx2`; the warning says nothing to a user of the mock, so it is not shown.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

from mock_server.app import create_app  # noqa: E402
from mock_server.settings import Settings  # noqa: E402

__all__ = ["Settings", "create_app"]
