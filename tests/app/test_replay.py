"""`route --replay`: the effect of a playbook edit on the conversations already in the store."""
from __future__ import annotations

import json

from tests.app.conftest import copy_playbooks
from tests.app.test_routing import GREEN, STUDIO_TEXT, SYSTEMTEC_TEXT, UNKNOWN, YELLOW, route_on


def _replay(service, *args):
    result = service.app.test_cli_runner().invoke(args=["route", "--replay", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_replay_shows_per_queue_how_many_decisions_an_edit_would_change(service_factory, tmp_path):
    books = copy_playbooks(tmp_path / "books")
    service = service_factory(playbooks_dir=str(books))
    send = route_on(service)
    send(GREEN, SYSTEMTEC_TEXT)
    send(YELLOW, STUDIO_TEXT)
    send(UNKNOWN, "quero contratar o site para a rádio, qual o preço?")

    unchanged = json.loads(_replay(service, "--since", "1d", "--json"))
    assert (unchanged["decisions"], unchanged["changed"]) == (3, 0)

    edited = (books / "systemtec.yaml").read_text(encoding="utf-8").replace("mode: auto", "mode: suggest")
    (books / "systemtec.yaml").write_text(edited, encoding="utf-8")
    result = json.loads(_replay(service, "--since", "1d", "--json"))
    assert result["changed"] == 1
    assert result["per_team"]["Quero falar com a SystemTec"] == {"decisions": 1, "changed": 1}
    assert result["per_team"]["Suporte"] == {"decisions": 1, "changed": 0}
    [change] = result["changes"]
    assert (change["from_team"], change["to_team"], change["to_mode"]) == (
        "Quero falar com a SystemTec", "Suporte", "suggest")
    assert change["examples"][0]["text"] == SYSTEMTEC_TEXT[:160]

    table = _replay(service, "--since", "30d")
    assert "would change: 1" in table
    assert "Quero falar com a SystemTec (systemtec, auto) → Suporte (systemtec, suggest):" in table
    assert json.loads(_replay(service, "--since", "10m", "--json"))["decisions"] == 3


def test_replay_rejects_a_malformed_window(service):
    result = service.app.test_cli_runner().invoke(args=["route", "--replay", "--since", "a month"])
    assert result.exit_code == 2 and "use a number followed by d, h or m" in result.output
