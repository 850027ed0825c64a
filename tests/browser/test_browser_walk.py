"""The acceptance walk of the admin (issue 16).

In real Chromium at 1366 x 768, as each role that signs in to the admin (a superuser, a business
consultant, an SDM admin, an operator), open every admin page reachable from the index, on data like
a user has after ``bin/demo``: the sandbox PIM connected and synced, the demo workflow synced, the
sample supplier file imported and pushed, an export profile with a finished and a failed export run.
On every page: no console error, nothing wider than the viewport, no dashboard overlapping another
block, no ``<textarea>`` holding JSON, nothing loaded from another host. A supplier is API-only: it
gets an API token but cannot sign in to the admin.

The test fails with a report grouped by page pattern and kind (see ``tests/helpers/admin_walk.py``).
``WALK_EVERY_SCREEN=<dir>`` saves one full-page screenshot per page pattern and role, for reviews.
``WALK_SCREENSHOTS=<dir>`` also saves full-page screenshots of the export profile form, the workflow
form and a finished export run (export-profile-form.png, workflow-form.png, export-run.png);
``WALK_ROLES=superuser,Operator`` walks only those roles (quicker, while fixing one page).

    .venv/bin/pytest tests/test_browser_walk.py -q
"""

from __future__ import annotations

import json
import os
import time
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import models
from django.test import Client
from playwright.sync_api import expect

from connector.models import Run, RunStatus
from connector.roles import (
    API_ONLY_ROLES,
    BUSINESS_CONSULTANT,
    OPERATOR,
    ROLE_PERMISSIONS,
    SDM_ADMIN,
    SUPPLIER,
)
from connector.sandbox import SANDBOX_CREDENTIALS
from connector.users import create_user
from sdm.models import JobRow, SupplierJob, ValueMapping, Workflow
from sfcc_export.models import ExportProfile
from tests.browser import logged_in_page
from tests.helpers.admin_walk import AdminWalker, format_report
from tests.paths import ROOT

pytestmark = [pytest.mark.browser]

VIEWPORT = {"width": 1366, "height": 768}
PAGE_BUDGET = 150
# Patterns opened more than once: runs differ by kind and outcome (sync, import, push, a finished
# and a failed export); every other pattern is opened once (and once with a query string).
QUOTA = {"/admin/connector/run/<id>/change/": 8}
SAMPLE = ROOT / "sdm" / "samples" / "supplier-demo.csv"
ADMIN_ROLES = [role for role in ROLE_PERMISSIONS if role not in API_ONLY_ROLES]


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def seed_like_bin_demo(pim, root: Path) -> dict:
    """What ``bin/demo`` sets up, through the same commands, into ``root``; plus one failed export."""
    creds = SANDBOX_CREDENTIALS
    run(
        "akeneo_connect",
        *("--name", "sandbox", "--url", pim.base_url, "--client-id", creds["client_id"]),
        *("--secret", creds["secret"], "--username", creds["username"], "--password", creds["password"]),
        *("--rate-limit", "1000"),
    )
    run("akeneo_check", "--connection", "sandbox")
    run("akeneo_sync", "--connection", "sandbox")
    run(
        "sdm_workflow",
        *("--name", "demo", "--connection", "sandbox", "--channels", "ecommerce,print"),
        *("--locales", "en_US,fr_FR,de_DE"),
    )
    run("sdm_sync", "--workflow", "demo")
    job_id = json.loads(run("sdm_job_import", "--workflow", "demo", "--file", str(SAMPLE), "--json"))["job"]
    run("sdm_job_finalize", "--job", str(job_id))
    images = "large=main_image+packshots,small=thumbnail"
    run(
        "sfcc_profile",
        *("--name", "demo", "--connection", "sandbox", "--channel", "ecommerce"),
        *("--master-catalog", "akeneo-master", "--storefront-catalog", "akeneo-storefront"),
        *("--locales", "en_US=x-default,fr_FR=fr-FR,de_DE=de-DE", "--output", str(root / "exports")),
        *("--site", "RefArch", "--entities", "brand", "--images", images),
    )
    export = json.loads(run("sfcc_export", "--profile", "demo", "--job", "all", "--json"))
    # One failed run, as an operator finds it on the dashboard: the PIM refuses the product reads.
    pim.faults.every_nth(1, status=503, path_prefix="/api/rest/v1/products-uuid")
    with pytest.raises(CommandError):
        run("sfcc_export", "--profile", "demo", "--job", "master", "--json")
    pim.faults.clear()
    return {"job": SupplierJob.objects.get(pk=job_id), "export_run": Run.objects.get(pk=export["run"])}


