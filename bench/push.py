"""Benchmark: import a 10,000-row supplier file and push it to the sandbox PIM.

Usage: .venv/bin/python bench/push.py [--products 10000]
Runs against a throwaway SQLite database (or DATABASE_URL). Prints import time, push time,
product batch requests and peak memory.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_on_throwaway_db  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=10_000)
    args = parser.parse_args()
    workdir = django_on_throwaway_db("bench-push-")

    from connector.models import AkeneoConnection
    from connector.runs import start_run
    from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo, build_demo_catalog
    from sdm.jobs import import_supplier_file
    from sdm.models import Workflow
    from sdm.tasks import JOB_PUSH, WORKFLOW_SYNC

    supplier = workdir / "supplier.csv"
    with supplier.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
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
        )
        for n in range(args.products):
            writer.writerow(
                [
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
            )
    with FakeAkeneo(build_demo_catalog(products=50)) as pim:
        connection = AkeneoConnection.objects.create(
            name=f"bench-{time.time_ns()}",
            base_url=pim.base_url,
            max_requests_per_second=1000,
            **SANDBOX_CREDENTIALS,
        )
        workflow = Workflow.objects.create(
            name=f"bench-{time.time_ns()}",
            connection=connection,
            channels=["ecommerce"],
            locales=["en_US", "fr_FR"],
        )
        start_run(WORKFLOW_SYNC, workflow, inline=True)
        started = time.perf_counter()
        job = import_supplier_file(workflow, supplier)
        imported = time.perf_counter() - started
        pim.clear_requests()
        started = time.perf_counter()
        run = start_run(JOB_PUSH, job, inline=True)
        pushed = time.perf_counter() - started
        batches = pim.count(method="PATCH", path_prefix="/api/rest/v1/products")
    print(f"import: {job.row_count} rows in {imported:.2f} s")
    print(
        f"push: {run.status}, {run.counters}, {batches} batch requests, {pushed:.2f} s "
        f"({job.row_count / pushed:.0f} products/s)"
    )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS (fake PIM + app, one process): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
