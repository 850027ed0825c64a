"""Supplier job import and push against the fake PIM over real sockets."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from connector.models import RunStatus
from connector.runs import start_run
from sdm.jobs import import_supplier_file
from sdm.models import JobColumn, JobRow
from sdm.tasks import JOB_PUSH
from tests.sdm_helpers import make_workflow, sync_workflow

pytestmark = pytest.mark.django_db

HEADERS = [
    "sku",
    "family",
    "categories",
    "Name-en_US",
    "name-fr_FR",
    "ean",
    "weight",
    "weight-unit",
    "color",
    "price",
    "is_new",
    "release_date-ecommerce",
    "supplier_note",
]


def write_csv(path: Path, rows: list[dict], headers=HEADERS, delimiter=",", encoding="utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=headers, delimiter=delimiter, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def new_row(n: int, **overrides) -> dict:
    row = {
        "sku": f"SUP-{n:05d}",
        "family": "accessories",
        "categories": "bags",
        "Name-en_US": f"Supplier bag {n}",
        "name-fr_FR": f"Sac fournisseur {n}",
        "ean": f"{500000000000 + n:013d}",
        "weight": "1,5",
        "weight-unit": "Gram",
        "color": "Red",
        "price": "12,50 EUR; 14 USD",
        "is_new": "oui",
        "release_date-ecommerce": "01/03/2026",
        "supplier_note": "not a PIM attribute",
    }
    row.update(overrides)
    return row


@pytest.fixture
def workflow(synced_workflow):
    return synced_workflow


def push(job):
    return start_run(JOB_PUSH, job, inline=True)


def pim_product(pim, identifier: str) -> dict | None:
    return pim.catalog.product_by_identifier(identifier)


def values_of(product: dict, code: str) -> list[dict]:
    return product["values"].get(code, [])


def test_columns_are_mapped_by_code_or_label_and_special_columns_recognised(workflow, tmp_path):
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", [new_row(1)]))

    columns = {c.header: c for c in job.columns.all()}
    assert columns["sku"].sdm_attribute == "sku"
    assert columns["Name-en_US"].sdm_attribute == "name-en_US"
    assert columns["weight-unit"].sdm_attribute == "weight-unit"
    assert columns["family"].role == JobColumn.Role.FAMILY
    assert columns["categories"].role == JobColumn.Role.CATEGORIES
    assert columns["supplier_note"].role == JobColumn.Role.IGNORED
    assert job.rows.get().identifier == "SUP-00001"


def test_a_new_product_is_created_with_every_recognised_value_in_the_pims_format(
    workflow, fake_akeneo, tmp_path
):
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", [new_row(1)]))

    run = push(job)

    assert run.status == RunStatus.DONE, run.error
    assert job.rows.get().outcome == JobRow.Outcome.CREATED, job.rows.get().message
    product = pim_product(fake_akeneo, "SUP-00001")
    assert product["family"] == "accessories" and product["categories"] == ["bags"]
    names = {v["locale"]: v["data"] for v in values_of(product, "name")}
    assert names == {"en_US": "Supplier bag 1", "fr_FR": "Sac fournisseur 1"}
    assert values_of(product, "weight")[0]["data"] == {"amount": "1.5", "unit": "GRAM"}
    assert values_of(product, "color")[0]["data"] == "red"
    assert values_of(product, "price")[0]["data"] == [
        {"amount": "12.50", "currency": "EUR"},
        {"amount": "14", "currency": "USD"},
    ]
    assert values_of(product, "is_new")[0]["data"] is True
    assert values_of(product, "release_date") == [
        {"locale": None, "scope": "ecommerce", "data": "2026-03-01T00:00:00+00:00"}
    ]
    assert "supplier_note" not in product["values"]


def test_non_empty_values_override_and_empty_cells_never_erase(workflow, fake_akeneo, tmp_path):
    existing = next(
        p for p in fake_akeneo.catalog.products.values() if p["family"] == "accessories" and not p["parent"]
    )
    before_ean = values_of(existing, "ean")
    before_fr = {v["locale"]: v["data"] for v in values_of(existing, "name")}["fr_FR"]
    row = {"sku": existing["identifier"], "Name-en_US": "Overridden name", "ean": "", "name-fr_FR": ""}
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", [row]))
    fake_akeneo.clear_requests()

    run = push(job)

    assert run.status == RunStatus.DONE
    assert job.rows.get().outcome == JobRow.Outcome.UPDATED
    product = pim_product(fake_akeneo, existing["identifier"])
    names = {v["locale"]: v["data"] for v in values_of(product, "name")}
    assert names["en_US"] == "Overridden name"
    assert names["fr_FR"] == before_fr
    assert values_of(product, "ean") == before_ean


def test_attributes_unknown_at_the_last_sync_are_never_sent(workflow, fake_akeneo, tmp_path):
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", [new_row(1)]))
    # The column was mapped, then the attribute left the configuration (excluded and re-synced).
    call_command("sdm_exclude", "--workflow", workflow.name, "--attributes", "ean", stdout=StringIO())
    sync_workflow(workflow)

    run = push(job)

    assert run.status == RunStatus.DONE
    assert "ean" not in pim_product(fake_akeneo, "SUP-00001")["values"]
    assert any("Not sent (unknown at the last sync): ean" in e.message for e in run.log_entries.all())


def test_one_product_refused_with_422_is_recorded_while_the_other_99_succeed(workflow, fake_akeneo, tmp_path):
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", [new_row(n) for n in range(1, 101)]))
    fake_akeneo.faults.reject_product("SUP-00042", message="The EAN is already used by another product.")
    fake_akeneo.clear_requests()

    run = push(job)

    assert run.status == RunStatus.DONE
    assert fake_akeneo.count(method="PATCH", path_prefix="/api/rest/v1/products") == 1
    assert run.counters == {"created": 99, "failed": 1}
    failed = job.rows.get(outcome=JobRow.Outcome.FAILED)
    assert failed.identifier == "SUP-00042"
    assert "The EAN is already used by another product." in failed.message
    assert pim_product(fake_akeneo, "SUP-00042") is None


def test_pushing_n_products_costs_one_batch_request_per_hundred(workflow, fake_akeneo, tmp_path):
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", [new_row(n) for n in range(1, 251)]))
    fake_akeneo.clear_requests()

    push(job)

    patches = [r for r in fake_akeneo.requests if r.method == "PATCH"]
    # Batches go out side by side (the call budget): the PIM may see them in any order.
    assert sorted(r.body_lines for r in patches) == [50, 100, 100]
    assert job.rows.filter(outcome=JobRow.Outcome.CREATED).count() == 250


def test_a_rerun_pushes_only_what_did_not_succeed(workflow, fake_akeneo, tmp_path):
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", [new_row(n) for n in range(1, 31)]))
    fake_akeneo.faults.reject_product("SUP-00007", message="Temporarily locked.")
    push(job)
    fake_akeneo.faults.clear()
    fake_akeneo.clear_requests()

    run = push(job)

    assert [r.body_lines for r in fake_akeneo.requests if r.method == "PATCH"] == [1]
    assert run.counters == {"created": 1}
    assert job.rows.filter(outcome=JobRow.Outcome.CREATED).count() == 30


def test_a_cell_that_cannot_be_converted_fails_its_row_only(workflow, fake_akeneo, tmp_path):
    rows = [new_row(1, color="Ultraviolet"), new_row(2, weight="heavy"), new_row(3)]
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", rows))

    run = push(job)

    outcomes = dict(job.rows.values_list("identifier", "outcome"))
    assert outcomes == {"SUP-00001": "failed", "SUP-00002": "failed", "SUP-00003": "created"}
    assert "'Ultraviolet' is not an option of color" in job.rows.get(identifier="SUP-00001").message
    assert "'heavy' is not a number" in job.rows.get(identifier="SUP-00002").message
    assert run.status == RunStatus.DONE


def test_semicolon_cp1252_csv_and_xlsx_import_alike(workflow, tmp_path):
    from openpyxl import Workbook

    row = new_row(1, **{"Name-en_US": "Café crème"})
    csv_job = import_supplier_file(
        workflow, write_csv(tmp_path / "f.csv", [row], delimiter=";", encoding="cp1252")
    )
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    sheet.append([row[h] for h in HEADERS])
    book.save(tmp_path / "f.xlsx")
    xlsx_job = import_supplier_file(workflow, tmp_path / "f.xlsx")

    assert csv_job.rows.get().values == xlsx_job.rows.get().values
    assert "Café crème" in csv_job.rows.get().values


def test_the_commands_import_and_finalize(workflow, fake_akeneo, tmp_path):
    path = write_csv(tmp_path / "f.csv", [new_row(1), new_row(2, color="Nope")])
    out = StringIO()
    call_command("sdm_job_import", "--workflow", workflow.name, "--file", str(path), "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert (summary["rows"], summary["columns"]) == (2, len(HEADERS))
    assert summary["unmapped"] == ["supplier_note"]

    out = StringIO()
    call_command("sdm_job_finalize", "--job", str(summary["job"]), "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["status"], result["created"], result["failed"]) == ("done", 1, 1)
    assert result["failures"][0]["identifier"] == "SUP-00002"


def test_in_uuid_mode_products_are_matched_by_uuid_and_a_rerun_reuses_the_same_uuid(fake_akeneo, tmp_path):
    from sdm.models import Workflow

    workflow = make_workflow(fake_akeneo, identifier_mode=Workflow.IdentifierMode.UUID)
    sync_workflow(workflow)
    existing = next(
        p for p in fake_akeneo.catalog.products.values() if p["family"] == "accessories" and not p["parent"]
    )
    rows = [{"sku": existing["identifier"], "Name-en_US": "By uuid"}, new_row(1)]
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", rows))
    fake_akeneo.clear_requests()

    run = push(job)

    assert run.counters == {"created": 1, "updated": 1}, list(job.rows.values_list("message", flat=True))
    assert fake_akeneo.count(method="PATCH", path_prefix="/api/rest/v1/products-uuid") == 1
    assert fake_akeneo.count(method="PATCH", path_prefix="/api/rest/v1/products") == 1  # the same request
    renamed = fake_akeneo.catalog.products[existing["uuid"]]
    assert {v["locale"]: v["data"] for v in renamed["values"]["name"]}["en_US"] == "By uuid"
    created_uuid = fake_akeneo.catalog.product_by_identifier("SUP-00001")["uuid"]

    # A rerun of the same rows (e.g. after a crash before results were saved) sends the same uuid.
    JobRow.objects.filter(job=job).update(outcome=JobRow.Outcome.PENDING)
    count = len(fake_akeneo.catalog.products)
    push(job)
    assert len(fake_akeneo.catalog.products) == count
    assert fake_akeneo.catalog.product_by_identifier("SUP-00001")["uuid"] == created_uuid


def test_a_100000_row_file_imports_in_batches(workflow, tmp_path, django_assert_max_num_queries):
    path = tmp_path / "big.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "name-en_US", "color"])
        writer.writerows([f"BIG-{n:06d}", f"Product {n}", "red"] for n in range(100_000))

    # Bulk inserts, never a query per row: at most one query per 100 rows (SQLite splits each
    # 1,000-row insert by its bound-parameter limit; PostgreSQL sends one per 1,000).
    with django_assert_max_num_queries(1000):
        job = import_supplier_file(workflow, path)

    assert job.row_count == 100_000
    assert job.rows.filter(identifier="BIG-099999").exists()
