"""The fake SFCC instance (tests/fake_sfcc.py), over real sockets with requests. No database."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from lxml import etree

from tests.fake_sfcc import DEFAULT_XSD_DIR, IMPORT_JOB, FakeSfcc, RejectedUpload
from tests.paths import ROOT

CATALOG_NS = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
VALID_CATALOG = f'<catalog xmlns="{CATALOG_NS}" catalog-id="c"><product product-id="p1"/></catalog>'
INVALID_CATALOG = f'<catalog xmlns="{CATALOG_NS}" catalog-id="c">\n<product/>\n</catalog>'
IMPEX = "/on/demandware.servlet/webdav/Sites/Impex/src/instance"
WEBDAV = "/on/demandware.servlet/webdav"
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


def scapi_bearer(sfcc: FakeSfcc, scope: str | None = None) -> dict[str, str]:
    scope = f"SALESFORCE_COMMERCE_API:{sfcc.tenant_id} sfcc.jobs.rw" if scope is None else scope
    response = grant(sfcc, data={"grant_type": "client_credentials", "scope": scope})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def scapi_url(
    sfcc: FakeSfcc,
    suffix: str = "",
    *,
    short_code: str | None = None,
    org: str | None = None,
    job: str = IMPORT_JOB,
) -> str:
    base = sfcc.scapi_url_template.format(short_code=short_code or sfcc.short_code)
    org = org or f"f_ecom_{sfcc.tenant_id}"
    return f"{base}/operation/jobs/v1/organizations/{org}/jobs/{job}/executions{suffix}"


def scapi_start(sfcc: FakeSfcc, headers: dict, file_name: str, **kwargs) -> requests.Response:
    body = {
        "parameters": [{"name": "ImportFile", "value": file_name}, {"name": "ImportMode", "value": "Merge"}]
    }
    return requests.post(scapi_url(sfcc, **kwargs), json=body, headers=headers, timeout=TIMEOUT)


def scapi_run(sfcc: FakeSfcc, headers: dict, file_name: str) -> dict:
    """Start the import over SCAPI and poll until it has finished; the finished document."""
    started = scapi_start(sfcc, headers, file_name)
    assert started.status_code == 202, started.text
    for _ in range(sfcc.polls_until_finished + 1):
        response = requests.get(scapi_url(sfcc, f"/{started.json()['id']}"), headers=headers, timeout=TIMEOUT)
        assert response.status_code == 200
        if response.json()["executionStatus"] == "finished":
            return response.json()
    raise AssertionError("the SCAPI execution did not finish")


def webdav_get(sfcc: FakeSfcc, headers: dict, sites_path: str) -> requests.Response:
    """GET a file by its ``/Sites/...`` path (as a job document's log file path gives it)."""
    return requests.get(f"{sfcc.instance_url}{WEBDAV}{sites_path}", headers=headers, timeout=TIMEOUT)


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


def test_uploads_over_the_limit_answer_413_and_store_nothing():
    with FakeSfcc(max_upload_bytes=10) as sfcc:
        headers = bearer(sfcc)
        kept = put(sfcc, headers, "kept.zip", b"0123456789")  # exactly the limit
        too_large = put(sfcc, headers, "kept.zip", b"0123456789X")
        new_too_large = put(sfcc, headers, "new.zip", b"x" * 1000)
        anonymous = put(sfcc, {}, "new.zip", b"x" * 1000)  # authentication first
        gone = requests.get(dav_url(sfcc, "new.zip"), headers=headers, timeout=TIMEOUT)

        assert kept.status_code == 201
        assert too_large.status_code == 413
        assert too_large.text == "Request Entity Too Large: uploads are limited to 10 bytes"
        assert new_too_large.status_code == 413
        assert anonymous.status_code == 401
        assert gone.status_code == 404
        assert sfcc.read_file("Impex/src/instance/kept.zip") == b"0123456789"
        assert sfcc.rejected_uploads == [
            RejectedUpload(f"{IMPEX}/kept.zip", 11),
            RejectedUpload(f"{IMPEX}/new.zip", 1000),
        ]
        assert sfcc.count("PUT", status=413) == 2

        sfcc.limit_uploads(None)
        sfcc.clear()  # the limit is configuration: clear() leaves it, limit_uploads changes it
        assert put(sfcc, headers, "new.zip", b"x" * 1000).status_code == 201
        sfcc.limit_uploads(100)
        assert sfcc.max_upload_bytes == 100
        assert put(sfcc, headers, "new.zip", b"y" * 101).status_code == 413
        assert sfcc.read_file("Impex/src/instance/new.zip") == b"x" * 1000


def test_chunked_uploads_over_the_limit_answer_413_and_leave_no_partial_file():
    with FakeSfcc(max_upload_bytes=10) as sfcc:
        headers = bearer(sfcc)
        put(sfcc, headers, "kept.zip", b"old")

        def chunked(name: str, *parts: bytes) -> requests.Response:
            return requests.put(dav_url(sfcc, name), data=iter(parts), headers=headers, timeout=TIMEOUT)

        replaced = chunked("kept.zip", b"123456", b"7890", b"overflow")
        created = chunked("new.zip", b"123456", b"7890", b"overflow")
        fits = chunked("fits.zip", b"12345", b"67890")
        listing = requests.request("PROPFIND", dav_url(sfcc), headers={**headers, "Depth": "1"}, timeout=10)

        assert replaced.status_code == 413 and created.status_code == 413
        assert "limited to 10 bytes" in created.text
        assert sfcc.read_file("Impex/src/instance/kept.zip") == b"old"  # the file it would have replaced
        with pytest.raises(FileNotFoundError):
            sfcc.read_file("Impex/src/instance/new.zip")
        assert fits.status_code == 201
        assert sfcc.read_file("Impex/src/instance/fits.zip") == b"1234567890"
        hrefs = sorted(href.text for href in etree.fromstring(listing.content).findall(".//{DAV:}href"))
        assert hrefs == [f"{IMPEX}/", f"{IMPEX}/fits.zip", f"{IMPEX}/kept.zip"]
        assert [upload.path for upload in sfcc.rejected_uploads] == [f"{IMPEX}/kept.zip", f"{IMPEX}/new.zip"]
        assert all(upload.size > 10 for upload in sfcc.rejected_uploads)
        assert sfcc.errors == []


def test_invalid_upload_limits_are_refused():
    with pytest.raises(ValueError):
        FakeSfcc(max_upload_bytes=-1)
    with pytest.raises(ValueError):
        FakeSfcc().limit_uploads(-5)


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


def test_ocapi_documents_name_their_job_log(sfcc):
    headers = bearer(sfcc)

    started = start_import(sfcc, headers, "missing.zip").json()
    finished = poll(sfcc, headers, started["id"])
    finished = poll(sfcc, headers, started["id"])
    log = webdav_get(sfcc, headers, finished["log_file_path"])

    assert started["log_file_path"] == finished["log_file_path"]
    assert finished["log_file_path"] == f"/Sites/LOGS/jobs/{IMPORT_JOB}/{finished['log_file_name']}"
    assert finished["is_log_file_existing"] is True
    assert log.status_code == 200
    text = log.text
    assert text == sfcc.job_log(started["id"])
    assert sfcc.read_file(sfcc.imports[0].log_path).decode() == text
    assert sfcc.imports[0].api == "ocapi"
    lines = text.splitlines()
    assert lines[0].startswith("[") and " GMT] INFO JobThread|" in lines[0]
    assert f"|{IMPORT_JOB}|ImportSiteArchive " in lines[0]
    assert "started via OCAPI: ImportFile 'missing.zip', ImportMode 'merge'" in lines[0]
    assert lines[1].endswith(" - File 'missing.zip' not found in Impex/src/instance")
    assert " ERROR " in lines[1]
    assert lines[-1].endswith(" - Import finished: 1 errors, 0 warnings")
    assert (
        requests.get(f"{sfcc.instance_url}{WEBDAV}{finished['log_file_path']}", timeout=10).status_code == 401
    )


# -- SCAPI jobs -------------------------------------------------------------------------------------


def test_scapi_token_grant_echoes_the_requested_scope(sfcc):
    scope = f"SALESFORCE_COMMERCE_API:{sfcc.tenant_id} sfcc.jobs.rw"

    answer = grant(sfcc, data={"grant_type": "client_credentials", "scope": scope}).json()

    assert answer["scope"] == scope
    assert sfcc.tenant_scope == "SALESFORCE_COMMERCE_API:zzxy_prd"
    assert sfcc.organization_id == "f_ecom_zzxy_prd"
    assert sfcc.scapi_url_template == f"{sfcc.instance_url}/scapi/{{short_code}}"


def test_scapi_import_starts_and_finishes_after_polling(sfcc):
    require_xsds()
    headers = scapi_bearer(sfcc)
    put(sfcc, bearer(sfcc), "site.zip", site_archive({"site/catalogs/c/catalog.xml": VALID_CATALOG}))

    started = scapi_start(sfcc, headers, "site.zip")
    url = scapi_url(sfcc, f"/{started.json()['id']}")
    first = requests.get(url, headers=headers, timeout=TIMEOUT).json()
    second = requests.get(url, headers=headers, timeout=TIMEOUT).json()
    log = webdav_get(sfcc, headers, second["logFilePath"])

    assert started.status_code == 202
    document = started.json()
    assert document["jobId"] == IMPORT_JOB
    assert document["executionStatus"] == "running" and document["status"] == "RUNNING"
    assert "exitStatus" not in document
    assert document["isLogFileExisting"] is False
    assert document["parameters"] == [
        {"name": "ImportFile", "value": "site.zip"},
        {"name": "ImportMode", "value": "Merge"},
    ]
    assert document["startTime"].endswith("Z")
    assert document["logFilePath"].startswith(f"/Sites/LOGS/jobs/{IMPORT_JOB}/Job-{IMPORT_JOB}-")
    assert first["executionStatus"] == "running"
    assert second["executionStatus"] == "finished"
    assert second["status"] == "OK"
    assert second["exitStatus"] == {"code": "OK", "message": "Imported 1 file", "status": "ok"}
    assert second["endTime"] >= second["startTime"]
    assert second["isLogFileExisting"] is True
    assert log.status_code == 200
    assert "started via SCAPI: ImportFile 'site.zip', ImportMode 'merge'" in log.text
    assert " INFO " in log.text and " - Importing catalogs/c/catalog.xml\n" in log.text
    [record] = sfcc.imports
    assert (record.execution_id, record.api, record.mode, record.exit_code) == (
        document["id"],
        "scapi",
        "merge",
        "OK",
    )
    assert "/Sites/" + record.log_path == document["logFilePath"]


def test_scapi_and_ocapi_share_the_execution_ids(sfcc):
    ocapi = start_import(sfcc, bearer(sfcc), "a.zip").json()
    headers = scapi_bearer(sfcc)
    body = {"parameters": [{"name": "ImportFile", "value": "b.zip"}]}  # ImportMode is optional
    scapi = requests.post(scapi_url(sfcc), json=body, headers=headers, timeout=TIMEOUT).json()
    lower = requests.post(
        scapi_url(sfcc),
        json={
            "parameters": [{"name": "ImportMode", "value": "merge"}, {"name": "ImportFile", "value": "c.zip"}]
        },
        headers=headers,
        timeout=TIMEOUT,
    )

    assert [ocapi["id"], scapi["id"], lower.json()["id"]] == ["1", "2", "3"]
    assert [record.api for record in sfcc.imports] == ["ocapi", "scapi", "scapi"]
    assert len({record.log_path for record in sfcc.imports}) == 3  # one log file each
    assert requests.get(scapi_url(sfcc, "/1"), headers=headers, timeout=TIMEOUT).json()["id"] == "1"


def test_parallel_executions_get_their_own_ids_and_logs(sfcc):
    ocapi, scapi = bearer(sfcc), scapi_bearer(sfcc)

    def start(n: int) -> str:
        if n % 2:
            return start_import(sfcc, ocapi, f"{n}.zip").json()["log_file_path"]
        return scapi_start(sfcc, scapi, f"{n}.zip").json()["logFilePath"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        paths = list(pool.map(start, range(16)))

    assert len(set(paths)) == 16
    assert sorted(int(record.execution_id) for record in sfcc.imports) == list(range(1, 17))
    for path in paths:
        assert webdav_get(sfcc, ocapi, path).text.endswith(" - Import finished: 1 errors, 0 warnings\n")
    assert sfcc.errors == []


def test_scapi_needs_a_token_with_the_tenant_scope(sfcc):
    unscoped = scapi_start(sfcc, bearer(sfcc), "x.zip")
    other_tenant = scapi_start(sfcc, scapi_bearer(sfcc, "SALESFORCE_COMMERCE_API:other_prd"), "x.zip")
    anonymous = scapi_start(sfcc, {}, "x.zip")
    bogus = scapi_start(sfcc, {"Authorization": "Bearer nope"}, "x.zip")
    headers = scapi_bearer(sfcc)
    sfcc.expire_tokens()
    expired = scapi_start(sfcc, headers, "x.zip")

    assert unscoped.status_code == 403
    assert unscoped.headers["Content-Type"] == "application/problem+json"
    problem = unscoped.json()
    assert set(problem) == {"type", "title", "detail"}
    assert problem["title"] == "Forbidden"
    assert "SALESFORCE_COMMERCE_API:zzxy_prd" in problem["detail"] and "scope" in problem["detail"]
    assert other_tenant.status_code == 403
    assert [anonymous.status_code, bogus.status_code, expired.status_code] == [401, 401, 401]
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert sfcc.imports == []


def test_scapi_faults(sfcc):
    headers = scapi_bearer(sfcc)

    def post(url: str, **kwargs) -> requests.Response:
        return requests.post(url, headers=headers, timeout=TIMEOUT, **kwargs)

    wrong_short_code = scapi_start(sfcc, headers, "x.zip", short_code="abc123")
    wrong_org = scapi_start(sfcc, headers, "x.zip", org="f_ecom_other_prd")
    wrong_job = scapi_start(sfcc, headers, "x.zip", job="my-job")
    base = sfcc.scapi_url_template.format(short_code=sfcc.short_code)
    unknown_path = requests.get(f"{base}/x", headers=headers, timeout=TIMEOUT)
    unknown_execution = requests.get(scapi_url(sfcc, "/999"), headers=headers, timeout=TIMEOUT)
    wrong_method = requests.get(scapi_url(sfcc), headers=headers, timeout=TIMEOUT)
    not_json = post(scapi_url(sfcc), data="ImportFile=x.zip")
    no_file = post(scapi_url(sfcc), json={"parameters": [{"name": "ImportMode", "value": "Merge"}]})
    bad_mode = post(
        scapi_url(sfcc),
        json={
            "parameters": [
                {"name": "ImportFile", "value": "x.zip"},
                {"name": "ImportMode", "value": "Delete"},
            ]
        },
    )
    bad_parameters = post(scapi_url(sfcc), json={"parameters": "ImportFile=x.zip"})

    def problem(response: requests.Response) -> tuple[int, str]:
        body = response.json()
        assert set(body) == {"type", "title", "detail"} and body["detail"], body
        assert body["type"].startswith("https://")
        return response.status_code, body["title"]

    assert problem(wrong_short_code) == (404, "Not Found")
    assert problem(wrong_org) == (404, "Not Found") and "f_ecom_other_prd" in wrong_org.json()["detail"]
    assert problem(wrong_job) == (404, "Not Found") and "my-job" in wrong_job.json()["detail"]
    assert problem(unknown_path)[0] == 404
    assert problem(unknown_execution) == (404, "Not Found")
    assert problem(wrong_method)[0] == 405 and wrong_method.headers["Allow"] == "POST"
    assert problem(not_json)[0] == 415
    assert problem(no_file)[0] == 400 and "ImportFile" in no_file.json()["detail"]
    assert problem(bad_mode)[0] == 400 and "Delete" in bad_mode.json()["detail"]
    assert problem(bad_parameters)[0] == 400
    assert sfcc.imports == []


def test_fail_scapi_starts_and_refuse_scapi(sfcc):
    headers = scapi_bearer(sfcc)
    sfcc.fail_scapi_starts(1)
    sfcc.fail_scapi_starts(1, status=500)

    statuses = [scapi_start(sfcc, {}, "x.zip").status_code for _ in range(2)]  # before authentication
    accepted = scapi_start(sfcc, headers, "x.zip")
    sfcc.refuse_scapi()
    refused = [scapi_start(sfcc, headers, "x.zip") for _ in range(2)]
    still_polled = requests.get(scapi_url(sfcc, f"/{accepted.json()['id']}"), headers=headers, timeout=10)
    ocapi = start_import(sfcc, bearer(sfcc), "x.zip")
    sfcc.refuse_scapi(None)
    again = scapi_start(sfcc, headers, "x.zip")
    sfcc.refuse_scapi(401)
    unauthorized = scapi_start(sfcc, headers, "x.zip")
    sfcc.clear()
    cleared = scapi_start(sfcc, headers, "x.zip")

    assert statuses == [503, 500]
    assert accepted.status_code == 202
    assert [response.status_code for response in refused] == [403, 403]
    assert refused[0].json()["title"] == "Forbidden"
    assert still_polled.status_code == 200  # only starts are refused
    assert ocapi.status_code == 202
    assert again.status_code == 202
    assert unauthorized.status_code == 401
    assert cleared.status_code == 202
    assert [record.api for record in sfcc.imports] == ["scapi", "ocapi", "scapi", "scapi"]
    assert sfcc.count("POST", "/scapi/", 503) == 1
    with pytest.raises(ValueError):
        sfcc.refuse_scapi(503)


def test_deprecated_ocapi_answers_403_on_every_route(sfcc):
    headers = bearer(sfcc)
    execution_id = start_import(sfcc, headers, "x.zip").json()["id"]
    sfcc.deprecate_ocapi()
    sfcc.clear()  # a property of the instance, not a pending fault

    responses = [
        start_import(sfcc, headers, "x.zip"),
        start_import(sfcc, {}, "x.zip", version="v21_10"),
        requests.get(jobs_url(sfcc, f"/{execution_id}"), headers=headers, timeout=TIMEOUT),
        start_import(sfcc, headers, "x.zip", version="latest"),
        requests.get(f"{sfcc.instance_url}/s/-/dw/data/v23_2/sites", headers=headers, timeout=TIMEOUT),
    ]
    scapi = scapi_start(sfcc, scapi_bearer(sfcc), "x.zip")
    sfcc.deprecate_ocapi(False)
    restored = start_import(sfcc, headers, "x.zip")

    for response in responses:
        assert response.status_code == 403
        assert response.json()["fault"] == {
            "type": "OcapiDeprecatedException",
            "message": "OCAPI Data API is no longer available on this instance; use the Salesforce "
            "Commerce API (SCAPI).",
        }
    assert [response.json()["_v"] for response in responses[:2]] == ["23.2", "21.10"]
    assert scapi.status_code == 202
    assert restored.status_code == 202
    assert [record.api for record in sfcc.imports] == ["ocapi", "scapi", "ocapi"]


# -- job logs ---------------------------------------------------------------------------------------

SKIPPING_CATALOG = f"""<catalog xmlns="{CATALOG_NS}" catalog-id="c">
<product product-id="p1"/><product product-id="ABC-1"/>
<product product-id="W-1"/><product product-id="O'Neil"/>
<category-assignment category-id="shoes" product-id="ABC-1"/>
</catalog>"""


def test_skipped_products_are_logged_while_the_import_ends_ok(sfcc):
    require_xsds()
    headers = bearer(sfcc)
    archive = site_archive(
        {
            "site/catalogs/c/catalog.xml": SKIPPING_CATALOG,
            "site/catalogs/d/catalog.xml": SKIPPING_CATALOG.replace('catalog-id="c"', 'catalog-id="d"'),
        }
    )
    put(sfcc, headers, "site.zip", archive)
    sfcc.skip_products({"ABC-1": "the variation master 'M' is missing\nsecond line"})
    sfcc.skip_products({"O'Neil": "invalid id"})
    sfcc.warn_products({"W-1": "attribute 'color' is not defined", "ABC-1": "ignored: skipping wins"})

    finished = run_import(sfcc, headers, "site.zip")
    log = webdav_get(sfcc, headers, finished["log_file_path"]).text

    assert finished["exit_status"]["code"] == "OK"
    assert finished["exit_status"]["message"] == "Imported 2 files"
    [record] = sfcc.imports
    assert record.ok
    assert record.skipped == [("product", "ABC-1"), ("product", "O'Neil")] * 2  # once per element
    assert record.warned == [("product", "W-1")] * 2
    messages = [line.split(" - ", 1)[1] for line in log.splitlines()]
    assert messages[1:] == [
        "Importing catalogs/c/catalog.xml",
        "Product 'ABC-1' skipped: the variation master 'M' is missing second line",
        "Product 'W-1' imported with warning: attribute 'color' is not defined",
        'Product "O\'Neil" skipped: invalid id',
        "Importing catalogs/d/catalog.xml",
        "Product 'ABC-1' skipped: the variation master 'M' is missing second line",
        "Product 'W-1' imported with warning: attribute 'color' is not defined",
        'Product "O\'Neil" skipped: invalid id',
        "Import finished: 4 errors, 2 warnings",
    ]
    levels = [line.split("] ", 1)[1].split(" ", 1)[0] for line in log.splitlines()]
    assert levels == ["INFO", "INFO", "ERROR", "WARN", "ERROR", "INFO", "ERROR", "WARN", "ERROR", "INFO"]

    sfcc.clear()
    again = run_import(sfcc, headers, "site.zip")

    assert sfcc.imports[1].skipped == [] and sfcc.imports[1].warned == []
    assert webdav_get(sfcc, headers, again["log_file_path"]).text.endswith(
        " - Import finished: 0 errors, 0 warnings\n"
    )


def test_failed_imports_log_their_message_and_skip_nothing(sfcc):
    require_xsds()
    headers = bearer(sfcc)
    put(sfcc, headers, "bad.zip", site_archive({"site/catalogs/c/catalog.xml": INVALID_CATALOG}))
    sfcc.skip_products({"p1": "never reached"})

    finished = run_import(sfcc, headers, "bad.zip")
    log = sfcc.job_log(finished["id"])

    assert finished["exit_status"]["code"] == "ERROR"
    assert f"ERROR JobThread|1000001|{IMPORT_JOB}|" in log
    assert " - Import failed: site/catalogs/c/catalog.xml line 2: " in log
    assert "Importing" not in log
    assert sfcc.imports[0].skipped == []


def test_the_xsd_folder_comes_from_the_environment():
    code = "from tests.fake_sfcc import DEFAULT_XSD_DIR; print(DEFAULT_XSD_DIR)"
    beside_the_project = ROOT.parent / "shared" / "sfcc-xsd"

    def default_dir(value: str | None) -> str:
        environment = {key: value for key, value in os.environ.items() if key != "SFCC_XSD_DIR"}
        if value is not None:
            environment["SFCC_XSD_DIR"] = value
        result = subprocess.run(
            [sys.executable, "-c", code],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout.strip()

    assert default_dir("/somewhere/xsd") == "/somewhere/xsd"
    assert default_dir(None) == str(beside_the_project)
    assert default_dir("") == str(beside_the_project)


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
