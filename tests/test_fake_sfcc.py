"""The fake SFCC instance (tests/fake_sfcc.py), over real sockets with requests. No database."""

from __future__ import annotations

import io
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from lxml import etree

from tests.fake_sfcc import DEFAULT_XSD_DIR, IMPORT_JOB, FakeSfcc

CATALOG_NS = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
VALID_CATALOG = f'<catalog xmlns="{CATALOG_NS}" catalog-id="c"><product product-id="p1"/></catalog>'
INVALID_CATALOG = f'<catalog xmlns="{CATALOG_NS}" catalog-id="c">\n<product/>\n</catalog>'
IMPEX = "/on/demandware.servlet/webdav/Sites/Impex/src/instance"
TIMEOUT = 10


def require_xsds() -> None:
    if not DEFAULT_XSD_DIR.is_dir():
        pytest.skip(f"SFCC schemas not found at {DEFAULT_XSD_DIR} (CI has ../shared beside the project)")


@pytest.fixture
def sfcc():
    with FakeSfcc() as fake:
        yield fake


def grant(sfcc: FakeSfcc, **kwargs) -> requests.Response:
    options = {"data": {"grant_type": "client_credentials"}, "auth": (sfcc.client_id, sfcc.client_secret)}
    options.update(kwargs)
    return requests.post(f"{sfcc.account_manager_url}/dwsso/oauth2/access_token", timeout=TIMEOUT, **options)


def bearer(sfcc: FakeSfcc) -> dict[str, str]:
    response = grant(sfcc)
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def dav_url(sfcc: FakeSfcc, name: str = "") -> str:
    return f"{sfcc.instance_url}{IMPEX}/{name}"


def jobs_url(sfcc: FakeSfcc, suffix: str = "", *, version: str = "v23_2", job: str = IMPORT_JOB) -> str:
    return f"{sfcc.instance_url}/s/-/dw/data/{version}/jobs/{job}/executions{suffix}"


def site_archive(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


def put(sfcc: FakeSfcc, headers: dict, name: str, data: bytes) -> requests.Response:
    return requests.put(dav_url(sfcc, name), data=data, headers=headers, timeout=TIMEOUT)


def start_import(sfcc: FakeSfcc, headers: dict, file_name: str, **kwargs) -> requests.Response:
    body = {"file_name": file_name, "mode": "merge"}
    return requests.post(jobs_url(sfcc, **kwargs), json=body, headers=headers, timeout=TIMEOUT)


def poll(sfcc: FakeSfcc, headers: dict, execution_id: str) -> dict:
    response = requests.get(jobs_url(sfcc, f"/{execution_id}"), headers=headers, timeout=TIMEOUT)
    assert response.status_code == 200
    return response.json()


def run_import(sfcc: FakeSfcc, headers: dict, file_name: str) -> dict:
    """Start the import and poll until it has finished; the finished document."""
    started = start_import(sfcc, headers, file_name)
    assert started.status_code == 202
    for _ in range(sfcc.polls_until_finished + 1):
        document = poll(sfcc, headers, started.json()["id"])
        if document["execution_status"] == "finished":
            return document
    raise AssertionError(f"still {document['execution_status']} after {sfcc.polls_until_finished + 1} polls")


# -- Account Manager --------------------------------------------------------------------------------


def test_token_grant(sfcc):
    response = grant(sfcc)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    answer = response.json()
    assert set(answer) == {"access_token", "token_type", "expires_in", "scope"}
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 1799
    assert answer["scope"] == "mail tenantFilter profile"
    assert answer["access_token"] != grant(sfcc).json()["access_token"]
    assert sfcc.token_grants == 2
    assert sfcc.account_manager_url != sfcc.instance_url
    assert sfcc.count("POST", "/am/dwsso/oauth2/access_token", 200) == 2


def test_token_refused(sfcc):
    wrong_secret = grant(sfcc, auth=(sfcc.client_id, "not-the-secret"))
    no_credentials = grant(sfcc, auth=None)
    wrong_grant = grant(sfcc, data={"grant_type": "password"})

    assert wrong_secret.status_code == 401
    assert wrong_secret.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed",
    }
    assert no_credentials.status_code == 401
    assert no_credentials.json()["error"] == "invalid_client"
    assert wrong_grant.status_code == 400
    assert wrong_grant.json()["error"] == "unsupported_grant_type"
    assert sfcc.token_grants == 0
    assert sfcc.client_secret not in wrong_secret.text + repr(sfcc)


