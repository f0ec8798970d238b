"""The classifier's precomputed tables: keyword lookup, example vectors, speller.

Built once per playbook set; afterwards classifying a message is a handful of
dictionary lookups, which keeps it far below a millisecond.

A message is seen as a stream of stems with its stop-words flagged. Keywords
normally match the content words only ("segunda via do boleto" matches
"segunda via boleto"). A keyword that would keep fewer than two content words
("ainda não temos", "de vocês") is matched literally, stop-words included, so
it never shrinks to one common word. "não" does not count as a content word
for that rule: "ainda não somos clientes" must not match "não rodaram ... o
cliente".

When the admin wrote two forms of one word with different weights
("comerciais": 3 and "comercial": 1; "valores": 3 and "valor": 1), both stem
alike; the form the customer actually typed wins.

No message word counts twice for one intent: overlapping keywords are taken
heaviest first (then the longer phrase), so "cartão recusado" (5) stands for
"cartão" + "recusado", and a weak long phrase ("plano mais simples", 3) never
hides a strong keyword it overlaps ("baixar o plano", 5).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import NamedTuple

from .fuzzy import Speller
from .bundle import Playbooks, Problem
from .text import Normalizer, stem

MAX_GAP = 1  # extra words allowed between two words of a keyword ("trocar o MEU plano")
NEGATIONS = frozenset({"nao", "nem", "nunca"})  # not enough, alone, to tie a keyword's words together


class Keyword(NamedTuple):
    """A compiled keyword of one case."""

    label: str
    case: str
    phrase: str              # as the admin wrote it (shown to agents)
    stems: tuple[str, ...]
    words: tuple[str, ...]   # the same words before stemming
    weight: float
    literal: bool            # match stop-words too


class Hit(NamedTuple):
    """A keyword found in a message."""

    case: str
    phrase: str
    weight: float


class Message(NamedTuple):
    """A message as the classifier sees it."""

    stems: list[str]                 # every word, stop-words included
    words: list[str]                 # the same words before stemming (after typo repair)
    content: list[int]               # positions of the non-stop words
    corrections: tuple[str, ...]     # typo repairs, e.g. "boelto→boleto"

    def content_stems(self) -> list[str]:
        """Stems of the non-stop words, in order."""
        return [self.stems[i] for i in self.content]


def _match(stems: list[str], positions: list[int], start: int, phrase: tuple[str, ...]) -> tuple[int, ...] | None:
    """Message positions of `phrase` starting at stream index `start`, allowing MAX_GAP extra words."""
    found = [start]
    for word in phrase[1:]:
        window = range(found[-1] + 1, min(found[-1] + 2 + MAX_GAP, len(positions)))
        nxt = next((i for i in window if stems[positions[i]] == word), None)
        if nxt is None:
            return None
        found.append(nxt)
    return tuple(positions[i] for i in found)


def features(stems: list[str]) -> set[str]:
    """Unigrams and adjacent bigrams of a stem list."""
    return set(stems) | {f"{a}_{b}" for a, b in zip(stems, stems[1:])}


class Index:
    """Lookup tables derived from one playbook set."""

    def __init__(self, normalizer: Normalizer, speller: Speller, labels: tuple[str, ...]):
        """Start empty; `build_index` fills the tables."""
        self.normalizer = normalizer
        self.speller = speller
        self.labels = labels
        self.known_stems: set[str] = set()
        self.keywords: dict[bool, dict[str, list[Keyword]]] = {False: {}, True: {}}  # literal? -> first stem -> kws
        self.examples: list[tuple[str, str, str]] = []        # (label, case, text)
        self.postings: dict[str, list[tuple[int, float]]] = {}
        self.idf: dict[str, float] = {}
        self.problems: list[Problem] = []                     # keywords that can never match

    def analyse(self, text: str) -> Message:
        """Stem every word of `text`, repairing typos in content words."""
        stems, tokens, content, corrections = [], [], [], []
        stopwords = self.normalizer.stopwords
        for token in self.normalizer.expand(text, keep_stopwords=True):
            root = stem(token)
            if token not in stopwords:
                content.append(len(stems))
                if root not in self.known_stems:
                    fixed = self.speller.correct(token)
                    if fixed is not None:
                        corrections.append(f"{token}→{fixed}")
                        token, root = fixed, stem(fixed)
            stems.append(root)
            tokens.append(token)
        return Message(stems, tokens, content, tuple(corrections))

    def keyword_hits(self, message: Message) -> dict[str, list[Hit]]:
        """Matched keywords per label; heaviest first, no word counted twice per label."""
        found: list[tuple[tuple[int, ...], bool, Keyword]] = []
        streams = ((False, message.content), (True, range(len(message.stems))))
        words = message.words
        for literal, positions in streams:
            positions = list(positions)
            table = self.keywords[literal]
            for start, position in enumerate(positions):
                for keyword in table.get(message.stems[position], ()):
                    matched = _match(message.stems, positions, start, keyword.stems)
                    if matched:
                        exact = all(words[p] == w for p, w in zip(matched, keyword.words))
                        found.append((matched, exact, keyword))
        # Two forms of one word at the same place: keep the one the customer typed.
        typed = {(k.label, k.stems, p) for p, exact, k in found if exact}
        found = [item for item in found if item[1] or (item[2].label, item[2].stems, item[0]) not in typed]
        # Strongest evidence first (then the longer phrase), so a weak long phrase
        # never hides a strong keyword it overlaps.
        found.sort(key=lambda item: (-abs(item[2].weight), -len(item[0])))
        used: dict[str, set[int]] = {}
        seen: set[tuple[str, tuple[str, ...]]] = set()
        hits: dict[str, list[Hit]] = {}
        for positions, _, keyword in found:
            taken = used.setdefault(keyword.label, set())
            if taken.intersection(positions) or (keyword.label, keyword.stems) in seen:
                continue
            taken.update(positions)
            seen.add((keyword.label, keyword.stems))
            hits.setdefault(keyword.label, []).append(Hit(keyword.case, keyword.phrase, keyword.weight))
        return hits

    def example_hits(self, message: Message) -> dict[str, tuple[float, int]]:
        """Best cosine similarity per label, with the id of that example."""
        query = {f: self.idf[f] for f in features(message.content_stems()) if f in self.idf}
        norm = math.sqrt(sum(w * w for w in query.values()))
        if not norm:
            return {}
        dots: Counter[int] = Counter()
        for feature, weight in query.items():
            for example_id, value in self.postings[feature]:
                dots[example_id] += weight * value
        best: dict[str, tuple[float, int]] = {}
        for example_id, dot in dots.items():
            label = self.examples[example_id][0]
            similarity = dot / norm
            if similarity > best.get(label, (0.0, -1))[0]:
                best[label] = (similarity, example_id)
        return best


def _keyword(normalizer: Normalizer, label: str, case: str, phrase: str, weight: float) -> Keyword | None:
    """Compile one keyword, literal when stop-word removal would gut it."""
    content = normalizer.expand(phrase)
    every = normalizer.expand(phrase, keep_stopwords=True)
    meaningful = [word for word in content if word not in NEGATIONS]
    literal = len(meaningful) < 2 and len(every) > len(content)
    tokens = every if literal else content
    if not content and len(every) < 2:
        return None
    return Keyword(label, case, phrase, tuple(map(stem, tokens)), tuple(tokens), weight, literal)


def build_index(playbooks: Playbooks) -> Index:
    """Precompute every table the classifier needs from a validated playbook set."""
    options = playbooks.settings.classifier
    normalizer = Normalizer(playbooks.spelling.replacements, playbooks.spelling.stopwords)
    vocabulary: list[str] = []   # keyword words only: typos are repaired towards these
    example_words: list[str] = []
    keywords: list[Keyword] = []
    example_stems: list[list[str]] = []
    examples: list[tuple[str, str, str]] = []
    problems: list[Problem] = []
    for i, book in enumerate(playbooks.playbooks):
        for j, case in enumerate(book.cases):
            for phrase, weight in case.keywords.items():
                keyword = _keyword(normalizer, book.id, case.id, phrase, weight)
                if keyword is None:
                    problems.append(Problem(("playbooks", i), ("cases", j, "keywords", phrase),
                                            "keyword is a single stop-word (abreviacoes.yaml), it can never match"))
                    continue
                keywords.append(keyword)
                vocabulary += normalizer.expand(phrase)
            for text in case.examples:
                tokens = normalizer.expand(text)
                example_words.extend(tokens)
                example_stems.append([stem(t) for t in tokens])
                examples.append((book.id, case.id, text))

    index = Index(normalizer, Speller(vocabulary, min_length=options.fuzzy_min_length), playbooks.intents)
    index.problems = problems
    index.known_stems = {stem(word) for word in vocabulary + example_words}
    for keyword in keywords:
        index.keywords[keyword.literal].setdefault(keyword.stems[0], []).append(keyword)
    index.examples = examples

    vectors = [features(stems) for stems in example_stems]
    document_frequency = Counter(f for vector in vectors for f in vector)
    count = len(vectors)
    index.idf = {f: math.log((1 + count) / (1 + df)) + 1.0 for f, df in document_frequency.items()}
    for example_id, vector in enumerate(vectors):
        norm = math.sqrt(sum(index.idf[f] ** 2 for f in vector)) or 1.0
        for f in vector:
            index.postings.setdefault(f, []).append((example_id, index.idf[f] / norm))
    return index
