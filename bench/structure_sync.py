"""Benchmark: a structure sync of a sandbox PIM whose catalog has many attribute options.

Usage: .venv/bin/python bench/structure_sync.py [--options 20000]
Runs against a throwaway SQLite database (or DATABASE_URL if set), twice: the first sync creates
everything, the second finds everything unchanged. Prints objects, SQL queries, HTTP requests,
wall time and peak memory of each.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_on_throwaway_db  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--options", type=int, default=20_000)
    args = parser.parse_args()
    django_on_throwaway_db("bench-sync-")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from connector.models import AkeneoConnection
    from connector.runs import start_run
    from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo, build_demo_catalog
    from connector.tasks import STRUCTURE_SYNC

    catalog = build_demo_catalog(products=10)
    catalog.options["features"] = {
        f"feature_{n:05d}": {
            "code": f"feature_{n:05d}",
            "attribute": "features",
            "sort_order": n,
            "labels": {"en_US": f"Feature {n}", "fr_FR": f"Fonction {n}"},
        }
        for n in range(args.options)
    }
    with FakeAkeneo(catalog) as pim:
        target = AkeneoConnection.objects.create(
            name=f"bench-{time.time_ns()}",
            base_url=pim.base_url,
            max_requests_per_second=1000,
            **{k: SANDBOX_CREDENTIALS[k] for k in ("client_id", "secret", "username", "password")},
        )
        for label in ("first sync", "second sync (no change)"):
            pim.clear_requests()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                run = start_run(STRUCTURE_SYNC, target, inline=True)
                elapsed = time.perf_counter() - started
            objects = sum(run.counters.get(k, 0) for k in ("created", "updated", "unchanged"))
            per_hundred = len(queries) / max(1, objects / 100)
            print(
                f"{label}: {run.status}, {objects} objects ({run.counters}), {len(queries)} SQL queries "
                f"({per_hundred:.1f} per 100 objects), {len(pim.requests)} HTTP requests, {elapsed:.2f} s"
            )
    print(
        f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
        f"(database: {connection.vendor})"
    )


if __name__ == "__main__":
    main()
