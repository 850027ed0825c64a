"""Delivery of a site archive to an SFCC instance. No Django here.

Account Manager client-credentials token → WebDAV PUT into Impex/src/instance → execution of the
`sfcc-site-archive-import` job → polling until it finishes → its job log read back over WebDAV.

The job runs through SCAPI's Jobs API when the instance's short code and tenant id are known, as
Salesforce's own tooling does, because OCAPI's Data API is being switched off; OCAPI is the
fallback only when SCAPI refuses the start with a 4xx. After a 5xx or no answer the job may have
started, and starting it again through OCAPI could import the archive twice.

Transient failures (5xx, 429, timeouts, dropped connections) are retried with backoff; an expired
token is renewed once per call. Secrets and tokens never appear in messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import requests
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

IMPORT_JOB = "sfcc-site-archive-import"
WEBDAV_ROOT = "/on/demandware.servlet/webdav"
WEBDAV_IMPEX = WEBDAV_ROOT + "/Sites/Impex/src/instance"
JOB_LOGS = "/Sites/LOGS/jobs/"
SCAPI = "scapi"
OCAPI = "ocapi"
SCAPI_SCOPE = "SALESFORCE_COMMERCE_API:{tenant} sfcc.jobs.rw"
ACCESS_TOKEN_ENDPOINT = "/dwsso/oauth2/access_token"  # noqa: S105 (a path, not a secret)
TOKEN_MARGIN_SECONDS = 60
STREAM_CHUNK = 1024 * 1024


class SfccError(Exception):
    def __init__(self, message: str, *, transient: bool = False, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status = status


class SfccAuthError(SfccError):
    pass


class OcapiDeprecated(SfccError):
    """The instance answers OCAPI's Data API with 403 OcapiDeprecatedException."""


class _TokenExpired(Exception):
    pass


@dataclass(frozen=True)
class ImportResult:
    execution_id: str
    exit_code: str  # OK or ERROR (SFCC's exit status code)
    message: str
    file_name: str
    api: str = OCAPI
    log_file_path: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == "OK"

    def as_dict(self) -> dict:
        return {
            "execution_id": self.execution_id,
            "exit_status": self.exit_code,
            "message": self.message,
            "file_name": self.file_name,
            "api": self.api,
        }


@dataclass(frozen=True)
class Execution:
    api: str
    execution_id: str
    file_name: str
    scapi_refusal: str = ""  # why SCAPI refused the start, when OCAPI took over


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, SfccError) and exc.transient


