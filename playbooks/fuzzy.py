"""Typo repair against the playbooks' own vocabulary ("boelto" -> "boleto").

Symmetric-deletion lookup: every vocabulary word is indexed under itself and
each of its one-letter deletions; an unknown word is looked up the same way.
That catches one wrong, missing, extra or swapped letter with a few dictionary
probes, so it stays cheap enough for every message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable


def _deletions(word: str) -> set[str]:
    """The word itself plus every way of dropping one letter."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """True if `a` and `b` differ by one insertion, deletion, substitution or adjacent swap."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k in range(len(a)) if a[k] != b[k]), len(a))
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    return a[i + 1 :] == b[i + 1 :] or (a[i + 2 :] == b[i + 2 :] and a[i : i + 2] == b[i : i + 2][::-1])


class Speller:
    """Maps unknown words onto the most frequent vocabulary word one edit away."""

    def __init__(self, vocabulary: Iterable[str], *, min_length: int = 5):
        """Index `vocabulary` (words may repeat: repetitions count as frequency)."""
        self.min_length = min_length
        self.counts = Counter(vocabulary)
        self._index: dict[str, list[str]] = {}
        for word in self.counts:
            if len(word) >= min_length - 1 and not word.isdigit():
                for variant in _deletions(word):
                    self._index.setdefault(variant, []).append(word)
        self._cache: dict[str, str | None] = {}

    def correct(self, word: str) -> str | None:
        """Return the vocabulary word `word` was probably meant to be, or None."""
        if word in self.counts or len(word) < self.min_length or not word.isalpha():
            return None
        if word in self._cache:
            return self._cache[word]
        candidates = {c for variant in _deletions(word) for c in self._index.get(variant, ())
                      if _one_edit(word, c)}
        # Same length first (a swapped or wrong letter), then the commoner word.
        best = min(candidates, key=lambda c: (abs(len(c) - len(word)), -self.counts[c], c), default=None)
        if len(self._cache) < 50_000:
            self._cache[word] = best
        return best
