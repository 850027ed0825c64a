"""Benchmark: the SFCC catalog export (job=all, full) against a sandbox PIM, next to a bare-loop ceiling.

Usage: .venv/bin/python bench/sfcc_export.py [--products 10000[,100000]]

For each size, the sandbox PIM (``manage.py sandbox_pim``) runs in its own process, so the figures
below are the exporter's alone. Two steps, each in a fresh child process (ru_maxrss is that
step's own peak):

- export: throwaway SQLite database, structure sync, then the timed export run (job=all, mode=full).
  Prints the run's counts, the product and product-model requests the PIM served during the export,
  the master catalog's size, the process's peak RSS and the peak during the export run alone (the
  kernel's peak count is reset when the export starts, so the setup's peak cannot hide it).
- bare: the ceiling. The same AkeneoClient lists the same products (pages of 100, search_after,
  ``enabled = true``) and writes one <product> per product with its values as <custom-attribute>
  elements through lxml's incremental writer: no Django, no spool, no record building.

With two sizes or more, prints the growth of the export's peak RSS (both figures) from the smallest
to the largest size and exits 1 if either exceeds 50 MiB (the requirement: 100,000 products within
50 MB of 10,000).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

MAX_RSS_GROWTH_MIB = 50
READY = re.compile(r"Sandbox PIM on (http://\S+)")
PRODUCTS_PATH = "/api/rest/v1/products-uuid"
MODELS_PATH = "/api/rest/v1/product-models"
CATALOG_NS = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LOCALE_MAPPING = {"en_US": "x-default", "fr_FR": "fr-FR", "de_DE": "de-DE"}
ATTRIBUTE_MAPPING = {"name": "name", "ean": "ean", "description": "long-description", "brand": "brand"}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def proc_status_mib(field: str) -> float | None:
    """VmRSS (now) or VmHWM (peak) of this process from /proc, None where there is no /proc."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else None


