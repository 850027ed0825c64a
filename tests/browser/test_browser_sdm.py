"""The attribute configuration tab in a real browser: exclude a group, keep locked ones, save, sync."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sdm.models import SdmAttribute
from tests.paths import ROOT
from tests.sdm_helpers import make_workflow, sync_workflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = ROOT / "docs" / "screenshots" / "attribute-configuration.png"


def test_exclude_a_group_keep_locked_ones_save_and_synchronize(admin_page, fake_akeneo):
    workflow = make_workflow(fake_akeneo)
    sync_workflow(workflow)
    before = SdmAttribute.objects.filter(workflow=workflow).count()
    page = admin_page

    page.goto(f"/admin/sdm/workflow/{workflow.pk}/change/")
    page.click("#attribute-configuration")
    page.uncheck("#group-marketing")

    marketing = page.locator('table[data-group="marketing"]')
    expect(marketing.locator("#include-name")).not_to_be_checked()
    color = marketing.locator('tr[data-code="color"]')
    expect(color).to_contain_text("Locked: Variant axis (clothing_color_size)")
    expect(color.locator("input[type=checkbox]").first).to_be_checked()
    expect(color.locator("input[type=checkbox]").first).to_be_disabled()
    page.fill("#attribute-search", "siz")
    expect(page.locator('tr[data-code="size"]')).to_be_visible()
    expect(page.locator('tr[data-code="name"]')).to_be_hidden()
    page.fill("#attribute-search", "")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    marketing.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOT))

    page.click("#save-attributes")
    expect(page.locator(".messagelist .success")).to_contain_text("Attribute configuration saved")
    expect(page.locator("#include-name")).not_to_be_checked()

    page.click("#synchronize")
    expect(page.locator('[data-field="status_label"]')).to_have_text("Done")
    after = SdmAttribute.objects.filter(workflow=workflow).count()
    assert after < before
    expect(page.locator('[data-count="sdm-attributes"]')).to_have_text(str(after))
    expect(page.locator("#last-changes")).to_contain_text("removed")
    codes = set(SdmAttribute.objects.filter(workflow=workflow).values_list("pim_attribute_code", flat=True))
    assert {"color", "size"} <= codes
    assert "name" not in codes
