"""Admin commands for the playbooks: `playbooks check`, `route "texto" [--adm CODE]`, `route --eval FILE`."""
from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

import playbooks
from app import replay
from app.models import Customer
from app.store import session_scope
from handlers.routing import customer_facts

playbooks_cli = AppGroup("playbooks", help="Admin-edited routing playbooks (YAML).")


def _directory():
    return current_app.extensions["runtime"].settings.playbooks_dir


def _load() -> playbooks.Playbooks:
    try:
        return playbooks.load_playbooks(_directory())
    except playbooks.PlaybookError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


@playbooks_cli.command("check")
def check():
    """Validate the playbook files; exit 1 listing file:line: field: problem."""
    books = _load()
    click.echo(f"ok: {len(books.playbooks)} playbooks in {_directory()}, version {books.version}")


@click.command("route")
@with_appcontext
@click.argument("text", required=False)
@click.option("--adm", help="Decide as for this customer (ADM code in the store).")
@click.option("--eval", "eval_file", type=click.Path(exists=True, dir_okay=False),
              help="JSON lines with `text` and `label`: print accuracy, precision/recall, confusion.")
@click.option("--replay", "replay_", is_flag=True, help="Re-run the current playbooks over stored conversations.")
@click.option("--since", default="30d", show_default=True, help="With --replay: how far back (30d, 12h, 90m).")
@click.option("--json", "as_json", is_flag=True, help="With --eval or --replay: print one JSON object.")
def route(text, adm, eval_file, replay_, since, as_json):
    """Dry run the router: the decision for TEXT as JSON, --eval a labelled file, or --replay the store."""
    if sum(map(bool, (text, eval_file, replay_))) != 1:
        raise click.UsageError('give one of: "texto da mensagem", --eval FILE.jsonl, --replay [--since 30d]')
    books = _load()
    if replay_:
        rt = current_app.extensions["runtime"]
        try:
            start = replay.parse_since(since, rt.clock())
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        with session_scope(rt.engine) as session:
            result = replay.replay(session, books, start)
        click.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else replay.format_replay(result))
        return
    if eval_file:
        try:
            result = playbooks.evaluate(books, playbooks.read_jsonl(eval_file))
        except ValueError as exc:  # bad line: say which
            raise click.ClickException(f"{eval_file}: {exc}") from None
        click.echo(json.dumps(result, ensure_ascii=False, indent=2) if as_json else playbooks.format_report(result))
        return
    facts = None
    if adm:
        with session_scope(current_app.extensions["runtime"].engine) as session:
            customer = session.get(Customer, adm)
            if customer is None:
                raise click.ClickException(f"no customer with ADM {adm} in the store")
            facts = customer_facts(customer)
    decision = playbooks.decide(books, facts, text)
    click.echo(json.dumps(decision.to_dict(), ensure_ascii=False, indent=2))
