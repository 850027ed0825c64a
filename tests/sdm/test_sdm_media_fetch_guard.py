"""Media URLs from supplier files are hostile: internal addresses, redirects to them, names that
resolve to them, slow drips, oversized or mistyped bytes. Each is refused on its row with the
reason, nothing reaches the PIM, and the rest of the push goes on.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connector.models import RunStatus
from connector.runs import start_run
from sdm.jobs import import_supplier_file
from sdm.models import JobRow
from sdm.tasks import JOB_PUSH
from sdm.url_fetch import FetchRefused, check_address, safe_file_name
from tests.sdm.test_sdm_push import write_csv

HEADERS = ["sku", "family", "name-en_US", "main_image"]
UPLOADS = "/api/rest/v1/media-files"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200


class MediaServer:
    """A media server on a loopback address; ``routes`` maps a path to a handler function."""

    def __init__(self, host="127.0.0.1"):
        self.hits: list[str] = []
        self.routes: dict[str, callable] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                owner.hits.append(self.path)
                route = owner.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                route(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://{host}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def serve_bytes(body: bytes, content_type="image/png", length=True):
    def handler(request):
        request.send_response(200)
        request.send_header("Content-Type", content_type)
        if length:
            request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    return handler


def redirect_to(location: str):
    def handler(request):
        request.send_response(302)
        request.send_header("Location", location)
        request.send_header("Content-Length", "0")
        request.end_headers()

    return handler


def drip(request):
    # The fault being simulated: a server that sends one byte at a time, never finishing.
    request.send_response(200)
    request.send_header("Content-Type", "image/png")
    request.send_header("Content-Length", "10000")
    request.end_headers()
    try:
        for byte in PNG * 100:
            request.wfile.write(bytes([byte]))
            request.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass  # the worker gave up and closed the connection


@pytest.fixture
def media_server():
    server = MediaServer()
    yield server
    server.close()


@pytest.fixture
def workflow(synced_workflow):
    return synced_workflow


def push_urls(workflow, tmp_path, urls: dict[str, str]):
    rows = [
        {"sku": sku, "family": "accessories", "name-en_US": sku, "main_image": url}
        for sku, url in urls.items()
    ]
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", rows, headers=HEADERS))
    run = start_run(JOB_PUSH, job, inline=True)
    return run, {row.identifier: row for row in job.rows.all()}


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 (an address refused, not bound)
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "ff02::1",
    ],
)
def test_internal_addresses_are_refused(address):
    with pytest.raises(FetchRefused, match="is internal"):
        check_address(address)


def test_public_addresses_pass_and_the_allow_list_opens_a_trusted_network(settings):
    check_address("93.184.216.34")
    check_address("2606:4700::1111")
    settings.SDM_MEDIA_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    check_address("10.20.3.4")
    with pytest.raises(FetchRefused):
        check_address("10.21.3.4")


@pytest.mark.django_db
def test_loopback_private_and_metadata_urls_are_never_fetched(workflow, fake_akeneo, media_server, tmp_path):
    media_server.routes["/photo.png"] = serve_bytes(PNG)
    fake_akeneo.clear_requests()

    run, rows = push_urls(
        workflow,
        tmp_path,
        {
            "LOOP": f"{media_server.url}/photo.png",
            "NAME": f"http://localhost:{media_server.server.server_address[1]}/photo.png",
            "PRIVATE": "http://10.255.255.1/photo.png",
            "META": "http://169.254.169.254/latest/meta-data/",
            "FILE": "file:///etc/passwd",
        },
    )

    assert run.status == RunStatus.DONE
    assert media_server.hits == []  # not even one request reached the internal server
    assert fake_akeneo.count(method="POST", path_prefix=UPLOADS) == 0
    for sku in ("LOOP", "NAME", "PRIVATE", "META"):
        assert rows[sku].outcome == JobRow.Outcome.FAILED
        assert "is internal" in rows[sku].message, rows[sku].message
    assert "only http and https" in rows["FILE"].message


@pytest.mark.django_db
def test_a_redirect_to_an_internal_address_is_refused(workflow, fake_akeneo, tmp_path, settings):
    trusted, internal = MediaServer("127.0.0.1"), MediaServer("127.0.0.2")
    try:
        settings.SDM_MEDIA_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # a trusted DAM, and nothing else
        internal.routes["/secret.png"] = serve_bytes(PNG)
        trusted.routes["/photo.png"] = redirect_to(f"{internal.url}/secret.png")
        trusted.routes["/good.png"] = serve_bytes(PNG)

        run, rows = push_urls(
            workflow, tmp_path, {"REDIRECT": f"{trusted.url}/photo.png", "GOOD": f"{trusted.url}/good.png"}
        )
    finally:
        trusted.close()
        internal.close()

    assert internal.hits == []
    assert "address 127.0.0.2 is internal" in rows["REDIRECT"].message
    assert rows["GOOD"].outcome == JobRow.Outcome.CREATED
    assert fake_akeneo.count(method="POST", path_prefix=UPLOADS) == 1


@pytest.mark.django_db
def test_slow_drip_oversized_empty_and_mistyped_media_are_refused(
    workflow, fake_akeneo, media_server, tmp_path, settings
):
    settings.SDM_MEDIA_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.SDM_MEDIA_DOWNLOAD_SECONDS = 1
    settings.SDM_MEDIA_MAX_BYTES = 50_000
    media_server.routes.update(
        {
            "/drip.png": drip,
            "/big.png": serve_bytes(PNG + b"\x00" * 60_000),
            "/big-chunked.png": serve_bytes(PNG + b"\x00" * 60_000, length=False),
            "/zeros.png": serve_bytes(b"\x00" * 40_000),
            "/empty.png": serve_bytes(b""),
            "/page.png": serve_bytes(b"<html>Not found</html>", content_type="text/html"),
            "/ok.png": serve_bytes(PNG),
        }
    )
    fake_akeneo.clear_requests()

    run, rows = push_urls(
        workflow,
        tmp_path,
        {
            name: f"{media_server.url}/{name}.png"
            for name in ("drip", "big", "big-chunked", "zeros", "empty", "page", "ok")
        },
    )

    assert run.status == RunStatus.DONE
    assert "took longer than 1 s" in rows["drip"].message
    assert "over the limit of 50,000" in rows["big"].message
    assert "more than 50,000 bytes" in rows["big-chunked"].message
    assert "of no recognisable type, not image/png" in rows["zeros"].message
    assert "the file is empty" in rows["empty"].message
    assert "not an image" in rows["page"].message or "not image/png" in rows["page"].message
    assert rows["ok"].outcome == JobRow.Outcome.CREATED
    assert fake_akeneo.count(method="POST", path_prefix=UPLOADS) == 1


@pytest.mark.django_db
def test_a_url_ending_in_dot_dot_fails_its_row_and_reruns_do_not_crash(
    workflow, fake_akeneo, media_server, tmp_path, settings
):
    settings.SDM_MEDIA_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    media_server.routes["/ok.png"] = serve_bytes(PNG)
    media_server.routes["/"] = serve_bytes(b"<html>index</html>", content_type="text/html")
    urls = {"DOTS": f"{media_server.url}/images/..", "FINE": f"{media_server.url}/ok.png"}

    run, rows = push_urls(workflow, tmp_path, urls)
    assert run.status == RunStatus.DONE, run.message
    assert rows["FINE"].outcome == JobRow.Outcome.CREATED
    assert rows["DOTS"].outcome == JobRow.Outcome.FAILED
    assert "not used" in rows["DOTS"].message

    job = rows["DOTS"].job
    rerun = start_run(JOB_PUSH, job, inline=True)
    assert rerun.status == RunStatus.DONE, rerun.message


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("http://h/a/..", "download"),
        ("http://h/..", "download"),
        ("http://h/x/.hidden", "hidden"),
        ("http://h/a%2F..%2Fb.png", "a_2F.._2Fb.png"),
        ("http://h/photo.png?x=1", "photo.png"),
    ],
)
def test_downloaded_files_get_plain_names(url, name):
    assert safe_file_name(url) == name
