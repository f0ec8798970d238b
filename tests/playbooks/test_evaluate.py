"""evaluate(): figures checked by hand on a tiny dataset, and the dev-set regression guard."""

from __future__ import annotations

import pytest

from playbooks import evaluate, format_report, read_jsonl
from tests.playbooks.conftest import FIXTURES

TINY = [
    {"text": "preciso da segunda via do boleto", "label": "financeiro"},          # right
    {"text": "o studio parou de tocar as músicas", "label": "suporte"},           # right
    {"text": "quanto custa o studio?", "label": "comercial"},                      # right
    {"text": "o gestão empresarial dá erro ao abrir", "label": "financeiro"},      # wrong: systemtec
    {"text": "oi", "label": "suporte", "id": 7},                                   # unsure, counts as suporte: right
    {"text": "bom dia", "label": "comercial"},                                     # unsure, counts as suporte: wrong
]


def test_tiny_dataset_by_hand(books):
    result = evaluate(books, TINY)
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert result["abstain_rate"] == pytest.approx(2 / 6)
    per_label = result["per_label"]
    assert per_label["financeiro"] == {"precision": 1.0, "recall": 0.5, "support": 2}
    assert per_label["suporte"] == {"precision": pytest.approx(2 / 3), "recall": 1.0, "support": 2}
    assert per_label["comercial"] == {"precision": 1.0, "recall": 0.5, "support": 2}
    assert per_label["systemtec"] == {"precision": 0.0, "recall": 0.0, "support": 0}
    assert result["confusion"]["financeiro"] == {"comercial": 0, "financeiro": 1, "suporte": 0, "systemtec": 1, "unsure": 0}
    assert result["confusion"]["comercial"]["unsure"] == 1
    assert [p["predicted"] for p in result["predictions"]] == [
        "financeiro", "suporte", "comercial", "systemtec", "unsure", "unsure"]
    assert result["predictions"][4]["text"] == "oi" and result["predictions"][4]["label"] == "suporte"


def test_report_is_readable(books):
    report = format_report(evaluate(books, TINY))
    assert "accuracy:     66.7%" in report
    assert "abstain rate: 33.3%" in report
    assert "unsure" in report and "precision" in report


@pytest.mark.parametrize(("rows", "message"), [
    ([{"text": "oi", "label": "suporte"}, {"label": "suporte"}], "line 2: missing 'text'"),
    ([{"text": "oi", "label": "vendas"}], "line 1: unknown label 'vendas'"),
])
def test_bad_rows(books, rows, message):
    with pytest.raises(ValueError, match=message):
        evaluate(books, rows)


@pytest.mark.parametrize("name", ["intents-dev.jsonl", "intents-fresh.jsonl"])
def test_regression_guard(books, name):
    result = evaluate(books, read_jsonl(FIXTURES / name))
    assert result["accuracy"] >= 0.85, format_report(result)
    assert result["abstain_rate"] < 0.10
