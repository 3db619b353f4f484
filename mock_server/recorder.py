"""`--record FILE`: the objects a proxied real server sent, kept per API and written as a `--fixtures` file.

Each API's `RecordHook` says which answers hold which fixture objects and how the fixture is completed
(users get the mock's default credentials). Objects are kept by id, in the order first seen, the last copy
winning; the file is checked with the same validation `--fixtures` uses before it is written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from mock_server.api import MockApi
from mock_server.fixtures import FixtureError, validate_fixture
from mock_server.proxy import Observer

MAX_OBJECTS = 10_000
"""Per API and fixture key: a long session through the proxy cannot grow the recording without end."""


class Recorder:
    def __init__(self, path: Path, apis: Mapping[str, MockApi], specs: Mapping[str, Mapping[str, Any]]) -> None:
        self.path = path
        self.apis = apis
        self.specs = specs
        """The spec each recording is validated against, as the fixtures of a start are."""
        self.seen: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
        """api -> fixture key -> identity -> object."""

    def observer(self, api: str) -> Observer | None:
        hook = self.apis[api].record
        if hook is None:
            return None

        def observe(operation: str | None, status: int, body: bytes) -> None:
            if operation is None:
                return
            try:
                data = json.loads(body)
            except ValueError:
                return  # not JSON: nothing this API records
            for key, items in hook.collect(operation, data).items():
                kept = self.seen.setdefault(api, {}).setdefault(key, {})
                for item in items:
                    identity = str(item.get("id", json.dumps(item, sort_keys=True)))
                    if identity in kept or len(kept) < MAX_OBJECTS:  # a later copy's keys win, others stay
                        kept[identity] = {**kept.get(identity, {}), **item}

        return observe

    def close(self) -> None:
        """At shutdown: write what was recorded, if anything (a bad recording is reported, not raised)."""
        if not self.seen:
            return
        try:
            self.write()
        except FixtureError as exc:
            logging.getLogger("mock_server").error("recording not written: %s", exc)

    def fixture(self) -> tuple[dict[str, Any], list[str]]:
        """The recording as fixture data per API, and the comment lines naming each API's users."""
        data: dict[str, Any] = {}
        comments: list[str] = []
        for name, keys in self.seen.items():
            hook = self.apis[name].record
            assert hook is not None  # only hooked APIs are observed
            fixture, users = hook.complete({key: list(items.values()) for key, items in keys.items()})
            validate_fixture(self.apis[name], self.specs[name], fixture, f"recording of {name}")
            data[name] = fixture
            comments.append(f"{name}: {users}")
        return data, comments

    def write(self) -> dict[str, Any]:
        """Write the file (whole, replacing it); the summary says what it holds."""
        data, comments = self.fixture()
        header = [
            "Recorded by mock-server --proxy --record from real answers; load with --fixtures.",
            "No credential seen on the wire is written. Users get the mock's default credentials:",
            *(f"  {line}" for line in comments),
        ]
        text = "".join(f"# {line}\n" for line in header) + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        self.path.write_text(text, encoding="utf-8")
        counts = {name: {key: len(items) for key, items in keys.items()} for name, keys in self.seen.items()}
        return {"file": str(self.path), "objects": counts}
