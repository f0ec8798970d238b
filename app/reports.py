"""The TPR report (tempo de primeira resposta) for the teams' weekly meeting: numbers, table, chart.

Two clocks per ticket (see app.models.Ticket): the bot clock (customer's first message → our greeting,
`bot_clock_ms`) and the human clock (ticket starts waiting → first agent reply, `first_response_seconds`,
business time only when the playbooks define business hours). The knowledge base sets the human target
at 1 minute ("Meta do TPR"); the playbooks (tpr.yaml) may set another one and name the wait classes.

A ticket closed by a transfer before anyone answered (status Transferred, no first response) is not an
attendance of its own: the customer's wait goes on in the ticket the transfer created (the bot's own
hand-over from the opening queue does this for every routed conversation). Such tickets are counted
as `transferred`, not in `tickets` nor in the clocks; their breaches still count, they happened.

Percentiles use the nearest-rank method: the p-th percentile of n sorted values is the value at
1-based rank ceil(p × n / 100). It is always an observed value (no interpolation), so a figure in the
report is a real ticket's wait; it is None when there are no values.
"""
from __future__ import annotations

import textwrap
import unicodedata
from collections import defaultdict
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from app.models import RoutingDecision, Ticket

TIMEZONE = "America/Sao_Paulo"
PERCENTILES = (50, 90, 99)
# The knowledge base's wait-time scale ("Análise Inteligente de Atendimento por I.A"), best first;
# tpr.yaml `wait_classes` may rename them, so the CLI passes the playbooks' names.
WAIT_CLASSES = ("Excelente", "Ok", "Neutro", "Grave", "Gravíssimo")
CLASS_COLORS = ("#2e7d32", "#8bc34a", "#fdd835", "#fb8c00", "#c62828", "#6a1b9a")  # best → worst, by position
NO_TEAM = "(sem equipe)"
NO_INTENT = "(sem decisão)"


def local_zone(name: str = TIMEZONE) -> tzinfo:
    """The teams' time zone; UTC−3 where the system has no tz database (Brazil has no DST since 2019)."""
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=-3), "UTC-03")


