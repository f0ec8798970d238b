"""The whole validated playbook set, and the rules that need several files at once.

Each problem found here names the file part (settings, traffic_light or
playbooks[i]) and the field path inside it, so the loader can point the admin
at the exact file and line.
"""

from __future__ import annotations

from typing import NamedTuple

from pydantic import PrivateAttr, model_validator

from .schema import DEFAULT_RULE, STATUSES, UNSURE, Playbook, Row, Settings, Spelling, Strict, TrafficLightPolicy
from .tpr_policy import TprPolicy


class Problem(NamedTuple):
    """A cross-file problem: which part (settings/traffic_light/playbooks[i]) and where."""

    part: tuple[str | int, ...]
    path: tuple[str | int, ...]
    message: str


def reference_problems(settings: Settings, policy: TrafficLightPolicy, playbooks: list[Playbook]) -> list[Problem]:
    """Check the rules that need several files at once; return every problem found."""
    problems: list[Problem] = []
    ids: dict[str, int] = {}
    case_ids: dict[str, str] = {}
    for i, book in enumerate(playbooks):
        part = ("playbooks", i)
        if book.id in (UNSURE, DEFAULT_RULE):
            problems.append(Problem(part, ("id",), f"'{book.id}' is reserved"))
        if book.id in ids:
            problems.append(Problem(part, ("id",), f"duplicate playbook id '{book.id}'"))
        ids.setdefault(book.id, i)
        for j, case in enumerate(book.cases):
            if case.id in case_ids:
                problems.append(Problem(part, ("cases", j, "id"),
                                        f"duplicate case id '{case.id}' (also in playbook '{case_ids[case.id]}')"))
            case_ids.setdefault(case.id, book.id)
        if book.mode == "auto" and book.team != settings.default_team and not book.notice:
            problems.append(Problem(part, ("notice",), "auto mode to another team needs a notice for the customer"))

    default = ids.get(settings.default_intent)
    if default is None:
        problems.append(Problem(("settings",), ("default_intent",),
                                f"no playbook has id '{settings.default_intent}'"))
    elif playbooks[default].team != settings.default_team:
        problems.append(Problem(("settings",), ("default_intent",),
                                f"playbook '{settings.default_intent}' must use the default team '{settings.default_team}'"))

    teams = {book.team for book in playbooks} | {settings.default_team}
    intents = list(ids) + [UNSURE]
    for status in STATUSES:
        row: Row = getattr(policy.matrix, status)
        for key, rule in row.items():
            if key not in intents and key != DEFAULT_RULE:
                problems.append(Problem(("traffic_light",), ("matrix", status, key),
                                        f"unknown intent '{key}'; expected one of {', '.join(intents)} or default"))
            if rule.team is not None and rule.team not in teams:
                problems.append(Problem(("traffic_light",), ("matrix", status, key, "team"),
                                        f"team '{rule.team}' is not the default team nor used by any playbook"))
        missing = [intent for intent in intents if intent not in row]
        if missing and DEFAULT_RULE not in row:
            problems.append(Problem(("traffic_light",), ("matrix", status),
                                    f"no rule for {', '.join(missing)} (add them or a 'default' rule)"))
    return problems


class Playbooks(Strict):
    """Everything the router needs, validated as a whole."""

    settings: Settings
    traffic_light: TrafficLightPolicy
    tpr: TprPolicy
    spelling: Spelling = Spelling()
    playbooks: tuple[Playbook, ...]
    version: str = ""
    # The classifier's precomputed index, built once per loaded set (see classifier.py).
    _index: object = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _references(self) -> Playbooks:
        problems = reference_problems(self.settings, self.traffic_light, list(self.playbooks))
        if problems:
            raise ValueError("; ".join(p.message for p in problems))
        return self

    @property
    def intents(self) -> tuple[str, ...]:
        """Playbook ids in file order (the classifier's labels, without `incerto`)."""
        return tuple(book.id for book in self.playbooks)

    def playbook(self, intent: str) -> Playbook | None:
        """The playbook with id `intent`, or None (e.g. for `incerto`)."""
        return next((book for book in self.playbooks if book.id == intent), None)

    def team_notice(self, team: str) -> str | None:
        """The notice of the first playbook that transfers to `team`."""
        return next((book.notice for book in self.playbooks if book.team == team and book.notice), None)