# -- WebDAV -----------------------------------------------------------------------------------------


def test_webdav_put_get_propfind_delete(sfcc):
    headers = bearer(sfcc)

    listing = requests.request("PROPFIND", dav_url(sfcc), headers={**headers, "Depth": "0"}, timeout=TIMEOUT)
    created = put(sfcc, headers, "archive.zip", b"first")
    replaced = put(sfcc, headers, "archive.zip", b"second")
    fetched = requests.get(dav_url(sfcc, "archive.zip"), headers=headers, timeout=TIMEOUT)
    found = requests.request("PROPFIND", dav_url(sfcc), headers={**headers, "Depth": "1"}, timeout=TIMEOUT)

    assert listing.status_code == 207  # the Impex folders exist from the start
    assert created.status_code == 201
    assert replaced.status_code == 204
    assert fetched.status_code == 200
    assert fetched.content == b"second"
    assert sfcc.read_file("Impex/src/instance/archive.zip") == b"second"
    assert found.status_code == 207
    hrefs = etree.fromstring(found.content).findall(".//{DAV:}href")
    assert f"{IMPEX}/archive.zip" in [href.text for href in hrefs]

    deleted = requests.delete(dav_url(sfcc, "archive.zip"), headers=headers, timeout=TIMEOUT)
    gone = requests.get(dav_url(sfcc, "archive.zip"), headers=headers, timeout=TIMEOUT)

    assert deleted.status_code == 204
    assert gone.status_code == 404
    with pytest.raises(FileNotFoundError):
        sfcc.read_file("Impex/src/instance/archive.zip")


def test_webdav_chunked_put_and_server_side_files(sfcc):
    headers = bearer(sfcc)
    sfcc.put_file("Impex/src/instance/catalog-export.xml", b"<catalog/>")

    chunked = requests.put(
        dav_url(sfcc, "chunked.zip"),
        data=iter([b"one ", b"two ", b"three"]),
        headers=headers,
        timeout=TIMEOUT,
    )
    exported = requests.get(dav_url(sfcc, "catalog-export.xml"), headers=headers, timeout=TIMEOUT)

    assert chunked.status_code == 201
    assert sfcc.read_file("Impex/src/instance/chunked.zip") == b"one two three"
    assert exported.content == b"<catalog/>"
    with pytest.raises(ValueError):
        sfcc.read_file("../outside.txt")


def test_webdav_needs_a_valid_bearer_token(sfcc):
    headers = bearer(sfcc)
    large = b"x" * (4 << 20)  # refused before it is read: the fake still reads it, so the client sees the 401

    anonymous = put(sfcc, {}, "a.zip", large)
    bogus = put(sfcc, {"Authorization": "Bearer not-a-token"}, "a.zip", b"data")
    basic = requests.get(dav_url(sfcc), auth=(sfcc.client_id, sfcc.client_secret), timeout=TIMEOUT)
    accepted = put(sfcc, headers, "a.zip", b"data")
    sfcc.expire_tokens()
    expired = put(sfcc, headers, "a.zip", b"data")
    expired_get = requests.get(dav_url(sfcc, "a.zip"), headers=headers, timeout=TIMEOUT)
    renewed = put(sfcc, bearer(sfcc), "a.zip", b"renewed")

    assert [anonymous.status_code, bogus.status_code, basic.status_code] == [401, 401, 401]
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert accepted.status_code == 201
    assert expired.status_code == 401
    assert expired_get.status_code == 401
    assert renewed.status_code == 204
    assert sfcc.read_file("Impex/src/instance/a.zip") == b"renewed"


