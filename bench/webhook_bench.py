#!/usr/bin/env python
"""Benchmark of the webhook service: acknowledgement throughput/latency and greeting latency.

    .venv/bin/python bench/webhook_bench.py [--duration 20] [--runs 3] [--rate 200]

Each run builds a fresh stack (PostgreSQL database, Redis db, fake Blip, gunicorn + RQ workers as
in the Procfile, and the bare Flask baseline of bench/bare_app.py under the same gunicorn settings),
measures, checks that every acknowledged event was stored, and tears everything down. The median
of every figure across runs is printed with the per-run values, and written as JSON to
bench/results/latest.json. See bench/README.md for what each figure means.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
# Where the service's code runs from: by default a snapshot of the work tree taken at start (see
# snapshot_code), so that an edit made while the benchmark runs cannot reach gunicorn workers that
# restart (--max-requests) or the next run's processes. main() points this at the snapshot.
CODE = ROOT

PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
API_KEY = "Key YmVuY2hib3Q6YmVuY2gtc2VjcmV0"
SECRET_HEADER = "X-Webhook-Secret"
BOT = "ondasoftsuporte@msging.net"
CONTENTS = [
    "Oi, bom dia! A vinheta das 14h não tocou na Rádio Vale do Sol.",
    "Olá, preciso de ajuda com a programação comercial de amanhã.",
    "Boa tarde, o módulo de comerciais não inseriu os spots.",
    "Oi! O sistema travou na hora do noticiário, podem ajudar?",
]
# Procfile: web: gunicorn wsgi:app --worker-class gthread --workers ${WEB_CONCURRENCY:-2} --threads 8
#           --bind 0.0.0.0:${PORT:-8000} --access-logfile - --max-requests 5000 --max-requests-jitter 500
# The benchmark keeps everything but the access log (off, so logging does not dominate) and binds loopback.
PROCFILE_EXTRA = ["--max-requests", "5000", "--max-requests-jitter", "500"]  # --max-requests N changes it
# gunicorn 27 opens a control socket at ~/.gunicorn/gunicorn.ctl by default; the two servers of the
# benchmark (service and bare) would fight over that one path, so neither opens it.
NO_CONTROL_SOCKET = ["--no-control-socket"]
TARGETS = {"ack_p99_ms": 25.0, "throughput_ratio": 0.40, "greeting_p99_ms": 500.0}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------------------------
# statistics


def percentile(values, q: float):
    """Linear-interpolated percentile (q in 0..100) of a non-empty sequence; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median_or_none(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# --------------------------------------------------------------------------------------------
# CPU accounting from /proc (who used the two cores during a phase)

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_table() -> dict[int, tuple[int, str, int]]:
    """pid → (ppid, comm, utime+stime+cutime+cstime in ticks) for every live process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                raw = handle.read().decode(errors="replace")
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        table[int(entry)] = (int(fields[1]), comm, sum(int(fields[i]) for i in (11, 12, 13, 14)))
    return table


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().decode(errors="replace").replace("\0", " ").split()
    except OSError:
        return []


def _machine_busy() -> tuple[int, int]:
    with open("/proc/stat") as handle:
        parts = [int(x) for x in handle.readline().split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


FOREIGN = ("other-processes", "postgres-other-db")


class CpuMeter:
    """CPU time per group of processes between two snapshots (read-only look at /proc).

    Groups: each process tree we started (by name), PostgreSQL split into the backends of the
    benchmark's database / the shared processes (postmaster, WAL writer, ...) / other databases'
    backends, Redis, kernel threads, and every other process of the machine. The last one and other
    databases' backends are *foreign* load: anything there means the figures are disturbed.
    Children reaped within the window are counted through their parent's cutime, so groups are
    summed, not processes.
    """

    def __init__(self, groups: dict[str, list[int]], db_name: str = ""):
        self.roots = {pid: name for name, pids in groups.items() for pid in pids}
        self.db_name = db_name

    def _group(self, pid: int, table, memo) -> str | None:
        """The group of the tree we started that pid belongs to, else its own classification."""
        chain, current, found = [], pid, ""
        while current in table:
            if current in memo:
                found = memo[current]
                break
            chain.append(current)
            if current in self.roots:
                found = self.roots[current]
                break
            current = table[current][0]
        for member in chain:
            memo[member] = found
        return found or self._classify(pid, table)

    def _classify(self, pid: int, table) -> str | None:
        ppid, comm, _ = table[pid]
        if pid == os.getpid():
            return None  # counted from os.times()
        if comm == "postgres":
            words = _cmdline(pid)
            if self.db_name and self.db_name in words:
                return "postgres"
            backend = len(words) >= 5 and (words[4].startswith(("127.", "[local]", "::1", "localhost")))
            return "postgres-other-db" if backend else "postgres-shared"
        if comm == "redis-server":
            return "redis"
        if pid == 2 or ppid == 2:
            return "kernel-threads"
        return "other-processes"

    def snapshot(self) -> dict:
        table = _proc_table()
        memo: dict[int, str | None] = {}
        totals: dict[str, int] = {}
        for pid, (_, _, ticks) in table.items():
            group = self._group(pid, table, memo)
            if group is not None:
                totals[group] = totals.get(group, 0) + ticks
        own = os.times()
        totals["bench-process"] = int((own.user + own.system) * CLK_TCK)
        totals["_children_reaped"] = int((own.children_user + own.children_system) * CLK_TCK)
        busy, total = _machine_busy()
        return {"t": time.monotonic(), "ticks": totals, "busy": busy, "total": total}

    @staticmethod
    def delta(before: dict, after: dict, *, reaped_as: str | None = None) -> dict:
        """CPU used between two snapshots, in % of one core (the machine has os.cpu_count())."""
        wall = after["t"] - before["t"]
        if wall <= 0:
            return {}
        shares = {}
        for name in set(after["ticks"]) | set(before["ticks"]):
            if name.startswith("_"):
                continue
            used = after["ticks"].get(name, 0) - before["ticks"].get(name, 0)
            shares[name] = round(max(0.0, 100.0 * used / CLK_TCK / wall), 1)
        if reaped_as:  # a child we ran to completion in the window (wrk)
            reaped = after["ticks"]["_children_reaped"] - before["ticks"]["_children_reaped"]
            shares[reaped_as] = round(100.0 * reaped / CLK_TCK / wall, 1)
        span = after["total"] - before["total"]
        shares["machine_busy_pct_of_all_cores"] = round(100.0 * (after["busy"] - before["busy"]) / span, 1) if span else None
        shares["foreign"] = round(sum(shares.get(name, 0.0) for name in FOREIGN), 1)
        return shares


class WorkerBalance:
    """How evenly a gunicorn master's workers share the work: every `interval` seconds, the share of
    the workers' CPU used by the busiest one (0.5 = even with 2 workers, 1.0 = one does it all).

    With keep-alive clients a connection stays on the worker that accepted it; when a worker is
    recycled (--max-requests) its clients reconnect to the survivor, so one worker can end up
    serving everything while the other idles. This makes that visible.
    """

    def __init__(self, master_pid: int, interval: float = 0.5):
        self.master_pid, self.interval = master_pid, interval
        self.shares: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-balance", daemon=True)

    def _workers(self) -> dict[int, int]:
        ticks = {}
        try:
            with open(f"/proc/{self.master_pid}/task/{self.master_pid}/children") as handle:
                pids = [int(x) for x in handle.read().split()]
        except OSError:
            return ticks
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat", "rb") as handle:
                    fields = handle.read().decode(errors="replace").rsplit(")", 1)[1].split()
                ticks[pid] = int(fields[11]) + int(fields[12])
            except (OSError, IndexError):
                continue
        return ticks

    def _run(self) -> None:
        previous = self._workers()
        while not self._stop.wait(self.interval):
            current = self._workers()
            used = [current[pid] - previous[pid] for pid in current if pid in previous]
            previous = current
            total = sum(used)
            if total >= 0.2 * self.interval * CLK_TCK:  # ignore idle moments
                self.shares.append(max(used) / total)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict:
        if not self.shares:
            return {"samples": 0}
        return {"samples": len(self.shares), "busiest_share_mean": round(statistics.fmean(self.shares), 3),
                "single_worker_fraction": round(sum(1 for x in self.shares if x > 0.9) / len(self.shares), 3)}


# --------------------------------------------------------------------------------------------
# process management


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log_path: Path
    args: list


class Processes:
    """Every process the benchmark starts; each in its own session so Ctrl-C reaches only us."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.items: list[Proc] = []

    def start(self, name: str, args: list, *, env: dict, cwd: Path | None = None) -> Proc:
        log_path = self.log_dir / f"{name}.log"
        handle = open(log_path, "ab")
        popen = subprocess.Popen([str(a) for a in args], cwd=cwd or CODE, env=env, stdin=subprocess.DEVNULL,
                                 stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        handle.close()
        proc = Proc(name, popen, log_path, [str(a) for a in args])
        self.items.append(proc)
        return proc

    def check_alive(self) -> None:
        for proc in self.items:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited with code {proc.popen.returncode}; "
                                   f"last log lines:\n{tail(proc.log_path)}")

    def signal_all(self, signum, names=None) -> None:
        for proc in self.items:
            if (names is None or proc.name in names) and proc.popen.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(proc.popen.pid, signum)

    def stop_all(self) -> None:
        """SIGCONT (a frozen worker cannot exit), SIGTERM each process group, then SIGKILL stragglers.
        The fake Blip goes last, so a worker finishing its job does not log a refused connection."""
        last = [p for p in self.items if p.name == "fake-blip"]
        for group in ([p for p in self.items if p not in last], last):
            names = {p.name for p in group}
            self.signal_all(signal.SIGCONT, names)
            self.signal_all(signal.SIGTERM, names)
            deadline = time.monotonic() + 10
            for proc in group:
                with suppress(subprocess.TimeoutExpired):
                    proc.popen.wait(max(0.1, deadline - time.monotonic()))
            for proc in group:
                with suppress(ProcessLookupError):  # the group may still hold children (gunicorn workers)
                    os.killpg(proc.popen.pid, signal.SIGKILL)
                with suppress(subprocess.TimeoutExpired):
                    proc.popen.wait(5)
        self.items.clear()


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_http(url: str, *, timeout: float, procs: Processes, expect=200) -> None:
    import requests

    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        procs.check_alive()
        try:
            response = requests.get(url, timeout=2)
            if response.status_code == expect:
                return
            last = f"{response.status_code} {response.text[:300]}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout}s (last: {last})")


