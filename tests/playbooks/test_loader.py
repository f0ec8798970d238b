"""Loading: every mistake an admin can make names the file, the line and the field."""

from __future__ import annotations

import pytest

from playbooks import Issue, PlaybookError, load_playbooks
from tests.playbooks.conftest import edit, line_of


def load_error(directory) -> PlaybookError:
    with pytest.raises(PlaybookError) as caught:
        load_playbooks(directory)
    return caught.value


def only_issue(directory) -> Issue:
    error = load_error(directory)
    assert len(error.issues) == 1, str(error)
    return error.issues[0]


def test_shipped_playbooks_load(books):
    assert books.intents == ("comercial", "financeiro", "suporte", "systemtec")
    assert books.settings.default_team == "Suporte"
    assert len(books.version) == 12


def test_unknown_key(workdir):
    path = workdir / "comercial.yaml"
    edit(path, "mode: auto\n", "mode: auto\nmodo: auto\n")
    issue = only_issue(workdir)
    assert issue == Issue("comercial.yaml", line_of(path, "modo:"), "modo", "Extra inputs are not permitted")


def test_wrong_mode_in_matrix_reads_like_the_docs(workdir):
    path = workdir / "semaforo.yaml"
    edit(path, "  vermelho:\n", "  vermelho:\n    comercial: { team: Suporte, mode: talvez }\n")
    line = line_of(path, "mode: talvez")
    assert str(load_error(workdir)) == (
        f"semaforo.yaml:{line}: matrix.vermelho.comercial.mode: Input should be 'auto' or 'suggest'")


def test_wrong_type(workdir):
    path = workdir / "geral.yaml"
    edit(path, "conversation_idle_hours: 12", "conversation_idle_hours: doze")
    issue = only_issue(workdir)
    assert (issue.file, issue.line, issue.field) == ("geral.yaml", line_of(path, "doze"), "conversation_idle_hours")
    assert "valid number" in issue.message


def test_wrong_keyword_weight_points_at_the_keyword(workdir):
    path = workdir / "financeiro.yaml"
    edit(path, "      estorno: 5\n", "      estorno: muito\n")
    issue = only_issue(workdir)
    assert (issue.line, issue.field) == (line_of(path, "estorno: muito"), "cases.4.keywords.estorno")


def test_undefined_team(workdir):
    path = workdir / "semaforo.yaml"
    edit(path, "      team: Suporte\n      mode: auto\n", "      team: Suporte Nivel 2\n      mode: auto\n")
    issue = only_issue(workdir)
    assert issue.file == "semaforo.yaml"
    assert issue.line == line_of(path, "Suporte Nivel 2")
    assert issue.field == "matrix.amarelo.default.team"
    assert "'Suporte Nivel 2'" in issue.message


def test_duplicate_playbook_id(workdir):
    path = workdir / "financeiro.yaml"
    edit(path, "id: financeiro\n", "id: comercial\n")
    issues = load_error(workdir).issues
    assert Issue("financeiro.yaml", line_of(path, "id: comercial"), "id", "duplicate playbook id 'comercial'") in issues


def test_duplicate_case_id_across_files(workdir):
    path = workdir / "financeiro.yaml"
    edit(path, "  - id: segunda_via\n", "  - id: novos_produtos\n")
    issue = only_issue(workdir)
    assert (issue.file, issue.line, issue.field) == ("financeiro.yaml", line_of(path, "id: novos_produtos"), "cases.3.id")
    assert "also in playbook 'comercial'" in issue.message


def test_yaml_syntax_error(workdir):
    path = workdir / "suporte.yaml"
    edit(path, "mode: auto\n", "mode: auto\n  notice: indentado demais\n")
    issue = only_issue(workdir)
    assert issue == Issue("suporte.yaml", line_of(path, "indentado demais"), "",
                          "YAML syntax error: mapping values are not allowed here")


def test_missing_field(workdir):
    edit(workdir / "comercial.yaml", "team: Transferir para o comercial\n", "")
    issues = load_error(workdir).issues
    assert Issue("comercial.yaml", 1, "team", "Field required") in issues


def test_duplicate_yaml_key(workdir):
    path = workdir / "geral.yaml"
    edit(path, "default_team: Suporte\n", "default_team: Suporte\ndefault_team: Suporte\n")
    issue = only_issue(workdir)
    assert (issue.line, issue.field, issue.message) == (line_of(path, "default_team") + 1, "default_team", "duplicate key")


def test_greeting_placeholders_limited_to_nome(workdir):
    path = workdir / "geral.yaml"
    edit(path, "Olá, {nome}!", "Olá, {cliente}!")
    issue = only_issue(workdir)
    assert (issue.line, issue.field) == (line_of(path, "with_name:"), "greeting.with_name")
    assert "{cliente}" in issue.message and "{nome}" in issue.message


def test_matrix_row_must_cover_every_intent(workdir):
    path = workdir / "semaforo.yaml"
    edit(path, "    default: { follow_intent: true }\n", "    systemtec: { follow_intent: true }\n")
    issue = only_issue(workdir)
    assert (issue.file, issue.line, issue.field) == ("semaforo.yaml", line_of(path, "  verde:"), "matrix.verde")
    assert "comercial, financeiro, suporte, incerto" in issue.message


def test_unknown_intent_in_matrix(workdir):
    path = workdir / "semaforo.yaml"
    edit(path, "    comercial: { follow_intent: true }\n", "    comercail: { follow_intent: true }\n")
    issue = only_issue(workdir)
    assert (issue.line, issue.field) == (line_of(path, "comercail"), "matrix.desconhecido.comercail")


def test_cell_needs_exactly_one_target(workdir):
    path = workdir / "semaforo.yaml"
    edit(path, "    default: { follow_intent: true }\n", "    default: { follow_intent: true, team: Suporte }\n")
    issue = only_issue(workdir)
    assert issue.field == "matrix.verde.default"
    assert "not both" in issue.message


def test_auto_transfer_needs_a_notice(workdir):
    path = workdir / "comercial.yaml"
    text = path.read_text(encoding="utf-8")
    start, end = text.index("notice: >-"), text.index("cases:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    issue = only_issue(workdir)
    assert (issue.file, issue.field) == ("comercial.yaml", "notice")


def test_keyword_made_only_of_stopwords(workdir):
    path = workdir / "suporte.yaml"
    edit(path, "      studio: 1.5\n", "      studio: 1.5\n      de: 1\n")
    issue = only_issue(workdir)
    assert (issue.line, issue.field) == (line_of(path, "de: 1"), "cases.0.keywords.de")


def test_missing_required_file(workdir):
    (workdir / "geral.yaml").unlink()
    assert str(load_error(workdir)) == "geral.yaml: file is missing"


def test_all_problems_are_reported_at_once(workdir):
    edit(workdir / "comercial.yaml", "mode: auto\n", "mode: manual\n")
    edit(workdir / "geral.yaml", "default_team: Suporte\n", "default_team: 7\n")
    error = load_error(workdir)
    assert {issue.file for issue in error.issues} == {"comercial.yaml", "geral.yaml"}
    assert len(str(error).splitlines()) == len(error.issues)
