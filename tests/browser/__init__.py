"""Headless Chromium (Debian's, driven by Playwright) for the admin's key screens.

Tests using these fixtures skip with a clear reason where Chromium is not installed.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium); browser tests skipped")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it are ordinary synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def logged_in_page(browser, base_url: str, username: str, password: str, **context_options):
    """A new browser context signed in to the admin; close ``page.context`` when done."""
    context = browser.new_context(base_url=base_url, **context_options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    return page


def fill_connection_form(page, name: str, base_url: str) -> None:
    """The connection add form, filled with the sandbox PIM's credentials."""
    from connector.sandbox import SANDBOX_CREDENTIALS

    page.goto("/admin/connector/akeneoconnection/add/")
    page.fill("#id_name", name)
    page.fill("#id_base_url", base_url)
    page.fill("#id_client_id", SANDBOX_CREDENTIALS["client_id"])
    page.fill("#id_secret", SANDBOX_CREDENTIALS["secret"])
    page.fill("#id_username", SANDBOX_CREDENTIALS["username"])
    page.fill("#id_password", SANDBOX_CREDENTIALS["password"])


@pytest.fixture
def admin_page(browser, live_server, admin_user):
    page = logged_in_page(browser, live_server.url, "admin", "password")
    yield page
    page.context.close()
