"""A stateful fake of the five pipeline APIs, served by Connexion from `specs/`."""

from mock_server.app import create_app
from mock_server.settings import Settings

__all__ = ["Settings", "create_app"]