def wait_log(path: Path, needle: str, count: int, *, timeout: float, procs: Processes) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs.check_alive()
        if path.exists() and path.read_text(errors="replace").count(needle) >= count:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{path.name}: fewer than {count} × {needle!r} after {timeout}s\n{tail(path)}")


def count_in_log(path: Path, needle: str) -> int:
    try:
        return path.read_text(errors="replace").count(needle)
    except OSError:
        return 0


# --------------------------------------------------------------------------------------------
# envelopes


def envelope(message_id: str, number: int) -> dict:
    return {"id": message_id, "from": f"55119{number:08d}@wa.gw.msging.net", "to": BOT,
            "type": "text/plain", "content": CONTENTS[number % len(CONTENTS)]}


class Numbers:
    """Sender numbers for the Python generator, unique within a run (wrk uses 10_000_000 and up)."""

    def __init__(self):
        self.next = 1

    def take(self) -> int:
        self.next += 1
        return self.next - 1


def http_request(port: int, body: bytes, secret: str) -> bytes:
    return (f"POST /blip/messages HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{SECRET_HEADER}: {secret}\r\n\r\n").encode() + body


# --------------------------------------------------------------------------------------------
# Python load generator: keep-alive HTTP/1.1 over asyncio streams


class _Conn:
    __slots__ = ("reader", "writer", "last_used")

    def __init__(self, reader, writer):
        self.reader, self.writer, self.last_used = reader, writer, time.monotonic()

    def close(self):
        with suppress(Exception):
            self.writer.close()


class ConnPool:
    """LIFO pool of keep-alive connections; a connection idle longer than max_idle is not reused
    (gunicorn closes idle keep-alive connections after 2 s, and a POST must never race that)."""

    def __init__(self, port: int, max_idle: float = 1.0):
        self.port, self.max_idle = port, max_idle
        self.idle: list[_Conn] = []
        self.opened = 0

    async def acquire(self) -> _Conn:
        now = time.monotonic()
        while self.idle:
            conn = self.idle.pop()
            if now - conn.last_used < self.max_idle and not conn.reader.at_eof():
                return conn
            conn.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.opened += 1
        return _Conn(reader, writer)

    def release(self, conn: _Conn) -> None:
        conn.last_used = time.monotonic()
        self.idle.append(conn)

    def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


async def read_response(reader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, close = None, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
        elif name == b"transfer-encoding":
            raise RuntimeError("chunked responses are not supported by the bench client")
    if length is None:
        await reader.read()
        close = True
    elif length:
        await reader.readexactly(length)
    return status, close


@dataclass
class Sample:
    meta: object
    scheduled: float  # loop clock
    sent_wall: float | None = None  # time.time() just before the request was written
    dispatch_lag: float | None = None  # sent - scheduled (seconds)
    latency: float | None = None  # response complete - scheduled (seconds): no coordinated omission
    status: int | None = None
    error: str | None = None


async def _send(pool: ConnPool, payload: bytes, sample: Sample, loop, timeout: float) -> None:
    conn = None
    try:
        conn = await pool.acquire()
        sample.sent_wall = time.time()
        sample.dispatch_lag = loop.time() - sample.scheduled
        conn.writer.write(payload)
        status, close = await asyncio.wait_for(read_response(conn.reader), timeout)
        sample.latency = loop.time() - sample.scheduled
        sample.status = status
        if close:
            conn.close()
        else:
            pool.release(conn)
    except Exception as exc:  # recorded per request; the run goes on
        sample.error = f"{type(exc).__name__}: {exc}"[:200]
        sample.latency = loop.time() - sample.scheduled
        if conn is not None:
            conn.close()


async def open_loop(port: int, rate: float, duration: float, make, *, max_inflight=512, timeout=30.0):
    """Send round(rate × duration) requests on a fixed schedule (request i at start + i/rate) whatever
    the server does; latency is measured from each request's scheduled start."""
    loop = asyncio.get_running_loop()
    pool = ConnPool(port)
    inflight = asyncio.Semaphore(max_inflight)
    total = round(rate * duration)
    samples: list[Sample] = []
    tasks = set()
    start = loop.time() + 0.05

    async def one(sample: Sample, payload: bytes):
        async with inflight:
            await _send(pool, payload, sample, loop, timeout)

    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        payload, meta = make(i)
        sample = Sample(meta=meta, scheduled=scheduled)
        samples.append(sample)
        task = asyncio.create_task(one(sample, payload))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)
    pool.close()
    return samples, pool.opened


async def closed_loop(port: int, connections: int, duration: float, make, *, timeout=30.0):
    """Fallback when wrk is missing: N connections sending back to back (limited by this process)."""
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + duration
    samples: list[Sample] = []
    counter = iter(range(10**9))

    async def connection_loop():
        pool = ConnPool(port, max_idle=60)
        while loop.time() < stop_at:
            payload, meta = make(next(counter))
            sample = Sample(meta=meta, scheduled=loop.time())
            await _send(pool, payload, sample, loop, timeout)
            samples.append(sample)
        pool.close()

    started = loop.time()
    await asyncio.gather(*(connection_loop() for _ in range(connections)))
    return samples, loop.time() - started


