"""Command line: `flask --app wsgi <group> <command>` (see README)."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlmodel import select

from app import customers, jobs
from app.models import BlipCall, DeadLetter, InboxEvent, utcnow
from app.store import session_scope, upgrade
from handlers import outbox, routing


def _rt():
    return current_app.extensions["runtime"]


db = AppGroup("db", help="Dashboard store schema.")
customers_cli = AppGroup("customers", help="Customers and their traffic-light facts.")
dead_letters = AppGroup("dead-letters", help="Events and Blip calls that failed for good.")


@db.command("upgrade")
def db_upgrade():
    """Apply the schema migrations (safe to run repeatedly)."""
    upgrade(_rt().settings.database_url)
    click.echo("database schema is up to date")


@customers_cli.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def customers_import(file):
    """Upsert customers from FILE.csv; bad rows are listed with their line number."""
    with session_scope(_rt().engine) as session:
        report = customers.import_csv(session, file)
    for error in report.errors:
        click.echo(f"{file.name}: {error}", err=True)
    click.echo(f"{report.created} created, {report.updated} updated, {len(report.errors)} rejected")
    if report.errors:
        sys.exit(1)


@dead_letters.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include dead letters already retried or resolved.")
def dead_letters_list(show_all):
    """Show dead letters (open ones by default)."""
    with session_scope(_rt().engine) as session:
        query = select(DeadLetter).order_by(DeadLetter.id)
        if not show_all:
            query = query.where(DeadLetter.status == "open")
        rows = session.exec(query).all()
    if not rows:
        click.echo("no dead letters")
        return
    click.echo(f"{'ID':>5}  {'CREATED (UTC)':19}  {'STATUS':8}  {'SOURCE':9}  SUMMARY / ERROR")
    for row in rows:
        click.echo(f"{row.id:>5}  {row.created_at:%Y-%m-%d %H:%M:%S}  {row.status:8}  {row.source:9}  "
                   f"{row.summary}\n{'':>49}{row.error}")


@dead_letters.command("retry")
@click.argument("dead_letter_id", required=False, type=int)
@click.option("--all", "retry_all", is_flag=True, help="Retry every open dead letter.")
def dead_letters_retry(dead_letter_id, retry_all):
    """Replay one dead letter (by ID) or all open ones, now, in this process."""
    if bool(dead_letter_id) == retry_all:
        raise click.UsageError("give either a dead letter ID or --all")
    rt = _rt()
    with session_scope(rt.engine) as session:
        query = select(DeadLetter.id).where(DeadLetter.status == "open")
        ids = session.exec(query if retry_all else query.where(DeadLetter.id == dead_letter_id)).all()
    if not ids:
        raise click.ClickException(f"no open dead letter {dead_letter_id}" if dead_letter_id else "no open dead letters")
    failed = sum(not _retry(rt, letter_id) for letter_id in ids)
    click.echo(f"{len(ids) - failed} succeeded, {failed} failed again")
    if failed:
        sys.exit(1)


def _retry(rt, letter_id: int) -> bool:
    with session_scope(rt.engine) as session:
        letter = session.get(DeadLetter, letter_id)
        letter.status, letter.retried_at = "retried", utcnow()
        source, ref_id = letter.source, letter.ref_id
        if source == "blip_call":
            call = session.get(BlipCall, ref_id)
            call.status = "pending"
            ok = outbox.execute(session, rt.blip, call)
            if ok and call.purpose == "handoff":  # carry on with the steps after this one
                decision = routing.resume(jobs.context_for(rt, session), call.conversation_id)
                ok = decision is not None and decision.handoff_status == "done"
        else:
            event = session.get(InboxEvent, ref_id)
            event.status, event.attempts, event.due_at = "pending", 0, utcnow()
    if source == "event":
        ok = jobs.run_event(rt, ref_id) == "done"
    if ok:
        with session_scope(rt.engine) as session:
            session.get(DeadLetter, letter_id).status = "resolved"
    click.echo(f"dead letter {letter_id} ({source} {ref_id}): {'ok' if ok else 'failed again'}")
    return ok


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Exit when the queue is empty (tests, one-off drains).")
def worker(burst):
    """Run an RQ worker on REDIS_URL, plus the sweeper that re-enqueues due events."""
    from app.worker import run

    run(_rt(), burst=burst)


def register(app: Flask) -> None:
    """Attach the command groups to the app's CLI."""
    from app.cli_report import report_cli
    from app.cli_routing import playbooks_cli, route

    for command in (db, customers_cli, dead_letters, worker, playbooks_cli, route, report_cli):
        app.cli.add_command(command)
