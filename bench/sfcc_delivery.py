"""Benchmark: the SFCC export delivered to an instance (job=all, full): write, schema check, parts, delivery.

Usage: .venv/bin/python bench/sfcc_delivery.py [--products 100000] [--archive-max-mb 100] [--images]

Three processes besides this one, so that each one's memory and CPU are its own (they still share
the machine's cores: the fake's validation of an upload competes with the exporter for them):

- the sandbox PIM (``manage.py sandbox_pim``), as in bench/sfcc_export.py;
- the fake SFCC (``tests/fake_sfcc.py``, ``FakeSfcc(polls_until_finished=1)``) in a child of its own,
  which prints its URLs and API client on stdout and answers the parent on stdin until the end. Its
  site import validates every XML document of each uploaded part against the SFCC schemas (whole
  trees in memory, kept in its ``imports`` records, as the fake does);
- the export step, a fresh child on a throwaway SQLite database: structure sync, a profile like
  bench/sfcc_export.py's delivering to the fake (``delivery_target="instance"``, the profile's
  ``archive_max_mb`` from ``--archive-max-mb``; with ``--images`` also ``{"large": ["main_image"]}``),
  ``SFCC_POLL_SECONDS=0.2`` and ``SFCC_BACKOFF_SECONDS=0.2``, then the timed run
  ``start_run(EXPORT, profile, params={"job": "all", "mode": "full"}, inline=True)``.

Printed: the total time and its phases from the run log's timestamps (run start -> "Every document
of the archive is valid against SFCC's schemas." = writing + schema check; that line -> the first
"uploading" line = packing and recording the parts; first "uploading" line -> run end = delivery).
No log line marks the end of writing, so after the run (not timed with it) the step calls
``xml_check.check_folder`` on the run's folder and ``archive_parts.pack_parts`` into a scratch folder
again and times each; writing = (start -> valid line) - that check. Then each part (file name,
size, the files it holds, its upload + import time and SFCC's answer), the largest document, the
export step's peak RSS (whole step, and the export run alone: the kernel's peak count is reset when
it starts), its CPU, and the fake SFCC's peak RSS (VmHWM) and CPU.

Exits 1 if a part is larger than archive_max_mb * 1,000,000 bytes, if a part's import is not OK (on
the run and in the fake's records), or if the product ids of the master catalog documents SFCC
imported (the fake's parsed documents; also read back from the part zips) are not exactly those of
the run folder's catalog.xml (streamed with iterparse after the run), or a product is in two parts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))  # ahead of bench/: the Django app sfcc_export, not bench/sfcc_export.py

import _setup  # noqa: E402 (found through the path above)

bench_sfcc = _setup.bench_sfcc_export()

MB = 1_000_000
CATALOG_NS = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
PRODUCT_TAG = f"{{{CATALOG_NS}}}product"
MASTER_ID = "bench-master"
STOREFRONT_ID = "bench-storefront"
VALID_LINE = "Every document of the archive is valid against SFCC's schemas."
UPLOADING = re.compile(
    r"^(?:Part (?P<index>\d+) of \d+ \((?P<name>[^)]+)\)|(?P<single>\S+\.zip)): uploading "
)
IMPORTED = re.compile(
    r"^(?:Part (?P<index>\d+) of \d+ \((?P<name>[^)]+)\)|(?P<single>\S+\.zip)): SFCC imported it"
)
CHILD_ENV = {"SFCC_POLL_SECONDS": "0.2", "SFCC_BACKOFF_SECONDS": "0.2"}


def master_member(name: str) -> bool:
    return f"/catalogs/{MASTER_ID}/" in f"/{name}" and name.endswith(".xml")


def product_ids(source) -> list[str]:
    """The product-id of every <product> of a catalog document (a path or a binary file), streaming."""
    from lxml import etree

    ids = []
    for _event, element in etree.iterparse(
        source, events=("end",), tag=PRODUCT_TAG, huge_tree=True, resolve_entities=False, no_network=True
    ):
        ids.append(element.get("product-id"))
        element.clear(keep_tail=False)
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]
    return ids


def cpu_seconds_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def proc_cpu_seconds(pid: int) -> float | None:
    """utime + stime of another process, from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_hwm_mib(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else None


# ---------------------------------------------------------------------- child: the fake SFCC
def step_fake() -> None:
    """The fake SFCC until told to stop (``stop`` or end of stdin). ``report <path>`` writes what
    it imported to <path> (JSON) and answers ``ok``."""
    import signal

    from tests.fake_sfcc import FakeSfcc

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so that the upload folder is removed
    fake = FakeSfcc(polls_until_finished=1).start()
    try:
        print(
            json.dumps(
                {
                    "instance_url": fake.instance_url,
                    "account_manager_url": fake.account_manager_url,
                    "client_id": fake.client_id,
                    "client_secret": fake.client_secret,
                    "xsd_dir": str(fake.xsd_dir),
                }
            ),
            flush=True,
        )
        for line in sys.stdin:
            command, _, argument = line.strip().partition(" ")
            if command == "stop":
                break
            if command == "report":
                imports = []
                for record in fake.imports:
                    ids = [
                        element.get("product-id")
                        for name, root in record.documents.items()
                        if master_member(name)
                        for element in root.iterchildren(PRODUCT_TAG)
                    ]
                    imports.append(
                        {
                            "execution_id": record.execution_id,
                            "file_name": record.file_name,
                            "exit_code": record.exit_code,
                            "message": record.message,
                            "api": record.api,
                            "members": record.members,
                            "master_ids": ids,
                        }
                    )
                Path(argument).write_text(json.dumps({"imports": imports, "errors": fake.errors}))
                print("ok", flush=True)
    finally:
        fake.stop()


class FakeSfccProcess:
    """``step_fake`` in a child process, until stopped."""

    def __init__(self, log: Path):
        self.log = log

    def __enter__(self) -> FakeSfccProcess:
        command = [sys.executable, str(Path(__file__).resolve()), "--step", "fake"]
        with self.log.open("wb") as errors:
            self.process = subprocess.Popen(  # noqa: S603
                command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True
            )
        line = self.process.stdout.readline()
        if not line.startswith("{"):
            self.stop()
            raise SystemExit(f"The fake SFCC did not start (see {self.log}).")
        self.info = json.loads(line)
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    def report(self, path: Path) -> dict:
        self.process.stdin.write(f"report {path}\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        if answer != "ok":
            raise SystemExit(f"The fake SFCC did not report (answer {answer!r}; see {self.log}).")
        return json.loads(path.read_text())

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.write("stop\n")
                self.process.stdin.close()
                self.process.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self.process.terminate()
                try:
                    self.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()

    def __exit__(self, *exc) -> None:
        self.stop()


# ---------------------------------------------------------------------- child: the export step
def step_export(base_url: str, fake: dict, archive_max_mb: str, images: bool, scratch: Path) -> dict:
    os.environ.update(CHILD_ENV)  # read by the settings at django.setup()
    from _setup import django_on_throwaway_db

    workdir = django_on_throwaway_db("bench-sfcc-delivery-")
    try:
        return _export(base_url, fake, archive_max_mb, images, scratch, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # the database, the folder, the parts: hundreds of MB


def _export(
    base_url: str, fake: dict, archive_max_mb: str, images: bool, scratch: Path, workdir: Path
) -> dict:
    from decimal import Decimal

    from django.conf import settings

    from connector.models import RunLogEntry
    from connector.runs import start_run
    from sfcc_export.archive_parts import pack_parts
    from sfcc_export.models import ArchivePart
    from sfcc_export.tasks import EXPORT
    from sfcc_export.xml_check import check_folder

    assert settings.SFCC_POLL_SECONDS == 0.2 and settings.SFCC_BACKOFF_SECONDS == 0.2
    settings.MEDIA_CACHE_ROOT = workdir / "media-cache"
    profile = bench_sfcc.synced_profile(
        base_url,
        workdir / "out",
        image_view_types={"large": ["main_image"]} if images else {},
        delivery_target="instance",
        instance_url=fake["instance_url"],
        account_manager_url=fake["account_manager_url"],
        api_client_id=fake["client_id"],
        api_client_secret=fake["client_secret"],
        archive_max_mb=Decimal(archive_max_mb),
    )
    assert (profile.master_catalog_id, profile.storefront_catalog_id) == (MASTER_ID, STOREFRONT_ID)
    profile.full_clean()  # the codes it names are in the mirror (main_image among the images)
    rss_setup = bench_sfcc.peak_rss_mib()
    rss_start = bench_sfcc.proc_status_mib("VmRSS")
    window = bench_sfcc.reset_peak_rss()
    cpu_before = cpu_seconds_self()
    started = time.perf_counter()
    run = start_run(EXPORT, profile, params={"job": "all", "mode": "full"}, inline=True)
    elapsed = time.perf_counter() - started
    cpu_run = cpu_seconds_self() - cpu_before
    rss_export = bench_sfcc.proc_status_mib("VmHWM") if window else None
    rss_step = max(rss_setup, bench_sfcc.peak_rss_mib())
    log = list(
        RunLogEntry.objects.filter(run=run).order_by("pk").values_list("created_at", "level", "message")
    )
    if run.status != "done":
        for _at, _level, message in log[-15:]:
            print(f"   log: {message}", file=sys.stderr)
        raise SystemExit(f"export: {run.status}: {run.error}")

    # ----------------------------------------------------------- phases from the run log
    def since_start(moment) -> float:
        return (moment - run.started_at).total_seconds()

    valid_at = next((at for at, _l, message in log if message == VALID_LINE), None)
    split_line = next(
        (message for _a, _l, message in log if message.startswith("The archive is larger than")), None
    )
    uploads, imported = {}, {}
    for at, _level, message in log:
        for pattern, into in ((UPLOADING, uploads), (IMPORTED, imported)):
            if match := pattern.match(message):
                into[int(match.group("index") or 1)] = (at, message)
    first_upload = min((at for at, _m in uploads.values()), default=None)
    phases = {
        "run": (run.finished_at - run.started_at).total_seconds(),
        "write_check": since_start(valid_at) if valid_at else None,
        "pack": (first_upload - valid_at).total_seconds() if valid_at and first_upload else None,
        "delivery": (run.finished_at - first_upload).total_seconds() if first_upload else None,
    }

    # ----------------------------------------------------------- the parts
    folder = Path(run.result["folder"])
    limit = profile.archive_max_bytes
    rows = {part.index: part for part in ArchivePart.objects.filter(archive_id=run.result["site_archive"])}
    parts = []
    for entry in run.result["delivery"]["parts"]:
        row = rows[entry["index"]]
        path = Path(row.path)
        xml_files = [name for name in row.files if name.endswith(".xml")]
        static = [name for name in row.files if name not in xml_files]
        with zipfile.ZipFile(path) as bundle:
            members = [info for info in bundle.infolist() if master_member(info.filename)]
            master_ids = [pid for info in members for pid in product_ids(bundle.open(info))]
            unpacked = {info.filename.split("/", 1)[1]: info.file_size for info in bundle.infolist()}
        up = uploads.get(entry["index"])
        done = imported.get(entry["index"])
        parts.append(
            {
                "index": entry["index"],
                "file_name": entry["file_name"],
                "size": entry["size"],
                "file_size": path.stat().st_size,
                "row_size": row.size,
                "status": entry["status"],
                "exit_status": entry["exit_status"],
                "message": entry["message"],
                "api": entry["api"],
                "xml_files": [(name, unpacked.get(name, 0)) for name in xml_files],
                "static_files": len(static),
                "static_bytes": sum(unpacked.get(name, 0) for name in static),
                "master_ids": len(master_ids),
                "upload_import": (done[0] - up[0]).total_seconds() if up and done else None,
                "digest": row.digest,
            }
        )
        Path(scratch / f"part-{entry['index']}-ids.json").write_text(json.dumps(master_ids))
    documents = sorted(
        ((path.relative_to(folder).as_posix(), path.stat().st_size) for path in folder.rglob("*.xml")),
        key=lambda item: -item[1],
    )
    master_path = folder / "catalogs" / MASTER_ID / "catalog.xml"
    whole_ids = product_ids(str(master_path))
    (scratch / "whole-ids.json").write_text(json.dumps(whole_ids))

    # ----------------------------------------------------------- check and packing again, timed alone
    t0 = time.perf_counter()
    problems = check_folder(folder, Path(settings.SFCC_XSD_DIR))
    check_time = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="bench-repack-", dir=workdir) as repack:
        t0 = time.perf_counter()
        again = pack_parts(folder, limit, catalog_order=(MASTER_ID, STOREFRONT_ID), out_dir=Path(repack))
        pack_time = time.perf_counter() - t0
        repacked = [(part.name, part.size, part.digest) for part in again]
    folder_bytes = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    return {
        "time": elapsed,
        "cpu_run": cpu_run,
        "rss": rss_step,
        "rss_setup": rss_setup,
        "rss_start": rss_start,
        "rss_export": rss_export,
        "counts": run.result["counts"],
        "phases": phases,
        "split_line": split_line,
        "limit": limit,
        "parts": parts,
        "documents": documents[:3],
        "document_count": len(documents),
        "folder_bytes": folder_bytes,
        "master_bytes": master_path.stat().st_size,
        "check_time": check_time,
        "check_problems": [str(problem) for problem in problems],
        "pack_time": pack_time,
        "repacked": repacked,
        "archive_status": run.result.get("delivery", {}).get("exit_status"),
    }


# --------------------------------------------------------------------------- parent
def run_export_step(base_url: str, fake: dict, args, scratch: Path) -> dict:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--step",
        "export",
        "--base-url",
        base_url,
        "--fake",
        json.dumps(fake),
        "--archive-max-mb",
        args.archive_max_mb,
        "--scratch",
        str(scratch),
    ] + (["--images"] if args.images else [])
    env = {**os.environ, **CHILD_ENV}
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise SystemExit(f"the export step failed (exit {done.returncode}):\n{done.stdout}")
    return json.loads(lines[-1])


def mib_or_na(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} MiB"


def fmt(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:.1f} s"


def measure(args) -> bool:
    scratch = Path(tempfile.mkdtemp(prefix="bench-sfcc-delivery-ids-"))
    pim_log = scratch / "sandbox.log"
    fake_log = scratch / "fake-sfcc.log"
    try:
        with bench_sfcc.SandboxPim(args.products, pim_log) as pim, FakeSfccProcess(fake_log) as fake:
            print(
                f"== {args.products:,} products, archive_max_mb {args.archive_max_mb}"
                f"{', images (large: main_image)' if args.images else ''}: sandbox PIM ready in "
                f"{pim.ready_after:.1f} s at {pim.base_url}; fake SFCC at {fake.info['instance_url']} "
                f"(pid {fake.pid}, XSDs {fake.info['xsd_dir']})"
            )
            pim_cpu0, fake_cpu0 = proc_cpu_seconds(pim.process.pid), proc_cpu_seconds(fake.pid)
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            result = run_export_step(pim.base_url, fake.info, args, scratch)
            step_time = time.perf_counter() - started
            pim_cpu1, fake_cpu1 = proc_cpu_seconds(pim.process.pid), proc_cpu_seconds(fake.pid)
            fake_hwm = proc_hwm_mib(fake.pid)
            print(
                f"   1-minute load average: {load_before:.2f} before the export step, "
                f"{os.getloadavg()[0]:.2f} after (2 cores)"
            )
            report = fake.report(scratch / "fake-report.json")
        return show(
            args, result, report, scratch, step_time, fake_hwm, pim_cpu0, pim_cpu1, fake_cpu0, fake_cpu1
        )
    finally:
        for log in (pim_log, fake_log):
            if log.exists() and log.stat().st_size:
                print(f"   ({log.name} stderr, kept: {log.read_text()[-3000:]})")
        shutil.rmtree(scratch, ignore_errors=True)


def show(args, r, report, scratch, step_time, fake_hwm, pim_cpu0, pim_cpu1, fake_cpu0, fake_cpu1) -> bool:
    ok = True
    failures = []
    counts = r["counts"]
    phases = r["phases"]
    print("   counts: " + ", ".join(f"{name} {counts.get(name, 0):,}" for name in sorted(counts)))
    write = phases["write_check"] - r["check_time"] if phases["write_check"] is not None else None
    print(
        f"   total: {r['time']:.1f} s (start_run, inline; the run's own timestamps: {phases['run']:.1f} s); "
        f"export step process {step_time:.1f} s with setup and the checks after"
    )
    print(
        f"   phases (run log): write + schema check {fmt(phases['write_check'])} "
        f'(start -> "{VALID_LINE}"), pack + record {fmt(phases["pack"])} (-> first "uploading"), '
        f'delivery {fmt(phases["delivery"])} (first "uploading" -> run end)'
    )
    print(
        f"   measured again after the run: schema check of the folder {r['check_time']:.1f} s "
        f"({r['document_count']} XML documents, {r['folder_bytes'] / MB:.1f} MB in the folder; "
        f"problems: {len(r['check_problems'])}), pack_parts into a scratch folder {r['pack_time']:.1f} s; "
        f"so writing ~ {fmt(write)}"
    )
    if r["split_line"]:
        print(f"   log: {r['split_line']}")
    largest = r["documents"][0] if r["documents"] else ("-", 0)
    print(
        f"   largest document: {largest[0]} {largest[1] / MB:.1f} MB "
        f"(master catalog {r['master_bytes'] / MB:.1f} MB)"
    )
    parts = r["parts"]
    print(f"   parts: {len(parts)} (limit {r['limit']:,} bytes)")
    fake_imports = {record["file_name"]: record for record in report["imports"]}
    for part in parts:
        record = fake_imports.get(part["file_name"])
        xml = ", ".join(f"{name} {size / MB:.1f} MB" for name, size in part["xml_files"])
        static = (
            f"; {part['static_files']} static files {part['static_bytes'] / MB:.1f} MB"
            if part["static_files"]
            else ""
        )
        print(
            f"   part {part['index']}: {part['file_name']} {part['size'] / MB:.2f} MB "
            f"({part['size']:,} bytes), upload + import {fmt(part['upload_import'])}, "
            f"{part['status']} {part['exit_status']} via {part['api']}: {part['message']}"
        )
        print(f"      holds (unpacked sizes): {xml}{static}; master catalog products: {part['master_ids']:,}")
        if max(part["size"], part["file_size"], part["row_size"]) > r["limit"]:
            failures.append(f"part {part['index']} is {part['file_size']:,} bytes, over {r['limit']:,}")
        if part["exit_status"] != "OK" or part["status"] not in ("imported", "warnings"):
            failures.append(f"part {part['index']}: {part['status']} {part['exit_status']} {part['message']}")
        if record is None or record["exit_code"] != "OK":
            failures.append(f"part {part['index']}: the fake SFCC's import: {record and record['message']}")
    if len(report["imports"]) != len(parts):
        failures.append(f"the fake SFCC ran {len(report['imports'])} imports for {len(parts)} parts")
    if report["errors"]:
        failures.append(
            f"the fake SFCC had {len(report['errors'])} internal errors: {report['errors'][0][-500:]}"
        )
    if [digest for _name, _size, digest in r["repacked"]] != [part["digest"] for part in parts]:
        print(
            "   note: pack_parts again gave other parts: "
            + ", ".join(f"{name} {size / MB:.2f} MB" for name, size, _digest in r["repacked"])
        )
    if r["check_problems"]:
        failures.append("schema problems after the run: " + "; ".join(r["check_problems"][:3]))

    whole = json.loads((scratch / "whole-ids.json").read_text())
    imported_ids = [pid for record in report["imports"] for pid in record["master_ids"]]
    packed_ids = [
        pid for part in parts for pid in json.loads((scratch / f"part-{part['index']}-ids.json").read_text())
    ]
    for label, ids in (("imported by the fake SFCC", imported_ids), ("in the part zips", packed_ids)):
        missing, extra = set(whole) - set(ids), set(ids) - set(whole)
        repeated = len(ids) - len(set(ids))
        same = not missing and not extra and not repeated
        print(
            f"   master catalog products {label}: {len(ids):,} ({len(set(ids)):,} distinct) vs catalog.xml "
            f"{len(whole):,}: "
            + (
                "same set, none repeated"
                if same
                else f"{len(missing)} missing, {len(extra)} extra, {repeated} repeated"
            )
        )
        if not same:
            failures.append(
                f"products {label}: {len(missing)} missing, {len(extra)} extra, {repeated} repeated"
            )

    print(
        f"   export step peak RSS: {r['rss']:.0f} MiB "
        f"(setup + structure sync alone {r['rss_setup']:.0f} MiB); "
        + (
            f"during the export run alone {r['rss_export']:.0f} MiB, "
            f"from {r['rss_start']:.0f} MiB at its start "
            f"(+{r['rss_export'] - r['rss_start']:.0f} MiB)"
            if r["rss_export"] is not None
            else "the run alone: n/a"
        )
    )
    fake_cpu = fake_cpu1 - fake_cpu0 if fake_cpu0 is not None and fake_cpu1 is not None else None
    pim_cpu = pim_cpu1 - pim_cpu0 if pim_cpu0 is not None and pim_cpu1 is not None else None
    print(
        f"   CPU: export run {r['cpu_run']:.1f} s; sandbox PIM {fmt(pim_cpu)} and fake SFCC {fmt(fake_cpu)} "
        f"over the export step (2 cores shared by the three); fake SFCC peak RSS (VmHWM) "
        + (f"{fake_hwm:.0f} MiB" if fake_hwm is not None else "n/a")
        + " (it keeps every imported document's tree)"
    )
    for failure in failures:
        print(f"   FAIL: {failure}")
    ok = not failures
    command = (
        f"`.venv/bin/python bench/sfcc_delivery.py --products {args.products} "
        f"--archive-max-mb {args.archive_max_mb}" + (" --images`" if args.images else "`")
    )
    biggest = max(parts, key=lambda part: part["size"])
    print("\n== summary (RESULTS.md row)")
    print(
        "| command | products | total | write + check | check alone | pack + record | delivery | parts | "
        "largest part | master catalog XML | export peak RSS (run alone) | fake SFCC peak RSS | check |"
    )
    print(
        f"| {command} | {args.products:,} | {r['time']:.1f} s | {fmt(phases['write_check'])} | "
        f"{r['check_time']:.1f} s | {fmt(phases['pack'])} | {fmt(phases['delivery'])} | {len(parts)} | "
        f"{biggest['size'] / MB:.1f} MB | {r['master_bytes'] / MB:.1f} MB | {r['rss']:.0f} MiB "
        f"({mib_or_na(r['rss_export'])}) | {mib_or_na(fake_hwm)} | {'PASS' if ok else 'FAIL'} |"
    )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=lambda text: int(text.replace("_", "")), default=100_000)
    parser.add_argument(
        "--archive-max-mb", default="100", help="the profile's archive_max_mb (MB of 1,000,000 bytes)"
    )
    parser.add_argument(
        "--images", action="store_true", help='also image_view_types={"large": ["main_image"]}'
    )
    parser.add_argument("--step", choices=("export", "fake"), help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--fake", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "fake":
        step_fake()
        return
    if args.step == "export":
        result = step_export(
            args.base_url, json.loads(args.fake), args.archive_max_mb, args.images, Path(args.scratch)
        )
        print(json.dumps(result))
        return
    sys.exit(0 if measure(args) else 1)


if __name__ == "__main__":
    main()
