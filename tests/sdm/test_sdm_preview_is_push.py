"""The preview is the truth of Finalize: for every row of a mixed file, what the preview says is what
the push does (the same decision function serves both)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse

from connector.runs import start_run
from sdm.decisions import OUTCOME_OF, REFUSE
from sdm.jobs import import_supplier_file
from sdm.models import AttributeSelection
from sdm.preview import predict, preview_job
from sdm.tasks import JOB_PUSH
from sdm.value_mapping import auto_map_values
from tests.sdm.test_sdm_push import write_csv
from tests.sdm_helpers import make_workflow, sync_workflow

pytestmark = pytest.mark.django_db

HEADERS = [
    "sku",
    "family",
    "family_variant",
    "parent",
    "Name-en_US",
    "color",
    "size",
    "weight",
    "weight-unit",
    "is_new",
    "release_date-ecommerce",
    "supplier_note",
]


def simple_products(pim, count: int) -> list[dict]:
    found = [p for p in pim.catalog.products.values() if p["family"] == "accessories" and not p["parent"]]
    return found[:count]


def english_name(product: dict) -> str:
    return next(v["data"] for v in product["values"]["name"] if v["locale"] == "en_US")


def mixed_rows(pim) -> list[dict]:
    changed, unchanged = simple_products(pim, 2)
    return [
        {
            "sku": "MIX-NEW",
            "family": "accessories",
            "Name-en_US": "New bag",
            "color": "Red",
            "supplier_note": "x",
        },
        {"sku": changed["identifier"], "Name-en_US": "Renamed by the supplier"},
        {"sku": unchanged["identifier"], "family": "accessories", "Name-en_US": english_name(unchanged)},
        {
            "sku": "MIX-UNMAPPED",
            "family": "accessories",
            "Name-en_US": "Bag",
            "color": "Ultraviolet",
            "size": "Huge",
        },
        {
            "sku": "MIX-INVALID",
            "family": "accessories",
            "weight": "heavy",
            "weight-unit": "Gram",
            "is_new": "perhaps",
            "release_date-ecommerce": "31/31/2026",
        },
        {"sku": "MIX-NEW-OPTION", "family": "accessories", "Name-en_US": "Teal bag", "color": "Teal"},
        {"sku": "MIX-DUP", "family": "accessories", "Name-en_US": "First"},
        {"sku": "MIX-DUP", "family": "accessories", "Name-en_US": "Second"},
        {"sku": "MIX-NO-FAMILY", "family": "no_such_family", "Name-en_US": "Lost"},
        # A variant whose family variant belongs to another family: the PIM would refuse its model.
        {
            "sku": "MIX-BAD-MODEL-40",
            "family": "clothing",
            "family_variant": "shoes_size",
            "parent": "mix_bad_model",
            "size": "size_40",
            "color": "Red",
        },
        {
            "sku": "MIX-RUN-40",
            "family": "shoes",
            "family_variant": "shoes_size",
            "parent": "mix_runner",
            "Name-en_US": "Runner",
            "size": "size_40",
            "color": "Red",
        },
        {
            "sku": "MIX-RUN-41",
            "family": "shoes",
            "family_variant": "shoes_size",
            "parent": "mix_runner",
            "Name-en_US": "Runner",
            "color": "Red",
        },  # no size: a variant without its axis value
    ]


def test_for_every_row_the_preview_verdict_is_the_push_outcome(fake_akeneo, tmp_path, admin_client):
    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == "done"
    AttributeSelection.objects.create(workflow=workflow, attribute_code="color", allow_option_creation=True)
    job = import_supplier_file(workflow, write_csv(tmp_path / "mixed.csv", mixed_rows(fake_akeneo), HEADERS))
    auto_map_values(job)
    job.value_mappings.filter(raw_value="Ultraviolet").update(option_code="", create_option=False)

    with workflow.connection.client() as client:
        verdicts = {v.line: v for v in preview_job(job, client)}
        prediction = predict(job, client)
    finalize = admin_client.get(reverse("admin:sdm_supplierjob_finalize", args=[job.pk])).content.decode()
    fake_akeneo.clear_requests()
    run = start_run(JOB_PUSH, job, inline=True)

    actions = {line: verdict.action for line, verdict in verdicts.items()}
    assert actions == {
        1: "create",
        2: "update",
        3: "unchanged",
        4: "refuse",
        5: "refuse",
        6: "create",
        7: "refuse",
        8: "refuse",
        9: "refuse",
        10: "refuse",
        11: "create",
        12: "refuse",
    }
    for row in job.rows.order_by("line"):
        verdict = verdicts[row.line]
        assert row.outcome == OUTCOME_OF[verdict.action], (row.line, row.message, verdict.problems)
        if verdict.action == REFUSE:
            assert row.message == verdict.message
    # Every problem of a row, not only the first.
    assert len(verdicts[4].problems) == 2 and "'Huge' is not an option of size" in verdicts[4].problems[1]
    invalid = " ".join(verdicts[5].problems)
    for reason in (
        "'heavy' is not a number",
        "'perhaps' is not a yes/no value",
        "'31/31/2026' is not a date",
    ):
        assert reason in invalid
    assert "belongs to family 'shoes', not 'clothing'" in verdicts[10].problems[0]
    assert "needs a value for its axis: size" in verdicts[12].problems[0]
    assert "Not mapped, not sent: supplier_note" in verdicts[1].notes
    # The Finalize page predicts the same counts, and why rows are refused.
    assert prediction.counts == Counter(create=3, update=1, unchanged=1, refuse=7)
    assert run.counters == {"created": 3, "updated": 1, "skipped": 1, "failed": 7}
    assert 'class="predicted-refuse"><th>Refused (not sent)</th><td>7</td>' in finalize
    assert "Family &#x27;no_such_family&#x27; does not exist in the PIM" in finalize
    # Refused rows and refused models never reach the PIM.
    assert "mix_bad_model" not in fake_akeneo.catalog.product_models
    assert fake_akeneo.catalog.product_by_identifier("MIX-DUP") is None