def json_fields_of(app_label: str, model_name: str) -> dict[str, str]:
    """The JSONFields a change form of this model can show: its own and its inlines' (any model with a
    foreign key to it), by form field name → ``Model.field``."""
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        return {}
    found: dict[str, str] = {}
    related = [model, *(r.related_model for r in model._meta.related_objects if r.one_to_many)]
    for each in reversed(related):  # the page's own model wins a name used by an inline too
        for model_field in each._meta.concrete_fields:
            if isinstance(model_field, models.JSONField):
                found[model_field.name] = f"{each.__name__}.{model_field.name}"
    return found


def supplier_gets_a_token_but_no_admin(browser, base_url: str) -> list[str]:
    """A supplier account (API-only): the API gives it a token, the admin refuses it."""
    create_user("supplier", SUPPLIER, password="pw-supplier-1", projects=["demo"])
    answer = Client().post(
        "/api/v1/auth/token/",
        {"username": "supplier", "password": "pw-supplier-1", "name": "feed"},
        content_type="application/json",
    )
    assert answer.status_code in (200, 201), answer.content
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto("/admin/login/")
        page.fill("#id_username", "supplier")
        page.fill("#id_password", "pw-supplier-1")
        page.click("input[type=submit]")
        expect(page.locator(".errornote")).to_be_visible()
        assert page.url.startswith(base_url + "/admin/login/")
        refused = page.goto("/admin/")
        assert "/admin/login/" in page.url, f"a supplier reached {page.url} ({refused.status})"
    finally:
        context.close()
    return ["Supplier: API token issued, admin sign-in refused (as designed)."]


