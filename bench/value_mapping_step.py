"""Benchmark: the value-mapping step of a big supplier job.

Usage: .venv/bin/python bench/value_mapping_step.py [--rows 100000] [--columns 5] [--options 2000]
A sandbox PIM gets ``--columns`` simple selects of ``--options`` options each; a supplier file of
``--rows`` rows fills them with option labels in another case (so suggestions match) and a share of
unknown values. Prints the import (rows + value collection), then, for the step page, the search
of options and a saved page: the time of one request each and its SQL query count.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_on_throwaway_db  # noqa: E402


def add_selects(catalog, columns: int, options: int) -> list[str]:
    codes = []
    for n in range(1, columns + 1):
        code = f"bench_select_{n}"
        catalog.attributes[code] = {
            **catalog.attributes["color"],
            "code": code,
            "labels": {"en_US": f"Bench select {n}"},
            "sort_order": 100 + n,
        }
        catalog.attribute_groups["marketing"]["attributes"].append(code)
        catalog.options[code] = {
            f"opt_{n}_{i}": {
                "code": f"opt_{n}_{i}",
                "attribute": code,
                "sort_order": i,
                "labels": {"en_US": f"Option {n} {i}", "fr_FR": f"Option {n} {i} fr"},
            }
            for i in range(options)
        }
        catalog.families["accessories"]["attributes"].append(code)
        codes.append(code)
    return codes


def timed(label: str, call):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - started
    print(f"{label}: {elapsed:.3f} s, {len(queries)} SQL queries")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=5)
    parser.add_argument("--options", type=int, default=2000)
    args = parser.parse_args()
    import os

    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    workdir = django_on_throwaway_db("bench-values-")

    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import reverse

    from connector.models import AkeneoConnection
    from connector.runs import start_run
    from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo, build_demo_catalog
    from sdm.jobs import import_supplier_file
    from sdm.models import Workflow
    from sdm.tasks import WORKFLOW_SYNC
    from sdm.value_mapping import unmapped_count

    catalog = build_demo_catalog(products=20)
    selects = add_selects(catalog, args.columns, args.options)
    rng = random.Random(7)
    supplier = workdir / "supplier.csv"
    with supplier.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "family", *selects])
        for row in range(args.rows):
            cells = []
            for n in range(1, args.columns + 1):
                i = rng.randrange(args.options + args.options // 10)  # about 9% unknown values
                cells.append(f"option {n} {i}".upper() if i < args.options else f"Supplier shade {n}-{i}")
            writer.writerow([f"BENCH-{row:06d}", "accessories", *cells])
    with FakeAkeneo(catalog) as pim:
        connection = AkeneoConnection.objects.create(
            name="bench", base_url=pim.base_url, max_requests_per_second=1000, **SANDBOX_CREDENTIALS
        )
        workflow = Workflow.objects.create(name="bench", connection=connection, channels=["ecommerce"])
        start_run(WORKFLOW_SYNC, workflow, inline=True)
        job = timed(
            f"import of {args.rows:,} rows with value collection",
            lambda: import_supplier_file(workflow, supplier),
        )
        values = job.value_mappings.count()
        unmapped = unmapped_count(job)
        print(f"distinct values: {values:,} ({values - unmapped:,} with a suggestion, {unmapped:,} unmapped)")
        client = Client()
        client.force_login(User.objects.create_superuser("bench"))
        step = reverse("admin:sdm_supplierjob_values", args=[job.pk])
        options = reverse("admin:sdm_supplierjob_options", args=[job.pk])
        page = timed("open the value-mapping step (first page of 50)", lambda: client.get(step))
        assert page.status_code == 200, page.status_code
        timed(
            "open one attribute, unmapped only",
            lambda: client.get(step, {"attribute": selects[0], "unmapped": "1"}),
        )
        timed("open the last page", lambda: client.get(step, {"page": values // 50 + 1}))
        found = timed(
            f"search the {args.options:,} options of one attribute",
            lambda: client.get(options, {"attribute": selects[0], "term": "option 1 19"}),
        )
        print(f"  {len(found.json()['results'])} results, more: {found.json()['pagination']['more']}")
        first = list(job.value_mappings.order_by("pk")[:50])
        form = {"shown": [m.pk for m in first]}
        form.update({f"option-{m.pk}": f"opt_{m.pim_attribute_code.rsplit('_', 1)[1]}_0" for m in first})
        saved = timed("save a page of 50 choices", lambda: client.post(step, form))
        assert saved.status_code == 302, saved.content[:2000]
        timed("accept all suggestions", lambda: client.post(step, {"action": "suggestions"}))


if __name__ == "__main__":
    main()