def summarize_samples(samples: list[Sample], *, rate: float | None = None) -> dict:
    ok = [s for s in samples if s.status is not None and 200 <= s.status < 300]
    # Failed requests keep their elapsed time (a timeout counts as >= 30 s): leaving them out would flatter.
    lat = [s.latency * 1000 for s in samples if s.latency is not None]
    lags = [s.dispatch_lag * 1000 for s in samples if s.dispatch_lag is not None]
    summary = {
        "requests": len(samples),
        "ok_2xx": len(ok),
        "status_202": sum(1 for s in samples if s.status == 202),
        "duplicates_200": sum(1 for s in samples if s.status == 200),
        "non_2xx": sum(1 for s in samples if s.status is not None and not 200 <= s.status < 300),
        "errors": sum(1 for s in samples if s.error),
        "p50_ms": percentile(lat, 50), "p90_ms": percentile(lat, 90), "p99_ms": percentile(lat, 99),
        "max_ms": max(lat) if lat else None, "mean_ms": statistics.fmean(lat) if lat else None,
        "max_dispatch_lag_ms": max(lags) if lags else None,
    }
    if rate:
        summary["rate"] = rate
    errors = sorted({s.error for s in samples if s.error})[:3]
    if errors:
        summary["error_examples"] = errors
    return summary


# --------------------------------------------------------------------------------------------
# wrk

WRK_LUA = r"""
-- generated by bench/webhook_bench.py: one distinct valid Blip envelope per request
local prefix = "%(prefix)s"
local secret = "%(secret)s"
local contents = {%(contents)s}
local threads = {}
counter = 0
non2xx = 0
n202 = 0
n200 = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function request()
  counter = counter + 1
  local number = tid * 10000000 + counter
  local body = string.format(
    '{"id":"%%s-%%d-%%d","from":"55119%%08d@wa.gw.msging.net","to":"%(bot)s","type":"text/plain","content":"%%s"}',
    prefix, tid, counter, number, contents[(counter %% #contents) + 1])
  return wrk.format("POST", "/blip/messages",
    {["Content-Type"] = "application/json", ["%(header)s"] = secret}, body)
end

function response(status, headers, body)
  if status == 202 then
    n202 = n202 + 1
  elseif status == 200 then
    n200 = n200 + 1
  end
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local a, b, c, sent = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("non2xx")
    b = b + thread:get("n202")
    c = c + thread:get("n200")
    sent = sent + thread:get("counter")
  end
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,"max_us":%%d,' ..
    '"mean_us":%%.1f,"connect_errors":%%d,"read_errors":%%d,"write_errors":%%d,"status_errors":%%d,' ..
    '"timeouts":%%d,"non_2xx":%%d,"status_202":%%d,"duplicates_200":%%d,"generated":%%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout, a, b, c, sent))
end
"""


