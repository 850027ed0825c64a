"""A supplier job end to end in a real browser, no command line: upload a CSV in the admin, map its
values (accept the suggestions, one manual choice, one allowed new option), preview, finalize, and
read the per-row results."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sdm.models import AttributeSelection, JobRow, SupplierJob
from tests.paths import ROOT
from tests.sdm.test_sdm_push import write_csv
from tests.sdm_helpers import make_workflow, sync_workflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = ROOT / "docs" / "screenshots" / "value-mapping.png"
HEADERS = ["sku", "family", "categories", "Name-en_US", "color"]


def choose_option(page, raw_value: str, search: str, option_text: str) -> None:
    """Pick an option in the row's searchable picker, as a person does: open it, type, click."""
    page.locator(f'tr[data-value="{raw_value}"] .select2-selection').click()
    page.locator(".select2-container--open .select2-search__field").fill(search)
    page.locator(".select2-results__option", has_text=option_text).click()


def test_upload_map_preview_finalize_and_read_the_results(admin_page, fake_akeneo, tmp_path, settings):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == "done"
    AttributeSelection.objects.create(workflow=workflow, attribute_code="color", allow_option_creation=True)
    rows = [
        {
            "sku": "WEB-1",
            "family": "accessories",
            "categories": "bags",
            "Name-en_US": "Red bag",
            "color": "RED",
        },
        {
            "sku": "WEB-2",
            "family": "accessories",
            "categories": "bags",
            "Name-en_US": "Teal bag",
            "color": "Teal",
        },
        {
            "sku": "WEB-3",
            "family": "accessories",
            "categories": "bags",
            "Name-en_US": "UV bag",
            "color": "Ultraviolet",
        },
        {
            "sku": "WEB-4",
            "family": "accessories",
            "categories": "bags",
            "Name-en_US": "Odd bag",
            "color": "Nope",
        },
    ]
    csv_file = write_csv(tmp_path / "web-feed.csv", rows, HEADERS)
    page = admin_page

    page.goto("/admin/sdm/supplierjob/add/")
    page.select_option("#id_workflow", str(workflow.pk))
    page.set_input_files("#id_file", str(csv_file))
    page.click("#import-file")
    expect(page.locator(".messagelist .success")).to_contain_text("Imported 4 rows")
    expect(page.locator("#step-banner")).to_contain_text("3 values have no PIM option yet")

    page.click("#value-mapping-link")
    page.click("#accept-suggestions")
    expect(page.locator(".messagelist .success")).to_contain_text("values mapped")
    expect(page.locator('tr[data-value="RED"]')).to_contain_text("Red (red)")
    choose_option(page, "Teal", "blu", "Blue (blue)")
    page.locator('tr[data-value="Ultraviolet"] input.create-toggle').check()
    new_option = page.locator('tr[data-value="Ultraviolet"] .create-new')
    expect(new_option.locator("input[type=text]")).to_have_value("ultraviolet")
    expect(new_option).to_contain_text("en_US “Ultraviolet”, fr_FR “Ultraviolet”, de_DE “Ultraviolet”")
    expect(page.locator('tr[data-value="RED"] input.create-toggle')).to_be_visible()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.click("#save-mapping")
    expect(page.locator(".messagelist .success")).to_contain_text("Value mapping saved")
    expect(page.locator("#planned-options")).to_contain_text("ultraviolet in Color for “Ultraviolet”")
    expect(page.locator("#step-summary")).to_contain_text("1 of 4 distinct values still need a PIM option")

    page.click("#step-summary >> text=Preview")
    expect(page.locator('tr[data-line="1"]')).to_have_attribute("data-action", "create")
    expect(page.locator('tr[data-line="3"]')).to_contain_text("ultraviolet")
    expect(page.locator('tr[data-line="4"]')).to_have_attribute("data-action", "refuse")
    expect(page.locator('tr[data-line="4"] .problem')).to_contain_text("'Nope' is not an option of color")

    page.click("text=Finalize…")
    expect(page.locator(".predicted-create td")).to_have_text("3")
    expect(page.locator(".predicted-refuse td")).to_have_text("1")
    expect(page.locator("#refusal-reasons")).to_contain_text("'Nope' is not an option of color")
    page.click("#confirm-finalize")
    expect(page.locator('[data-field="status_label"]')).to_have_text("Done")

    job = SupplierJob.objects.get()
    page.goto(f"/admin/sdm/supplierjob/{job.pk}/change/")
    page.click("text=1 failed")
    results = page.locator("#result_list")
    expect(results).to_contain_text("WEB-4")
    expect(results).to_contain_text("'Nope' is not an option of color (map it first)")
    page.goto(f"/admin/sdm/jobrow/?job__id__exact={job.pk}&outcome__exact=created")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    assert dict(job.rows.values_list("identifier", "outcome")) == {
        "WEB-1": JobRow.Outcome.CREATED,
        "WEB-2": JobRow.Outcome.CREATED,
        "WEB-3": JobRow.Outcome.CREATED,
        "WEB-4": JobRow.Outcome.FAILED,
    }
    assert fake_akeneo.catalog.product_by_identifier("WEB-2")["values"]["color"][0]["data"] == "blue"
    assert fake_akeneo.catalog.options["color"]["ultraviolet"]["labels"]["de_DE"] == "Ultraviolet"
