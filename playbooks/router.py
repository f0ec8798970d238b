"""Pure routing decisions: traffic light × intent -> team, mode, tags, notice, note.

Modes, as the playbooks use them:
  auto     the ticket opens in `team`; when that is not the default team the
           customer first gets `notice` (the knowledge base: always warn before
           transferring).
  suggest  the ticket opens in the rule's team (the default team for
           follow_intent) and the intent's own team is only suggested to the
           agent (`suggested_team`, a `sugestao:` tag, a line in the note). If
           there is nothing different to suggest, the decision is plain auto.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from .calendar import is_open, return_phrase
from .classifier import Classification, Evidence, classify
from .notes import agent_note
from .bundle import Playbooks


@dataclass(frozen=True)
class CustomerFacts:
    """What the customer lookup told us about the contact's ADM."""

    adm: str
    name: str | None = None
    contract_active: bool = True
    support_active: bool = True
    financial_pending: bool = False


@dataclass(frozen=True)
class TrafficLight:
    """Semáforo status plus the reason code (its pt-BR text lives in semaforo.yaml `reasons`)."""

    status: str   # verde | amarelo | vermelho | desconhecido | falha_consulta
    reason: str   # apto | contrato_inativo | sem_suporte | pendencia_financeira | nao_vinculado | falha_consulta


@dataclass(frozen=True)
class Decision:
    """Everything a handler needs to route one conversation."""

    traffic_light: str
    traffic_light_reason: str
    traffic_light_code: str  # the reason's key in semaforo.yaml (pendencia_financeira, …)
    intent: str
    confidence: float
    evidence: Evidence
    team: str
    mode: str
    suggested_team: str | None
    tags: tuple[str, ...]
    notice: str | None
    agent_note: str
    runner_up: tuple[str, float] | None = None  # second-best intent and its probability
    guess: str | None = None  # best intent even when `intent` is "incerto"

    def to_dict(self) -> dict:
        """Plain JSON-ready form; the runner-up and the guess travel inside `evidence`."""
        data = asdict(self)
        runner_up = data.pop("runner_up")
        data["evidence"] = {**self.evidence.to_dict(), "guess": data.pop("guess"),
                            "runner_up": {"intent": runner_up[0], "confidence": round(runner_up[1], 3)}
                            if runner_up else None}
        data["tags"] = list(self.tags)
        data["confidence"] = round(self.confidence, 3)
        return data


def traffic_light(customer: CustomerFacts | None, *, lookup_failed: bool = False) -> TrafficLight:
    """Semáforo of a contact: red (financial pending) wins over yellow (inactive or no support)."""
    if lookup_failed:
        return TrafficLight("falha_consulta", "falha_consulta")
    if customer is None:
        return TrafficLight("desconhecido", "nao_vinculado")
    if customer.financial_pending:
        return TrafficLight("vermelho", "pendencia_financeira")
    if not customer.contract_active:
        return TrafficLight("amarelo", "contrato_inativo")
    if not customer.support_active:
        return TrafficLight("amarelo", "sem_suporte")
    return TrafficLight("verde", "apto")


def greeting(playbooks: Playbooks, customer_name: str | None, at: datetime | None = None) -> str:
    """The first automatic reply, personalised by name; outside business hours at `at`, says when we return."""
    texts = playbooks.settings.greeting
    name = (customer_name or "").strip()
    text = texts.with_name.format(nome=name) if name else texts.without_name.format()
    if at is None or is_open(playbooks.tpr, at):
        return text
    suffix = playbooks.tpr.closed_greeting_suffix.format(retorno=return_phrase(playbooks.tpr, at))
    return f"{text}\n\n{suffix}"  # its own WhatsApp paragraph


def decide(playbooks: Playbooks, customer: CustomerFacts | None, text: str, *,
           lookup_failed: bool = False) -> Decision:
    """Route one customer message according to the semáforo matrix and the detected intent."""
    light = traffic_light(customer, lookup_failed=lookup_failed)
    return route(playbooks, light, classify(playbooks, text))


def route(playbooks: Playbooks, light: TrafficLight, result: Classification) -> Decision:
    """The matrix step of `decide`, for callers that already classified the message."""
    policy, settings = playbooks.traffic_light, playbooks.settings
    rule = policy.rule(light.status, result.intent)
    destination = playbooks.playbook(result.intent)  # None for incerto

    if rule.follow_intent:
        book = destination or playbooks.playbook(settings.default_intent)
        team, mode = book.team, book.mode
        opened = settings.default_team if mode == "suggest" else team
    else:
        team, mode, opened = rule.team, rule.mode, rule.team

    suggested = None
    if mode == "suggest":
        if destination is not None and destination.team != opened:
            suggested = destination.team
        team, mode = opened, ("suggest" if suggested else "auto")

    notice = None
    if mode == "auto" and team != settings.default_team:
        if rule.notice:
            notice = rule.notice
        elif destination is not None and destination.team == team and destination.notice:
            notice = destination.notice
        else:
            notice = playbooks.team_notice(team)

    tags = [policy.tags.traffic_light.format(status=light.status)]
    tags += policy.status_tags.get(light.status, [])
    tags.append(policy.tags.intent.format(intent=result.intent))
    if suggested:
        tags.append(policy.tags.suggestion.format(intent=result.intent))
    tags += rule.tags

    reason = getattr(policy.reasons, light.reason)
    return Decision(
        traffic_light=light.status, traffic_light_reason=reason, traffic_light_code=light.reason,
        intent=result.intent, confidence=result.confidence, evidence=result.evidence,
        team=team, mode=mode, suggested_team=suggested, tags=tuple(dict.fromkeys(tags)),
        notice=notice,
        agent_note=agent_note(settings.agent_note, light.status, reason, result, rule.note, suggested),
        runner_up=result.runner_up, guess=result.guess,
    )
