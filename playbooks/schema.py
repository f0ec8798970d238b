"""Pydantic models for the admin-edited playbook files.

One model per file kind (geral.yaml -> Settings, semaforo.yaml -> TrafficLightPolicy,
abreviacoes.yaml -> Spelling, every other file -> Playbook), all with extra="forbid"
so a typo fails loudly; tpr.yaml -> TprPolicy lives in tpr_policy.py. Rules that span
files (teams, ids, matrix coverage) live in bundle.py.
"""

from __future__ import annotations

import string
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

Mode = Literal["auto", "suggest"]
STATUSES = ("verde", "amarelo", "vermelho", "desconhecido", "falha_consulta")
UNSURE = "incerto"
DEFAULT_RULE = "default"

Id = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]


def placeholders(*allowed: str) -> AfterValidator:
    """Validator: a text may use only the listed {placeholders}."""

    def check(text: str) -> str:
        """Reject unknown or malformed placeholders."""
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise ValueError(f"malformed placeholder ({exc}); write {{{{ and }}}} for literal braces")
        unknown = sorted(names - set(allowed))
        if unknown:
            shown = ", ".join("{" + n + "}" for n in allowed) or "none"
            raise ValueError(f"unknown placeholder {{{unknown[0]}}}; allowed: {shown}")
        return text

    return AfterValidator(check)


class Strict(BaseModel):
    """Base for every playbook model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Greeting(Strict):
    """The automatic first reply, with and without the customer's name."""

    with_name: Annotated[Text, placeholders("nome")]
    without_name: Annotated[Text, placeholders()]


class ClassifierSettings(Strict):
    """Knobs of the intent classifier (see classifier.py)."""

    unsure_threshold: float = Field(0.5, ge=0, le=1)
    min_score: float = Field(1.0, ge=0)
    example_weight: float = Field(3.0, ge=0)
    temperature: float = Field(1.0, gt=0)
    fuzzy_min_length: int = Field(5, ge=3)


class AgentNote(Strict):
    """Line templates of the comment left for agents on each ticket."""

    traffic_light: Annotated[Text, placeholders("status", "reason")]
    intent: Annotated[Text, placeholders("intent", "confidence")]
    unsure: Annotated[Text, placeholders("intent", "confidence")]
    keywords: Annotated[Text, placeholders("keywords")]
    example: Annotated[Text, placeholders("example", "case")]
    suggestion: Annotated[Text, placeholders("team")]
    llm: Annotated[Text, placeholders("intent", "reason")]


class Burst(Strict):
    """How long routing waits for the rest of a WhatsApp burst ("oi", "bom dia", then the request)."""

    quiet_seconds: float = Field(6.0, ge=0, le=300)
    max_wait_seconds: float = Field(60.0, ge=0, le=900)
    wait_when_unsure: bool = True


class Settings(Strict):
    """geral.yaml"""

    greeting: Greeting
    default_team: Text
    default_intent: Id
    failure_reason: Text
    conversation_idle_hours: float = Field(12, gt=0)
    burst: Burst = Burst()
    classifier: ClassifierSettings = ClassifierSettings()
    agent_note: AgentNote


class Rule(Strict):
    """One matrix cell: follow the intent's playbook, or send to an explicit team."""

    follow_intent: bool = False
    team: Text | None = None
    mode: Mode | None = None
    note: Text | None = None
    notice: Text | None = None
    tags: list[Text] = []

    @model_validator(mode="after")
    def _one_target(self) -> Rule:
        if self.follow_intent and (self.team or self.mode):
            raise ValueError("use either follow_intent: true or team + mode, not both")
        if not self.follow_intent and not (self.team and self.mode):
            raise ValueError("give follow_intent: true, or both team and mode")
        return self


Row = dict[Annotated[str, StringConstraints(strict=True)], Rule]


class Matrix(Strict):
    """One row per semáforo status; each row maps intents (or `default`) to a rule."""

    verde: Row
    amarelo: Row
    vermelho: Row
    desconhecido: Row
    falha_consulta: Row


class Reasons(Strict):
    """pt-BR text for each traffic-light reason code (see router.traffic_light)."""

    apto: Text
    contrato_inativo: Text
    sem_suporte: Text
    pendencia_financeira: Text
    nao_vinculado: Text
    falha_consulta: Text


class TagTemplates(Strict):
    """Ticket tag templates."""

    traffic_light: Annotated[Text, placeholders("status")]
    intent: Annotated[Text, placeholders("intent")]
    suggestion: Annotated[Text, placeholders("intent")]


class TrafficLightPolicy(Strict):
    """semaforo.yaml"""

    reasons: Reasons
    tags: TagTemplates
    status_tags: dict[Literal[STATUSES], list[Text]] = {}
    matrix: Matrix

    def rule(self, status: str, intent: str) -> Rule:
        """The cell for (status, intent), falling back to the row's `default`."""
        row: Row = getattr(self.matrix, status)
        return row[intent] if intent in row else row[DEFAULT_RULE]


class Spelling(Strict):
    """abreviacoes.yaml"""

    replacements: dict[Text, Annotated[str, StringConstraints(strict=True)]] = {}
    stopwords: list[Annotated[str, StringConstraints(strict=True, pattern=r"^\S+$")]] = []


Weight = Annotated[float, Field(ge=-10, le=10)]


class Case(Strict):
    """One situation of a playbook, recognised by keywords (weights) and examples."""

    id: Id
    description: Text
    keywords: dict[Text, Weight] = {}
    examples: list[Text] = []

    @model_validator(mode="after")
    def _has_signal(self) -> Case:
        if not self.keywords and not self.examples:
            raise ValueError("a case needs keywords or examples")
        return self


class Playbook(Strict):
    """systemtec.yaml, comercial.yaml, financeiro.yaml, suporte.yaml, ..."""

    id: Id
    team: Text
    mode: Mode
    notice: Text | None = None
    cases: list[Case] = Field(min_length=1)
