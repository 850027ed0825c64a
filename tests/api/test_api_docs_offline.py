"""The API docs page (/api/docs/, ReDoc) works without internet: everything it loads comes from the
product itself, from the test server as from gunicorn with WhiteNoise after collectstatic, and in
Chromium with every other host unreachable it still renders the API.

The page stays public, as the schema is: a supplier reads it before having a token.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.conf import settings
from playwright.sync_api import expect

from tests.connector.test_sqlite_polling import Install
from tests.helpers.processes import background, free_port, stop, wait_for_port

pytestmark = pytest.mark.django_db(transaction=True)
TITLE = settings.SPECTACULAR_SETTINGS["TITLE"]
URL_ATTRIBUTES = {"src", "href", "spec-url", "data", "poster", "action"}


class References(HTMLParser):
    """Every URL the page's tags point to."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value for name, value in attrs if name in URL_ATTRIBUTES and value]


def same_origin(url: str, base: str) -> bool:
    target, origin = urlsplit(urljoin(base, url)), urlsplit(base)
    return (target.scheme, target.netloc) == (origin.scheme, origin.netloc)


def local(url: str, base: str) -> bool:
    """Served by ``base`` or by the browser itself (data: and blob: URLs never leave it)."""
    return urlsplit(url).scheme in {"data", "blob"} or same_origin(url, base)


def check_docs_page(base: str) -> None:
    page = requests.get(f"{base}/api/docs/", timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    parser = References()
    parser.feed(page.text)
    # The inline script hands ReDoc the schema's address; absolute URLs anywhere in the page count too.
    urls = parser.urls + re.findall(r'Redoc\.init\("([^"]+)"', page.text)
    urls += re.findall(r"(?:https?:)?//[^\s\"'<>)]+", page.text)
    assert any(url.endswith("redoc.standalone.js") for url in urls), page.text
    foreign = [url for url in urls if not local(url, base)]
    assert not foreign, f"the docs page loads from other hosts: {foreign}"
    for url in (url for url in parser.urls if same_origin(url, base)):
        answer = requests.get(urljoin(base, url), timeout=30)
        assert answer.status_code == 200, f"{url}: {answer.status_code}"
        if url.endswith(".js"):
            assert "javascript" in answer.headers["Content-Type"], answer.headers["Content-Type"]
    schema = requests.get(f"{base}/api/schema/", timeout=30)
    assert schema.status_code == 200 and TITLE in schema.text


def test_the_docs_page_loads_only_assets_of_its_own_server_and_they_are_served(live_server):
    check_docs_page(live_server.url)


def test_gunicorn_with_whitenoise_serves_the_docs_assets_after_collectstatic(tmp_path):
    install = Install(tmp_path)
    install.env["STATIC_ROOT"] = str(tmp_path / "static")
    install.manage("migrate", "--noinput")
    install.manage("collectstatic", "--noinput")
    port = free_port()
    web = background(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
        install.env,
        tmp_path / "gunicorn.log",
    )
    try:
        wait_for_port(port, web)
        check_docs_page(f"http://127.0.0.1:{port}")
    finally:
        stop(web)


@pytest.mark.browser
def test_redoc_renders_the_api_in_chromium_with_every_other_host_unreachable(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    requested: list[str] = []
    failures: dict[str, str] = {}
    sent: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    context.on("requestfailed", lambda request: failures.setdefault(request.url, request.failure))

    def offline(route):
        # Every request that leaves the browser passes here; as on a machine without internet, only
        # the product's own server answers.
        sent.append(route.request.url)
        if local(route.request.url, live_server.url):
            route.continue_()
        else:
            route.abort("internetdisconnected")

    context.route("**/*", offline)
    try:
        page = context.new_page()
        page.goto("/api/docs/")
        # ReDoc parses the whole schema before it shows anything: a generous deadline on a busy machine.
        expect(page.locator("h1")).to_contain_text(TITLE, timeout=60_000)
        expect(page.get_by_text("/api/v1/jobs/").first).to_be_attached()
        page.wait_for_load_state("networkidle")  # lazily loaded fonts or images would show up here
        # Nor a broken image where the blocked logo was: ReDoc drops the logo once the browser has
        # refused it, which may come a moment after the network is idle.
        expect(page.locator("img")).to_have_count(0)
    finally:
        context.close()
    assert not [url for url in sent if not local(url, live_server.url)], f"sent to other hosts: {sent}"
    # ReDoc's footer asks its CDN for a logo: the page's policy has the browser refuse it unsent.
    foreign = {url: failures.get(url) for url in requested if not local(url, live_server.url)}
    assert all(failure == "csp" for failure in foreign.values()), f"asked of other hosts: {foreign}"
    assert f"{live_server.url}/api/schema/" in requested, requested