# -- OCAPI jobs -------------------------------------------------------------------------------------


def test_valid_archive_imports_ok_after_polling(sfcc):
    require_xsds()
    headers = bearer(sfcc)
    archive = site_archive(
        {
            "site/catalogs/c/catalog.xml": VALID_CATALOG,
            "site/catalogs/c/static/default/images/p1.jpg": b"\xff\xd8\xff\xe0 not really a jpeg",
        }
    )
    assert put(sfcc, headers, "site.zip", archive).status_code == 201

    started = start_import(sfcc, headers, "site.zip")
    first = poll(sfcc, headers, started.json()["id"])
    second = poll(sfcc, headers, started.json()["id"])

    assert started.status_code == 202
    document = started.json()
    assert document["_v"] == "23.2"
    assert document["_type"] == "job_execution"
    assert document["job_id"] == IMPORT_JOB
    assert document["execution_status"] == "running"
    assert document["status"] == "RUNNING"
    assert "exit_status" not in document
    assert document["start_time"].endswith("Z")
    assert {"name": "ImportFile", "value": "site.zip", "_type": "job_execution_parameter"} in document[
        "parameters"
    ]
    assert first["execution_status"] == "running"
    assert second["execution_status"] == "finished"
    assert second["status"] == "OK"
    assert second["exit_status"] == {
        "_type": "status",
        "code": "OK",
        "message": "Imported 1 file",
        "status": "ok",
    }
    assert second["id"] == document["id"]
    assert second["end_time"] >= second["start_time"]
    assert second["duration"] >= 0
    assert poll(sfcc, headers, document["id"]) == second  # finished stays finished
    [record] = sfcc.imports
    assert (record.execution_id, record.file_name, record.exit_code) == (document["id"], "site.zip", "OK")
    assert record.members == ["site/catalogs/c/catalog.xml"]
    assert record.documents["site/catalogs/c/catalog.xml"].get("catalog-id") == "c"


@pytest.mark.parametrize("polls", [0, 3])
def test_polls_until_finished(polls):
    with FakeSfcc(polls_until_finished=polls) as sfcc:
        headers = bearer(sfcc)
        execution_id = start_import(sfcc, headers, "missing.zip").json()["id"]

        states = [poll(sfcc, headers, execution_id)["execution_status"] for _ in range(polls + 1)]

    assert states == ["running"] * polls + ["finished"]


def test_invalid_document_fails_the_import_naming_the_file(sfcc):
    require_xsds()
    headers = bearer(sfcc)
    archive = site_archive(
        {
            "site/meta/.keep": b"",
            "site/catalogs/c/catalog.xml": INVALID_CATALOG,
            "site/pricebooks/x.xml": b"<x/>",
        }
    )
    put(sfcc, headers, "bad.zip", archive)

    finished = run_import(sfcc, headers, "bad.zip")

    assert finished["status"] == "ERROR"
    assert finished["exit_status"]["code"] == "ERROR"
    assert finished["exit_status"]["status"] == "error"
    message = finished["exit_status"]["message"]
    assert message.startswith("Import failed: site/catalogs/c/catalog.xml line 2: ")
    assert "product-id" in message
    assert sfcc.imports[0].exit_code == "ERROR"


@pytest.mark.parametrize(
    ("member", "data", "expected"),
    [
        ("site/catalogs/c/catalog.xml", "<catalog", "site/catalogs/c/catalog.xml line 1: not well-formed"),
        ("site/other.xml", '<thing xmlns="urn:unknown"/>', "no SFCC schema for root namespace 'urn:unknown'"),
    ],
)
def test_unreadable_documents_fail_the_import(sfcc, member, data, expected):
    require_xsds()
    headers = bearer(sfcc)
    put(sfcc, headers, "bad.zip", site_archive({member: data}))

    finished = run_import(sfcc, headers, "bad.zip")

    assert finished["exit_status"]["code"] == "ERROR"
    assert expected in finished["exit_status"]["message"]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"site/catalogs/c/static/p1.jpg": b"jpeg"}, "the archive holds no XML document"),
        ({"catalog.xml": VALID_CATALOG}, "a site archive holds one top folder; found file 'catalog.xml'"),
        ({"a/x.xml": "<x/>", "b/y.xml": "<y/>"}, "a site archive holds one top folder; found 2 top folders"),
    ],
)
def test_archives_of_the_wrong_shape_fail(sfcc, files, expected):
    headers = bearer(sfcc)
    put(sfcc, headers, "odd.zip", site_archive(files))

    finished = run_import(sfcc, headers, "odd.zip")

    assert finished["exit_status"]["code"] == "ERROR"
    assert expected in finished["exit_status"]["message"]


