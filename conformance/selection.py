"""Which operations and phases a run may touch (`--operation`, `--exclude-operation`, `--phases`).

The selection is enforced where requests leave: Schemathesis only generates for selected
operations, and a property stops (reported as skipped) at its first request to an operation
outside the selection, so an excluded operation is never called by anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.spec import operation_label

ENGINE_PHASES = ("examples", "coverage", "fuzzing", "stateful")
"""Schemathesis's own phase names (`schemathesis.engine.PhaseName`)."""
PHASES = (*ENGINE_PHASES, "properties")


class Deselected(Exception):
    """A property reached an operation the run may not call."""


def operation_ids(spec: dict[str, Any]) -> dict[str, str]:
    """operationId -> `METHOD /template` of every operation in `spec`."""
    return {
        operation["operationId"]: f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }


@dataclass(frozen=True)
class Selection:
    include: frozenset[str] = frozenset()
    """operationIds to run; empty: all."""
    exclude: frozenset[str] = frozenset()
    phases: frozenset[str] = frozenset(PHASES)

    def allows(self, operation_id: str) -> bool:
        return (not self.include or operation_id in self.include) and operation_id not in self.exclude

    def selected(self, spec: dict[str, Any]) -> dict[str, str]:
        """operationId -> label of the operations of `spec` this run may call."""
        return {op: label for op, label in operation_ids(spec).items() if self.allows(op)}

    def check_request(self, spec: dict[str, Any], method: str, url_path: str) -> None:
        """Raise Deselected if the request hits a documented operation outside the selection."""
        if not self.include and not self.exclude:
            return
        label = operation_label(spec, method, url_path)
        by_label = {lbl: op for op, lbl in operation_ids(spec).items()}
        operation_id = by_label.get(label)
        if operation_id is not None and not self.allows(operation_id):
            raise Deselected(f"needs {label} ({operation_id}), which this run does not select")
