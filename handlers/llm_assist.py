"""A second opinion from an LLM when the offline router is not sure (optional: off without a key).

Runs inside the routing job, never on the webhook's request path. Only the customer's text is
sent; the call has a strict timeout, and a daily budget (rows in `llm_calls`, shared by all
workers) caps the spend. Any failure simply leaves the decision as the offline router made it.
"""
from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, time, timezone

from sqlalchemy import func
from sqlmodel import select

from app.models import LlmCall
from llm import LLMError, LLMMalformedAnswer, LLMTimeout, LLMUnavailable
from playbooks.schema import UNSURE

log = logging.getLogger(__name__)
OUTCOMES = {LLMTimeout: "timeout", LLMUnavailable: "unavailable", LLMMalformedAnswer: "malformed"}


def second_opinion(ctx, conversation_id: int, text: str, classification):
    """Return (classification, llm evidence or None); the label changes only on a clear LLM answer."""
    if classification.intent != UNSURE or ctx.llm is None or not text.strip():
        return classification, None
    if _used_today(ctx) >= ctx.settings.openai_daily_budget:
        _record(ctx, conversation_id, outcome="over_budget")
        return classification, None
    labels = list(ctx.playbooks.intents)
    try:
        verdict = ctx.llm.classify(text=text, labels=labels)
    except LLMError as err:
        outcome = next((name for kind, name in OUTCOMES.items() if isinstance(err, kind)), "error")
        _record(ctx, conversation_id, outcome=outcome)
        log.warning("LLM second opinion failed for conversation %s: %s", conversation_id, outcome)
        return classification, None
    _record(ctx, conversation_id, outcome="ok", label=verdict.label, reason=verdict.reason, model=verdict.model,
            latency_ms=verdict.latency_ms, prompt_tokens=verdict.prompt_tokens,
            completion_tokens=verdict.completion_tokens)
    evidence = {"label": verdict.label, "reason": verdict.reason, "model": verdict.model,
                "latency_ms": round(verdict.latency_ms, 1)}
    if verdict.label not in labels:
        return classification, evidence  # the LLM is not sure either: default support team
    return dataclasses.replace(classification, intent=verdict.label, guess=verdict.label), evidence


def _used_today(ctx) -> int:
    midnight = datetime.combine(ctx.now().astimezone(timezone.utc).date(), time.min, tzinfo=timezone.utc)
    counted = select(func.count()).select_from(LlmCall).where(LlmCall.at >= midnight, LlmCall.outcome != "over_budget")
    return ctx.session.exec(counted).one()


def _record(ctx, conversation_id: int, **fields) -> None:
    ctx.session.add(LlmCall(conversation_id=conversation_id, at=ctx.now(), **fields))
    ctx.session.commit()
