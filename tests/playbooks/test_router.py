"""The semáforo × intent matrix, decided case by case from the knowledge base."""

from __future__ import annotations

import json

import pytest

from playbooks import CustomerFacts, classify, decide, greeting, load_playbooks, traffic_light
from tests.playbooks.conftest import edit

SYSTEMTEC, COMERCIAL, FINANCEIRO = "Quero falar com a SystemTec", "Transferir para o comercial", "Transferir para o financeiro"
SUPORTE = "Suporte"
INACTIVE_NOTE = "Cadastro inativo — confirme no grupo de suporte antes de atender"

MESSAGES = {
    "systemtec": "o gestão empresarial dá erro quando emito a nota fiscal para o anunciante",
    "comercial": "quanto custa o studio para uma rádio fm?",
    "financeiro": "preciso da segunda via do boleto da mensalidade",
    "suporte": "o studio parou de tocar as músicas",
    "incerto": "oi, bom dia",
}

GREEN = CustomerFacts(adm="1234", name="Rádio Cidade FM")
YELLOW = CustomerFacts(adm="1234", contract_active=False)
RED = CustomerFacts(adm="1234", financial_pending=True, contract_active=False)
CUSTOMERS = {"verde": (GREEN, False), "amarelo": (YELLOW, False), "vermelho": (RED, False),
             "desconhecido": (None, False), "falha_consulta": (GREEN, True)}

# (status, intent) -> (team, mode, suggested_team)
MATRIX = {
    # Verde: apto, follow the intent.
    ("verde", "systemtec"): (SYSTEMTEC, "auto", None),
    ("verde", "comercial"): (COMERCIAL, "auto", None),
    ("verde", "financeiro"): (FINANCEIRO, "auto", None),
    ("verde", "suporte"): (SUPORTE, "auto", None),
    ("verde", "incerto"): (SUPORTE, "auto", None),
    # Amarelo: support confirms first; renewing (comercial) and paying (financeiro) follow the intent.
    ("amarelo", "systemtec"): (SUPORTE, "suggest", SYSTEMTEC),
    ("amarelo", "comercial"): (COMERCIAL, "auto", None),
    ("amarelo", "financeiro"): (FINANCEIRO, "auto", None),
    ("amarelo", "suporte"): (SUPORTE, "auto", None),
    ("amarelo", "incerto"): (SUPORTE, "auto", None),
    # Vermelho: financial pending -> financeiro, whatever the intent.
    **{("vermelho", intent): (FINANCEIRO, "auto", None) for intent in MESSAGES},
    # Unknown contact / failed lookup: prospects go to comercial; the rest stays in support to identify the ADM.
    **{(status, intent): row for status in ("desconhecido", "falha_consulta") for intent, row in {
        "systemtec": (SUPORTE, "suggest", SYSTEMTEC),
        "comercial": (COMERCIAL, "auto", None),
        "financeiro": (SUPORTE, "suggest", FINANCEIRO),
        "suporte": (SUPORTE, "auto", None),
        "incerto": (SUPORTE, "auto", None),
    }.items()},
}


def test_messages_have_the_intended_intents(books):
    for intent, text in MESSAGES.items():
        assert classify(books, text).intent == intent, text


@pytest.mark.parametrize(("status", "intent"), sorted(MATRIX))
def test_matrix_cell(books, status, intent):
    customer, failed = CUSTOMERS[status]
    decision = decide(books, customer, MESSAGES[intent], lookup_failed=failed)
    team, mode, suggested = MATRIX[status, intent]
    assert (decision.traffic_light, decision.intent) == (status, intent)
    assert (decision.team, decision.mode, decision.suggested_team) == (team, mode, suggested)
    assert f"semaforo:{status}" in decision.tags and f"intencao:{intent}" in decision.tags
    # Customers hear about a transfer only when it really happens (auto, to another team).
    assert (decision.notice is not None) == (mode == "auto" and team != SUPORTE)
    if suggested:
        assert f"sugestao:{intent}" in decision.tags and suggested in decision.agent_note
    else:
        assert not any(tag.startswith("sugestao:") for tag in decision.tags)


def test_red_notice_and_note(books):
    decision = decide(books, RED, MESSAGES["comercial"])
    assert "financeiro" in decision.notice and "pendência" in decision.notice
    assert "financeiro:pendencia" in decision.tags
    assert decision.traffic_light_reason == "Cliente com pendência financeira."
    assert "Pendência financeira" in decision.agent_note


@pytest.mark.parametrize("intent", ["systemtec", "suporte", "incerto"])
def test_yellow_note_and_tag(books, intent):
    decision = decide(books, YELLOW, MESSAGES[intent])
    assert "cadastro:inativo" in decision.tags
    assert INACTIVE_NOTE in decision.agent_note


def test_unknown_and_failed_lookup_notes(books):
    assert "identifique o cliente" in decide(books, None, MESSAGES["suporte"]).agent_note
    assert "consulta automática" in decide(books, GREEN, MESSAGES["suporte"], lookup_failed=True).agent_note


def test_systemtec_notice_follows_the_knowledge_base(books):
    notice = decide(books, GREEN, MESSAGES["systemtec"]).notice
    assert "SystemTec" in notice and "Gestão Empresarial" in notice and "protocolo" in notice


def test_suggest_mode_playbook_opens_in_default_team(workdir):
    edit(workdir / "comercial.yaml", "mode: auto", "mode: suggest")
    books = load_playbooks(workdir)
    decision = decide(books, GREEN, MESSAGES["comercial"])
    assert (decision.team, decision.mode, decision.suggested_team) == (SUPORTE, "suggest", COMERCIAL)
    assert decision.notice is None
    assert "sugestao:comercial" in decision.tags


def test_agent_note_explains_the_decision(books):
    note = decide(books, GREEN, MESSAGES["financeiro"]).agent_note
    assert note.startswith("Semáforo verde: Cliente apto para atendimento.")
    assert "Intenção detectada: financeiro (confiança " in note
    assert "segunda via" in note


def test_decision_to_dict_is_json(books):
    data = decide(books, YELLOW, MESSAGES["systemtec"]).to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False))["suggested_team"] == SYSTEMTEC
    assert isinstance(data["tags"], list) and isinstance(data["evidence"]["keywords"], list)


@pytest.mark.parametrize(("customer", "failed", "expected"), [
    (CustomerFacts(adm="1"), False, ("verde", "apto")),
    (CustomerFacts(adm="1", contract_active=False), False, ("amarelo", "contrato_inativo")),
    (CustomerFacts(adm="1", support_active=False), False, ("amarelo", "sem_suporte")),
    (CustomerFacts(adm="1", financial_pending=True), False, ("vermelho", "pendencia_financeira")),
    (CustomerFacts(adm="1", financial_pending=True, contract_active=False, support_active=False), False,
     ("vermelho", "pendencia_financeira")),
    (None, False, ("desconhecido", "nao_vinculado")),
    (CustomerFacts(adm="1", financial_pending=True), True, ("falha_consulta", "falha_consulta")),
    (None, True, ("falha_consulta", "falha_consulta")),
])
def test_traffic_light(customer, failed, expected):
    light = traffic_light(customer, lookup_failed=failed)
    assert (light.status, light.reason) == expected


def test_greeting(books):
    assert greeting(books, "  Marli ").startswith("Olá, Marli! Aqui é o atendimento da Radio Memory.")
    assert greeting(books, None).startswith("Olá! Aqui é o atendimento da Radio Memory.")
    assert greeting(books, "   ") == greeting(books, None)
    assert greeting(books, "{nome} {0}").startswith("Olá, {nome} {0}!")  # names are data, not templates