def test_missing_file_fails_the_import(sfcc):
    headers = bearer(sfcc)
    sfcc.put_file("Impex/src/instance/not-a-zip.zip", b"plain text")

    missing = run_import(sfcc, headers, "nope.zip")
    not_a_zip = run_import(sfcc, headers, "not-a-zip.zip")
    outside = run_import(sfcc, headers, "../../../Impex/src/instance/../../outside.zip")

    assert missing["exit_status"]["code"] == "ERROR"
    assert missing["exit_status"]["message"] == "File 'nope.zip' not found in Impex/src/instance"
    assert "is not a valid zip archive" in not_a_zip["exit_status"]["message"]
    assert "not found in Impex/src/instance" in outside["exit_status"]["message"]
    assert [record.file_name for record in sfcc.imports] == [
        "nope.zip",
        "not-a-zip.zip",
        "../../../Impex/src/instance/../../outside.zip",
    ]


def test_ocapi_faults(sfcc):
    headers = bearer(sfcc)

    unknown_job = start_import(sfcc, headers, "x.zip", job="my-job")
    unknown_execution = requests.get(jobs_url(sfcc, "/999"), headers=headers, timeout=TIMEOUT)
    no_token = start_import(sfcc, {}, "x.zip", version="v21_10")
    not_json = requests.post(jobs_url(sfcc), data="file_name=x.zip", headers=headers, timeout=TIMEOUT)
    no_file = requests.post(jobs_url(sfcc), json={"mode": "merge"}, headers=headers, timeout=TIMEOUT)
    bad_mode = requests.post(
        jobs_url(sfcc), json={"file_name": "x.zip", "mode": "x"}, headers=headers, timeout=10
    )
    bad_version = start_import(sfcc, headers, "x.zip", version="latest")
    wrong_method = requests.delete(jobs_url(sfcc), headers=headers, timeout=TIMEOUT)
    sfcc.expire_tokens()
    expired = requests.get(jobs_url(sfcc, "/1"), headers=headers, timeout=TIMEOUT)

    def fault(response: requests.Response) -> tuple[int, str, str]:
        body = response.json()
        assert set(body) == {"_v", "fault"} and body["fault"]["message"]
        return response.status_code, body["_v"], body["fault"]["type"]

    assert fault(unknown_job) == (404, "23.2", "JobDefinitionNotFoundException")
    assert fault(unknown_execution) == (404, "23.2", "JobExecutionNotFoundException")
    assert fault(no_token) == (401, "21.10", "InvalidAccessTokenException")
    assert fault(not_json) == (415, "23.2", "UnsupportedMediaTypeException")
    assert fault(no_file) == (400, "23.2", "NullConstraintViolationException")
    assert fault(bad_mode) == (400, "23.2", "EnumConstraintViolationException")
    assert fault(bad_version)[::2] == (400, "InvalidVersionException")
    assert fault(wrong_method) == (405, "23.2", "MethodNotAllowedException")
    assert fault(expired) == (401, "23.2", "InvalidAccessTokenException")
    assert sfcc.imports == []


# -- fault injection --------------------------------------------------------------------------------


def test_fail_uploads(sfcc):
    headers = bearer(sfcc)
    sfcc.fail_uploads(2)
    sfcc.fail_uploads(1, status=500)

    statuses = [put(sfcc, headers, "a.zip", b"data").status_code for _ in range(4)]

    assert statuses == [503, 503, 500, 201]
    assert sfcc.count("PUT", IMPEX, 503) == 2
    assert sfcc.read_file("Impex/src/instance/a.zip") == b"data"


