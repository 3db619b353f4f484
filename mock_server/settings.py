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
    state_file: Path | None = None
    """Load the state from this file at start and save it there while serving (`mock_server/persist.py`)."""
    state_interval_s: float = 5.0
    """How often a changed state is saved to `state_file`: a kill -9 loses at most this much."""
    specs_dir: Path | None = None
    """A folder of `<api>.yaml` specs served instead of the packaged contracts (live reload tests edit copies)."""
    faults: Path | None = None
    """A YAML file of fault rules (`mock_server/faults.py`) in force from the start."""
    reload: bool = False
    """Watch the specs, the fixture files in use and the faults file; swap in what changed (`mock_server/reload.py`)."""
    max_body_bytes: int = 1024 * 1024
    max_admin_body_bytes: int = 64 * 1024 * 1024
    """`PUT /__admin/state` takes a whole exported state (the scale benchmarks load thousands of objects)."""
    proxies: tuple[tuple[str, str], ...] = ()
    """(API name, upstream base URL) pairs: those APIs are forwarded to a real server and checked (`proxy.py`)."""
    proxy_timeout: float = 30.0
    proxy_strict: bool = False
    """A proxied exchange that breaks the contract answers 502 with the violations instead."""
    proxy_quiet_headers: bool = False
    """Leave out the `X-Contract-Violations` response header."""
    record: Path | None = None
    """Where the objects seen in proxied responses are written as a fixture file (`recorder.py`)."""
    max_sessions: int = 100
    """Named sessions (`X-Mock-Session`) alive at once besides the default; the least recently used goes first."""
    journal_size: int = 1000
    """Requests each session's journal keeps (`GET /__admin/requests`)."""
    log_format: Literal["text", "json"] | None = None
    """One line per request on stdout; None (the library default) logs nothing, the CLI logs text."""