def screenshots(browser, base_url: str, seeded: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    page = logged_in_page(browser, base_url, "admin", "pw-admin-walk", viewport=VIEWPORT)
    profile = ExportProfile.objects.get()
    try:
        shots = {
            "export-profile-form.png": f"/admin/sfcc_export/exportprofile/{profile.pk}/change/",
            "workflow-form.png": f"/admin/sdm/workflow/{Workflow.objects.get().pk}/change/",
            "export-run.png": f"/admin/connector/run/{seeded['export_run'].pk}/change/",
        }
        for name, url in shots.items():
            page.goto(url)
            page.screenshot(path=str(folder / name), full_page=True)
    finally:
        page.context.close()


@pytest.mark.django_db(transaction=True)
def test_every_admin_page_as_every_role_is_clean(browser, live_server, fake_akeneo, tmp_path, settings):
    settings.EXPORT_ROOT = tmp_path / "exports"
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    settings.MEDIA_CACHE_ROOT = tmp_path / "media-cache"
    settings.AKENEO_MAX_RETRIES = 1  # the failed run fails at once
    began = time.monotonic()
    seeded = seed_like_bin_demo(fake_akeneo, tmp_path)
    seed_seconds = time.monotonic() - began
    assert seeded["export_run"].status == RunStatus.DONE
    assert Run.objects.filter(status=RunStatus.FAILED).exists()
    assert JobRow.objects.filter(job=seeded["job"]).count() > 0 and ValueMapping.objects.exists()

    get_user_model().objects.create_superuser("admin", password="pw-admin-walk")
    accounts = [("superuser", "admin", "pw-admin-walk")]
    for role in ADMIN_ROLES:
        username = role.lower().replace(" ", "-")
        create_user(username, role, password=f"pw-{username}-walk")
        accounts.append((role, username, f"pw-{username}-walk"))
    assert {BUSINESS_CONSULTANT, SDM_ADMIN, OPERATOR} <= {role for role, _, _ in accounts}
    notes = [f"Seeded like bin/demo in {seed_seconds:.0f} s ({Run.objects.count()} runs)."]
    notes += supplier_gets_a_token_but_no_admin(browser, live_server.url)

    only = [name.strip() for name in os.environ.get("WALK_ROLES", "").split(",") if name.strip()]
    walks = []
    for role, username, password in accounts:
        if only and role not in only:
            continue
        page = logged_in_page(browser, live_server.url, username, password, viewport=VIEWPORT)
        try:
            walker = AdminWalker(
                page,
                live_server.url,
                role,
                json_fields=json_fields_of,
                budget=PAGE_BUDGET,
                quota=QUOTA,
                screens=os.environ.get("WALK_EVERY_SCREEN"),
            )
            walks.append(walker.walk("/admin/"))
        finally:
            page.context.close()

    if os.environ.get("WALK_SCREENSHOTS"):
        screenshots(browser, live_server.url, seeded, Path(os.environ["WALK_SCREENSHOTS"]))

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    notes.append(f"Machine load average {load} (1, 5, 15 min) on {os.cpu_count()} CPUs at the end.")
    report = format_report(walks, notes)
    print(report)
    if any(walk.violations for walk in walks):
        pytest.fail(report, pytrace=False)


# The walker's own check: on a made-up admin served by the browser itself, every kind of violation
# is found, and the walk keeps to its rules (one page per pattern, one filter example, no logout,
# no delete page, no sorting link), so that an empty report above means clean pages.
SPECIMEN = "http://walk.test"
SPECIMEN_PAGES = {
    "/admin/": """<body class="dashboard">
        <div id="content-main"><div class="module" id="dashboard-module" style="width:700px;height:200px">
        dashboard</div></div>
        <div id="content-related" style="position:absolute;left:500px;top:0;width:300px;height:300px">
        recent actions</div>
        <a href="/admin/app/thing/">things</a> <a href="/admin/app/thing/1/change/">one</a>
        <a href="/admin/app/thing/2/change/">two</a> <a href="/admin/logout/">log out</a>
        <a href="/admin/app/thing/1/delete/">delete</a> <a href="http://elsewhere.test/admin/">away</a>""",
    "/admin/app/thing/": """<body class="change-list">
        <div style="width:2000px" id="wide">a very wide table</div>
        <img src="http://elsewhere.test/pixel.png" alt="">
        <a href="?o=1">sort</a> <a href="/admin/app/thing/?kind=b">not a filter</a>
        <div id="changelist-filter"><a href="?kind=a">a</a> <a href="?kind=c">c</a></div>""",
    "/admin/app/thing/?kind=a": "<body class='change-list'>filtered",
    "/admin/app/thing/1/change/": """<body class="change-form">
        <textarea name="config">{"en_US": "x-default"}</textarea>
        <textarea name="step_set-0-steps">one step a line</textarea>
        <textarea name="notes">just text</textarea>
        <a href="/admin/app/thing/1/refused/">refused</a>
        <script>console.error("boom"); throw new Error("kaput");</script>""",
}


def test_the_walker_finds_every_kind_of_violation(browser):
    context = browser.new_context(base_url=SPECIMEN, viewport=VIEWPORT)

    def serve(route):
        split = urlsplit(route.request.url)
        key = split.path + (f"?{split.query}" if split.query else "")
        if split.netloc != urlsplit(SPECIMEN).netloc:
            route.abort()
        elif key.endswith("/refused/"):
            route.fulfill(status=403, content_type="text/html", body="<title>403 Forbidden</title>no")
        elif key in SPECIMEN_PAGES:
            route.fulfill(content_type="text/html", body="<!doctype html><html>" + SPECIMEN_PAGES[key])
        else:
            route.fulfill(status=404, content_type="text/html", body="not walked")

    context.route("**/*", serve)
    try:
        page = context.new_page()
        fields = {("app", "thing"): {"config": "Thing.config", "steps": "Step.steps"}}
        walk = AdminWalker(
            page, SPECIMEN, "specimen", json_fields=lambda *model: fields.get(model, {})
        ).walk()
    finally:
        context.close()

    assert [visit.url for visit in walk.visits] == [
        "/admin/",
        "/admin/app/thing/",
        "/admin/app/thing/1/change/",
        "/admin/app/thing/?kind=a",
        "/admin/app/thing/1/refused/",
    ]
    found = {(v.kind, v.url): v.detail for v in walk.violations}
    assert "div#content-related" in found["dashboard-overlap", "/admin/"]
    assert "div#wide" in found["horizontal-overflow", "/admin/app/thing/"]
    assert "http://elsewhere.test/pixel.png" in found["foreign-request", "/admin/app/thing/"]
    assert found["json-textarea", "/admin/app/thing/1/change/"].startswith("Thing.config holds JSON")
    assert found["jsonfield-textarea", "/admin/app/thing/1/change/"].startswith("Step.steps")
    assert found["console-error", "/admin/app/thing/1/change/"] == "boom"
    assert "kaput" in found["page-error", "/admin/app/thing/1/change/"]
    assert "HTTP 403" in found["http-status", "/admin/app/thing/1/refused/"]
    assert "linked from /admin/app/thing/1/change/" in found["http-status", "/admin/app/thing/1/refused/"]
    assert not any("notes" in v.detail for v in walk.violations)
    assert "== /admin/app/thing/<id>/change/" in format_report([walk])
