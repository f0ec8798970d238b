"""Text normalisation for intent classification.

A WhatsApp message goes through: accent folding and lower case, tokenisation,
squeezing of stretched letters ("muuuito"), the admin's spelling table
(abreviacoes.yaml: "vc" -> "voce", "2a via" -> "segunda via"), stop-word
removal, and a light Portuguese stemmer so that "travou", "travando" and
"trava" meet on one stem. Keywords and examples from the playbooks go through
the very same pipeline, so both sides always agree.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping

_TOKEN = re.compile(r"[a-z0-9]+")
# Three or more of the same letter are never Portuguese; "rr" and "ss" are.
_STRETCHED = re.compile(r"([a-z])\1{2,}")
_DOUBLE_OK = frozenset("rs")

# Ordered longest first; the first suffix that leaves a stem of at least
# three letters wins. Crude on purpose: it only has to make inflections of
# the same word collide, not to produce dictionary roots.
_PLURALS = (("oes", "ao"), ("aes", "ao"), ("ais", "al"), ("eis", "el"), ("ns", "m"))
_SUFFIXES = tuple(sorted((
    "amentos", "imentos", "amento", "imento", "mentos", "mento",
    "acoes", "icoes", "acao", "icao", "coes", "cao", "ao",
    "ancias", "ancia", "encias", "encia", "ancas", "anca", "ezas", "eza",
    "adoras", "adores", "adora", "ador", "ariam", "eriam", "iriam",
    "assem", "essem", "issem", "asse", "esse", "isse", "arem", "erem", "irem",
    "aram", "eram", "iram", "avam", "iam", "arao", "erao", "irao",
    "ando", "endo", "indo", "ados", "adas", "idos", "idas",
    "ado", "ada", "ido", "ida", "amos", "emos", "imos",
    "aria", "eria", "iria", "ava", "ara", "era", "ira", "ias", "ia", "ar", "er", "ir",
    "ou", "ei", "eu", "iu", "am", "em", "es", "as", "os", "is",
    "a", "e", "o", "s", "i",
), key=len, reverse=True))
# First-person plural verb endings ("contratamos", "emitimos", "pagávamos").
# They end in "s", so they are tried before the plural rule, which would
# otherwise cut only the "s" and leave "contratamo" far from "contratar".
_VERB_PLURALS = tuple(sorted((
    "ariamos", "eriamos", "iriamos", "assemos", "essemos", "issemos", "aremos", "eremos", "iremos",
    "avamos", "aramos", "eramos", "iramos", "iamos", "amos", "emos", "imos",
), key=len, reverse=True))
# Verb endings that tell the conjugation. A short root ("pag", "cri", "rod")
# is too ambiguous to be a stem on its own, but with one of these endings it
# is a verb: it becomes its infinitive, so "paguei", "pagando" and "pagamos"
# meet "pagar", and "criarem" meets "criar" (while "mudo" stays apart from
# "mudou"/"mudar", and "som" from "soma").
_CONJUGATIONS = {"ar": ("ar", "ando", "ado", "ada", "ados", "adas", "ou", "ei", "am", "aram", "ava", "avam",
                        "arao", "aria", "ariam", "asse", "assem", "arem", "amos", "aremos", "avamos",
                        "ariamos", "aramos", "assemos"),
                 "er": ("er", "endo", "eu", "eram", "erem", "eria", "eriam", "esse", "essem", "erao",
                        "emos", "eremos", "eriamos", "eramos", "essemos"),
                 "ir": ("ir", "indo", "iu", "iram", "irem", "iria", "iriam", "isse", "issem", "irao",
                        "imos", "iremos", "iriamos", "iramos", "issemos")}
_INFINITIVE = {ending: infinitive for infinitive, endings in _CONJUGATIONS.items() for ending in endings}
_MIN_STEM = 3
# A stem shorter than this is too ambiguous ("som" from "soma", "log" from
# "logo", "mud" from both "mudo" and "mudar"): such words keep their whole
# form, minus a plural ending.
_SHORT_STEM = 4
# Words the suffix rules would merge with an unrelated word ("faturamento" is
# not "fatura": one is the Gestão's billing run, the other our invoice).
_EXCEPTIONS = {"faturamento": "faturament", "faturamentos": "faturament",
               # the contract (noun) is not the act of buying ("contratar")
               "contrato": "contrato", "contratos": "contrato"}


def fold(text: str) -> str:
    """Lower-case `text` and strip accents ("Gestão" -> "gestao", "2ª" -> "2a")."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def squeeze(token: str) -> str:
    """Shrink stretched letters: "muuuito" -> "muito", "socorrrro" -> "socorro"."""
    return _STRETCHED.sub(lambda m: m.group(1) * (2 if m.group(1) in _DOUBLE_OK else 1), token)


def words(text: str) -> list[str]:
    """Split `text` into folded, squeezed word tokens."""
    return [squeeze(token) for token in _TOKEN.findall(fold(text))]


def singular(word: str) -> str:
    """Strip a plural ending only: "notas" -> "nota", "comerciais" -> "comercial"."""
    for plural, singular_form in _PLURALS:
        if word.endswith(plural) and len(word) - len(plural) >= _MIN_STEM:
            return word[: -len(plural)] + singular_form
    if word.endswith("s") and not word.endswith("ss") and len(word) > _SHORT_STEM:
        return word[:-1]
    return word


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Return a light Portuguese stem of an already folded word."""
    if len(word) <= _MIN_STEM or word.isdigit():
        return word
    if word in _EXCEPTIONS:
        return _EXCEPTIONS[word]
    cut = next((v for v in _VERB_PLURALS if word.endswith(v) and len(word) - len(v) >= _MIN_STEM), None)
    if cut is not None:
        root = word[: -len(cut)]
    else:
        root = singular(word)
        for suffix in _SUFFIXES:
            if root.endswith(suffix) and len(root) - len(suffix) >= _MIN_STEM:
                root, cut = root[: -len(suffix)], suffix
                break
    # "paguei"/"pague" -> "pagu": fold the silent u back onto its consonant.
    if root.endswith(("gu", "qu")) and len(root) > _MIN_STEM:
        root = root[:-1]
    if len(root) >= _SHORT_STEM:
        return root
    if len(root) >= _MIN_STEM and cut in _INFINITIVE:
        return root + _INFINITIVE[cut]
    return singular(word)


class Normalizer:
    """Turns raw text into the token list the classifier works on."""

    def __init__(self, replacements: Mapping[str, str], stopwords: Iterable[str]):
        """Build the lookup tables from the admin's spelling file (any accents/case)."""
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for source, target in replacements.items():
            key = tuple(words(source))
            if key:
                self._phrases[key] = tuple(words(target))
        self._longest = max((len(key) for key in self._phrases), default=1)
        self.stopwords = frozenset(w for phrase in stopwords for w in words(phrase))

    def expand(self, text: str, *, keep_stopwords: bool = False) -> list[str]:
        """Fold and tokenise `text`, apply the spelling table, drop stop-words (unless asked not to)."""
        tokens = words(text)
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for size in range(min(self._longest, len(tokens) - i), 0, -1):
                target = self._phrases.get(tuple(tokens[i : i + size]))
                if target is not None:
                    out.extend(target)
                    i += size
                    break
            else:
                out.append(tokens[i])
                i += 1
        return out if keep_stopwords else [token for token in out if token not in self.stopwords]
