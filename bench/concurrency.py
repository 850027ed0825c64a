"""Benchmark: PIM calls in parallel under the connection's call budget, against a PIM with latency.

Usage: .venv/bin/python bench/concurrency.py [--products 10000] [--latency-ms 300]
       [--sizes 2500,5000,10000] [--skip-sequential] [--works sync,export,push] [--json [PATH]] [--trace]
       .venv/bin/python bench/concurrency.py --report PATH   (the summary of a --json file again)

Three kinds of work, each measured at budget 4 (parallel) and budget 1 (sequential) at the given
latency, and at budget 4 with no latency:

- sync: a structure sync (first sync: everything created);
- export: the SFCC export, job "all", mode "full" (after an untimed structure sync), with the
  demo catalog's images and packshot assets mapped to view types, so that asset listings and
  media downloads are part of it;
- push: the push of a supplier job of ``--products`` new rows (imported, untimed, beforehand).

Each measurement runs in a fresh child process (its ``ru_maxrss`` is the work's own process peak)
against a fresh sandbox PIM in a process of its own (``manage.py sandbox_pim``). The child sets up
at 0 ms, then sets the PIM's latency live (``POST /_sandbox/latency``), resets the PIM's request
log and peak (``DELETE /_sandbox/requests``) and times the work alone. Calls are the request log's
growth over the work, ``/_sandbox`` excluded; the peak in flight is the PIM's own count. Each
measurement also notes the CPU seconds of the child and of the sandbox during the work, and the
machine's load average before and after: on a shared machine the 0 ms times are the first to suffer.
``--trace`` times every call of the parallel runs in the child (the client's HTTP exchanges): how
long 0, 1, 2... calls were in flight, the stretches with none, and when each kind of call ran (a
download counts until its headers are in; its few kilobytes of body are read after).

For each work: floor = calls × latency / budget (the time the PIM's latency alone costs with every
slot always busy); PASS if parallel time ≤ 1.3 × floor + the 0 ms time.

With ``--sizes`` (two sizes or more), a 250,000-product projection per work: least-squares lines
through (products, calls) and (products, 0 ms time) give calls(250k) and zero(250k); the
slack r = (parallel − zero) / floor measured at the largest size; projected parallel time =
calls(250k) × latency / 4 × r + zero(250k), printed for 300 ms and 1000 ms.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))  # ahead of bench/: the Django app sfcc_export, not bench/sfcc_export.py

import _setup  # noqa: E402 (found through the path above)

bench_sfcc = _setup.bench_sfcc_export()

WORKS = ("sync", "export", "push")
BOUND_FACTOR = 1.3
PROJECTED_PRODUCTS = 250_000
PROJECTED_LATENCIES_MS = (300, 1000)
PARALLEL_BUDGET = 4


# ------------------------------------------------------------------ the sandbox's control routes
def control(base_url: str, method: str, route: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - the sandbox on 127.0.0.1
        f"{base_url}/_sandbox/{route}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"} if data else {},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
        return json.load(answer)


def api_calls(by_path: dict[str, int]) -> dict[str, int]:
    return {path: n for path, n in by_path.items() if not path.startswith("/_sandbox")}


def path_kind(path: str) -> str:
    """A request path with its media file's key replaced by ``*`` (one line per kind of call)."""
    for marker in ("/media-files/", "/asset-media-files/"):
        head, found, tail = path.partition(marker)
        if found:
            return head + marker + ("*/download" if tail.endswith("/download") else "*")
    return path


# -------------------------------------------------------------------------------- child steps
def _connection(base_url: str, budget: int):
    from connector.models import AkeneoConnection
    from connector.sandbox import SANDBOX_CREDENTIALS

    return AkeneoConnection.objects.create(
        name="bench",
        base_url=base_url,
        max_requests_per_second=1_000_000,  # the rate cap must not be what is measured
        max_concurrency=budget,
        **SANDBOX_CREDENTIALS,
    )


def _checked(run, what: str):
    if run.status != "done":
        raise SystemExit(f"{what}: {run.status}: {run.error}")
    return run


