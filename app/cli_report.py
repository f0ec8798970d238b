"""Reports from the store: `flask --app wsgi report tpr [--since 7d] [--team NAME] [--png FILE]`."""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from app import reports
from app.replay import parse_since
from app.store import session_scope


report_cli = AppGroup("report", help="Reports from the dashboard store.")


def tpr_options(rt) -> dict:
    """Target, wait-class names and time zone from tpr.yaml."""
    policy = rt.playbooks.current().tpr
    return {"target_seconds": policy.target_seconds, "wait_classes": [c.name for c in policy.wait_classes],
            "tz": policy.business_hours.timezone}


@report_cli.command("tpr")
@click.option("--since", default="7d", show_default=True, help="How far back, by ticket creation (7d, 12h, 90m).")
@click.option("--team", help="Only this team, as stored (e.g. Suporte).")
@click.option("--png", type=click.Path(dir_okay=False), help="Also draw the chart for the weekly meeting to FILE.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object instead of tables.")
def tpr(since, team, png, as_json):
    """First response times (bot and human clocks) per team and day, wait classes, overrides per intent."""
    rt = current_app.extensions["runtime"]
    now = rt.clock()
    try:
        start = parse_since(since, now)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    with session_scope(rt.engine) as session:
        report = reports.tpr_report(session, since=start, until=now, team=team, **tpr_options(rt))
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else reports.format_tpr(report))
    if png:
        try:
            reports.render_tpr_png(report, png)
        except OSError as exc:
            raise click.ClickException(f"cannot write {png}: {exc.strerror or exc}") from None
        click.echo(f"chart written to {png}", err=as_json)  # keep stdout pure JSON
