"""The run screens in a real browser: the progress bar follows a run while it is executing."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from connector.models import AkeneoConnection, RunStatus
from connector.runs import execute_run, register_kind, start_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

halfway = threading.Event()
release = threading.Event()


def two_step_handler(context):
    context.set_total(2)
    context.count("created")
    context.advance()
    context.info("first half done")
    context.flush()
    halfway.set()
    release.wait(timeout=30)
    context.count("created")
    context.advance()
    context.info("second half done")


register_kind("test_two_step", "Two-step test", two_step_handler)


def test_the_run_page_shows_progress_live_while_the_run_executes(admin_page, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)  # leave it queued in the broker: this test is the worker
    halfway.clear()
    release.clear()
    target = AkeneoConnection.objects.create(
        name="t", base_url="http://127.0.0.1:9", client_id="c", secret="s", username="u", password="p"
    )
    run = start_run("test_two_step", target)

    admin_page.goto(f"/admin/connector/run/{run.pk}/change/")
    status = admin_page.locator('[data-field="status_label"]')
    expect(status).to_have_text("Queued")

    worker = threading.Thread(target=execute_run, args=(run.pk,))
    worker.start()
    assert halfway.wait(timeout=30)
    expect(status).to_have_text("In progress")
    expect(admin_page.locator('[data-field="percent"]')).to_have_text("50")
    expect(admin_page.locator(".run-log")).to_contain_text("first half done")

    release.set()
    worker.join(timeout=30)
    expect(status).to_have_text("Done")
    expect(admin_page.locator('[data-field="percent"]')).to_have_text("100")
    expect(admin_page.locator('[data-counter="created"]')).to_have_text("2")
    run.refresh_from_db()
    assert run.status == RunStatus.DONE


def test_the_sync_status_page_follows_a_real_sync_from_queued_to_done(admin_page, fake_akeneo, monkeypatch):
    from django_q.conf import Conf

    from connector.sandbox import SANDBOX_CREDENTIALS
    from connector.tasks import STRUCTURE_SYNC

    monkeypatch.setattr(Conf, "SYNC", False)  # leave it queued: this test plays the worker
    connection = AkeneoConnection.objects.create(
        name="sandbox", base_url=fake_akeneo.base_url, max_requests_per_second=1000, **SANDBOX_CREDENTIALS
    )
    run = start_run(STRUCTURE_SYNC, connection)
    # A slow PIM keeps the run in progress long enough to be seen in progress.
    fake_akeneo.faults.delay(2.0, count=1, path_prefix="/api/rest/v1/categories")

    admin_page.goto(f"/admin/connector/akeneoconnection/{connection.pk}/sync-status/")
    status = admin_page.locator('[data-field="status_label"]')
    expect(status).to_have_text("Queued")
    expect(admin_page.locator("#last-sync")).to_have_text("never")

    worker = threading.Thread(target=execute_run, args=(run.pk,))
    worker.start()
    expect(status).to_have_text("In progress")
    expect(admin_page.locator(".run-log")).to_contain_text("Fetched channels")
    worker.join(timeout=60)
    expect(status).to_have_text("Done")
    expect(admin_page.locator('[data-field="percent"]')).to_have_text("100")
    expect(admin_page.locator('[data-counter="created"]')).not_to_have_text("0")
