"""GitHub Actions annotations: one `::error` per failure, on the spec line of the operation it concerns.

`yaml.compose` keeps each node's start line, so a JSON pointer such as
`/paths/~1api~1v1~1login/post` resolves to the line where that key's value starts in the file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from conformance.findings import RunResult
from contracts import SPECS_DIR, pointer_parts


@cache
def _tree(path: Path) -> yaml.Node:
    node = yaml.compose(path.read_text(encoding="utf-8"))
    return node if node is not None else yaml.ScalarNode("tag:yaml.org,2002:null", "")


def line_of(path: Path, pointer: str) -> int:
    """1-based line of the node at RFC 6901 `pointer` in YAML file `path`; the deepest existing parent's."""
    node = _tree(path)
    line = node.start_mark.line + 1
    for part in pointer_parts(pointer):
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part), None)
            key = next((k for k, _ in node.value if isinstance(k, yaml.ScalarNode) and k.value == part), None)
            if key is not None:
                line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            child = node.value[int(part)]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def spec_line(location: str) -> tuple[str, int]:
    """(`contracts/specs/<file>`, line) of a finding's `contracts/specs/<file>#<pointer>` location."""
    file, _, pointer = location.partition("#")
    path = SPECS_DIR / Path(file).name
    return file, line_of(path, pointer) if path.exists() else 1


def _escape(text: str, in_property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if in_property else text


def github_annotations(run: RunResult) -> list[str]:
    """The workflow commands, one per failure (see GitHub's "Workflow commands" documentation)."""
    lines = []
    for finding in run.failures:
        file, line = spec_line(finding.spec_location)
        title = _escape(f"{finding.api}: {finding.check} {finding.operation}", in_property=True)
        message = _escape(f"{finding.expected}\n{finding.received}")
        lines.append(f"::error file={_escape(file, True)},line={line},title={title}::{message}")
    if run.stopped:
        lines.append(f"::error title=conformance::{_escape(run.stopped)}")
    return lines
