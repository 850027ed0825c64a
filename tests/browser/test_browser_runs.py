"""The run screens in a real browser: the progress bar follows a run while it is executing."""

from __future__ import annotations

import threading

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from playwright.sync_api import expect

from connector import runs
from connector.models import AkeneoConnection, Run, RunStatus
from connector.runs import RunKind, execute_run, register_kind, start_run

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
    expect(admin_page.locator('[data-field="duration_text"]')).to_have_text("queued")
    expect(admin_page.locator("#cancel-run")).to_be_visible()

    worker = threading.Thread(target=execute_run, args=(run.pk,))
    worker.start()
    assert halfway.wait(timeout=30)
    expect(status).to_have_text("In progress")
    expect(admin_page.locator('[data-field="percent"]')).to_have_text("50")
    expect(admin_page.locator('[data-field="progress_text"]')).to_have_text("1 of 2")
    expect(admin_page.locator(".run-log")).to_contain_text("first half done")
    expect(admin_page.locator("#cancel-run")).to_be_visible()

    release.set()
    worker.join(timeout=30)
    expect(status).to_have_text("Done")
    expect(admin_page.locator('[data-field="percent"]')).to_have_text("100")
    expect(admin_page.locator('[data-counter="created"]')).to_have_text("2")
    expect(admin_page.locator("#cancel-run")).to_have_count(0)  # gone with the run, no reload needed
    expect(admin_page.locator('[data-field="duration_text"]')).not_to_have_text("queued")
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


def test_the_recent_syncs_list_follows_the_run_above_it(admin_page, fake_akeneo, monkeypatch):
    from django_q.conf import Conf

    from connector.sandbox import SANDBOX_CREDENTIALS
    from connector.tasks import STRUCTURE_SYNC

    connection = AkeneoConnection.objects.create(
        name="sandbox", base_url=fake_akeneo.base_url, max_requests_per_second=1000, **SANDBOX_CREDENTIALS
    )
    earlier = start_run(STRUCTURE_SYNC, connection, inline=True)
    monkeypatch.setattr(Conf, "SYNC", False)  # leave the next one queued: this test plays the worker
    # The sync is held halfway until the test has looked, instead of hoping it is slow enough.
    monkeypatch.setitem(
        runs._KINDS, STRUCTURE_SYNC, RunKind(STRUCTURE_SYNC, "PIM structure sync", two_step_handler)
    )
    halfway.clear()
    release.clear()
    run = start_run(STRUCTURE_SYNC, connection)

    admin_page.goto(f"/admin/connector/akeneoconnection/{connection.pk}/sync-status/")
    line = admin_page.locator(f'tr[data-run-id="{run.pk}"]')
    expect(line.locator('[data-run-field="status_label"]')).to_have_text("Queued")
    expect(line.locator('[data-run-field="duration_text"]')).to_have_text("queued")
    admin_page.evaluate("window.loadedBeforeTheRunEnded = true")

    worker = threading.Thread(target=execute_run, args=(run.pk,))
    worker.start()
    assert halfway.wait(timeout=30)
    expect(admin_page.locator('[data-field="status_label"]')).to_have_text("In progress")
    expect(line.locator('[data-run-field="status_label"]')).to_have_text("In progress")
    expect(line.locator('[data-run-field="duration_text"]')).not_to_have_text("queued")
    expect(line.locator('[data-run-field="counters_text"]')).to_have_text("1 created")
    other = admin_page.locator(f'tr[data-run-id="{earlier.pk}"] [data-run-field="status_label"]')
    expect(other).to_have_text("Done")

    release.set()
    worker.join(timeout=30)
    expect(admin_page.locator('[data-field="status_label"]')).to_have_text("Done")
    expect(line.locator('[data-run-field="status_label"]')).to_have_text("Done")
    expect(line.locator('[data-run-field="counters_text"]')).to_have_text("2 created")
    # Once the run is over the page reloads, so that what the run changed around it shows too.
    admin_page.wait_for_function("() => window.loadedBeforeTheRunEnded === undefined")
    expect(line.locator('[data-run-field="status_label"]')).to_have_text("Done")


