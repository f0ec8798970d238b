"""Offline, explainable intent classifier built from the playbooks' cases.

Each intent's score is the sum of its matched keyword weights plus
`example_weight` times the best TF-IDF cosine similarity between the message
and one of its examples (stems and stem bigrams). Scores go through a softmax
to give a confidence; a message with too little evidence, or whose best intent
is not clearly ahead, is `incerto`. Everything that depends only on the
playbooks is computed once, in `prepare`, when the playbooks are loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .index import Index, build_index
from .bundle import Playbooks
from .schema import UNSURE


@dataclass(frozen=True)
class Evidence:
    """Why the classifier chose an intent: the case, the words, the closest example."""

    case: str | None
    keywords: tuple[str, ...] = ()
    example: str | None = None
    example_case: str | None = None
    similarity: float = 0.0
    corrections: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """Plain JSON-ready form."""
        return {"case": self.case, "keywords": list(self.keywords), "example": self.example,
                "example_case": self.example_case, "similarity": round(self.similarity, 3),
                "corrections": list(self.corrections)}


@dataclass(frozen=True)
class Classification:
    """The classifier's answer for one message."""

    intent: str                      # a playbook id, or "incerto"
    confidence: float                # softmax probability of the best intent
    evidence: Evidence
    runner_up: tuple[str, float] | None   # second-best intent and its probability
    guess: str                       # best intent even when `intent` is "incerto"
    scores: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-ready form."""
        return {"intent": self.intent, "confidence": round(self.confidence, 3), "guess": self.guess,
                "runner_up": list(self.runner_up) if self.runner_up else None,
                "evidence": self.evidence.to_dict(),
                "scores": {k: round(v, 3) for k, v in self.scores.items()}}


def prepare(playbooks: Playbooks) -> Index:
    """Build (once) and attach the classifier index of a playbook set."""
    if playbooks._index is None:
        playbooks._index = build_index(playbooks)
    return playbooks._index


def classify(playbooks: Playbooks, text: str) -> Classification:
    """Classify one customer message into a playbook intent or `incerto`."""
    index = prepare(playbooks)
    options = playbooks.settings.classifier
    message = index.analyse(text)
    keyword_hits = index.keyword_hits(message)
    example_hits = index.example_hits(message)

    scores: dict[str, float] = {}
    for label in index.labels:
        hits = keyword_hits.get(label, ())
        similarity = example_hits[label][0] if label in example_hits else 0.0
        scores[label] = sum(hit.weight for hit in hits) + options.example_weight * similarity

    ranked = sorted(index.labels, key=lambda label: (-scores[label], index.labels.index(label)))
    top = max(scores.values())
    exps = {label: math.exp((scores[label] - top) / options.temperature) for label in ranked}
    total = sum(exps.values())
    probs = {label: value / total for label, value in exps.items()}

    best = ranked[0]
    sure = scores[best] >= options.min_score and probs[best] >= options.unsure_threshold
    runner_up = (ranked[1], round(probs[ranked[1]], 4)) if len(ranked) > 1 else None
    evidence = _evidence(index, keyword_hits.get(best, ()), example_hits.get(best), message.corrections,
                         options.example_weight)
    return Classification(intent=best if sure else UNSURE, confidence=probs[best], evidence=evidence,
                          runner_up=runner_up, guess=best, scores=scores)


def _evidence(index: Index, hits, example, corrections, example_weight: float) -> Evidence:
    """Pick the case that contributed most to the chosen intent and describe it."""
    contribution: dict[str, float] = {}
    for hit in hits:
        if hit.weight > 0:
            contribution[hit.case] = contribution.get(hit.case, 0.0) + hit.weight
    similarity, example_id = example if example else (0.0, None)
    text = example_case = None
    if example_id is not None and similarity >= 0.2:   # below that, not worth showing an agent
        _, example_case, text = index.examples[example_id]
        contribution[example_case] = contribution.get(example_case, 0.0) + example_weight * similarity
    case = max(contribution, key=contribution.get) if contribution else None
    return Evidence(case=case, keywords=tuple(hit.phrase for hit in hits if hit.weight > 0),
                    example=text, example_case=example_case, similarity=similarity, corrections=corrections)
