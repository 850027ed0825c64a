"""The lists people read most fit a 1366 px laptop screen in Chromium, with realistic data: the
300-product sandbox catalog synced, a workflow synced, a supplier file imported and pushed.

"Fits" means no horizontal scrolling of the page, and no column pushed out of sight inside the
admin's scrolling results box either; long text is cut, with the whole of it in a title.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.runs import start_run
from sdm.jobs import import_supplier_file
from sdm.models import SdmAttribute
from sdm.tasks import JOB_PUSH
from tests.paths import ROOT
from tests.sdm_helpers import make_workflow, sync_workflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = ROOT / "sdm" / "samples" / "supplier-demo.csv"
WIDTH = 1366

# Every table cell of the page's main content, against the box it must stay inside: the
# change list's scrolling results box, else the main content.
CUT_CELLS = """() => {
  const cut = [];
  for (const cell of document.querySelectorAll('#content-main th, #content-main td')) {
    if (!cell.offsetParent) continue;
    const box = cell.closest('.results') || document.getElementById('content-main');
    if (cell.getBoundingClientRect().right > box.getBoundingClientRect().right + 1) {
      cut.push((cell.className || '') + ': ' + cell.textContent.trim().slice(0, 40));
    }
  }
  return {width: document.documentElement.scrollWidth, cut: cut.slice(0, 5)};
}"""


def supplier_file(tmp_path: Path) -> Path:
    """The sample supplier file plus rows a supplier gets wrong in several ways at once."""
    broken = [
        "SUP-9001;garden_furniture;patio;A chair from a family the PIM lacks;;;;heavy;KILOGRAM;Mauve;Bamboo;"
        "12 francs;maybe;123;INT-9001",
        "SUP-9002;accessories;bags,unknown_category_with_a_long_code;Another broken bag;;;;1,2,3;PARSEC;"
        "Ultraviolet;Unobtainium;-;perhaps;0700000009002;INT-9002",
    ]
    path = tmp_path / "supplier-feed.csv"
    path.write_text(
        SAMPLE.read_text(encoding="utf-8").rstrip("\n") + "\n" + "\n".join(broken) + "\n", "utf-8"
    )
    return path


def test_the_attribute_and_value_lists_fit_1366_pixels(admin_page, fake_akeneo, tmp_path):
    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == "done"
    SdmAttribute.objects.filter(workflow=workflow, code="meta_description-ecommerce-en_US").update(
        labels={"en_US": "A meta description label somebody made much longer by hand in the admin"}
    )
    job = import_supplier_file(workflow, supplier_file(tmp_path))
    assert start_run(JOB_PUSH, job, inline=True).status == "done"
    page = admin_page
    page.set_viewport_size({"width": WIDTH, "height": 768})

    screens = {
        "SDM attributes": "/admin/sdm/sdmattribute/",
        "attribute configuration tab": f"/admin/sdm/workflow/{workflow.pk}/attributes/",
        "value mappings": "/admin/sdm/valuemapping/",
        "job rows": f"/admin/sdm/jobrow/?job__id__exact={job.pk}",
        "failed job rows": f"/admin/sdm/jobrow/?job__id__exact={job.pk}&outcome__exact=failed",
        "PIM attributes": "/admin/connector/attribute/",
        "value-mapping step": f"/admin/sdm/supplierjob/{job.pk}/values/",
        "supplier job and its column mapping": f"/admin/sdm/supplierjob/{job.pk}/change/",
        "preview": f"/admin/sdm/supplierjob/{job.pk}/preview/",
    }
    for name, url in screens.items():
        page.goto(url)
        measured = page.evaluate(CUT_CELLS)
        assert measured["width"] <= WIDTH, (name, measured)
        assert measured["cut"] == [], (name, measured)

    # Long messages are cut in the list, the whole message in the cell's title.
    page.goto(screens["failed job rows"])
    cut = page.locator("#result_list td.field-message_text span[title]").evaluate_all(
        "spans => spans.map(span => [span.innerText, span.title])"
    )
    assert any(text.endswith("…") and "garden_furniture" in title for text, title in cut), cut
    # The hand-edited row's flag is on screen, not beyond it.
    page.goto("/admin/sdm/sdmattribute/?q=meta_description-ecommerce-en_US")
    assert page.locator("#result_list").inner_text().count("edited by hand") >= 1
