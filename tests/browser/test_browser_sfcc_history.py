"""The export profile's archive history in a real browser: an import that skipped products shows
as such, and "Deliver again" sends the archive once more, followed live on the run page."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from connector.models import Run, RunStatus
from connector.runs import execute_run, start_run
from connector.sandbox import FakeAkeneo
from sfcc_export.tasks import EXPORT
from tests.sfcc_helpers import make_instance_profile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_history_shows_skipped_products_and_delivers_an_archive_again(
    admin_page, sandbox_catalog_factory, sfcc, tmp_path, settings, monkeypatch
):
    from django_q.conf import Conf

    settings.MEDIA_CACHE_ROOT = tmp_path / "media-cache"
    with FakeAkeneo(sandbox_catalog_factory(products=60, seed=3)) as pim:
        profile = make_instance_profile(
            pim,
            tmp_path / "exports",
            sfcc,
        )
        products = pim.catalog.products
        skipped = sorted(
            products[key]["identifier"]
            for key in products
            if not products[key].get("parent") and products[key]["enabled"]
        )[0]
        sfcc.skip_products({skipped: "invalid value for attribute 'ean'"})
        first = start_run(EXPORT, profile, params={"job": "all", "mode": "full"}, inline=True)
        assert first.status == RunStatus.WARNINGS, first.error

        admin_page.goto(f"/admin/sfcc_export/exportprofile/{profile.pk}/change/")
        row = admin_page.locator("#archive-history .archive-row")
        expect(row).to_have_count(1)
        expect(row.locator(".archive-status")).to_have_text("Delivered; SFCC skipped elements")
        expect(row).to_contain_text(skipped)
        expect(row.locator("a.archive-part")).to_have_count(1)

        monkeypatch.setattr(Conf, "SYNC", False)  # queued in the broker: this test is the worker
        row.locator("button.deliver-again").click()
        admin_page.wait_for_url("**/admin/connector/run/*/change/")
        again = Run.objects.filter(kind=EXPORT).exclude(pk=first.pk).get()
        status = admin_page.locator('[data-field="status_label"]')
        expect(status).to_have_text("Queued")
        worker = threading.Thread(target=execute_run, args=(again.pk,))
        worker.start()
        worker.join(timeout=60)
        expect(status).to_have_text("Done with warnings")
        expect(admin_page.locator('[data-field="error"]')).to_contain_text(skipped)
        assert len(sfcc.imports) == 2 and sfcc.imports[0].file_name == sfcc.imports[1].file_name
