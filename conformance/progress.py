"""The progress line on stderr: per API and step, operations (or properties) done / total, requests, failures.

On a terminal one line is rewritten in place as the run goes; otherwise (CI logs) one line is
written per finished step, so a log shows where a long run spent its time without flooding it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from conformance.findings import ApiResult


class Progress:
    """Silent: the base class is what `--quiet` uses."""

    def update(self, result: ApiResult, step: str, done: int, total: int) -> None:
        """A step is under way."""

    def step_done(self, result: ApiResult, step: str, done: int, total: int) -> None:
        """A step has finished."""

    def close(self) -> None:
        """The run is over."""

    def for_worker(self) -> Callable[[], Progress]:
        """What a process running one API of a concurrent run reports to (built there: picklable)."""
        return Progress


class StreamProgress(Progress):
    def __init__(self, stream: TextIO, tty: bool) -> None:
        self.stream = stream
        self.tty = tty
        self.shown = False

    @staticmethod
    def line(result: ApiResult, step: str, done: int, total: int) -> str:
        unit = {"properties": "properties", "stateful": "scenarios"}.get(step, "operations")
        return (
            f"[{result.api}] {step}: {done}/{total} {unit}, {result.requests} requests, "
            f"{len(result.findings)} failure(s)"
        )

    def update(self, result: ApiResult, step: str, done: int, total: int) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K" + self.line(result, step, done, total))
            self.stream.flush()
            self.shown = True

    def step_done(self, result: ApiResult, step: str, done: int, total: int) -> None:
        if self.tty:
            self.update(result, step, done, total)
        else:
            self.stream.write(self.line(result, step, done, total) + "\n")
            self.stream.flush()

    def for_worker(self) -> Callable[[], Progress]:
        # One line per finished step, whole: lines of processes running side by side interleave cleanly.
        return _stderr_lines

    def close(self) -> None:
        if self.tty and self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _stderr_lines() -> Progress:
    return StreamProgress(sys.stderr, tty=False)
