"""The models also guard playbooks built in code, not only those read from YAML."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from playbooks import Playbooks
from playbooks.schema import Rule


def test_rule_needs_exactly_one_target():
    assert Rule(follow_intent=True).follow_intent
    assert Rule(team="Suporte", mode="suggest").mode == "suggest"
    for bad in ({}, {"team": "Suporte"}, {"follow_intent": True, "team": "Suporte", "mode": "auto"}):
        with pytest.raises(ValidationError):
            Rule(**bad)


def test_whole_set_checks_references(books):
    data = books.model_dump()
    data["settings"]["default_team"] = "Atendimento"
    with pytest.raises(ValidationError, match="must use the default team 'Atendimento'"):
        Playbooks.model_validate(data)


def test_models_are_strict_and_closed(books):
    data = books.model_dump()
    data["settings"]["classifier"]["unsure_threshold"] = "0.5"   # a string, not a number
    with pytest.raises(ValidationError):
        Playbooks.model_validate(data)