def setup_sync(base_url: str, budget: int, products: int, workdir: Path):
    from connector.runs import start_run
    from connector.tasks import STRUCTURE_SYNC

    connection = _connection(base_url, budget)

    def work() -> dict:
        run = _checked(start_run(STRUCTURE_SYNC, connection, inline=True), "structure sync")
        return {"counters": run.counters}

    return work


def setup_export(base_url: str, budget: int, products: int, workdir: Path):
    from connector.runs import start_run
    from connector.tasks import STRUCTURE_SYNC
    from sfcc_export.models import ExportProfile
    from sfcc_export.tasks import EXPORT

    connection = _connection(base_url, budget)
    _checked(start_run(STRUCTURE_SYNC, connection, inline=True), "structure sync")
    profile = ExportProfile.objects.create(
        name="bench",
        connection=connection,
        channel="ecommerce",
        master_catalog_id="bench-master",
        storefront_catalog_id="bench-storefront",
        locale_mapping=bench_sfcc.LOCALE_MAPPING,
        attribute_mapping=bench_sfcc.ATTRIBUTE_MAPPING,
        image_view_types={"large": ["main_image", "packshots"], "small": ["thumbnail"]},
        output_dir=str(workdir / "out"),
    )

    def work() -> dict:
        run = _checked(
            start_run(EXPORT, profile, params={"job": "all", "mode": "full"}, inline=True), "export"
        )
        return {"counts": run.result["counts"]}

    return work


SUPPLIER_HEADER = [
    "sku",
    "family",
    "categories",
    "name-en_US",
    "name-fr_FR",
    "weight",
    "weight-unit",
    "color",
    "price",
    "ean",
]


def supplier_row(n: int) -> list[str]:
    """bench/push.py's row: a new bag with a few values of each kind."""
    return [
        f"BENCH-{n:06d}",
        "accessories",
        "bags",
        f"Bag {n}",
        f"Sac {n}",
        "1,25",
        "KILOGRAM",
        "red",
        "19.90 EUR; 21.50 USD",
        f"{600000000000 + n:013d}",
    ]


def setup_push(base_url: str, budget: int, products: int, workdir: Path):
    from connector.runs import start_run
    from sdm.jobs import import_supplier_file
    from sdm.models import Workflow
    from sdm.tasks import JOB_PUSH, WORKFLOW_SYNC

    supplier = workdir / "supplier.csv"
    with supplier.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(SUPPLIER_HEADER)
        writer.writerows(supplier_row(n) for n in range(products))
    workflow = Workflow.objects.create(
        name="bench",
        connection=_connection(base_url, budget),
        channels=["ecommerce"],
        locales=["en_US", "fr_FR"],
    )
    _checked(start_run(WORKFLOW_SYNC, workflow, inline=True), "workflow sync")
    job = import_supplier_file(workflow, supplier)

    def work() -> dict:
        run = _checked(start_run(JOB_PUSH, job, inline=True), "push")
        return {"rows": job.row_count, "counters": run.counters, "result": run.result}

    return work


SETUPS = {"sync": setup_sync, "export": setup_export, "push": setup_push}


