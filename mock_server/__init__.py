"""A stateful fake of the five pipeline APIs, served by Connexion from `contracts/specs/`.

`create_app` and `Settings` are imported on first use: the package's pytest plugin is loaded into
every pytest run of an environment that has it installed, and must not import Connexion there.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

# Connexion 3.3 imports Starlette's TestClient at import time, and Starlette 1.10 warns there that
# it wants `httpx2`; the warning says nothing to a user of the mock, so it is not shown.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

if TYPE_CHECKING:
    from mock_server.app import create_app
    from mock_server.settings import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from mock_server.app import create_app

        return create_app
    if name == "Settings":
        from mock_server.settings import Settings

        return Settings
    raise AttributeError(f"module 'mock_server' has no attribute {name!r}")