class SfccClient:
    def __init__(
        self,
        instance_url: str,
        account_manager_url: str,
        client_id: str,
        client_secret: str,
        *,
        ocapi_version: str = "v23_2",
        scapi_url: str = "",
        tenant_id: str = "",
        timeout: float = 120.0,
        max_attempts: int = 4,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        poll_seconds: float = 5.0,
        import_timeout: float = 3600.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.instance_url = instance_url.rstrip("/")
        self.account_manager_url = account_manager_url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self.ocapi_version = ocapi_version
        self.scapi_url = scapi_url.rstrip("/")
        self.tenant_id = tenant_id.removeprefix("f_ecom_")
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.poll_seconds = poll_seconds
        self.import_timeout = import_timeout
        self.sleep = sleep
        self.clock = clock
        self.session = requests.Session()
        self._token: str | None = None
        self._token_expires = 0.0
        self.token_grants = 0

    def __repr__(self) -> str:
        return f"SfccClient({self.instance_url!r}, client_id={self.client_id!r})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> SfccClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing
    def _retrying(self) -> Retrying:
        return Retrying(
            retry=retry_if_exception(_transient),
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential_jitter(
                multiplier=self.backoff_initial, max=self.backoff_max, jitter=self.backoff_initial
            ),
            sleep=self.sleep,
            reraise=True,
        )

    def _send(self, what: str, method: str, url: str, **kwargs) -> requests.Response:
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise SfccError(
                f"{what}: no answer from {url.split('?')[0]} ({type(exc).__name__}).", transient=True
            ) from None
        if response.status_code == 401 and "Authorization" in (kwargs.get("headers") or {}):
            raise _TokenExpired
        if response.status_code == 413:
            raise SfccError(
                f"{what}: SFCC refused it as too large (HTTP 413){_detail(response)} "
                "Lower the profile's archive size limit so that its parts fit.",
                status=413,
            )
        if response.status_code == 403 and "OcapiDeprecatedException" in response.text[:2000]:
            raise OcapiDeprecated(
                f"{what}: the instance no longer serves OCAPI's Data API (403 OcapiDeprecatedException). "
                "Set the profile's SCAPI short code and tenant id so that imports run through SCAPI.",
                status=403,
            )
        if response.status_code in (408, 429) or response.status_code >= 500:
            raise SfccError(
                f"{what}: SFCC answered HTTP {response.status_code}{_detail(response)}",
                transient=True,
                status=response.status_code,
            )
        if response.status_code >= 400:
            raise SfccError(
                f"{what}: SFCC answered HTTP {response.status_code}{_detail(response)}",
                status=response.status_code,
            )
        return response

    def _authorized(
        self,
        what: str,
        method: str,
        url: str,
        *,
        headers: dict | None = None,
        json: dict | None = None,
        upload: Path | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """A call with the bearer token, retried when transient, with one token renewal on 401."""

        def attempt() -> requests.Response:
            for renewal in (False, True):
                call_headers = {**(headers or {}), "Authorization": f"Bearer {self.token(force=renewal)}"}
                try:
                    if upload is None:
                        return self._send(what, method, url, headers=call_headers, json=json, stream=stream)
                    with upload.open("rb") as body:  # streamed, reopened on every attempt
                        return self._send(what, method, url, headers=call_headers, data=body)
                except _TokenExpired:
                    continue
            raise SfccAuthError(f"{what}: SFCC refused a fresh access token (HTTP 401).", status=401)

        return self._retrying()(attempt)

    # -------------------------------------------------------------------- token
    def token(self, *, force: bool = False) -> str:
        if not force and self._token and self.clock() < self._token_expires - TOKEN_MARGIN_SECONDS:
            return self._token

        form = {"grant_type": "client_credentials"}
        if self.uses_scapi:  # SCAPI takes only tokens scoped to the tenant; WebDAV and OCAPI take them too
            form["scope"] = SCAPI_SCOPE.format(tenant=self.tenant_id)

        def grant() -> requests.Response:
            return self._send(
                "Account Manager token",
                "POST",
                self.account_manager_url + ACCESS_TOKEN_ENDPOINT,
                data=form,
                auth=(self.client_id, self._secret),
            )

        try:
            response = self._retrying()(grant)
        except SfccError as exc:
            if exc.status in (400, 401):
                raise SfccAuthError(
                    f"Account Manager refused the API client '{self.client_id}': check its id and secret "
                    f"(HTTP {exc.status}).",
                    status=exc.status,
                ) from None
            raise
        answer = response.json()
        self._token = answer["access_token"]
        self._token_expires = self.clock() + float(answer.get("expires_in", 1799))
        self.token_grants += 1
        return self._token

    # ------------------------------------------------------------------ actions
    def webdav_url(self, file_name: str) -> str:
        return f"{self.instance_url}{WEBDAV_IMPEX}/{quote(file_name)}"

    def upload(self, archive: Path) -> str:
        self._authorized(
            f"Upload of {archive.name}",
            "PUT",
            self.webdav_url(archive.name),
            upload=archive,
            headers={"Content-Type": "application/zip"},
        )
        return archive.name

    def download_to(self, url_path: str, target: Path) -> int:
        """A file from the instance's WebDAV (``Impex/src/instance/catalog-export.xml``), streamed into
        ``target``: a catalog export can be hundreds of MB."""
        url = f"{self.instance_url}/on/demandware.servlet/webdav/Sites/{quote(url_path.lstrip('/'))}"
        response = self._authorized(f"Download of {url_path}", "GET", url, stream=True)
        size = 0
        with response, target.open("wb") as out:
            for block in response.iter_content(STREAM_CHUNK):
                out.write(block)
                size += len(block)
        return size

    @property
    def uses_scapi(self) -> bool:
        return bool(self.scapi_url and self.tenant_id)

    def _jobs_url(self, suffix: str = "") -> str:
        return f"{self.instance_url}/s/-/dw/data/{self.ocapi_version}/jobs/{IMPORT_JOB}/executions{suffix}"

    def _scapi_jobs_url(self, suffix: str = "") -> str:
        organization = f"f_ecom_{self.tenant_id}"
        return (
            f"{self.scapi_url}/operation/jobs/v1/organizations/{quote(organization)}/jobs/{IMPORT_JOB}"
            f"/executions{suffix}"
        )

    def start_import(self, file_name: str) -> Execution:
        """Start the site import of an uploaded file: through SCAPI when configured, else OCAPI."""
        refusal = ""
        if self.uses_scapi:
            try:
                response = self._authorized(
                    f"Start of the site import of {file_name} (SCAPI)",
                    "POST",
                    self._scapi_jobs_url(),
                    json={"parameters": [{"name": "ImportFile", "value": file_name}]},
                )
                return Execution(SCAPI, str(response.json()["id"]), file_name)
            except SfccError as exc:
                # Only a refusal proves the job did not start; anything else may have started it.
                if exc.transient or exc.status is None or not 400 <= exc.status < 500:
                    raise
                refusal = exc.message
        try:
            response = self._authorized(
                f"Start of the site import of {file_name} (OCAPI)",
                "POST",
                self._jobs_url(),
                json={"file_name": file_name, "mode": "merge"},
            )
        except SfccError as exc:
            if refusal:
                exc.message = f"{refusal} Then, through OCAPI: {exc.message}"
                exc.args = (exc.message,)
            raise
        return Execution(OCAPI, str(response.json()["id"]), file_name, scapi_refusal=refusal)

    def wait_for_import(self, execution: Execution) -> ImportResult:
        deadline = self.clock() + self.import_timeout
        scapi = execution.api == SCAPI
        url = (self._scapi_jobs_url if scapi else self._jobs_url)(f"/{quote(execution.execution_id)}")
        while True:
            document = self._authorized(f"Status of site import {execution.execution_id}", "GET", url).json()
            status = document.get("executionStatus" if scapi else "execution_status")
            if status in ("finished", "aborted"):
                exit_status = document.get("exitStatus" if scapi else "exit_status") or {}
                code = str(exit_status.get("code") or document.get("status") or "ERROR").upper()
                if status == "aborted":
                    code = "ERROR"
                return ImportResult(
                    execution.execution_id,
                    code,
                    str(exit_status.get("message") or ""),
                    execution.file_name,
                    api=execution.api,
                    log_file_path=str(document.get("logFilePath" if scapi else "log_file_path") or ""),
                )
            if self.clock() > deadline:
                raise SfccError(
                    f"Site import {execution.execution_id} still {status} after "
                    f"{self.import_timeout:.0f} s; see the instance's job history.",
                    transient=False,
                )
            self.sleep(self.poll_seconds)

    def read_job_log(self, log_file_path: str, max_bytes: int) -> tuple[str, bool]:
        """The job log at ``log_file_path`` (``/Sites/LOGS/jobs/...``), at most ``max_bytes`` of it,
        and whether it was cut there. Only paths under the job logs folder are read."""
        path = PurePosixPath(log_file_path)
        if not log_file_path.startswith(JOB_LOGS) or ".." in path.parts:
            raise SfccError(f"Job log path {log_file_path!r} is not under {JOB_LOGS}.")
        url = f"{self.instance_url}{WEBDAV_ROOT}{quote(log_file_path)}"
        response = self._authorized(f"Download of the job log {path.name}", "GET", url, stream=True)
        received = bytearray()
        cut = False
        with response:
            for block in response.iter_content(STREAM_CHUNK):
                received += block
                if len(received) > max_bytes:
                    del received[max_bytes:]
                    cut = True
                    break
        return received.decode("utf-8", "replace"), cut

    def deliver(self, archive: Path) -> ImportResult:
        file_name = self.upload(archive)
        return self.wait_for_import(self.start_import(file_name))


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "."
    fault = body.get("fault") if isinstance(body, dict) else None
    if isinstance(fault, dict):
        return f": {fault.get('type', '')} {fault.get('message', '')}".rstrip() + "."
    if isinstance(body, dict) and body.get("error"):
        return f": {body.get('error')} {body.get('error_description', '')}".rstrip() + "."
    return "."
