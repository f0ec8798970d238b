"""Load and validate the playbook directory; keep the last good set while admins edit.

File kinds are told apart by name: geral.yaml (settings), semaforo.yaml (traffic
light policy), tpr.yaml (first-response target and business hours),
abreviacoes.yaml (spelling table, optional); every other *.yaml is one
destination playbook (systemtec.yaml, comercial.yaml, ...).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from pathlib import Path

from pydantic import BaseModel, ValidationError

from . import classifier
from .errors import Issue, PlaybookError
from .bundle import Playbooks, reference_problems
from .schema import Playbook, Settings, Spelling, TrafficLightPolicy
from .tpr_policy import TprPolicy
from .yamlfile import YamlFile, read_yaml

log = logging.getLogger(__name__)

SECTIONS: dict[str, tuple[str, type[BaseModel]]] = {
    "geral.yaml": ("settings", Settings),
    "semaforo.yaml": ("traffic_light", TrafficLightPolicy),
    "tpr.yaml": ("tpr", TprPolicy),
    "abreviacoes.yaml": ("spelling", Spelling),
}
REQUIRED = ("geral.yaml", "semaforo.yaml", "tpr.yaml")


def load_playbooks(directory: str | Path) -> Playbooks:
    """Read every *.yaml in `directory` (sorted), validate, and build the classifier index."""
    paths = sorted(Path(directory).glob("*.yaml"))
    issues: list[Issue] = []
    files: list[YamlFile] = []
    for path in paths:
        parsed, found = read_yaml(path.name, path.read_bytes())
        issues.extend(found)
        if parsed is not None:
            files.append(parsed)
    present = {path.name for path in paths}
    issues.extend(Issue(name, None, "", "file is missing") for name in REQUIRED if name not in present)

    sections: dict[str, tuple[BaseModel, YamlFile]] = {}
    books: list[tuple[Playbook, YamlFile]] = []
    for parsed in files:
        key, model = SECTIONS.get(parsed.name, ("playbooks", Playbook))
        try:
            value = model.model_validate(parsed.data)
        except ValidationError as exc:
            issues.extend(_issues_from(exc, parsed))
            continue
        if key == "playbooks":
            books.append((value, parsed))
        else:
            sections[key] = (value, parsed)
    if issues:
        raise PlaybookError(issues)

    settings, policy = sections["settings"][0], sections["traffic_light"][0]
    places = {("settings",): sections["settings"][1], ("traffic_light",): sections["traffic_light"][1]}
    places.update({("playbooks", i): parsed for i, (_, parsed) in enumerate(books)})
    for problem in reference_problems(settings, policy, [book for book, _ in books]):
        parsed = places[problem.part]
        line, field = parsed.locate(problem.path, missing=True)
        issues.append(Issue(parsed.name, line, field, problem.message))
    if issues:
        raise PlaybookError(issues)

    spelling = sections["spelling"][0] if "spelling" in sections else Spelling()
    digest = hashlib.sha256()
    for parsed in files:
        digest.update(parsed.name.encode() + b"\0" + parsed.raw + b"\0")
    playbooks = Playbooks(settings=settings, traffic_light=policy, tpr=sections["tpr"][0], spelling=spelling,
                          playbooks=tuple(book for book, _ in books), version=digest.hexdigest()[:12])
    for problem in classifier.prepare(playbooks).problems:
        parsed = places[problem.part]
        line, field = parsed.locate(problem.path)
        issues.append(Issue(parsed.name, line, field, problem.message))
    if issues:
        raise PlaybookError(issues)
    return playbooks


def _issues_from(exc: ValidationError, parsed: YamlFile) -> list[Issue]:
    """Turn pydantic errors into file/line/field issues."""
    issues = []
    for error in exc.errors(include_url=False):
        line, field = parsed.locate(error["loc"], missing=error["type"] == "missing")
        message = error["msg"].removeprefix("Value error, ")
        issues.append(Issue(parsed.name, line, field, message))
    return issues


class PlaybookStore:
    """Holds the last good playbook set and reloads it when the files change."""

    def __init__(self, directory: str | Path, *, check_interval: float = 1.0):
        """Remember where the files are; nothing is read until `current()`."""
        self.directory = Path(directory)
        self.check_interval = check_interval
        self.error: str | None = None
        self._lock = threading.Lock()
        self._good: Playbooks | None = None
        self._failure: PlaybookError | None = None
        self._fingerprint: tuple | None = None
        self._checked_at = float("-inf")

    @property
    def version(self) -> str | None:
        """Short content hash of the set in use (None before the first good load)."""
        return self._good.version if self._good else None

    def current(self) -> Playbooks:
        """The playbooks in use, reloaded first if the files changed since the last check."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at >= self.check_interval:
                self._checked_at = now
                fingerprint = self._stat()
                if fingerprint != self._fingerprint:
                    self._fingerprint = fingerprint
                    self._reload()
            if self._good is None:
                raise self._failure or PlaybookError([Issue(str(self.directory), None, "", "not loaded")])
            return self._good

    def _stat(self) -> tuple:
        """Cheap change detector: names, sizes and mtimes of the YAML files."""
        entries = []
        for path in sorted(self.directory.glob("*.yaml")):
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            entries.append((path.name, info.st_size, info.st_mtime_ns))
        return tuple(entries)

    def _reload(self) -> None:
        """Try the files on disk; keep the previous good set if they are broken."""
        try:
            fresh = load_playbooks(self.directory)
        except PlaybookError as exc:
            self._failure = exc
            self.error = str(exc)
            log.error("playbooks in %s rejected, keeping version %s:\n%s",
                      self.directory, self.version or "none", exc)
            return
        if self._good is None or fresh.version != self._good.version:
            log.info("playbooks loaded from %s, version %s", self.directory, fresh.version)
        self._good, self._failure, self.error = fresh, None, None