def cpu_seconds(pid: int | None = None) -> float | None:
    """User + system CPU time of this process (all its threads), or of process ``pid`` from /proc."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CallTimeline:
    """Every HTTP exchange of the AkeneoClient while installed: (start, end, kind), for ``--trace``."""

    def __init__(self):
        from connector.akeneo import client as client_module

        self._class = client_module.AkeneoClient
        self._exchange = self._class._exchange
        self.events: list[tuple[float, float, str, str | None]] = []
        self.origin = time.perf_counter()
        timeline = self

        def exchange(client, attempt, token):
            started = time.perf_counter()
            try:
                return timeline._exchange(client, attempt, token)
            finally:
                counted = " (count)" if (attempt.params or {}).get("with_count") else ""
                kind = f"{attempt.method} {path_kind(attempt.path)}{counted}"
                ended = time.perf_counter()
                search = (attempt.params or {}).get("search")  # None on a next link's page
                timeline.events.append((started - timeline.origin, ended - timeline.origin, kind, search))

        self._class._exchange = exchange

    def summary(self, total: float) -> dict:
        self._class._exchange = self._exchange
        edges = sorted([(e[0], 1) for e in self.events] + [(e[1], -1) for e in self.events])
        seconds_at: dict[int, float] = {}
        idle: list[tuple[float, float]] = []
        level, last = 0, 0.0
        for moment, step in [*edges, (total, 0)]:
            seconds_at[level] = seconds_at.get(level, 0.0) + moment - last
            if level == 0 and moment - last > 0.1:
                idle.append((round(last, 2), round(moment - last, 2)))
            level, last = level + step, moment
        kinds: dict[str, list] = {}
        for start, end, kind, search in self.events:
            entry = kinds.setdefault(kind, [0, start, end, 0.0, set()])
            entry[0] += 1
            entry[1], entry[2], entry[3] = min(entry[1], start), max(entry[2], end), entry[3] + end - start
            if search is not None:
                entry[4].add(search)
        return {
            "seconds_with_n_in_flight": {str(k): round(v, 2) for k, v in sorted(seconds_at.items())},
            "idle_over_100ms": idle,
            "kinds": [
                {
                    "kind": kind,
                    "calls": n,
                    "first_start": round(a, 2),
                    "last_end": round(b, 2),
                    "busy": round(c, 2),
                    "searches": len(searches),
                }
                for kind, (n, a, b, c, searches) in sorted(kinds.items(), key=lambda item: item[1][1])
            ],
        }


def print_timeline(trace: dict) -> None:
    print(f"      seconds with n calls in flight: {trace['seconds_with_n_in_flight']}")
    idle = trace["idle_over_100ms"]
    print(
        f"      no call in flight for more than 0.1 s: {sum(d for _, d in idle):.2f} s in all, "
        + ", ".join(f"{d:.2f} s from {a:.2f}" for a, d in idle)
    )
    for k in trace["kinds"]:
        print(
            f"      {k['first_start']:7.2f} → {k['last_end']:7.2f} s  {k['calls']:>5} × {k['kind']} "
            + (f"({k['searches']} different searches) " if k.get("searches") else "")
            + f"(sum of their durations {k['busy']:.2f} s)"
        )


def child(
    work: str, base_url: str, budget: int, latency: float, products: int, pim_pid: int | None, trace: bool
) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix=f"bench-concurrency-{work}-files-"))
    # Call slots, media cache, exports and uploads of this run only, not var/.
    for name in ("CALL_SLOTS_DIR", "MEDIA_CACHE_ROOT", "EXPORT_ROOT", "UPLOAD_ROOT"):
        os.environ[name] = str(scratch / name.lower())
    from _setup import django_on_throwaway_db

    workdir = django_on_throwaway_db(f"bench-concurrency-{work}-")
    control(base_url, "POST", "latency", {"seconds": 0})
    timed = SETUPS[work](base_url, budget, products, workdir)
    control(base_url, "POST", "latency", {"seconds": latency})
    control(base_url, "DELETE", "requests")
    before = api_calls(control(base_url, "GET", "requests")["by_path"])
    rss_start = bench_sfcc.proc_status_mib("VmRSS")
    window = bench_sfcc.reset_peak_rss()
    cpu_app, cpu_pim = cpu_seconds(), cpu_seconds(pim_pid) if pim_pid else None
    timeline = CallTimeline() if trace else None
    started = time.perf_counter()
    outcome = timed()
    elapsed = time.perf_counter() - started
    traced = timeline.summary(elapsed) if timeline else None
    cpu_app = cpu_seconds() - cpu_app
    cpu_pim = cpu_seconds(pim_pid) - cpu_pim if cpu_pim is not None else None
    rss_work = bench_sfcc.proc_status_mib("VmHWM") if window else None
    log = control(base_url, "GET", "requests")
    control(base_url, "POST", "latency", {"seconds": 0})
    by_path: dict[str, int] = {}
    for path, n in api_calls(log["by_path"]).items():
        if n - before.get(path, 0):
            by_path[path_kind(path)] = by_path.get(path_kind(path), 0) + n - before.get(path, 0)
    result = {
        "work": work,
        "products": products,
        "budget": budget,
        "latency": latency,
        "time": elapsed,
        "calls": sum(by_path.values()),
        "peak_in_flight": log["peak_in_flight"],
        "by_path": dict(sorted(by_path.items(), key=lambda item: -item[1])),
        "cpu_app": cpu_app,  # CPU seconds of the work's process during the work
        "cpu_pim": cpu_pim,  # CPU seconds of the sandbox PIM's process meanwhile
        "rss": bench_sfcc.peak_rss_mib(),
        "rss_start": rss_start,
        "rss_work": rss_work,
        "outcome": outcome,
        "trace": traced,
    }
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.rmtree(scratch, ignore_errors=True)
    return result


# ---------------------------------------------------------------------------------------- parent
def measure_one(work: str, products: int, budget: int, latency: float, trace: bool = False) -> dict:
    """One measurement: a fresh sandbox PIM of ``products`` products and a fresh child process."""
    with tempfile.NamedTemporaryFile(prefix="bench-sandbox-", suffix=".log", delete=False) as log:
        log_path = Path(log.name)
    load_before = os.getloadavg()[0]
    with bench_sfcc.SandboxPim(products, log_path) as pim:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--step",
            work,
            "--base-url",
            pim.base_url,
            "--budget",
            str(budget),
            "--latency-seconds",
            repr(latency),
            "--products",
            str(products),
            "--pim-pid",
            str(pim.process.pid),
            *(["--trace"] if trace else []),
        ]
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
    if log_path.stat().st_size:
        print(f"   (sandbox PIM stderr in {log_path})")
    else:
        log_path.unlink()
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise SystemExit(f"{work} failed (exit {done.returncode}):\n{done.stdout}")
    result = json.loads(lines[-1])
    # Other processes on the machine share its cores with the PIM and the app: say how busy it was.
    result["load_1min"] = [load_before, os.getloadavg()[0]]
    print(
        f"   {work:<6} budget {budget}, {latency * 1000:>4.0f} ms: {result['time']:8.2f} s, "
        f"{result['calls']:>6,} calls, peak in flight {result['peak_in_flight']}, "
        f"peak RSS {result['rss']:.0f} MiB, "
        f"CPU app {result['cpu_app']:.1f} s + PIM {cpu(result['cpu_pim'])}, "
        f"load {load_before:.1f}→{result['load_1min'][1]:.1f}",
        flush=True,
    )
    if result.get("trace"):
        print_timeline(result["trace"])
    return result


def cpu(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.1f} s"


def assess(work: str, parallel: dict, zero: dict, sequential: dict | None, latency: float) -> dict:
    floor = parallel["calls"] * latency / PARALLEL_BUDGET
    bound = BOUND_FACTOR * floor + zero["time"]
    notes = []
    for label, m in (("parallel", parallel), ("sequential", sequential), ("0 ms", zero)):
        if m is not None and m["peak_in_flight"] > m["budget"]:
            notes.append(f"{label}: peak in flight {m['peak_in_flight']} above the budget {m['budget']}")
    for label, m in (("sequential", sequential), ("0 ms", zero)):
        if m is not None and m["calls"] != parallel["calls"]:
            notes.append(f"calls differ: parallel {parallel['calls']}, {label} {m['calls']}")
    return {
        "work": work,
        "products": parallel["products"],
        "latency": latency,
        "calls": parallel["calls"],
        "parallel_time": parallel["time"],
        "floor": floor,
        "sequential_time": sequential["time"] if sequential else None,
        "zero_latency_time": zero["time"],
        "bound": bound,
        "pass": parallel["time"] <= bound,
        "slack": (parallel["time"] - zero["time"]) / floor if floor else None,
        "notes": notes,
        "runs": {"parallel": parallel, "sequential": sequential, "zero_latency": zero},
    }


def measure_size(
    products: int, latency: float, works: list[str], sequential: bool, trace: bool = False
) -> list[dict]:
    print(f"\n== {products:,} products, latency {latency * 1000:.0f} ms", flush=True)
    rows = []
    for work in works:
        zero = measure_one(work, products, PARALLEL_BUDGET, 0.0)
        parallel = measure_one(work, products, PARALLEL_BUDGET, latency, trace)
        seq = measure_one(work, products, 1, latency) if sequential else None
        rows.append(assess(work, parallel, zero, seq, latency))
    return rows


def fmt_s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def print_table(rows: list[dict]) -> None:
    print(
        f"\n{'work':<7} {'products':>9} {'calls':>7} {'parallel':>10} {'floor':>9} {'sequential':>11} "
        f"{'0 ms':>9} {'0 ms CPU app+PIM':>17} {'peak (b4/b1)':>12} {'RSS b4':>8} {'bound':>9}  check"
    )
    for r in rows:
        runs = r["runs"]
        peaks = f"{runs['parallel']['peak_in_flight']}/" + (
            str(runs["sequential"]["peak_in_flight"]) if runs["sequential"] else "-"
        )
        zero_run = runs["zero_latency"]
        zero_cpu = f"{cpu(zero_run.get('cpu_app'))} + {cpu(zero_run.get('cpu_pim'))}"
        print(
            f"{r['work']:<7} {r['products']:>9,} {r['calls']:>7,} {fmt_s(r['parallel_time']):>10} "
            f"{fmt_s(r['floor']):>9} {fmt_s(r['sequential_time']):>11} {fmt_s(r['zero_latency_time']):>9} "
            f"{zero_cpu:>17} {peaks:>12} {runs['parallel']['rss']:>4.0f} MiB {fmt_s(r['bound']):>9}  "
            f"{'PASS' if r['pass'] else 'FAIL'}"
        )
        for note in r["notes"]:
            print(f"        ! {note}")
    print(
        f"floor = calls × latency / {PARALLEL_BUDGET}; bound = {BOUND_FACTOR} × floor + 0 ms time; "
        "PASS if parallel ≤ bound. RSS b4 = peak RSS of the child doing the parallel run.\n"
        "0 ms CPU app+PIM: CPU seconds of the work's process and of the sandbox's during the 0 ms run "
        "(on 2 cores, a 0 ms time well above their sum or max means other processes took the cores)."
    )


def least_squares(points: list[tuple[float, float]]) -> tuple[float, float]:
    """(intercept, slope) of the least-squares line through the points."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx if sxx else 0.0
    return mean_y - slope * mean_x, slope


