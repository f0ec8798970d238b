"""Typo repair against the playbooks' own vocabulary ("boelto" -> "boleto").

Symmetric-deletion lookup: every vocabulary word is indexed under itself and
each of its one-letter deletions; an unknown word is looked up the same way.
That catches one wrong, missing, extra or swapped letter with a few dictionary
probes, so it stays cheap enough for every message.

One edit away is not enough on its own: Portuguese is full of real words one
letter from a keyword ("dentro"/"centro", "branco"/"banco", "mudou"/"mudo",
"pegar"/"pagar"). A repair is only made when the edit looks like a slip of
the finger or of the ear: two letters swapped, a letter left out, a doubled
or neighbouring key pressed, a letter that sounds the same ("recusadu",
"analize"), or the gender ending ("financeira"); and never on the first
letter, which people rarely get wrong.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable


def _deletions(word: str) -> set[str]:
    """The word itself plus every way of dropping one letter."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard() -> dict[str, set[str]]:
    """Letters next to each letter on a QWERTY/ABNT2 keyboard (same row, and the row above/below)."""
    near: dict[str, set[str]] = {ch: set() for row in _ROWS for ch in row}
    for r, row in enumerate(_ROWS):
        for i, ch in enumerate(row):
            near[ch].update(row[max(i - 1, 0) : i + 2])
            if r + 1 < len(_ROWS):   # the row below is shifted right by about half a key
                below = _ROWS[r + 1]
                for j in (i - 1, i):
                    if 0 <= j < len(below):
                        near[ch].add(below[j])
                        near[below[j]].add(ch)
    for ch, letters in near.items():
        letters.discard(ch)
    return near


_NEAR = _keyboard()
# Letters written for one another by ear: "recusadu", "analize", "sertificado", "jestao".
_SOUNDS = {frozenset(pair) for pair in ("ou", "ei", "sz", "ck", "xs", "xz")}
# These only sound alike before e/i: "reseber", "ajenda" (but "disso" is not "disco").
_SOUNDS_SOFT = {frozenset(pair) for pair in ("sc", "gj")}


def _slip(typed: str, known: str) -> bool:
    """True if `typed` reads as a plausible typo of `known` (already known to be one edit apart)."""
    i = next((k for k in range(min(len(typed), len(known))) if typed[k] != known[k]), min(len(typed), len(known)))
    if i == 0:
        return False
    if len(typed) < len(known):                       # a letter left out
        return True
    if len(typed) > len(known):                       # an extra letter: doubled or a neighbouring key
        extra, around = typed[i], typed[i - 1 : i] + typed[i + 1 : i + 2]
        return any(extra == ch or extra in _NEAR.get(ch, ()) for ch in around)
    if typed[i + 1 :] != known[i + 1 :]:              # two letters swapped
        return True
    a, b = typed[i], known[i]
    if i == len(known) - 1 and {a, b} == {"a", "o"}:  # the other gender: "financeira"
        return True
    pair = frozenset((a, b))
    soft = pair in _SOUNDS_SOFT and known[i + 1 : i + 2] in ("e", "i")
    return b in _NEAR.get(a, ()) or pair in _SOUNDS or soft


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
                      if _one_edit(word, c) and _slip(word, c)}
        # Same length first (a swapped or wrong letter), then the commoner word.
        best = min(candidates, key=lambda c: (abs(len(c) - len(word)), -self.counts[c], c), default=None)
        if len(self._cache) < 50_000:
            self._cache[word] = best
        return best
