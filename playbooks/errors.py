"""Errors raised while loading playbooks.

    PlaybookError          the set of files is unusable; `.issues` says why
      └─ carries Issue(file, line, field, message), one per problem

`str(error)` lists the issues one per line, e.g.
    semaforo.yaml:12: matrix.vermelho.comercial.mode: Input should be 'auto' or 'suggest'
"""

from __future__ import annotations

from typing import NamedTuple


class Issue(NamedTuple):
    """One problem in one file; `line` is 1-based (None when the file itself is missing)."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class PlaybookError(Exception):
    """The playbook files could not be loaded; see `.issues`."""

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))
