"""Text normalisation helpers."""

from __future__ import annotations

from playbooks.fuzzy import Speller
from playbooks.text import Normalizer, fold, squeeze, stem, words


def test_fold_and_words():
    assert fold("Gestão Ação 2ª") == "gestao acao 2a"
    assert words("Não CONSIGO... emitir a NF-e!!") == ["nao", "consigo", "emitir", "a", "nf", "e"]


def test_squeeze_keeps_portuguese_doubles():
    assert squeeze("muuuito") == "muito"
    assert squeeze("socorrrro") == "socorro"
    assert squeeze("passsso") == "passo"
    assert squeeze("carro") == "carro"


def test_stem_merges_inflections_only():
    assert len({stem(w) for w in ("travou", "travando", "trava", "travado")}) == 1
    assert len({stem(w) for w in ("cobranca", "cobrar", "cobrado", "cobraram")}) == 1
    assert stem("pagamentos") == stem("pagamento")
    assert stem("comerciais") == stem("comercial")
    assert stem("faturamento") != stem("fatura")
    assert stem("versao") != stem("ver")
    # stems shorter than four letters are too ambiguous: keep the word (minus plural)
    assert (stem("soma"), stem("logo"), stem("mudar")) == ("soma", "logo", "mudar")
    assert stem("contrato") != stem("contratar")


def test_normalizer_replacements_and_stopwords():
    normalizer = Normalizer({"vc": "você", "2a via": "segunda via", "nf": "nota fiscal"}, ["o", "de", "da", "a"])
    assert normalizer.expand("Vc manda a 2ª via da NF?") == ["voce", "manda", "segunda", "via", "nota", "fiscal"]


def test_speller_fixes_one_edit_only():
    speller = Speller(["boleto", "gestao", "dados"], min_length=5)
    assert speller.correct("boelto") == "boleto"     # swapped letters
    assert speller.correct("gestaoo") == "gestao"    # extra letter
    assert speller.correct("dando") is None          # two edits away from "dados"
    assert speller.correct("gesta") is None or speller.correct("gesta") == "gestao"
    assert speller.correct("boleto") is None         # already known
