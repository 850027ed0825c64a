"""Preview: what the push will create or change, value by value, and what it skips and why."""

from __future__ import annotations

import pytest

from sdm.jobs import import_supplier_file
from sdm.preview import preview_job
from tests.sdm.test_sdm_push import new_row, write_csv
from tests.sdm_helpers import make_workflow, sync_workflow

pytestmark = pytest.mark.django_db


def test_the_preview_tells_creates_changes_and_skips(fake_akeneo, tmp_path):
    workflow = make_workflow(fake_akeneo)
    sync_workflow(workflow)
    existing = next(
        p for p in fake_akeneo.catalog.products.values() if p["family"] == "accessories" and not p["parent"]
    )
    old_en = next(v["data"] for v in existing["values"]["name"] if v["locale"] == "en_US")
    rows = [
        new_row(1),
        {"sku": existing["identifier"], "Name-en_US": "Renamed", "ean": ""},
        new_row(3, color="Ultraviolet"),
    ]
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", rows))

    with workflow.connection.client() as client:
        create, update, refused = preview_job(job, client)

    assert (create.action, create.identifier) == ("create", "SUP-00001")
    assert any(c.attribute == "color" and c.after == "red" and c.before is None for c in create.changes)
    assert "Not mapped, not sent: supplier_note" in create.notes
    assert update.action == "update"
    [name] = [c for c in update.changes if c.attribute == "name"]
    assert (name.locale, name.before, name.after) == ("en_US", old_en, "Renamed")
    assert "Empty, not sent (keeps the PIM value): ean" in update.notes
    assert refused.action == "refuse"
    assert "'Ultraviolet' is not an option of color" in refused.problems[0]
    assert fake_akeneo.count(method="PATCH") == 0  # a preview never writes


@pytest.mark.parametrize(
    ("kind", "before", "after", "same_value"),
    [
        ("pim_catalog_number", "12.5000", "12.5", True),
        ("pim_catalog_number", 12, "12.1", False),
        ("pim_catalog_text", "1000.0", "1000", False),  # text is text, even when it looks numeric
        ("pim_catalog_text", "2026-01-01 launch", "2026-01-01 recall", False),
        ("pim_catalog_date", "2026-03-01T00:00:00+00:00", "2026-03-01T00:00:00+00:00", True),
        (
            "pim_catalog_metric",
            {"amount": "1.5000", "unit": "GRAM", "symbol": "g"},
            {"amount": "1.5", "unit": "GRAM"},
            True,
        ),
        (
            "pim_catalog_metric",
            {"amount": "1.5", "unit": "GRAM"},
            {"amount": "1.5", "unit": "KILOGRAM"},
            False,
        ),
        (
            "pim_catalog_price_collection",
            [{"amount": "14.00", "currency": "USD"}, {"amount": "12.50", "currency": "EUR"}],
            [{"amount": "12.5", "currency": "EUR"}, {"amount": "14", "currency": "USD"}],
            True,
        ),
        (
            "pim_catalog_price_collection",
            [{"amount": "1", "currency": "EUR"}, {"amount": "2", "currency": "USD"}],
            [{"amount": "1", "currency": "EUR"}],
            False,
        ),
        ("pim_catalog_multiselect", ["ce", "fsc"], ["fsc", "ce"], True),
        ("categories", ["bags"], ["bags", "men"], False),
        ("pim_catalog_simpleselect", None, "red", False),
    ],
)
def test_unchanged_means_the_pim_already_stores_exactly_that_value(kind, before, after, same_value):
    from sdm.decisions import same

    assert same(kind, before, after) is same_value