def test_fail_uploads_is_thread_safe(sfcc):
    headers = bearer(sfcc)
    sfcc.fail_uploads(5)

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda n: put(sfcc, headers, f"{n}.zip", b"x").status_code, range(12)))

    assert sorted(statuses) == [201] * 7 + [503] * 5


def test_expire_tokens_then_renew(sfcc):
    headers = bearer(sfcc)
    sfcc.expire_tokens()

    refused = start_import(sfcc, headers, "x.zip")
    accepted = start_import(sfcc, bearer(sfcc), "x.zip")

    assert refused.status_code == 401
    assert refused.json()["fault"]["type"] == "InvalidAccessTokenException"
    assert accepted.status_code == 202
    assert sfcc.token_grants == 2


def test_reject_next_import(sfcc):
    headers = bearer(sfcc)
    put(sfcc, headers, "site.zip", site_archive({"site/catalogs/c/catalog.xml": VALID_CATALOG}))
    sfcc.reject_next_import("Import failed: injected by the test")

    rejected = run_import(sfcc, headers, "site.zip")
    following = run_import(sfcc, headers, "nope.zip")

    assert rejected["exit_status"]["code"] == "ERROR"
    assert rejected["exit_status"]["message"] == "Import failed: injected by the test"
    assert following["exit_status"]["message"] == "File 'nope.zip' not found in Impex/src/instance"


def test_fail_job_starts(sfcc):
    headers = bearer(sfcc)
    sfcc.fail_job_starts(1)
    sfcc.fail_job_starts(1, status=500)

    first = start_import(sfcc, headers, "x.zip")
    second = start_import(sfcc, headers, "x.zip")
    third = start_import(sfcc, headers, "x.zip")

    assert first.status_code == 503
    assert first.json()["fault"]["type"] == "ServiceUnavailableException"
    assert second.status_code == 500
    assert third.status_code == 202
    assert len(sfcc.imports) == 1


def test_clear_drops_pending_faults(sfcc):
    headers = bearer(sfcc)
    sfcc.fail_uploads(3)
    sfcc.fail_job_starts(3)
    sfcc.reject_next_import("never")
    sfcc.clear()

    uploaded = put(sfcc, headers, "x.zip", b"data")
    finished = run_import(sfcc, headers, "nope.zip")

    assert uploaded.status_code == 201
    assert finished["exit_status"]["message"] != "never"


# -- introspection and lifecycle --------------------------------------------------------------------


def test_request_log(sfcc):
    headers = bearer(sfcc)
    put(sfcc, headers, "a.zip", b"data")
    put(sfcc, {}, "a.zip", b"data")
    requests.get(f"{sfcc.instance_url}/elsewhere", timeout=TIMEOUT)

    assert sfcc.requests == [
        ("POST", "/am/dwsso/oauth2/access_token", 200),
        ("PUT", f"{IMPEX}/a.zip", 201),
        ("PUT", f"{IMPEX}/a.zip", 401),
        ("GET", "/elsewhere", 404),
    ]
    assert sfcc.count() == 4
    assert sfcc.count(method="put") == 2
    assert sfcc.count(path_prefix="/on/demandware.servlet/webdav/Sites/") == 2
    assert sfcc.count(status=401) == 1
    assert sfcc.errors == []


def test_start_and_stop_without_context_manager():
    sfcc = FakeSfcc(client_id="other", client_secret="hidden").start()
    url, root = sfcc.instance_url, sfcc.root
    try:
        assert url.startswith("http://127.0.0.1:")
        assert sfcc.account_manager_url == f"{url}/am"
        assert (root / "Impex" / "src" / "instance").is_dir()
        assert grant(sfcc).status_code == 200
        assert "hidden" not in repr(sfcc)
    finally:
        sfcc.stop()
    sfcc.stop()  # twice is harmless

    assert not root.exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=TIMEOUT)