# Boxes and line counts measured in the page: the dashboard against every other block of the index.
MEASURE_INDEX = """
() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const lines = (el) => {
    const range = document.createRange(); range.selectNodeContents(el);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
  };
  const others = [...document.querySelectorAll(
    '#first-run, .index-apps > .module, #recent-actions-module, #content-related, #header, #footer'
  )].filter((el) => el.getBoundingClientRect().height > 0);
  return {
    dashboard: box(document.querySelector('#dashboard-module')),
    table: box(document.querySelector('#dashboard')),
    contentMain: box(document.querySelector('#content-main')),
    others: others.map((el) => ({name: el.id || el.className, box: box(el)})),
    headerLines: [...document.querySelectorAll('#dashboard thead th')]
      .map((th) => [th.textContent, lines(th)]),
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    wider: [...document.body.querySelectorAll('*')].filter(
      (el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1
    ).map((el) => el.tagName + '#' + el.id + '.' + el.className).slice(0, 5),
  };
}
"""


def overlap(a, b) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1


def test_the_dashboard_spans_the_index_above_the_apps_and_overlaps_nothing(
    browser, live_server, admin_user, fake_akeneo
):
    from connector.sandbox import SANDBOX_CREDENTIALS
    from connector.tasks import STRUCTURE_SYNC
    from tests.browser import logged_in_page

    connection = AkeneoConnection.objects.create(
        name="sandbox with a rather long name", base_url=fake_akeneo.base_url, **SANDBOX_CREDENTIALS
    )
    fake_akeneo.faults.burst(1, status=403, path_prefix="/api/rest/v1/channels")
    failed = start_run(STRUCTURE_SYNC, connection, inline=True)
    done = start_run(STRUCTURE_SYNC, connection, inline=True)
    assert (failed.status, done.status) == (RunStatus.FAILED, RunStatus.DONE)
    LogEntry.objects.create(
        user=admin_user,
        content_type=ContentType.objects.get_for_model(AkeneoConnection),
        object_id=str(connection.pk),
        object_repr=str(connection),
        action_flag=CHANGE,
        change_message="Changed the schedule.",
    )
    page = logged_in_page(
        browser, live_server.url, "admin", "password", viewport={"width": 1366, "height": 768}
    )
    try:
        page.goto("/admin/")
        expect(page.locator("#dashboard .failed-run")).to_have_text(f"#{failed.pk} PIM structure sync")
        expect(page.locator("#recent-actions-module")).to_contain_text(str(connection))
        measured = page.evaluate(MEASURE_INDEX)
    finally:
        page.context.close()

    dashboard = measured["dashboard"]
    assert [name for name, lines in measured["headerLines"] if lines != 1] == []  # no header wraps
    assert measured["table"][2] <= dashboard[2] + 1  # the table stays inside its module
    main = measured["contentMain"]
    assert abs(dashboard[0] - main[0]) <= 1 and abs(dashboard[2] - main[2]) <= 1  # the page's full width
    others = {other["name"]: other["box"] for other in measured["others"]}
    assert "recent-actions-module" in others and any("app-" in name for name in others)
    assert [name for name, box in others.items() if overlap(dashboard, box)] == []
    below = [box for name, box in others.items() if "app-" in name or "recent-actions" in name]
    assert all(box[1] >= dashboard[3] for box in below)  # the apps and recent actions come after it
    assert measured["scrollWidth"] <= measured["clientWidth"], measured["wider"]


def test_dates_are_shown_in_the_time_zone_of_the_browser(browser, live_server, admin_user):
    from datetime import UTC, datetime

    from tests.browser import logged_in_page

    target = AkeneoConnection.objects.create(
        name="t", base_url="http://127.0.0.1:9", client_id="c", secret="s", username="u", password="p"
    )
    run = start_run("test_two_step", target)
    Run.objects.filter(pk=run.pk).update(created_at=datetime(2026, 12, 2, 13, 5, tzinfo=UTC))
    # The sign-in page already tells the server the browser's zone; every page after it uses it.
    page = logged_in_page(browser, live_server.url, "admin", "password", timezone_id="Asia/Tokyo")
    try:
        page.goto(f"/admin/connector/run/{run.pk}/change/")
        expect(page.locator(".run-time-zone")).to_have_text("Times in Asia/Tokyo.")
        expect(page.locator("#content-main > p").first).to_contain_text("queued 2 Dec 2026, 22:05")
    finally:
        page.context.close()
