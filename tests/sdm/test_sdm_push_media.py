"""Media cells: files and URLs uploaded to the PIM once per content, reused on later pushes."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connector.runs import start_run
from sdm.jobs import import_supplier_file
from sdm.models import JobRow, MediaFile
from sdm.tasks import JOB_PUSH
from tests.sdm.test_sdm_push import write_csv

pytestmark = pytest.mark.django_db
HEADERS = ["sku", "family", "name-en_US", "main_image"]
UPLOADS = "/api/rest/v1/media-files"


@pytest.fixture
def workflow(synced_workflow):
    return synced_workflow


def image_of(pim, identifier):
    return pim.catalog.product_by_identifier(identifier)["values"]["main_image"][0]["data"]


def test_each_content_is_uploaded_once_and_reused(workflow, fake_akeneo, tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + b"same bytes" * 100
    (tmp_path / "a.png").write_bytes(png)
    (tmp_path / "a-copy.png").write_bytes(png)
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"other bytes" * 100)
    rows = [
        {"sku": "IMG-1", "family": "accessories", "name-en_US": "One", "main_image": "a.png"},
        {"sku": "IMG-2", "family": "accessories", "name-en_US": "Two", "main_image": "a-copy.png"},
        {"sku": "IMG-3", "family": "accessories", "name-en_US": "Three", "main_image": "b.png"},
    ]
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", rows, headers=HEADERS))
    fake_akeneo.clear_requests()

    run = start_run(JOB_PUSH, job, inline=True)

    assert run.counters == {"created": 3}, list(job.rows.values_list("message", flat=True))
    assert fake_akeneo.count(method="POST", path_prefix=UPLOADS) == 2
    assert image_of(fake_akeneo, "IMG-1") == image_of(fake_akeneo, "IMG-2") != image_of(fake_akeneo, "IMG-3")
    assert MediaFile.objects.count() == 2

    # A later job with the same files uploads nothing.
    again = import_supplier_file(workflow, write_csv(tmp_path / "g.csv", rows, headers=HEADERS))
    fake_akeneo.clear_requests()
    start_run(JOB_PUSH, again, inline=True)
    assert fake_akeneo.count(method="POST", path_prefix=UPLOADS) == 0


def test_a_url_is_downloaded_and_uploaded(workflow, fake_akeneo, tmp_path, settings):
    settings.SDM_MEDIA_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the test's media server is on the loopback
    served = tmp_path / "served"
    served.mkdir()
    (served / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"from a supplier server" * 50)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/photo.png"
    try:
        rows = [
            {"sku": "URL-1", "family": "accessories", "name-en_US": "Url", "main_image": url},
            {
                "sku": "URL-2",
                "family": "accessories",
                "name-en_US": "Missing",
                "main_image": url + ".missing",
            },
        ]
        job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", rows, headers=HEADERS))
        run = start_run(JOB_PUSH, job, inline=True)
    finally:
        server.shutdown()

    assert run.counters == {"created": 1, "failed": 1}
    code = image_of(fake_akeneo, "URL-1")
    assert fake_akeneo.catalog.media[code]  # the PIM has the file
    failed = job.rows.get(outcome=JobRow.Outcome.FAILED)
    assert failed.message.startswith(f"Product saved, media not: main_image: {url}.missing not used: ")
    assert "HTTP 404" in failed.message


def test_a_file_outside_the_media_folder_is_refused(workflow, fake_akeneo, tmp_path):
    rows = [{"sku": "ESC-1", "family": "accessories", "name-en_US": "x", "main_image": "../../etc/passwd"}]
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", rows, headers=HEADERS))

    start_run(JOB_PUSH, job, inline=True)

    assert "outside the job's media folder" in job.rows.get().message
    assert fake_akeneo.count(method="POST", path_prefix=UPLOADS) == 0


def test_asset_collection_cells_create_assets_once_and_link_them(workflow, fake_akeneo, tmp_path):
    (tmp_path / "front.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"front" * 200)
    (tmp_path / "back.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"back" * 200)
    headers = ["sku", "family", "name-en_US", "packshots"]
    rows = [
        {"sku": "AST-1", "family": "accessories", "name-en_US": "One", "packshots": "front.png, back.png"},
        {"sku": "AST-2", "family": "accessories", "name-en_US": "Two", "packshots": "front.png"},
    ]
    job = import_supplier_file(workflow, write_csv(tmp_path / "f.csv", rows, headers=headers))
    assets_before = len(fake_akeneo.catalog.assets["packshots"])
    fake_akeneo.clear_requests()

    run = start_run(JOB_PUSH, job, inline=True)

    assert run.counters == {"created": 2}, list(job.rows.values_list("message", flat=True))
    assert fake_akeneo.count(method="POST", path_prefix="/api/rest/v1/asset-media-files") == 2
    assert len(fake_akeneo.catalog.assets["packshots"]) == assets_before + 2
    one = fake_akeneo.catalog.product_by_identifier("AST-1")["values"]["packshots"][0]["data"]
    two = fake_akeneo.catalog.product_by_identifier("AST-2")["values"]["packshots"][0]["data"]
    assert len(one) == 2 and two == one[:1]
