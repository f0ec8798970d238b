"""The pt-BR comment left for agents on a routed ticket, built from geral.yaml templates."""

from __future__ import annotations

from .classifier import Classification
from .schema import UNSURE, AgentNote


def percent(value: float) -> str:
    """0.873 -> "87%" (how agents read a confidence)."""
    return f"{round(value * 100)}%"


def agent_note(templates: AgentNote, status: str, reason: str, result: Classification,
               rule_note: str | None, suggested_team: str | None) -> str:
    """Compose the agent note: semáforo, intent and its evidence, rule note, suggestion."""
    lines = [templates.traffic_light.format(status=status, reason=reason)]
    if rule_note:
        lines.append(rule_note)
    intent_line = templates.unsure if result.intent == UNSURE else templates.intent
    lines.append(intent_line.format(intent=result.guess, confidence=percent(result.confidence)))
    evidence = result.evidence
    if evidence.keywords:
        lines.append(templates.keywords.format(keywords=", ".join(evidence.keywords)))
    if evidence.example:
        lines.append(templates.example.format(example=evidence.example, case=evidence.example_case))
    if suggested_team:
        lines.append(templates.suggestion.format(team=suggested_team))
    return "\n".join(lines)
