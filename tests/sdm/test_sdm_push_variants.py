"""Variant rows: product models are written first, variants attached by parent and axis values."""

from __future__ import annotations

import pytest

from connector.models import RunStatus
from connector.runs import start_run
from sdm.jobs import import_supplier_file
from sdm.models import JobColumn, JobRow
from sdm.tasks import JOB_PUSH
from tests.sdm.test_sdm_push import write_csv
from tests.sdm_helpers import make_workflow, sync_workflow

pytestmark = pytest.mark.django_db

HEADERS = [
    "sku",
    "family",
    "family_variant",
    "root_model",
    "parent",
    "categories",
    "name-en_US",
    "color",
    "size",
    "ean",
    "price",
    "material",
]


def row(sku, parent, size, *, color="Red", root="", variant="shoes_size", family="shoes", name="Runner"):
    return {
        "sku": sku,
        "family": family,
        "family_variant": variant,
        "root_model": root,
        "parent": parent,
        "categories": "men",
        "name-en_US": name,
        "color": color,
        "size": size,
        "ean": "",
        "price": "89 EUR",
        "material": "Leather",
    }


@pytest.fixture
def workflow(fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == RunStatus.DONE
    return workflow


def test_one_level_variants_create_their_model_first_and_carry_only_their_own_values(
    workflow, fake_akeneo, tmp_path
):
    rows = [row("RUN-40", "runner_model", "size_40"), row("RUN-42", "runner_model", "size_42")]
    job = import_supplier_file(workflow, write_csv(tmp_path / "v.csv", rows, headers=HEADERS))
    roles = {c.header: c.role for c in job.columns.all()}
    assert (roles["parent"], roles["family_variant"], roles["root_model"]) == (
        "parent",
        "family_variant",
        "root_model",
    )
    fake_akeneo.clear_requests()

    run = start_run(JOB_PUSH, job, inline=True)

    assert run.status == RunStatus.DONE, run.error
    assert run.counters == {"created": 2}
    patches = [r.path for r in fake_akeneo.requests if r.method == "PATCH"]
    assert patches == ["/api/rest/v1/product-models", "/api/rest/v1/products"]  # models first
    model = fake_akeneo.catalog.product_models["runner_model"]
    assert (model["family_variant"], model["family"], model["categories"]) == ("shoes_size", "shoes", ["men"])
    assert model["values"]["name"][0]["data"] == "Runner"
    assert model["values"]["color"][0]["data"] == "red"  # common attribute of shoes_size: on the model
    variant = fake_akeneo.catalog.product_by_identifier("RUN-42")
    assert variant["parent"] == "runner_model"
    own = fake_akeneo.catalog.products.raw(variant["uuid"])
    own_values = own["values"] if isinstance(own, dict) else {}
    assert own_values["size"][0]["data"] == "size_42"
    assert "name" not in own_values and "color" not in own_values


def test_two_level_variants_create_root_then_sub_models(workflow, fake_akeneo, tmp_path):
    shirt = {"variant": "clothing_color_size", "family": "clothing", "root": "shirt_root", "name": "Shirt"}
    rows = [
        row("SHIRT-RED-M", "shirt_red", "m", color="Red", **shirt),
        row("SHIRT-RED-L", "shirt_red", "l", color="Red", **shirt),
        row("SHIRT-BLUE-M", "shirt_blue", "m", color="Blue", **shirt),
    ]
    job = import_supplier_file(workflow, write_csv(tmp_path / "v.csv", rows, headers=HEADERS))
    fake_akeneo.clear_requests()

    run = start_run(JOB_PUSH, job, inline=True)

    assert run.counters == {"created": 3}, list(job.rows.values_list("message", flat=True))
    assert [r.body_lines for r in fake_akeneo.requests if r.method == "PATCH"] == [1, 2, 3]
    models = fake_akeneo.catalog.product_models
    assert models["shirt_root"]["parent"] is None
    assert models["shirt_red"]["parent"] == "shirt_root"
    assert models["shirt_blue"]["values"]["color"][0]["data"] == "blue"
    assert fake_akeneo.catalog.product_by_identifier("SHIRT-BLUE-M")["parent"] == "shirt_blue"


def test_a_refused_model_fails_its_variants_with_the_reason(workflow, fake_akeneo, tmp_path):
    rows = [row("RUN-40", "bad_model", "size_40"), row("RUN-44", "good_model", "size_44")]
    job = import_supplier_file(workflow, write_csv(tmp_path / "v.csv", rows, headers=HEADERS))
    fake_akeneo.faults.reject_product("bad_model", message="Model refused for the test.")

    run = start_run(JOB_PUSH, job, inline=True)

    assert run.counters == {"created": 1, "failed": 1}
    failed = job.rows.get(outcome=JobRow.Outcome.FAILED)
    assert "Parent model bad_model was refused by the PIM" in failed.message
    assert "Model refused for the test." in failed.message
    assert JobColumn.objects.filter(job=job, role="family_variant").exists()
