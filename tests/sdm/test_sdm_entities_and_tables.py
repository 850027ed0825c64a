"""Reference-entity records and table values from supplier files: new records and new select-cell
options created where the attribute configuration allows it, table cells pushed as the PIM's rows."""

from __future__ import annotations

import pytest

from connector.runs import start_run
from connector.sandbox import FakeAkeneo, add_table_attribute
from sdm.jobs import import_supplier_file
from sdm.models import AttributeSelection
from sdm.preview import preview_job
from sdm.tasks import JOB_PUSH
from sdm.value_mapping import auto_map_values
from tests.sdm.test_sdm_push import write_csv
from tests.sdm_helpers import make_workflow, sync_workflow

pytestmark = pytest.mark.django_db

HEADERS = ["sku", "family", "Name-en_US", "brand", "nutrition"]


@pytest.fixture
def pim(sandbox_catalog_factory):
    catalog = sandbox_catalog_factory()
    add_table_attribute(catalog)
    with FakeAkeneo(catalog) as pim:
        yield pim


@pytest.fixture
def workflow(pim):
    workflow = make_workflow(pim)
    assert sync_workflow(workflow).status == "done"
    for code in ("brand", "nutrition"):
        AttributeSelection.objects.create(workflow=workflow, attribute_code=code, allow_option_creation=True)
    return workflow


def test_new_records_and_table_values_are_pushed_and_read_back(workflow, pim, tmp_path):
    rows = [
        {
            "sku": "TAB-1",
            "family": "accessories",
            "Name-en_US": "Snack bag",
            "brand": "Nova Brand",
            "nutrition": "nutrient: Sugar; quantity: 12,5 | Nutrient: Fibre; quantity: 3; note: added",
        },
        {
            "sku": "TAB-2",
            "family": "accessories",
            "Name-en_US": "Plain bag",
            "nutrition": '[{"nutrient": "salt", "quantity": 0.5}]',
        },
    ]
    job = import_supplier_file(workflow, write_csv(tmp_path / "tables.csv", rows, HEADERS))
    values = set(
        job.value_mappings.values_list("pim_attribute_code", "table_column", "raw_value", "suggested_code")
    )
    assert values == {
        ("brand", "", "Nova Brand", ""),
        ("nutrition", "nutrient", "Sugar", "sugar"),
        ("nutrition", "nutrient", "Fibre", ""),
        ("nutrition", "nutrient", "salt", "salt"),
    }
    result = auto_map_values(job)
    assert (result.mapped, result.to_create, result.unmapped) == (2, 2, 0)
    existing_options = {
        o["code"]: o for o in pim.catalog.attributes["nutrition"]["table_configuration"][0]["options"]
    }

    with workflow.connection.client() as client:
        first, second = preview_job(job, client)
    assert first.action == "create" and second.action == "create"
    shown = {c.attribute: c.after for c in first.changes}
    assert shown["brand"] == "nova_brand"
    assert shown["nutrition"] == [
        {"nutrient": "sugar", "quantity": "12.5"},
        {"nutrient": "fibre", "quantity": "3", "note": "added"},
    ]

    run = start_run(JOB_PUSH, job, inline=True)

    assert run.counters == {"created": 2}, list(job.rows.values_list("message", flat=True))
    record = pim.catalog.records["brand"]["nova_brand"]
    assert {v["locale"]: v["data"] for v in record["values"]["label"]} == {
        "en_US": "Nova Brand",
        "fr_FR": "Nova Brand",
        "de_DE": "Nova Brand",
    }
    with workflow.connection.client() as client:
        product = client.get("products/TAB-1")
        nutrition = client.get("attributes/nutrition", {"with_table_select_options": "true"})
    assert product["values"]["brand"][0]["data"] == "nova_brand"
    assert product["values"]["nutrition"][0]["data"] == [
        {"nutrient": "sugar", "quantity": "12.5"},
        {"nutrient": "fibre", "quantity": "3", "note": "added"},
    ]
    options = {o["code"]: o for o in nutrition["table_configuration"][0]["options"]}
    assert options["fibre"]["labels"] == {"en_US": "Fibre", "fr_FR": "Fibre", "de_DE": "Fibre"}
    assert {code: options[code] for code in existing_options} == existing_options  # untouched
    assert client_product_value(pim, "TAB-2") == [{"nutrient": "salt", "quantity": "0.5"}]


def client_product_value(pim, identifier: str):
    return pim.catalog.product_by_identifier(identifier)["values"]["nutrition"][0]["data"]


def test_a_bad_table_cell_refuses_its_row_and_says_why(workflow, pim, tmp_path):
    rows = [
        {
            "sku": "TAB-BAD",
            "family": "accessories",
            "nutrition": "quantity: 3 | nutrient: sugar; quantity: lots | colour: red",
        }
    ]
    job = import_supplier_file(workflow, write_csv(tmp_path / "bad.csv", rows, HEADERS))

    with workflow.connection.client() as client:
        [verdict] = preview_job(job, client)
    run = start_run(JOB_PUSH, job, inline=True)

    assert verdict.action == "refuse"
    assert "'colour' not a column of this table (columns: nutrient, quantity, note)" in verdict.message
    assert run.counters == {"failed": 1}
    assert job.rows.get().message == verdict.message