def run_wrk(port: int, *, prefix: str, secret: str, connections: int, threads: int, duration: float,
            log_dir: Path, procs: Processes, env: dict) -> dict:
    script = log_dir / f"wrk-{prefix}.lua"
    contents = ", ".join(json.dumps(c, ensure_ascii=False) for c in CONTENTS)
    script.write_text(WRK_LUA % {"prefix": prefix, "secret": secret, "contents": contents, "bot": BOT,
                                 "header": SECRET_HEADER}, encoding="utf-8")
    args = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{int(round(duration))}s",
            "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}/blip/messages"]
    proc = procs.start(f"wrk-{prefix}", args, env=env)
    try:
        proc.popen.wait(duration + 60)
    finally:
        procs.items.remove(proc)
        if proc.popen.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(proc.popen.pid, signal.SIGKILL)
            proc.popen.wait()
    output = proc.log_path.read_text(errors="replace")
    line = next((l for l in output.splitlines() if l.startswith("WRKJSON ")), None)
    if proc.popen.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed (code {proc.popen.returncode}):\n{output[-2000:]}")
    raw = json.loads(line[len("WRKJSON "):])
    seconds = raw["duration_us"] / 1e6
    errors = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
    return {"tool": "wrk", "requests": raw["requests"], "rps": raw["requests"] / seconds,
            "p50_ms": raw["p50_us"] / 1000, "p90_ms": raw["p90_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
            "max_ms": raw["max_us"] / 1000, "mean_ms": raw["mean_us"] / 1000,
            "non_2xx": raw["non_2xx"], "status_202": raw["status_202"], "duplicates_200": raw["duplicates_200"],
            "ok_2xx": raw["requests"] - raw["non_2xx"], "errors": errors, "generated": raw["generated"],
            "socket_errors": {k: raw[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts")},
            "seconds": seconds}


# --------------------------------------------------------------------------------------------
# one run


@dataclass
class Config:
    duration: float
    runs: int
    rate: float
    connections: int
    wrk_threads: int
    greet_rate: float
    greet_duration: float
    drain: float
    web_workers: int
    web_threads: int
    rq_workers: int
    warmup: float
    ack_workers: str
    generator: str
    output: Path
    keep_logs: bool
    phases: tuple = ("greeting", "fixed", "max")
    snapshot: bool = True
    wait_quiet: float = 0.0
    max_requests: int = 5000


@dataclass
class Stack:
    """The processes and resources of one run."""

    cfg: Config
    log_dir: Path
    procs: Processes
    db_name: str = ""
    db_url: str = ""
    secret: str = ""
    service_port: int = 0
    bare_port: int = 0
    ports: dict = field(default_factory=dict)  # server process name → port
    fake_port: int = 0
    engine: object = None
    redis: object = None
    env: dict = field(default_factory=dict)
    commands: dict = field(default_factory=dict)


def admin_engine():
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def recycling(cfg: Config) -> list[str]:
    """The Procfile's worker recycling (--max-requests 5000 --max-requests-jitter 500), or --max-requests N."""
    if cfg.max_requests == 5000:
        return list(PROCFILE_EXTRA)
    if cfg.max_requests <= 0:
        return []
    return ["--max-requests", str(cfg.max_requests), "--max-requests-jitter", str(cfg.max_requests // 10)]


def gunicorn_args(app: str, port: int, cfg: Config, *, recycle: bool = True) -> list:
    return [BIN / "gunicorn", app, "--worker-class", "gthread", "--workers", str(cfg.web_workers),
            "--threads", str(cfg.web_threads), "--bind", f"127.0.0.1:{port}", *(recycling(cfg) if recycle else []),
            *NO_CONTROL_SOCKET]


def start_stack(stack: Stack, run_index: int) -> None:
    from redis import Redis
    from sqlalchemy import create_engine, text

    from app.store import upgrade

    cfg, procs = stack.cfg, stack.procs
    stack.db_name = f"bench_{uuid.uuid4().hex[:10]}_r{run_index}"
    admin = admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{stack.db_name}"'))
    admin.dispose()
    stack.db_url = make_db_url(stack.db_name)
    upgrade(stack.db_url)
    stack.engine = create_engine(stack.db_url)
    stack.redis = Redis.from_url(REDIS_URL)
    stack.redis.flushdb()

    stack.secret = "bench-" + uuid.uuid4().hex
    stack.fake_port, stack.service_port, stack.bare_port = free_port(), free_port(), free_port()
    fake_url = f"http://127.0.0.1:{stack.fake_port}"
    base_env = {k: v for k, v in os.environ.items() if k not in ("WEB_CONCURRENCY", "PORT")}
    stack.env = {**base_env, "APP_ENV": "production", "DATABASE_URL": stack.db_url, "REDIS_URL": REDIS_URL,
                 "BLIP_API_URL": fake_url, "BLIP_API_KEY": API_KEY, "WEBHOOK_SECRETS": stack.secret,
                 "WEBHOOK_SECRET_HEADER": SECRET_HEADER, "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}

    # The fake Blip runs in its own process: in this one it would share the GIL with the load
    # generator and distort both the send timestamps and its own receive timestamps.
    fake_args = [sys.executable, "-m", "blip_client.fake", "--host", "127.0.0.1", "--port", stack.fake_port,
                 "--api-key", API_KEY, "--no-auto-notify"]
    procs.start("fake-blip", fake_args, env={**base_env, "PYTHONUNBUFFERED": "1"})
    web_args = gunicorn_args("wsgi:app", stack.service_port, cfg)
    procs.start("service-web", web_args, env=stack.env)
    worker_args = [BIN / "flask", "--app", "wsgi", "worker"]
    for i in range(cfg.rq_workers):
        procs.start(f"rq-worker-{i + 1}", worker_args, env=stack.env)
    bare_args = gunicorn_args("bare_app:app", stack.bare_port, cfg)
    procs.start("bare-web", bare_args, env={**base_env, "PYTHONUNBUFFERED": "1"}, cwd=CODE / "bench")
    stack.commands = {"service_web": " ".join(map(str, web_args)), "rq_worker": " ".join(map(str, worker_args)),
                      "bare_web": "(cwd bench/) " + " ".join(map(str, bare_args)),
                      "fake_blip": " ".join(map(str, fake_args))}
    stack.ports = {"service-web": stack.service_port, "bare-web": stack.bare_port}
    if cfg.max_requests > 0 and "max" in cfg.phases:
        # The same two servers without --max-requests, for the like-for-like capacity comparison:
        # with keep-alive clients, recycling leaves one worker serving everything (see README).
        for name, app, env, cwd in (("service-web-nr", "wsgi:app", stack.env, None),
                                    ("bare-web-nr", "bare_app:app", {**base_env, "PYTHONUNBUFFERED": "1"},
                                     CODE / "bench")):
            stack.ports[name] = free_port()
            procs.start(name, gunicorn_args(app, stack.ports[name], cfg, recycle=False), env=env, cwd=cwd)

    wait_http(f"{fake_url}/_fake/requests", timeout=30, procs=procs)
    wait_http(f"http://127.0.0.1:{stack.service_port}/readyz", timeout=60, procs=procs)
    wait_http(f"http://127.0.0.1:{stack.bare_port}/healthz", timeout=60, procs=procs)
    for name in stack.ports:
        if name.endswith("-nr"):
            path = "/readyz" if name.startswith("service") else "/healthz"
            wait_http(f"http://127.0.0.1:{stack.ports[name]}{path}", timeout=60, procs=procs)
        wait_log(stack.log_dir / f"{name}.log", "Booting worker with pid", cfg.web_workers, timeout=60, procs=procs)
    deadline = time.monotonic() + 60
    while stack.redis.scard("rq:workers") < cfg.rq_workers:
        procs.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError("RQ workers did not register in Redis within 60 s")
        time.sleep(0.2)


def make_db_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def teardown_stack(stack: Stack) -> None:
    from sqlalchemy import text

    with suppress(Exception):
        stack.procs.stop_all()
    if stack.engine is not None:
        with suppress(Exception):
            stack.engine.dispose()
    if stack.db_name:
        try:
            admin = admin_engine()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{stack.db_name}" WITH (FORCE)'))
            admin.dispose()
        except Exception as exc:
            log(f"WARNING: could not drop database {stack.db_name}: {exc}")
    if stack.redis is not None:
        with suppress(Exception):
            stack.redis.flushdb()
            stack.redis.close()


def fake_requests(stack: Stack) -> list[dict]:
    import requests

    return requests.get(f"http://127.0.0.1:{stack.fake_port}/_fake/requests", timeout=30).json()


def greetings_by_sender(stack: Stack) -> dict[str, float]:
    return fake_arrivals(stack)[0]


def fake_arrivals(stack: Stack) -> tuple[dict[str, float], dict[str, float]]:
    """First accepted POST /messages per `to` (the greeting), and first `consumed` notification per
    message id (the end of the message's processing), each with the fake's received_at."""
    greetings, consumed = {}, {}
    for record in fake_requests(stack):
        body = record.get("json") or {}
        if record.get("status") != 202 or not isinstance(body, dict):
            continue
        if record["path"] == "/messages" and body.get("to") and body["to"] not in greetings:
            greetings[body["to"]] = record["received_at"]
        elif record["path"] == "/notifications" and body.get("event") == "consumed" and body.get("id"):
            consumed.setdefault(body["id"], record["received_at"])
    return greetings, consumed


def stored_keys(stack: Stack, prefix: str) -> set[str]:
    from sqlalchemy import text

    with stack.engine.connect() as conn:
        rows = conn.execute(text("SELECT dedup_key FROM inbox_events WHERE dedup_key LIKE :p"),
                            {"p": f"m:{prefix}-%"}).scalars().all()
    return set(rows)


def verify_python_phase(stack: Stack, samples: list[Sample], prefix: str) -> dict:
    """Every acknowledged (2xx) envelope id must be a row of inbox_events."""
    keys = stored_keys(stack, prefix)
    acked = {f"m:{s.meta['id']}" for s in samples if s.status is not None and 200 <= s.status < 300}
    sent = {f"m:{s.meta['id']}" for s in samples}
    return {"acked": len(acked), "stored": len(keys), "acked_not_stored": len(acked - keys),
            "stored_not_sent": len(keys - sent)}


def verify_wrk_phase(stack: Stack, result: dict, prefix: str) -> dict:
    """wrk cannot say which requests were acknowledged, only how many: stored must cover them."""
    stored = len(stored_keys(stack, prefix))
    return {"acked": result["ok_2xx"], "generated": result["generated"], "stored": stored,
            "acked_not_stored_at_least": max(0, result["ok_2xx"] - stored),
            "stored_not_acked": stored - result["ok_2xx"]}


def cpu_groups(stack: Stack) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for proc in stack.procs.items:
        name = "rq-workers" if proc.name.startswith("rq-worker") else proc.name
        groups.setdefault(name, []).append(proc.popen.pid)
    return groups


def measure(stack: Stack, fn, *, reaped_as=None, web: str | None = None):
    """Run fn; return its result and the CPU shares (plus the web workers' balance if `web` names a server)."""
    meter = CpuMeter(cpu_groups(stack), stack.db_name)
    master = next((p.popen.pid for p in stack.procs.items if p.name == web), None)
    balance = WorkerBalance(master) if master else None
    before = meter.snapshot()
    if balance:
        with balance:
            result = fn()
    else:
        result = fn()
    after = meter.snapshot()
    shares = CpuMeter.delta(before, after, reaped_as=reaped_as)
    if balance:
        shares["web_worker_balance"] = balance.summary()
    return result, shares


def python_rate_phase(stack: Stack, port: int, rate: float, duration: float, prefix: str, numbers: Numbers):
    def make(i: int):
        number = numbers.take()
        env = envelope(f"{prefix}-{i}", number)
        return http_request(port, json.dumps(env, ensure_ascii=False).encode(), stack.secret), env

    return asyncio.run(open_loop(port, rate, duration, make))


def phase_greeting(stack: Stack, run_index: int, numbers: Numbers) -> dict:
    cfg = stack.cfg
    port = stack.service_port
    # Warm-up: a few conversations so every RQ worker has run a job (imports, pools) before measuring.
    warm_samples, _ = python_rate_phase(stack, port, cfg.greet_rate, max(cfg.warmup, 1.0), f"gw{run_index}", numbers)
    warm_senders = {s.meta["from"] for s in warm_samples}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not warm_senders <= set(greetings_by_sender(stack)):
        time.sleep(0.5)

    prefix = f"g{run_index}"
    log(f"  greeting latency: {cfg.greet_rate:g} new conversations/s for {cfg.greet_duration:g} s")
    (samples, opened), cpu = measure(
        stack, lambda: python_rate_phase(stack, port, cfg.greet_rate, cfg.greet_duration, prefix, numbers))
    sent_at = {s.meta["from"]: s.sent_wall for s in samples if s.status == 202}
    id_sent_at = {s.meta["id"]: s.sent_wall for s in samples if s.status == 202}
    drain_started = time.monotonic()
    found, consumed, drained_after = {}, {}, None
    while time.monotonic() - drain_started < cfg.drain:
        found, consumed = fake_arrivals(stack)
        if drained_after is None and all(sender in found for sender in sent_at):
            drained_after = time.monotonic() - drain_started
        if drained_after is not None and all(i in consumed for i in id_sent_at):
            break
        time.sleep(0.5)
    if drained_after is None:
        drained_after = time.monotonic() - drain_started
    done = [(consumed[i] - t) * 1000 for i, t in id_sent_at.items() if i in consumed]
    latencies = {sender: (found[sender] - t) * 1000 for sender, t in sent_at.items() if sender in found}
    values = list(latencies.values())
    missing = [s for s in sent_at if s not in found]
    ack = summarize_samples(samples, rate=cfg.greet_rate)
    breakdown = greeting_breakdown(stack, prefix, sent_at, found)
    start = min(sent_at.values()) if sent_at else 0
    series = sorted((t - start, latencies[sender]) for sender, t in sent_at.items() if sender in latencies)
    windows = []
    for low in range(0, int(cfg.greet_duration + 0.999), 5):
        window = [lat for offset, lat in series if low <= offset < low + 5]
        if window:
            windows.append({"from_s": low, "n": len(window), "p50_ms": percentile(window, 50),
                            "max_ms": max(window)})
    first = [lat for offset, lat in series if offset < 5]
    return {"sent": len(samples), "acked": len(sent_at), "greeted": len(values), "missing": len(missing),
            "p50_ms": percentile(values, 50), "p90_ms": percentile(values, 90), "p99_ms": percentile(values, 99),
            "max_ms": max(values) if values else None, "drain_wait_s": round(drained_after, 2),
            "p99_first_5s_ms": percentile(first, 99), "by_send_window": windows,
            "series_offset_s_latency_ms": [[round(o, 3), round(l, 1)] for o, l in series],
            "ack": ack, "breakdown_ms": breakdown, "cpu_pct_of_one_core": cpu,
            "consumed": {"p50_ms": percentile(done, 50), "p99_ms": percentile(done, 99), "received": len(done),
                         "missing": len(id_sent_at) - len(done)},
            "verify": verify_python_phase(stack, samples, prefix),
            "event_status": event_status(stack, prefix)}


def greeting_breakdown(stack: Stack, prefix: str, sent_at: dict, found: dict) -> dict:
    """Where the greeting time goes, from the service's own timestamps (same machine clock):
    POST → event row received_at (web), → conversation started_at (queue wait + claim + contact),
    → fake Blip received the greeting (processing until the HTTP call landed)."""
    from sqlalchemy import text

    with stack.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT e.envelope->>'from' AS sender, e.received_at, c.started_at "
            "FROM inbox_events e JOIN conversations c "
            "  ON c.contact_identity = e.envelope->>'from' "
            "WHERE e.dedup_key LIKE :p"), {"p": f"m:{prefix}-%"}).all()
    web, queue, work = [], [], []
    for sender, received_at, started_at in rows:
        if sender not in sent_at or sender not in found:
            continue
        web.append((received_at.timestamp() - sent_at[sender]) * 1000)
        queue.append((started_at - received_at).total_seconds() * 1000)
        work.append((found[sender] - started_at.timestamp()) * 1000)
    out = {}
    for name, values in (("post_to_stored", web), ("stored_to_job_started", queue),
                         ("job_started_to_greeting", work)):
        out[name] = {"p50": percentile(values, 50), "p99": percentile(values, 99), "n": len(values)}
    return out


def event_status(stack: Stack, prefix: str) -> dict:
    from sqlalchemy import text

    with stack.engine.connect() as conn:
        rows = conn.execute(text("SELECT status, count(*) FROM inbox_events WHERE dedup_key LIKE :p GROUP BY status"),
                            {"p": f"m:{prefix}-%"}).all()
    return {status: count for status, count in rows}


def phase_fixed_rate(stack: Stack, target: str, run_index: int, numbers: Numbers) -> dict:
    cfg = stack.cfg
    port = stack.service_port if target == "service" else stack.bare_port
    python_rate_phase(stack, port, cfg.rate, cfg.warmup, f"fw{target[0]}{run_index}", numbers)
    prefix = f"f{target[0]}{run_index}"
    (samples, opened), cpu = measure(
        stack, lambda: python_rate_phase(stack, port, cfg.rate, cfg.duration, prefix, numbers), web=f"{target}-web")
    result = summarize_samples(samples, rate=cfg.rate)
    result["web_worker_balance"] = cpu.pop("web_worker_balance", None)
    result["connections_opened"] = opened
    result["cpu_pct_of_one_core"] = cpu
    if target == "service":
        result["verify"] = verify_python_phase(stack, samples, prefix)
    return result


def phase_max(stack: Stack, target: str, run_index: int, numbers: Numbers, *, server: str | None = None) -> dict:
    cfg = stack.cfg
    server = server or f"{target}-web"
    port = stack.ports[server]
    prefix = f"m{target[0]}{'n' if server.endswith('-nr') else ''}{run_index}"
    use_wrk = cfg.generator == "wrk"
    if use_wrk:
        run_wrk(port, prefix=f"w{prefix}", secret=stack.secret, connections=cfg.connections,
                threads=cfg.wrk_threads, duration=max(1, cfg.warmup), log_dir=stack.log_dir, procs=stack.procs,
                env=os.environ.copy())
        result, cpu = measure(stack, lambda: run_wrk(
            port, prefix=prefix, secret=stack.secret, connections=cfg.connections, threads=cfg.wrk_threads,
            duration=cfg.duration, log_dir=stack.log_dir, procs=stack.procs, env=os.environ.copy()),
            reaped_as="wrk", web=server)
    else:
        def make(i: int):
            env = envelope(f"{prefix}-{i}", 10_000_000 + i)
            return http_request(port, json.dumps(env, ensure_ascii=False).encode(), stack.secret), env

        (samples, seconds), cpu = measure(stack, lambda: asyncio.run(
            closed_loop(port, cfg.connections, cfg.duration, make)), web=server)
        result = summarize_samples(samples)
        result.update(tool="python-closed-loop", rps=result["ok_2xx"] / seconds, seconds=seconds)
        result["_samples"] = samples
    result["web_worker_balance"] = cpu.pop("web_worker_balance", None)
    result["cpu_pct_of_one_core"] = cpu
    if target == "service":
        if use_wrk:
            result["verify"] = verify_wrk_phase(stack, result, prefix)
        else:
            result["verify"] = verify_python_phase(stack, result.pop("_samples"), prefix)
    result.pop("_samples", None)
    return result


def freeze_workers(stack: Stack, frozen: bool) -> None:
    names = {p.name for p in stack.procs.items if p.name.startswith("rq-worker")}
    stack.procs.signal_all(signal.SIGSTOP if frozen else signal.SIGCONT, names)


def foreign_load(seconds: float = 3.0) -> float:
    """% of one core used by processes that are not ours, PostgreSQL or Redis, over a short window."""
    meter = CpuMeter({})
    before = meter.snapshot()
    time.sleep(seconds)
    return CpuMeter.delta(before, meter.snapshot()).get("foreign", 0.0)


def wait_quiet(limit_s: float) -> float:
    """Wait (at most limit_s) until other processes use < 10% of a core; return the last reading."""
    deadline = time.monotonic() + limit_s
    load = foreign_load()
    while load >= 10 and time.monotonic() < deadline:
        log(f"  other processes use {load:.0f}% of a core: waiting for a quieter machine")
        load = foreign_load(5.0)
    return load


def quiet_gate(cfg: Config) -> None:
    """Before each measurement: with --wait-quiet, let other processes' bursts pass first."""
    if cfg.wait_quiet > 0:
        wait_quiet(cfg.wait_quiet)


def one_run(cfg: Config, run_index: int, log_root: Path) -> dict:
    log_dir = log_root / f"run{run_index}"
    log_dir.mkdir(parents=True)
    stack = Stack(cfg=cfg, log_dir=log_dir, procs=Processes(log_dir))
    numbers = Numbers()
    try:
        foreign = wait_quiet(cfg.wait_quiet)
        log(f"run {run_index}: other processes use {foreign:.0f}% of a core; starting PostgreSQL db, fake Blip, service (gunicorn + {cfg.rq_workers} RQ workers), bare app")
        start_stack(stack, run_index)
        result: dict = {"database": stack.db_name, "commands": stack.commands}

        if "greeting" in cfg.phases:
            quiet_gate(cfg)
            result["greeting"] = g = phase_greeting(stack, run_index, numbers)
            log(f"    p50 {fmt(g['p50_ms'])} ms, p99 {fmt(g['p99_ms'])} ms, missing {g['missing']}/{g['acked']}; "
                f"p99 of those sent in the first 5 s {fmt(g['p99_first_5s_ms'])} ms")

        if cfg.ack_workers == "frozen":
            freeze_workers(stack, True)
        for target in ("bare", "service") if "fixed" in cfg.phases else ():
            result.setdefault("fixed", {})
            quiet_gate(cfg)
            log(f"  fixed rate {cfg.rate:g} req/s → {target} for {cfg.duration:g} s")
            r = result["fixed"][target] = phase_fixed_rate(stack, target, run_index, numbers)
            log(f"    p50 {fmt(r['p50_ms'])} ms, p99 {fmt(r['p99_ms'])} ms, non-2xx {r['non_2xx']}, errors {r['errors']}")
        for target in ("bare", "service") if "max" in cfg.phases else ():
            result.setdefault("max", {})
            quiet_gate(cfg)
            restarts_before = count_in_log(log_dir / f"{target}-web.log", "Autorestarting worker")
            log(f"  max throughput → {target}: {cfg.connections} connections for {cfg.duration:g} s ({cfg.generator})")
            r = result["max"][target] = phase_max(stack, target, run_index, numbers)
            r["gunicorn_max_requests_restarts"] = (count_in_log(log_dir / f"{target}-web.log", "Autorestarting worker")
                                                   - restarts_before)
            log(f"    {r['rps']:.0f} req/s, p50 {fmt(r['p50_ms'])} ms, p99 {fmt(r['p99_ms'])} ms, "
                f"non-2xx {r['non_2xx']}, errors {r['errors']}")
        if "max" in result:
            result["max"]["ratio"] = result["max"]["service"]["rps"] / result["max"]["bare"]["rps"]
        for target in ("bare", "service") if "bare-web-nr" in stack.ports else ():
            result.setdefault("max_norecycle", {})
            quiet_gate(cfg)
            log(f"  max throughput → {target} without --max-requests: {cfg.connections} connections for "
                f"{cfg.duration:g} s ({cfg.generator})")
            r = result["max_norecycle"][target] = phase_max(stack, target, run_index, numbers,
                                                             server=f"{target}-web-nr")
            log(f"    {r['rps']:.0f} req/s, p50 {fmt(r['p50_ms'])} ms, p99 {fmt(r['p99_ms'])} ms, "
                f"non-2xx {r['non_2xx']}, errors {r['errors']}")
        if "max_norecycle" in result:
            result["max_norecycle"]["ratio"] = (result["max_norecycle"]["service"]["rps"]
                                                / result["max_norecycle"]["bare"]["rps"])
        stack.procs.check_alive()
        result["totals"] = inbox_totals(stack)
        errors = service_errors(stack)
        result["service_log_errors"] = len(errors)
        result["service_log_error_lines"] = errors[:20]
        return result
    except BaseException:
        for proc in stack.procs.items:
            if proc.name != "fake-blip":
                print(f"--- last lines of {proc.name} ---\n{tail(proc.log_path, 15)}", file=sys.stderr)
        raise
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop the cleanup
        try:
            teardown_stack(stack)
        finally:
            signal.signal(signal.SIGINT, previous)


def service_errors(stack: Stack) -> list[str]:
    """ERROR lines the service (web and RQ workers) logged so far in this run; a traceback is
    reported by its exception line (its last unindented line)."""
    found = []
    for proc in stack.procs.items:
        if proc.name != "service-web" and not proc.name.startswith("rq-worker"):
            continue
        try:
            lines = proc.log_path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        for i, line in enumerate(lines):
            if " ERROR " in line:
                found.append(f"{proc.name}: {line[:300]}")
            elif line.startswith("Traceback"):
                end = i + 1
                while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
                    end += 1
                if end < len(lines):
                    found.append(f"{proc.name}:   -> {lines[end][:300]}")
    return found


def inbox_totals(stack: Stack) -> dict:
    from sqlalchemy import text

    with stack.engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM inbox_events")).scalar_one()
        by_status = dict(conn.execute(text("SELECT status, count(*) FROM inbox_events GROUP BY status")).all())
    return {"inbox_events": total, "by_status": by_status}


# --------------------------------------------------------------------------------------------
# reporting


def fmt(value, digits=1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


ROWS = [
    # label, path, digits, target text, target check
    ("ack @ fixed rate: bare p50 (ms)", ("fixed", "bare", "p50_ms"), 1, "", None),
    ("ack @ fixed rate: bare p99 (ms)", ("fixed", "bare", "p99_ms"), 1, "", None),
    ("ack @ fixed rate: service p50 (ms)", ("fixed", "service", "p50_ms"), 1, "", None),
    ("ack @ fixed rate: service p99 (ms)", ("fixed", "service", "p99_ms"), 1, "< 25 ms", lambda v: v < TARGETS["ack_p99_ms"]),
    ("ack @ fixed rate: service max (ms)", ("fixed", "service", "max_ms"), 1, "", None),
    ("ack @ fixed rate: service non-2xx", ("fixed", "service", "non_2xx"), 0, "0", lambda v: v == 0),
    ("ack @ fixed rate: service socket errors", ("fixed", "service", "errors"), 0, "0", lambda v: v == 0),
    ("max throughput: bare (req/s)", ("max", "bare", "rps"), 0, "", None),
    ("max throughput: service (req/s)", ("max", "service", "rps"), 0, "", None),
    ("max throughput: service / bare", ("max", "ratio"), 3, ">= 0.40", lambda v: v >= TARGETS["throughput_ratio"]),
    ("max throughput: bare p50 (ms)", ("max", "bare", "p50_ms"), 1, "", None),
    ("max throughput: bare p99 (ms)", ("max", "bare", "p99_ms"), 1, "", None),
    ("max throughput: service p50 (ms)", ("max", "service", "p50_ms"), 1, "", None),
    ("max throughput: service p99 (ms)", ("max", "service", "p99_ms"), 1, "", None),
    ("max throughput: bare non-2xx + errors", ("max", "bare", "non_2xx_errors"), 0, "0", lambda v: v == 0),
    ("max throughput: service non-2xx + errors", ("max", "service", "non_2xx_errors"), 0, "0", lambda v: v == 0),
    ("max throughput: bare gunicorn restarts", ("max", "bare", "gunicorn_max_requests_restarts"), 0, "", None),
    ("max throughput: service gunicorn restarts", ("max", "service", "gunicorn_max_requests_restarts"), 0, "", None),
    ("max throughput: bare busiest worker's CPU share", ("max", "bare", "web_worker_balance", "busiest_share_mean"), 2, "", None),
    ("max throughput: service busiest worker's CPU share", ("max", "service", "web_worker_balance", "busiest_share_mean"), 2, "", None),
    ("max throughput, no --max-requests: bare (req/s)", ("max_norecycle", "bare", "rps"), 0, "", None),
    ("max throughput, no --max-requests: service (req/s)", ("max_norecycle", "service", "rps"), 0, "", None),
    ("max throughput, no --max-requests: service / bare", ("max_norecycle", "ratio"), 3, ">= 0.40",
     lambda v: v >= TARGETS["throughput_ratio"]),
    ("max throughput, no --max-requests: service p99 (ms)", ("max_norecycle", "service", "p99_ms"), 1, "", None),
    ("max throughput, no --max-requests: non-2xx + errors", ("max_norecycle", "service", "non_2xx_errors"), 0, "0",
     lambda v: v == 0),
    ("max throughput, no --max-requests: busiest worker share, bare",
     ("max_norecycle", "bare", "web_worker_balance", "busiest_share_mean"), 2, "", None),
    ("greeting latency p50 (ms)", ("greeting", "p50_ms"), 1, "", None),
    ("greeting latency p99 (ms)", ("greeting", "p99_ms"), 1, "< 500 ms", lambda v: v < TARGETS["greeting_p99_ms"]),
    ("greeting latency max (ms)", ("greeting", "max_ms"), 1, "", None),
    ("greetings missing after drain", ("greeting", "missing"), 0, "0", lambda v: v == 0),
    ("whole message done ('consumed' sent) p50 (ms)", ("greeting", "consumed", "p50_ms"), 1, "", None),
    ("whole message done ('consumed' sent) p99 (ms)", ("greeting", "consumed", "p99_ms"), 1, "", None),
    ("'consumed' missing after drain", ("greeting", "consumed", "missing"), 0, "", None),
    ("  breakdown p50: POST → event stored (ms)", ("greeting", "breakdown_ms", "post_to_stored", "p50"), 1, "", None),
    ("  breakdown p50: stored → job started (ms)", ("greeting", "breakdown_ms", "stored_to_job_started", "p50"), 1, "", None),
    ("  breakdown p50: job started → greeting (ms)", ("greeting", "breakdown_ms", "job_started_to_greeting", "p50"), 1, "", None),
    ("  breakdown p99: stored → job started (ms)", ("greeting", "breakdown_ms", "stored_to_job_started", "p99"), 1, "", None),
    ("acked but not stored (all service phases)", ("checks", "acked_not_stored"), 0, "0", lambda v: v == 0),
    ("foreign CPU, worst phase (% of one core)", ("foreign_cpu_max",), 0, "< 10", lambda v: v < 10),
]


def dig(data, path):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def derive(run: dict) -> None:
    checks = []
    for phase in ("max", "max_norecycle"):
        if phase not in run:
            continue
        for target in ("bare", "service"):
            r = run[phase][target]
            r["non_2xx_errors"] = r["non_2xx"] + r["errors"]
        verify_max = run[phase]["service"]["verify"]
        checks.append(verify_max.get("acked_not_stored", verify_max.get("acked_not_stored_at_least", 0)))
    if "greeting" in run:
        checks.append(run["greeting"]["verify"]["acked_not_stored"])
    if "fixed" in run:
        checks.append(run["fixed"]["service"]["verify"]["acked_not_stored"])
    run["checks"] = {"acked_not_stored": sum(checks)}
    foreign = [dig(run, path + ("cpu_pct_of_one_core", "foreign")) for path in
               (("greeting",), ("fixed", "bare"), ("fixed", "service"), ("max", "bare"), ("max", "service"),
                ("max_norecycle", "bare"), ("max_norecycle", "service"))]
    run["foreign_cpu_max"] = max((f for f in foreign if f is not None), default=None)


def report(cfg: Config, runs: list[dict], machine: dict, code: dict) -> dict:
    for run in runs:
        derive(run)
    table, medians = [], {}
    for label, path, digits, target, check in ROWS:
        values = [dig(run, path) for run in runs]
        med = median_or_none(values)
        verdict = ""
        if check is not None and med is not None:
            verdict = "meets" if check(med) else "MISSES"
        medians[".".join(path)] = med
        table.append((label, fmt(med if digits else (round(med) if med is not None else None), digits),
                      [fmt(v, digits) for v in values], target, verdict))
    width = max(len(r[0]) for r in table)
    head = f"{'figure':<{width}}  {'median':>9}  " + "  ".join(f"{'run ' + str(i + 1):>9}" for i in range(len(runs)))
    lines = [head + f"  {'target':<9} verdict", "-" * (len(head) + 20)]
    for label, med, values, target, verdict in table:
        lines.append(f"{label:<{width}}  {med:>9}  " + "  ".join(f"{v:>9}" for v in values)
                     + f"  {target:<9} {verdict}")
    print()
    print(f"Webhook benchmark — {len(runs)} run(s); fixed rate {cfg.rate:g} req/s for {cfg.duration:g} s; "
          f"max throughput {cfg.connections} connections for {cfg.duration:g} s ({cfg.generator}); "
          f"greetings {cfg.greet_rate:g} conv/s for {cfg.greet_duration:g} s; phases: {', '.join(cfg.phases)}")
    print(f"gunicorn gthread --workers {cfg.web_workers} --threads {cfg.web_threads} {' '.join(recycling(cfg)) or '(no --max-requests)'} "
          f"(no access log, LOG_LEVEL=WARNING); {cfg.rq_workers} RQ worker(s), "
          f"{'frozen (SIGSTOP)' if cfg.ack_workers == 'frozen' else 'running'} during the ack phases")
    print(f"machine: {machine['cpus']} CPUs ({machine['cpu_model']}), load average before {machine['loadavg_before']}")
    dirty = code.get("uncommitted_paths_outside_bench") or []
    print(f"code: git {code.get('head', '?')}" + (f" plus {len(dirty)} uncommitted path(s) outside bench/ "
                                                   f"(listed in the JSON)" if dirty else " (clean work tree)")
          + (f"; run from a snapshot taken at start, content sha256 {code['content_sha256']}"
             if code.get("content_sha256") else "; run from the work tree itself (--no-snapshot)"))
    print()
    print("\n".join(lines))
    print()
    pinned = median_or_none([dig(run, ("max", "bare", "web_worker_balance", "busiest_share_mean")) for run in runs])
    if pinned is not None and pinned > 0.8 and any("max_norecycle" in run for run in runs):
        print(f"NOTE: with the Procfile's --max-requests the bare app ran on ONE of its {cfg.web_workers} workers "
              f"most of the time (busiest worker {pinned:.0%} of its CPU): keep-alive clients move to the surviving "
              f"worker at each recycling. The 'no --max-requests' ratio compares both servers at full capacity.\n")
    disturbed = [i for i, run in enumerate(runs, 1) if (run.get("foreign_cpu_max") or 0) >= 10]
    if disturbed:
        print(f"WARNING: other processes on this machine used >= 10% of a core during run(s) {disturbed}: "
              f"their figures are disturbed (see 'other-processes' / 'postgres-other-db' below).\n")
    for i, run in enumerate(runs, 1):
        print(f"run {i}:")
        for label, path in (("max throughput, service", ("max", "service")), ("max throughput, bare", ("max", "bare")),
                            ("no --max-requests, service", ("max_norecycle", "service")),
                            ("no --max-requests, bare", ("max_norecycle", "bare")),
                            ("fixed rate, service", ("fixed", "service")), ("fixed rate, bare", ("fixed", "bare")),
                            ("greeting phase", ("greeting",))):
            cpu = dig(run, path + ("cpu_pct_of_one_core",))
            if cpu:
                balance = dig(run, path + ("web_worker_balance",)) or {}
                extra = (f" | busiest web worker {balance['busiest_share_mean']:.0%} of web CPU, alone "
                         f"{balance['single_worker_fraction']:.0%} of the time" if balance.get("samples") else "")
                print(f"  CPU % of one core, {label + ':':<25} {compact_cpu(cpu)}{extra}")
        if "greeting" in run:
            windows = ", ".join(f"+{w['from_s']:g}s {fmt(w['p50_ms'], 0)}/{fmt(w['max_ms'], 0)}"
                                for w in run["greeting"]["by_send_window"])
            print(f"  greeting latency p50/max (ms) by when the message was sent: {windows}")
        for label, path in (("greeting", ("greeting", "verify")), ("fixed rate", ("fixed", "service", "verify")),
                            ("max throughput", ("max", "service", "verify")),
                            ("max throughput, no --max-requests", ("max_norecycle", "service", "verify"))):
            if dig(run, path):
                print(f"  stored-vs-acknowledged check, {label}: {dig(run, path)}")
        print(f"  inbox_events at the end: {run['totals']}; ERROR lines in service logs: {run['service_log_errors']}")
        for line in run.get("service_log_error_lines", [])[:3]:
            print(f"    {line}")
    return {"medians": medians, "table": [{"figure": r[0], "median": r[1], "runs": r[2], "target": r[3],
                                           "verdict": r[4]} for r in table]}


def compact_cpu(shares: dict) -> str:
    keys = ["service-web", "bare-web", "service-web-nr", "bare-web-nr", "rq-workers", "postgres", "postgres-shared", "redis", "fake-blip", "wrk",
            "bench-process", "kernel-threads", "other-processes", "postgres-other-db"]
    parts = [f"{k} {shares[k]:.0f}" for k in keys if k in shares and shares[k] >= 0.5]
    if "machine_busy_pct_of_all_cores" in shares:
        parts.append(f"| machine busy {shares['machine_busy_pct_of_all_cores']:.0f}% of all cores")
    return ", ".join(parts)


def snapshot_code(dest: Path) -> dict:
    """Copy the work tree's files (tracked and untracked, not ignored; as they are now) to dest."""
    listing = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard", "-z"],
                             capture_output=True, check=True).stdout.split(b"\0")
    digest, count = hashlib.sha256(), 0
    for name in sorted(entry.decode() for entry in listing if entry):
        source = ROOT / name
        if name.startswith("bench/results/") or not source.is_file():  # deleted in the work tree
            continue
        data = source.read_bytes()
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        shutil.copymode(source, target)
        digest.update(name.encode() + b"\0" + data + b"\0")
        count += 1
    info = {"snapshot": str(dest), "files": count, "content_sha256": digest.hexdigest()[:16]}
    info.update(git_state())
    return info


def git_state() -> dict:
    git = {}
    with suppress(Exception):
        git["head"] = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                     text=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True,
                                text=True).stdout.splitlines()
        git["uncommitted_paths_outside_bench"] = [line[3:] for line in status if not line[3:].startswith("bench/")]
    return git


def machine_info() -> dict:
    model = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for name in ("flask", "gunicorn", "rq", "redis", "psycopg", "sqlalchemy", "werkzeug"):
        with suppress(Exception):
            from importlib.metadata import version

            versions[name] = version(name)
    with suppress(Exception):
        versions["wrk"] = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    with suppress(Exception):
        versions["redis-server"] = subprocess.run(["redis-server", "--version"], capture_output=True,
                                                  text=True).stdout.strip()
    with suppress(Exception):
        from sqlalchemy import text

        admin = admin_engine()
        with admin.connect() as conn:
            versions["postgresql"] = conn.execute(text("SHOW server_version")).scalar_one()
        admin.dispose()
    return {"cpus": os.cpu_count(), "cpu_model": model, "loadavg_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "python": platform.python_version(), "platform": platform.platform(), "versions": versions,
            "mem_total": next((l.split(":")[1].strip() for l in Path("/proc/meminfo").read_text().splitlines()
                               if l.startswith("MemTotal")), None)}


# --------------------------------------------------------------------------------------------
# main


def parse_args(argv=None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20, help="seconds per ack measurement and target (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="independent runs, each on a fresh stack (default 3)")
    parser.add_argument("--rate", type=float, default=200, help="fixed ack rate in req/s (default 200)")
    parser.add_argument("--connections", type=int, default=16, help="connections for max throughput (default 16)")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--greet-rate", type=float, default=20, help="new conversations per second (default 20)")
    parser.add_argument("--greet-duration", type=float, default=20)
    parser.add_argument("--drain", type=float, default=30, help="max seconds to wait for greetings (default 30)")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=8)
    parser.add_argument("--rq-workers", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds before each measurement")
    parser.add_argument("--ack-workers", choices=("frozen", "running"), default="frozen",
                        help="RQ workers during the ack phases: frozen (SIGSTOP, as if on their own dyno: "
                             "default) or running (sharing these cores and chewing the backlog)")
    parser.add_argument("--load-generator", choices=("auto", "wrk", "python"), default="auto",
                        help="max-throughput generator: wrk when installed (auto), or the Python fallback")
    parser.add_argument("--output", type=Path, default=BENCH / "results" / "latest.json")
    parser.add_argument("--keep-logs", action="store_true", help="keep the process logs (path printed)")
    parser.add_argument("--no-snapshot", action="store_true",
                        help="run the service from the work tree instead of a snapshot copied at start")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="before each run and measurement, wait up to SECONDS for other processes to "
                             "use < 10%% of a core (foreign CPU is measured and reported either way)")
    parser.add_argument("--max-requests", type=int, default=5000,
                        help="gunicorn worker recycling as in the Procfile (5000, jitter 500); 0 disables it")
    parser.add_argument("--phases", default="greeting,fixed,max",
                        help="comma-separated subset of greeting,fixed,max (default: all)")
    args = parser.parse_args(argv)
    phases = tuple(p.strip() for p in args.phases.split(",") if p.strip())
    unknown = set(phases) - {"greeting", "fixed", "max"}
    if unknown or not phases:
        parser.error(f"--phases: unknown {sorted(unknown)}; use greeting, fixed, max")
    generator = args.load_generator
    if generator in ("auto", "wrk"):
        if shutil.which("wrk"):
            generator = "wrk"
        elif args.load_generator == "wrk":
            parser.error("wrk is not installed (Debian: apt-get install -y wrk)")
        else:
            print("NOTE: wrk is not installed (Debian: apt-get install -y wrk); max throughput falls back to a "
                  "Python closed-loop generator, which competes for the same 2 cores and usually saturates "
                  "before the bare app does: its ratio is not comparable with wrk's.", file=sys.stderr)
            generator = "python"
    return Config(duration=args.duration, runs=args.runs, rate=args.rate, connections=args.connections,
                  wrk_threads=args.wrk_threads, greet_rate=args.greet_rate, greet_duration=args.greet_duration,
                  drain=args.drain, web_workers=args.web_workers, web_threads=args.web_threads,
                  rq_workers=args.rq_workers, warmup=args.warmup, ack_workers=args.ack_workers,
                  generator=generator, output=args.output, keep_logs=args.keep_logs, phases=phases,
                  snapshot=not args.no_snapshot, wait_quiet=args.wait_quiet, max_requests=args.max_requests)


def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    global CODE
    cfg = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (background)
    machine = machine_info()
    log(f"machine: {machine['cpus']} CPUs, load average {machine['loadavg_before']}, Python {machine['python']}")
    log(f"gunicorn: --worker-class gthread --workers {cfg.web_workers} --threads {cfg.web_threads} "
        f"{' '.join(recycling(cfg)) or '(no --max-requests)'}, no access log; RQ workers: {cfg.rq_workers}")
    log_root = Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    runs = []
    started = time.monotonic()
    try:
        if cfg.snapshot:
            code = snapshot_code(log_root / "code")
            CODE = log_root / "code"
            log(f"code: snapshot of the work tree ({code['files']} files, git {code.get('head', '?')}, "
                f"{len(code.get('uncommitted_paths_outside_bench', []))} uncommitted path(s) outside bench/)")
        else:
            code = git_state()
        sys.path.insert(0, str(CODE))  # app.store.upgrade and the models come from the code under test
        for i in range(1, cfg.runs + 1):
            runs.append(one_run(cfg, i, log_root))
    except KeyboardInterrupt:
        log("interrupted: everything started was stopped, databases dropped, redis db flushed")
        return 130
    finally:
        if cfg.keep_logs:
            log(f"logs kept in {log_root}")
        else:
            shutil.rmtree(log_root, ignore_errors=True)
    summary = report(cfg, runs, machine, code)
    document = {"generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "elapsed_s": round(time.monotonic() - started, 1),
                "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in cfg.__dict__.items()},
                "targets": TARGETS, "machine": machine, "code": code, **summary, "runs": runs}
    cfg.output.parent.mkdir(parents=True, exist_ok=True)
    cfg.output.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nJSON written to {cfg.output.relative_to(ROOT) if cfg.output.is_relative_to(ROOT) else cfg.output} "
          f"(elapsed {document['elapsed_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