def off_line(points: list[tuple[float, float]], line: tuple[float, float]) -> float:
    """How far the measured point farthest from the line is from it, relative to its value."""
    return max(abs(y - (line[0] + line[1] * x)) / y if y else 0.0 for x, y in points)


def projection(rows: list[dict], works: list[str]) -> list[dict]:
    projected = []
    print(
        f"\n== projection to {PROJECTED_PRODUCTS:,} products, from the sizes measured:\n"
        "   calls(N), 0 ms time(N): least-squares lines through (products, calls), (products, 0 ms time);\n"
        "   r = (parallel − 0 ms time) / floor at the largest size (the latency part against the floor);\n"
        f"   projected parallel = calls({PROJECTED_PRODUCTS:,}) × latency / {PARALLEL_BUDGET} × r "
        f"+ 0 ms time({PROJECTED_PRODUCTS:,}), no 1.3 factor;\n"
        "   sequential ≈ calls × latency + 0 ms time (budget 1: the latency of every call in a row)."
    )
    for work in works:
        mine = sorted((r for r in rows if r["work"] == work), key=lambda r: r["products"])
        if len(mine) < 2:
            continue
        call_points = [(r["products"], r["calls"]) for r in mine]
        zero_points = [(r["products"], r["zero_latency_time"]) for r in mine]
        calls_line, zero_line = least_squares(call_points), least_squares(zero_points)
        largest = mine[-1]
        slack = largest["slack"]
        calls = calls_line[0] + calls_line[1] * PROJECTED_PRODUCTS
        zero_on_line = zero_line[0] + zero_line[1] * PROJECTED_PRODUCTS
        zero = max(0.0, zero_on_line)
        entry = {
            "work": work,
            "products": PROJECTED_PRODUCTS,
            "calls_line": {"intercept": calls_line[0], "per_product": calls_line[1]},
            "zero_latency_line": {"intercept": zero_line[0], "per_product": zero_line[1]},
            "calls_off_line": off_line(call_points, calls_line),
            "zero_latency_off_line": off_line(zero_points, zero_line),
            "calls": calls,
            "zero_latency_time": zero,
            "slack": slack,
            "slack_from": {"products": largest["products"], "latency": largest["latency"]},
            "parallel_time": {},
        }
        points = ", ".join(
            f"{r['products']:,}: {r['calls']:,} calls, {r['zero_latency_time']:.2f} s at 0 ms, "
            f"{r['parallel_time']:.2f} s at {r['latency'] * 1000:.0f} ms"
            for r in mine
        )
        print(f"   {work}: measured {points}")
        print(
            f"      calls = {calls_line[0]:.1f} + {calls_line[1]:.5f} × N → {calls:,.0f} "
            f"(points off the line by {entry['calls_off_line']:.0%} at most); "
            f"0 ms time = {zero_line[0]:.2f} s + {zero_line[1] * 1000:.4f} ms × N → {zero_on_line:.2f} s"
            + (" (taken as 0)" if zero_on_line < 0 else "")
            + f" (points off the line by {entry['zero_latency_off_line']:.0%} at most); "
            f"r = {slack:.3f} (at {largest['products']:,} products, {largest['latency'] * 1000:.0f} ms)"
        )
        for latency_ms in PROJECTED_LATENCIES_MS:
            floor = calls * latency_ms / 1000 / PARALLEL_BUDGET
            estimate = floor * slack + zero
            sequential = calls * latency_ms / 1000 + zero
            entry["parallel_time"][str(latency_ms)] = {
                "floor": floor,
                "estimate": estimate,
                "bound": BOUND_FACTOR * floor + zero,
                "sequential_estimate": sequential,
            }
            below = (
                f" — below the floor: r < 1 because part of the 0 ms work hid behind the waits at "
                f"{largest['latency'] * 1000:.0f} ms; it cannot take less than the floor"
                if estimate < floor
                else ""
            )
            print(
                f"      {latency_ms:>4} ms: floor {floor:,.0f} s; projected parallel {estimate:,.0f} s "
                f"({estimate / 60:.1f} min){below}; bound 1.3 × floor + 0 ms "
                f"{BOUND_FACTOR * floor + zero:,.0f} s; sequential ≈ {sequential:,.0f} s "
                f"({sequential / 60:.1f} min)"
            )
        projected.append(entry)
    return projected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--sizes", help="catalog sizes, comma-separated (e.g. 2500,5000,10000): a projection")
    parser.add_argument("--skip-sequential", action="store_true", help="leave out the budget-1 runs")
    parser.add_argument("--works", default=",".join(WORKS), help="comma-separated among sync,export,push")
    parser.add_argument("--json", nargs="?", const="-", help="write the results as JSON (to PATH, or stdout)")
    parser.add_argument(
        "--trace", action="store_true", help="time every call of the parallel runs: where the time goes"
    )
    parser.add_argument("--report", metavar="PATH", help="print a --json file's summary only")
    parser.add_argument("--step", choices=WORKS, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--budget", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--latency-seconds", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--pim-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        measured = child(
            args.step,
            args.base_url,
            args.budget,
            args.latency_seconds,
            args.products,
            args.pim_pid,
            args.trace,
        )
        print(json.dumps(measured))
        return

    if args.report:
        saved = json.loads(Path(args.report).read_text())
        rows = saved["results"]
        print_table(rows)
        found = list(dict.fromkeys(r["work"] for r in rows))
        if len({r["products"] for r in rows}) >= 2:
            projection(rows, found)
        return
    works = [w.strip() for w in args.works.split(",") if w.strip()]
    if unknown := set(works) - set(WORKS):
        parser.error(f"unknown works: {', '.join(sorted(unknown))}")
    sizes = (
        [int(part.replace("_", "")) for part in args.sizes.split(",") if part.strip()]
        if args.sizes
        else [args.products]
    )
    latency = args.latency_ms / 1000
    started = time.perf_counter()
    rows = []
    for size in sizes:
        rows += measure_size(size, latency, works, not args.skip_sequential, args.trace)
    print("\n== summary")
    print_table(rows)
    projected = projection(rows, works) if len(sizes) >= 2 else []
    print(
        f"\nwall time of the benchmark: {time.perf_counter() - started:.0f} s; "
        f"this process's peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    if args.json:
        document = json.dumps({"latency": latency, "results": rows, "projection": projected}, indent=2)
        if args.json == "-":
            print(document)
        else:
            Path(args.json).write_text(document + "\n")
            print(f"JSON written to {args.json}")


if __name__ == "__main__":
    main()