def reset_peak_rss() -> bool:
    """Restart the kernel's peak-RSS count (Linux: write 5 to clear_refs), so a step gets its own peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def served(base_url: str) -> dict[str, int]:
    """Requests the sandbox served so far, by path (no query string)."""
    with urllib.request.urlopen(f"{base_url}/_sandbox/requests", timeout=30) as answer:  # noqa: S310
        return json.load(answer)["by_path"]


def count_requests(before: dict[str, int], after: dict[str, int]) -> tuple[int, int]:
    """(product list requests, product-model requests) made between two snapshots of the log."""

    def diff(predicate) -> int:
        return sum(n - before.get(path, 0) for path, n in after.items() if predicate(path))

    products = diff(lambda path: path == PRODUCTS_PATH)
    models = diff(lambda path: path == MODELS_PATH or path.startswith(MODELS_PATH + "/"))
    return products, models


# ---------------------------------------------------------------------- child steps
def synced_profile(base_url: str, output: Path, **fields):
    """A connection to the sandbox at ``base_url``, synced, and the bench's export profile on it
    (the bench catalogs and mappings; ``fields`` add to them or override them). Django set up."""
    from connector.models import AkeneoConnection
    from connector.runs import start_run
    from connector.sandbox import SANDBOX_CREDENTIALS
    from connector.tasks import STRUCTURE_SYNC
    from sfcc_export.models import ExportProfile

    connection = AkeneoConnection.objects.create(
        name="bench", base_url=base_url, max_requests_per_second=1_000_000, **SANDBOX_CREDENTIALS
    )
    sync = start_run(STRUCTURE_SYNC, connection, inline=True)
    if sync.status != "done":
        raise SystemExit(f"structure sync: {sync.status}: {sync.error}")
    defaults = {
        "name": "bench",
        "connection": connection,
        "channel": "ecommerce",
        "master_catalog_id": "bench-master",
        "storefront_catalog_id": "bench-storefront",
        "locale_mapping": LOCALE_MAPPING,
        "attribute_mapping": ATTRIBUTE_MAPPING,
        "output_dir": str(output),
    }
    return ExportProfile.objects.create(**{**defaults, **fields})


def step_export(base_url: str) -> dict:
    from _setup import django_on_throwaway_db

    workdir = django_on_throwaway_db("bench-sfcc-export-")

    from connector.runs import start_run
    from sfcc_export.tasks import EXPORT

    profile = synced_profile(base_url, workdir / "out")
    rss_setup = peak_rss_mib()  # Django, migrations, structure sync
    rss_start = proc_status_mib("VmRSS")
    window = reset_peak_rss()
    before = served(base_url)
    started = time.perf_counter()
    run = start_run(EXPORT, profile, params={"job": "all", "mode": "full"}, inline=True)
    elapsed = time.perf_counter() - started
    rss_export = proc_status_mib("VmHWM") if window else None
    product_requests, model_requests = count_requests(before, served(base_url))
    if run.status != "done":
        raise SystemExit(f"export: {run.status}: {run.error}")
    folder = Path(run.result["folder"])
    master = next(f for f in run.result["files"] if f"/{profile.master_catalog_id}/" in f"/{f}")
    result = {
        "time": elapsed,
        "rss": max(rss_setup, peak_rss_mib()),
        "rss_setup": rss_setup,
        "rss_start": rss_start,
        "rss_export": rss_export,
        "counts": run.result["counts"],
        "product_requests": product_requests,
        "model_requests": model_requests,
        "master_bytes": (folder / master).stat().st_size,
        "archive_bytes": Path(run.result["archive"]).stat().st_size,
    }
    shutil.rmtree(workdir)  # the database, the catalogs and the zip: hundreds of MiB at 100,000
    return result


def step_bare(base_url: str) -> dict:
    from lxml import etree

    from connector.akeneo import AkeneoClient
    from connector.akeneo.search import Search
    from connector.sandbox import SANDBOX_CREDENTIALS

    def q(tag: str) -> str:
        return f"{{{CATALOG_NS}}}{tag}"

    before = served(base_url)
    search = Search().where("enabled", "=", True)
    count = 0
    with tempfile.TemporaryDirectory(prefix="bench-sfcc-bare-") as scratch:
        target = Path(scratch) / "catalog.xml"
        started = time.perf_counter()
        with AkeneoClient(base_url, **SANDBOX_CREDENTIALS) as client, target.open("wb") as out:
            with etree.xmlfile(out, encoding="UTF-8") as xf:
                xf.write_declaration()
                with xf.element(q("catalog"), {"catalog-id": "bench-bare"}, nsmap={None: CATALOG_NS}):
                    for page in client.pages("products-uuid", {}, search=search):
                        for product in (page.get("_embedded") or {}).get("items", []):
                            element = etree.Element(
                                q("product"),
                                {"product-id": product.get("identifier") or product["uuid"]},
                                nsmap={None: CATALOG_NS},
                            )
                            customs = etree.SubElement(element, q("custom-attributes"))
                            for code, values in (product.get("values") or {}).items():
                                for value in values:
                                    custom = etree.SubElement(
                                        customs, q("custom-attribute"), {"attribute-id": code}
                                    )
                                    custom.set(XML_LANG, value.get("locale") or "x-default")
                                    data = value.get("data")
                                    custom.text = data if isinstance(data, str) else json.dumps(data)
                            xf.write(element)
                            count += 1
                        xf.flush()
        elapsed = time.perf_counter() - started
        size = target.stat().st_size
    product_requests, _ = count_requests(before, served(base_url))
    return {
        "time": elapsed,
        "rss": peak_rss_mib(),
        "products": count,
        "product_requests": product_requests,
        "xml_bytes": size,
    }


# --------------------------------------------------------------------------- parent
class SandboxPim:
    """``manage.py sandbox_pim`` in its own process, on a free port, until stopped."""

    def __init__(self, products: int, log: Path):
        self.products = products
        self.log = log

    def __enter__(self) -> SandboxPim:
        env = {**os.environ, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only"), "LOG_LEVEL": "WARNING"}
        command = [
            sys.executable,
            "manage.py",
            "sandbox_pim",
            "--port",
            "0",
            "--products",
            str(self.products),
        ]
        self.started = time.perf_counter()
        with self.log.open("wb") as errors:
            self.process = subprocess.Popen(  # noqa: S603
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors, text=True
            )
        try:
            self.base_url = self._wait_ready(timeout=1800)
        except BaseException:
            self.stop()
            raise
        self.ready_after = time.perf_counter() - self.started
        # Keep the pipe drained: nothing should come, but a full pipe would block the server.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        return self

    def _wait_ready(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        try:
            while time.monotonic() < deadline:
                if not selector.select(timeout=1):
                    if self.process.poll() is not None:
                        break
                    continue
                line = self.process.stdout.readline()
                if not line:
                    break
                if match := READY.search(line):
                    return match.group(1)
        finally:
            selector.close()
        raise SystemExit(f"The sandbox PIM did not start (see {self.log}).")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __exit__(self, *exc) -> None:
        self.stop()


def run_step(step: str, base_url: str) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--base-url", base_url]
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise SystemExit(f"step {step} failed (exit {done.returncode}):\n{done.stdout}")
    return json.loads(lines[-1])


def mib(n_bytes: int) -> str:
    return f"{n_bytes / 1024 / 1024:.1f} MiB"


def measure(products: int) -> dict:
    with tempfile.NamedTemporaryFile(prefix="bench-sandbox-", suffix=".log", delete=False) as log:
        log_path = Path(log.name)
    with SandboxPim(products, log_path) as pim:
        print(f"\n== {products:,} products: sandbox PIM ready in {pim.ready_after:.1f} s at {pim.base_url}")
        export = run_step("export", pim.base_url)
        bare = run_step("bare", pim.base_url)
    if log_path.stat().st_size:
        print(f"   (sandbox PIM stderr in {log_path})")
    else:
        log_path.unlink()
    counts = export["counts"]
    in_scope = bare["products"]
    exported = counts.get("products", 0) + counts.get("variants", 0)
    expected_pages = math.ceil(in_scope / 100)
    print("   counts: " + ", ".join(f"{name} {counts.get(name, 0):,}" for name in sorted(counts)))
    print(f"   products in scope (enabled): {in_scope:,}; exported products + variants: {exported:,}")
    print(
        f"   export: {export['time']:.2f} s ({in_scope / export['time']:,.0f} products/s), "
        f"process peak RSS {export['rss']:.0f} MiB "
        f"(setup + structure sync alone: {export['rss_setup']:.0f} MiB)"
    )
    if export["rss_export"] is not None:
        grown = export["rss_export"] - export["rss_start"]
        print(
            f"   export's own peak RSS (peak reset when it starts): {export['rss_export']:.0f} MiB, "
            f"from {export['rss_start']:.0f} MiB at its start (+{grown:.0f} MiB)"
        )
    print(
        f"   bare loop (ceiling): {bare['time']:.2f} s ({in_scope / bare['time']:,.0f} products/s), "
        f"peak RSS {bare['rss']:.0f} MiB"
    )
    print(f"   ratio export/bare: {export['time'] / bare['time']:.2f}")
    print(
        f"   product requests: export {export['product_requests']:,}, bare {bare['product_requests']:,}, "
        f"ceil({in_scope:,}/100) = {expected_pages:,}; product-model requests (export): "
        f"{export['model_requests']:,}"
    )
    print(
        f"   master catalog XML: {mib(export['master_bytes'])}; site archive (zip): "
        f"{mib(export['archive_bytes'])}; bare XML: {mib(bare['xml_bytes'])}"
    )
    return {"products": products, "in_scope": in_scope, "export": export, "bare": bare}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--products", default="10000", help="catalog sizes, comma-separated (e.g. 10000,100000)"
    )
    parser.add_argument("--step", choices=("export", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        result = step_export(args.base_url) if args.step == "export" else step_bare(args.base_url)
        print(json.dumps(result))
        return

    sizes = [int(part.replace("_", "")) for part in args.products.split(",") if part.strip()]
    results = [measure(size) for size in sizes]
    print("\n== summary")
    print(
        f"{'N':>9} {'in scope':>9} {'export':>9} {'bare':>8} {'ratio':>6} {'export/s':>9} "
        f"{'RSS exp':>8} {'RSS exp*':>9} {'RSS bare':>9} {'prod req':>9} {'ceil/100':>9} "
        f"{'model req':>9} {'master XML':>11}"
    )
    for r in results:
        export, bare = r["export"], r["bare"]
        window = f"{export['rss_export']:>5.0f} MiB" if export["rss_export"] is not None else "n/a"
        print(
            f"{r['products']:>9,} {r['in_scope']:>9,} {export['time']:>8.2f}s {bare['time']:>7.2f}s "
            f"{export['time'] / bare['time']:>6.2f} {r['in_scope'] / export['time']:>9,.0f} "
            f"{export['rss']:>4.0f} MiB {window:>9} {bare['rss']:>5.0f} MiB "
            f"{export['product_requests']:>9,} {math.ceil(r['in_scope'] / 100):>9,} "
            f"{export['model_requests']:>9,} {mib(export['master_bytes']):>11}"
        )
    print("RSS exp = the export child's process peak; RSS exp* = its peak during the export run alone.")
    if len(results) >= 2:
        small, large = min(results, key=lambda r: r["products"]), max(results, key=lambda r: r["products"])
        too_much = False
        for key, label in (("rss", "process peak RSS"), ("rss_export", "peak RSS during the export")):
            if small["export"][key] is None or large["export"][key] is None:
                continue
            growth = large["export"][key] - small["export"][key]
            too_much |= growth > MAX_RSS_GROWTH_MIB
            print(
                f"export {label}, {large['products']:,} vs {small['products']:,} products: {growth:+.1f} MiB "
                f"(limit {MAX_RSS_GROWTH_MIB} MiB): {'TOO MUCH' if growth > MAX_RSS_GROWTH_MIB else 'OK'}"
            )
        if too_much:
            sys.exit(1)


if __name__ == "__main__":
    main()
