"""Every default of the mock server lives here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mock_server.apis import MODULES

ALL_APIS = tuple(MODULES)


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    apis: tuple[str, ...] = ALL_APIS
    fixtures: Path | None = None
    """A YAML file mapping API names to fixture data that replaces those APIs' defaults."""
    seed: int | None = None
    latency_ms: int = 0
    any_token: bool = False
    admin_token: str | None = None
    """Required as `Authorization: Bearer` on `/__admin` when set; without it admin is off beyond loopback."""
    cors_origins: tuple[str, ...] = ("*",)
    validate_responses: bool = False
    """Turn on Connexion's response validation: a response that breaks its spec becomes a 500."""
    max_body_bytes: int = 1024 * 1024
    max_admin_body_bytes: int = 64 * 1024 * 1024
    """`PUT /__admin/state` takes a whole exported state (the scale benchmarks load thousands of objects)."""
    max_sessions: int = 100
    """Named sessions (`X-Mock-Session`) alive at once besides the default; the least recently used goes first."""
    journal_size: int = 1000
    """Requests each session's journal keeps (`GET /__admin/requests`)."""
    log_format: Literal["text", "json"] | None = None
    """One line per request on stdout; None (the library default) logs nothing, the CLI logs text."""
