"""Read one YAML file and remember on which line every key and list item sits.

PyYAML's composed node tree keeps a start mark for every node; walking it once
gives a map from a key path such as ("matrix", "vermelho", "comercial", "mode")
to its 1-based line, onto which the loader projects pydantic's error locations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml

from .errors import Issue

Path = tuple[str | int, ...]


@dataclass
class YamlFile:
    """A parsed file: its data, its key-path -> line map, and the raw bytes."""

    name: str
    data: object
    lines: dict[Path, int] = field(default_factory=dict)
    raw: bytes = b""

    def locate(self, loc: Sequence[str | int], *, missing: bool = False) -> tuple[int, str]:
        """Map a validation location onto (line, dotted field path) in this file."""
        path: Path = ()
        shown: list[str] = []
        for i, part in enumerate(loc):
            candidate = path + (part if isinstance(part, int) else str(part),)
            if candidate in self.lines:
                path = candidate
                shown.append(str(part))
            elif missing and i == len(loc) - 1:
                shown.append(str(part))
            # Anything else is pydantic's own bookkeeping (union members,
            # "[key]" markers): skip it and keep the deepest real location.
        return self.lines.get(path, 1), ".".join(shown)


def read_yaml(name: str, raw: bytes) -> tuple[YamlFile | None, list[Issue]]:
    """Parse `raw`; return the file (None on a syntax error) and any issues found."""
    text = raw.decode("utf-8", errors="replace")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [Issue(name, line, "", f"YAML syntax error: {problem}")]
    parsed = YamlFile(name, data, {(): 1}, raw)
    issues: list[Issue] = []
    if root is not None:
        _walk(root, (), parsed, issues)
    return parsed, issues


def _walk(node: yaml.Node, path: Path, parsed: YamlFile, issues: list[Issue]) -> None:
    """Record the line of every key and item below `node`; flag duplicate keys."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            dotted = ".".join(str(p) for p in path + (key,))
            if key in seen:
                # PyYAML silently keeps the last one; an admin deserves to know.
                issues.append(Issue(parsed.name, line, dotted, "duplicate key"))
            seen.add(key)
            parsed.lines.setdefault(path + (key,), line)
            _walk(value_node, path + (key,), parsed, issues)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            parsed.lines[path + (i,)] = item.start_mark.line + 1
            _walk(item, path + (i,), parsed, issues)