def percentile(sorted_values: list, p: int):
    """Nearest-rank p-th percentile of already sorted values; None when empty."""
    if not sorted_values:
        return None
    rank = max(1, -(-p * len(sorted_values) // 100))  # integer ceil: no float surprises (0.9 × 10)
    return sorted_values[rank - 1]


def class_key(value: str) -> str:
    """'Gravíssimo' and 'gravissimo' are the same class: compare without case and accents."""
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().strip().lower()


def tpr_report(session: Session, *, since: datetime, until: datetime, team: str | None = None,
               target_seconds: float = 60, wait_classes=WAIT_CLASSES, tz: str = TIMEZONE) -> dict:
    """TPR figures for tickets created in [since, until): per team, per local day, and in total."""
    query = (select(Ticket.team, Ticket.created_at, Ticket.status, Ticket.bot_clock_ms, Ticket.first_response_seconds,
                    Ticket.wait_class, Ticket.breached_at, Ticket.override, Ticket.id, Ticket.conversation_id,
                    RoutingDecision.intent)
             .outerjoin(RoutingDecision, RoutingDecision.conversation_id == Ticket.conversation_id)
             .where(Ticket.created_at >= since, Ticket.created_at < until)
             .order_by(Ticket.created_at))
    if team is not None:
        query = query.where(Ticket.team == team)
    rows = session.exec(query).all()

    zone, classes = local_zone(tz), tuple(wait_classes)
    per_team, per_day = defaultdict(list), defaultdict(lambda: defaultdict(list))
    for row in rows:
        name = row.team or NO_TEAM
        per_team[name].append(row)
        per_day[name][row.created_at.astimezone(zone).date().isoformat()].append(row)
    stats = lambda found: _stats(found, target_seconds, classes)  # noqa: E731
    teams = {name: {"total": stats(per_team[name]),
                    "days": {day: stats(found) for day, found in sorted(per_day[name].items())}}
             for name in sorted(per_team, key=lambda name: (name == NO_TEAM, name))}
    return {"since": since.astimezone(zone).isoformat(), "until": until.astimezone(zone).isoformat(),
            "timezone": tz, "team": team, "target_seconds": target_seconds, "wait_classes": list(classes),
            "teams": teams, "all": stats(rows), "overrides": _override_rates(rows)}


def _handed_over(row) -> bool:
    return row.status == "Transferred" and row.first_response_seconds is None


def _stats(rows: list, target_seconds: float, wait_classes: tuple) -> dict:
    attended = [row for row in rows if not _handed_over(row)]
    bot = sorted(row.bot_clock_ms for row in attended if row.bot_clock_ms is not None)
    human = sorted(row.first_response_seconds for row in attended if row.first_response_seconds is not None)
    within = sum(seconds <= target_seconds for seconds in human)  # "máximo aceitável": the target itself is ok
    # A ticket still unanswered after the target has missed it too: it counts against the share.
    judged = len(human) + sum(row.breached_at is not None and row.first_response_seconds is None for row in attended)
    names = {class_key(name): name for name in wait_classes}
    classes = dict.fromkeys(wait_classes, 0)
    for row in attended:
        if row.wait_class:  # an unknown name is kept, not dropped, so nothing vanishes from the totals
            name = names.get(class_key(row.wait_class), row.wait_class)
            classes[name] = classes.get(name, 0) + 1
    return {"tickets": len(attended), "transferred": len(rows) - len(attended),
            "bot_ms": {f"p{p}": percentile(bot, p) for p in PERCENTILES},
            "human_s": {f"p{p}": percentile(human, p) for p in PERCENTILES},
            "answered": len(human), "unanswered": len(attended) - len(human),
            "within_target": within, "within_target_of": judged,
            "within_target_share": within / judged if judged else None,
            "wait_classes": classes, "breaches": sum(row.breached_at is not None for row in rows)}


def _override_rates(rows: list) -> dict:
    """Per intent: conversations, their tickets, and how many had a ticket an agent moved (the override flag).

    Counted per conversation, not per ticket: one conversation can hold a chain of tickets (the bot's
    hand-over, the team's ticket, an agent's transfer), and the flag sits on the ticket moved away.
    """
    chains = {}
    for row in rows:
        chain = chains.setdefault(row.conversation_id or f"ticket:{row.id}", [row.intent or NO_INTENT, 0, False])
        chain[1] += 1
        chain[2] |= bool(row.override)
    counts = defaultdict(lambda: [0, 0, 0])
    for intent, tickets, overridden in chains.values():
        counts[intent][0] += 1
        counts[intent][1] += tickets
        counts[intent][2] += overridden
    return {intent: {"conversations": n, "tickets": tickets, "overridden": moved, "rate": moved / n}
            for intent, (n, tickets, moved) in sorted(counts.items())}


def format_tpr(report: dict) -> str:
    """The report as fixed-width tables: clocks per team and day, wait classes, overrides per intent."""
    target = _num(report["target_seconds"])
    width = max([24, *(len(name) + 2 for name in report["teams"])])
    period = f"{report['since'][:16]} → {report['until'][:16]}".replace("T", " ")
    lines = [f"TPR {period} ({report['timezone']}), human target ≤ {target} s"
             + (f", team {report['team']}" if report["team"] else ""), "",
             f"{'':{width}} {'':>7} {'':>11}  {'bot clock (ms)':^20}  {'human clock (s)':^20}",
             f"{'team / day':{width}} {'tickets':>7} {'transferred':>11}  {'p50':>6} {'p90':>6} {'p99':>6}  "
             f"{'p50':>6} {'p90':>6} {'p99':>6}  {'unanswered':>10}  {f'≤ {target} s':>11}  {'breaches':>8}"]
    for name, team in report["teams"].items():
        lines.append(name)
        lines += [_row(f"  {day}", stats, width) for day, stats in team["days"].items()]
        lines.append(_row("  total", team["total"], width))
    lines += [_row("all", report["all"], width), "", "wait class (answered tickets)"]
    classes = list(report["all"]["wait_classes"])
    lines.append(f"{'team':{width}} " + " ".join(f"{name:>10}" for name in classes))
    for name, stats in [*((n, t["total"]) for n, t in report["teams"].items()), ("all", report["all"])]:
        lines.append(f"{name:{width}} " + " ".join(f"{stats['wait_classes'].get(c, 0):>10}" for c in classes))
    lines += ["", "overrides per intent (conversations where an agent moved a ticket away from the bot's team)",
              f"{'intent':{width}} {'conversations':>13} {'tickets':>7} {'overridden':>10} {'rate':>6}"]
    lines += [f"{intent:{width}} {o['conversations']:>13} {o['tickets']:>7} {o['overridden']:>10} {o['rate']:>6.0%}"
              for intent, o in report["overrides"].items()] or ["(no tickets)"]
    return "\n".join(lines)


def _row(label: str, stats: dict, width: int) -> str:
    bot, human = stats["bot_ms"], stats["human_s"]
    share = stats["within_target_share"]
    within = "-" if share is None else f"{share:.0%} ({stats['within_target']}/{stats['within_target_of']})"
    return (f"{label:{width}} {stats['tickets']:>7} {stats['transferred']:>11}  "
            + " ".join(f"{_num(bot[p]):>6}" for p in bot) + "  " + " ".join(f"{_num(human[p]):>6}" for p in human)
            + f"  {stats['unanswered']:>10}  {within:>11}  {stats['breaches']:>8}")


def _num(value) -> str:
    """Whole numbers without decimals, others with one; '-' for no data."""
    if value is None:
        return "-"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def render_tpr_png(report: dict, path) -> None:
    """Draw the report for the weekly meeting: human p50/p90 per day, wait classes, share within target."""
    # Imported here: matplotlib costs ~0.4 s, and every gunicorn/RQ worker boot would pay it otherwise.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Figure + Agg canvas, never pyplot: no display, no global state shared between threads.
    figure = Figure(figsize=(11, 13), layout="constrained")
    FigureCanvasAgg(figure)
    period = f"{report['since'][8:10]}/{report['since'][5:7]} a {report['until'][8:10]}/{report['until'][5:7]}"
    figure.suptitle(f"TPR — primeira resposta humana ({period})", fontsize=15)
    first, classes, share = figure.subplots(3, 1)
    _draw_days(first, report)
    _draw_classes(classes, report)
    _draw_share(share, report)
    figure.savefig(path, format="png", dpi=100)


def _draw_days(ax, report: dict) -> None:
    ax.set_title("Primeira resposta por dia: p50 (linha cheia) e p90 (tracejada)")
    days = sorted({day for team in report["teams"].values() for day in team["days"]})
    drawn = False
    for index, (name, team) in enumerate(_attended(report).items()):
        for p, style in (("p50", "-"), ("p90", "--")):
            values = [team["days"].get(day, {}).get("human_s", {}).get(p) for day in days]
            points = [(x, v) for x, v in enumerate(values) if v is not None]
            if points:
                drawn = True
                ax.plot(*zip(*points), style, marker="o", color=f"C{index}", label=f"{name} {p}")
    if not drawn:
        _no_data(ax)
        return
    ax.axhline(report["target_seconds"], color="red", linestyle=":", label=f"meta {_num(report['target_seconds'])} s")
    ax.set_xticks(range(len(days)), [f"{day[8:10]}/{day[5:7]}" for day in days])
    ax.set_ylabel("segundos")
    ax.legend(fontsize=8, ncols=2)


def _draw_classes(ax, report: dict) -> None:
    ax.set_title("Tempo de espera por classe (tickets respondidos)")
    names = list(_attended(report))
    if not names or not any(report["all"]["wait_classes"].values()):
        _no_data(ax)
        return
    bottom = [0] * len(names)
    for index, key in enumerate(report["all"]["wait_classes"]):  # configured classes first, best to worst
        counts = [report["teams"][name]["total"]["wait_classes"].get(key, 0) for name in names]
        known = index < min(len(report["wait_classes"]), len(CLASS_COLORS))
        ax.bar(_labels(names), counts, bottom=bottom, color=CLASS_COLORS[index] if known else "#9e9e9e", label=key)
        bottom = [b + c for b, c in zip(bottom, counts)]
    ax.set_ylabel("tickets")
    ax.legend(fontsize=8)


def _draw_share(ax, report: dict) -> None:
    ax.set_title(f"Atendidos dentro da meta ({_num(report['target_seconds'])} s)")
    teams = [(name, t["total"]) for name, t in report["teams"].items() if t["total"]["answered"]]
    if not teams:
        _no_data(ax)
        return
    bars = ax.bar(_labels([name for name, _ in teams]), [100 * s["within_target_share"] for _, s in teams],
                  color="#1565c0")
    ax.bar_label(bars, [f"{s['within_target_share']:.0%} de {s['within_target_of']}" for _, s in teams])
    ax.set_ylim(0, 110)
    ax.set_ylabel("% no prazo (respondidos + já estourados)")


def _attended(report: dict) -> dict:
    """Teams with attendances of their own (not only tickets handed over), in report order."""
    return {name: team for name, team in report["teams"].items() if team["total"]["tickets"]}


def _labels(names: list) -> list:
    return [textwrap.fill(name, 18) for name in names]


def _no_data(ax) -> None:
    ax.text(0.5, 0.5, "sem dados", ha="center", va="center", fontsize=14, color="gray", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])
