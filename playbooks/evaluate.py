"""Measure the classifier on labelled messages (e.g. tests/fixtures/intents-dev.jsonl).

An `incerto` answer is shown as `unsure` in the confusion matrix, but counts
as the default intent (suporte) for accuracy, precision and recall: such a
conversation lands in the default support team, which is right for a support
message and wrong for the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from .classifier import classify
from .bundle import Playbooks
from .schema import UNSURE

UNSURE_LABEL = "unsure"
_CORNER = "true \\ predicted"


def read_jsonl(path: str | Path) -> list[dict]:
    """Rows of a JSON-lines file (blank lines skipped)."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def evaluate(playbooks: Playbooks, rows: Iterable[dict]) -> dict:
    """Accuracy, abstain rate, per-label precision/recall, confusion and predictions."""
    labels = list(playbooks.intents)
    fallback = playbooks.settings.default_intent
    predictions = []
    for number, row in enumerate(rows, start=1):
        text, label = row.get("text"), row.get("label")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"line {number}: missing 'text'")
        if label not in labels:
            raise ValueError(f"line {number}: unknown label {label!r}; expected one of {', '.join(labels)}")
        result = classify(playbooks, text)
        predicted = UNSURE_LABEL if result.intent == UNSURE else result.intent
        predictions.append({"text": text, "label": label, "predicted": predicted,
                            "confidence": round(result.confidence, 4)})

    total = len(predictions)
    effective = [(p["label"], fallback if p["predicted"] == UNSURE_LABEL else p["predicted"]) for p in predictions]
    correct = sum(1 for truth, guess in effective if truth == guess)
    abstained = sum(1 for p in predictions if p["predicted"] == UNSURE_LABEL)

    per_label = {}
    for label in labels:
        true_positive = sum(1 for truth, guess in effective if truth == label and guess == label)
        predicted = sum(1 for _, guess in effective if guess == label)
        support = sum(1 for truth, _ in effective if truth == label)
        per_label[label] = {"precision": true_positive / predicted if predicted else 0.0,
                            "recall": true_positive / support if support else 0.0,
                            "support": support}

    confusion = {label: {column: 0 for column in labels + [UNSURE_LABEL]} for label in labels}
    for p in predictions:
        confusion[p["label"]][p["predicted"]] += 1
    return {"total": total, "accuracy": correct / total if total else 0.0,
            "abstain_rate": abstained / total if total else 0.0,
            "per_label": per_label, "confusion": confusion, "predictions": predictions}


def format_report(result: dict) -> str:
    """A plain-text table of an `evaluate` result."""
    labels = list(result["per_label"])
    columns = labels + [UNSURE_LABEL]
    width = max(len(c) for c in columns + [_CORNER]) + 2
    lines = [f"messages:     {result['total']}",
             f"accuracy:     {result['accuracy']:.1%}",
             f"abstain rate: {result['abstain_rate']:.1%}",
             "",
             f"{'label':<{width}}{'precision':>10}{'recall':>10}{'support':>9}"]
    for label, figures in result["per_label"].items():
        lines.append(f"{label:<{width}}{figures['precision']:>10.1%}{figures['recall']:>10.1%}{figures['support']:>9}")
    lines += ["", f"{_CORNER:<{width}}" + "".join(f"{c:>{width}}" for c in columns)]
    for label in labels:
        row = result["confusion"][label]
        lines.append(f"{label:<{width}}" + "".join(f"{row[c]:>{width}}" for c in columns))
    return "\n".join(lines)
