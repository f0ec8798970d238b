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
    # first-person plural and personal infinitive verbs meet their infinitive
    assert stem("contratamos") == stem("contratar") == stem("contratarem")
    assert stem("emitimos") == stem("emitir")
    assert stem("montarem") == stem("montar")
    assert stem("renovamos") == stem("renovar")
    # short roots become the infinitive when the ending says it is a verb
    assert stem("paguei") == stem("pagando") == stem("pagamos") == stem("pagar")
    assert stem("criarem") == stem("criar") and stem("rodou") == stem("rodaram")
    assert stem("mudo") != stem("mudou") and stem("soma") != stem("som")


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


def test_speller_leaves_real_words_alone():
    speller = Speller(["centro", "banco", "mudo", "pagar", "multa", "aberto", "conta", "recusado",
                       "financeiro", "tocando", "disco"], min_length=5)
    # one edit away from a keyword, but real words the customer meant
    for word in ("dentro", "branco", "mudou", "pegar", "muita", "acerto", "monta", "disso"):
        assert speller.correct(word) is None, word
    # slips of the finger or of the ear are still repaired
    assert speller.correct("recusadu") == "recusado"     # final o written as it sounds
    assert speller.correct("financeira") == "financeiro"  # other gender
    assert speller.correct("tocano") == "tocando"        # a letter left out
    assert speller.correct("bancp") == "banco"           # neighbouring key
    assert speller.correct("bancoo") == "banco"          # doubled letter
