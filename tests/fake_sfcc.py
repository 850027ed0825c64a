"""A fake Salesforce B2C Commerce (SFCC) instance over real sockets, for tests and benchmarks.

It serves, on 127.0.0.1 and a free port:

* Account Manager: ``POST {account_manager_url}/dwsso/oauth2/access_token`` (client credentials, HTTP Basic);
* WebDAV (WsgiDAV over a temporary folder): ``{instance_url}/on/demandware.servlet/webdav/Sites/...``,
  Bearer token required; ``Impex/src/instance`` exists from the start;
* OCAPI Data API: ``POST {instance_url}/s/-/dw/data/{version}/jobs/sfcc-site-archive-import/executions`` and
  ``GET .../executions/{id}``; the import validates every XML document of the uploaded site archive against
  the SFCC schemas (picked by root namespace) and is reported through the polls;
* SCAPI Jobs API (``scapi_url_template`` stands for ``https://{short_code}.api.commercecloud.salesforce.com``):
  ``POST {scapi}/operation/jobs/v1/organizations/f_ecom_{tenant_id}/jobs/sfcc-site-archive-import/executions``
  (JSON ``{"parameters": [{"name": "ImportFile", "value": ...}]}``) and ``GET .../executions/{id}``; the same
  import, execution ids and polling as OCAPI, camelCase documents and RFC 7807 errors. Its token must have
  been granted with ``scope=SALESFORCE_COMMERCE_API:{tenant_id} ...`` (WebDAV and OCAPI take any token).

Every execution writes its job log to ``Sites/LOGS/jobs/sfcc-site-archive-import/Job-...log`` (downloadable
over WebDAV; the documents' ``log_file_path`` / ``logFilePath``), one line per event, such as::

    [2026-12-02 10:15:02.123 GMT] INFO JobThread|1000003|sfcc-site-archive-import|ImportSiteArchive
    system.job.ImportSiteArchive - Importing catalogs/c/catalog.xml

(on one line), with these messages (ids in single quotes, or double quotes when the id holds one):

* INFO ``Job 'sfcc-site-archive-import' execution <id> started via OCAPI|SCAPI: ImportFile '<f>', ImportMode
  '<m>'``, then ``Importing <member path below the archive's top folder>`` per XML document;
* ERROR ``Product 'ABC-1' skipped: <reason>`` per ``<product>`` element of a ``skip_products`` id;
* WARN ``Product 'ABC-1' imported with warning: <reason>`` per element of a ``warn_products`` id;
* ERROR ``<exit message>`` when the import fails (``Import failed: ...``, ``File '...' not found ...``);
* INFO ``Import finished: <N> errors, <M> warnings`` last.

The exit status of an import that skipped elements stays OK, as on SFCC.

Fault injection and introspection are plain methods (thread-safe). No Django here: plain Python, lxml and
WsgiDAV, so benchmarks can use it too. Secrets and tokens are never printed or logged.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import os
import re
import secrets
import socketserver
import sys
import tempfile
import threading
import time
import traceback
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.util import is_hop_by_hop

from lxml import etree
from wsgidav.dav_error import HTTP_FORBIDDEN, HTTP_REQUEST_ENTITY_TOO_LARGE, DAVError
from wsgidav.fs_dav_provider import BUFFER_SIZE, FileResource, FilesystemProvider, FolderResource
from wsgidav.wsgidav_app import WsgiDAVApp

from sfcc_export.xml_check import SchemasMissing, schemas_by_namespace

DEFAULT_XSD_DIR = (
    Path(os.environ["SFCC_XSD_DIR"])
    if os.environ.get("SFCC_XSD_DIR")
    else Path(__file__).resolve().parent.parent.parent / "shared" / "sfcc-xsd"
)
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)

ACCOUNT_MANAGER_PREFIX = "/am"
TOKEN_PATH = "/dwsso/oauth2/access_token"  # noqa: S105 - a path, not a secret
WEBDAV_MOUNT = "/on/demandware.servlet/webdav"
WEBDAV_SHARE = "/Sites"
WEBDAV_PREFIX = WEBDAV_MOUNT + WEBDAV_SHARE
IMPEX_FOLDER = "Impex/src/instance"
OCAPI_DATA_PREFIX = "/s/-/dw/data/"
IMPORT_JOB = "sfcc-site-archive-import"
TOKEN_LIFETIME = 1799
TOKEN_SCOPE = "mail tenantFilter profile"
IMPORT_MODES = ("merge",)
LOG_FOLDER = "LOGS/jobs"  # job logs: Sites/LOGS/jobs/<job id>/<log file name>
SCAPI_PREFIX = "/scapi/"
SCAPI_ERRORS = "https://api.commercecloud.salesforce.com/documentation/error/v1/errors"
CATALOG_NS = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
OCAPI_DEPRECATED = (
    "OCAPI Data API is no longer available on this instance; use the Salesforce Commerce API (SCAPI)."
)

_OCAPI_PATH = re.compile(r"^/s/-/dw/data/(?P<version>[^/]+)(?P<rest>/.*)?$")
_VERSION = re.compile(r"^v(?P<major>\d+)_(?P<minor>\d+)$")
_EXECUTIONS = re.compile(r"^/jobs/(?P<job>[^/]+)/executions(?:/(?P<execution>[^/]+))?/?$")
_SCAPI_PATH = re.compile(r"^/scapi/(?P<short_code>[^/]+)(?P<rest>/.*)?$")
_SCAPI_EXECUTIONS = re.compile(
    r"^/operation/jobs/v1/organizations/(?P<org>[^/]+)/jobs/(?P<job>[^/]+)/executions"
    r"(?:/(?P<execution>[^/]+))?/?$"
)

_PROBLEM_TYPES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
    500: "internal-server-error",
    502: "bad-gateway",
    503: "service-unavailable",
    504: "gateway-timeout",
}

_FAULT_TYPES = {
    400: "BadRequestException",
    401: "InvalidAccessTokenException",
    403: "ForbiddenException",
    404: "ResourcePathNotFoundException",
    405: "MethodNotAllowedException",
    409: "ConflictException",
    415: "UnsupportedMediaTypeException",
    429: "QuotaExceededException",
    500: "InternalServerErrorException",
    502: "BadGatewayException",
    503: "ServiceUnavailableException",
    504: "GatewayTimeoutException",
}

StartResponse = Callable[..., Any]
Environ = dict[str, Any]


class RejectedUpload(NamedTuple):
    """A WebDAV PUT refused with 413: its path and its size (Content-Length, or the bytes received until the
    limit was passed for a chunked body)."""

    path: str
    size: int


class RequestRecord(NamedTuple):
    """One request the fake answered: ``(method, path, status)``; path without the query string."""

    method: str
    path: str
    status: int


@dataclass
class ImportRecord:
    """One run of the site import job, recorded when the execution is created."""

    execution_id: str
    file_name: str
    mode: str
    exit_code: str  # "OK" or "ERROR"
    message: str
    members: list[str] = field(default_factory=list)  # the archive's XML member names, in archive order
    documents: dict[str, Any] = field(default_factory=dict)  # member name -> lxml root element
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (object type, id) per ERROR line
    warned: list[tuple[str, str]] = field(default_factory=list)  # (object type, id) per WARN line
    api: str = "ocapi"  # "ocapi" or "scapi": the API that started the execution
    log_path: str = ""  # the job log, relative to Sites/ (read_file(log_path)); "/Sites/" + it over WebDAV

    @property
    def ok(self) -> bool:
        return self.exit_code == "OK"


@dataclass
class _Execution:
    id: str
    job_id: str
    client_id: str
    file_name: str
    mode: str
    exit_code: str
    message: str
    started: datetime
    api: str = "ocapi"
    log_file_name: str = ""
    parameters: list[dict[str, str]] = field(default_factory=list)  # SCAPI: as requested
    polls: int = 0
    finished: datetime | None = None

    @property
    def log_file_path(self) -> str:
        return f"{WEBDAV_SHARE}/{LOG_FOLDER}/{self.job_id}/{self.log_file_name}"


@dataclass
class _Token:
    client_id: str
    expires: float  # time.monotonic()
    scope: str = TOKEN_SCOPE  # as requested in the grant


class FakeSfcc:
    """Account Manager + WebDAV + OCAPI jobs of one SFCC instance; see the module docstring."""

    def __init__(
        self,
        client_id: str = "sfcc_client",
        client_secret: str = "sfcc_secret",  # noqa: S107 - the fake's own test credential
        xsd_dir: str | Path | None = None,
        polls_until_finished: int = 1,
        max_upload_bytes: int | None = None,
        short_code: str = "kv7kzm78",
        tenant_id: str = "zzxy_prd",
    ):
        if polls_until_finished < 0:
            raise ValueError("polls_until_finished must be >= 0")
        _check_limit(max_upload_bytes)
        self.client_id = client_id
        self.client_secret = client_secret
        self.xsd_dir = Path(xsd_dir) if xsd_dir is not None else DEFAULT_XSD_DIR
        self.polls_until_finished = polls_until_finished
        self.short_code = short_code
        self.tenant_id = tenant_id
        self.host = "127.0.0.1"
        self._lock = threading.RLock()
        self._import_lock = threading.Lock()
        self._folder = tempfile.TemporaryDirectory(prefix="fake-sfcc-")
        self.root = Path(self._folder.name) / "Sites"  # the WebDAV "Sites" folder
        (self.root / IMPEX_FOLDER).mkdir(parents=True)
        (self.root / LOG_FOLDER).mkdir(parents=True)
        uploads = Path(self._folder.name) / "uploads"  # PUT bodies land here, then move into place
        uploads.mkdir()
        self._tokens: dict[str, _Token] = {}
        self._revoked: set[str] = set()
        self._executions: dict[str, _Execution] = {}
        self._next_execution = 1
        self._requests: list[RequestRecord] = []
        self._imports: list[ImportRecord] = []
        self._token_grants = 0
        self._upload_failures: list[int] = []
        self._job_start_failures: list[int] = []
        self._rejected_import: str | None = None
        self._imports_before_rejection: int | None = None  # reject_imports_after: imports still let through
        self._pending_rejection = ""
        self._max_upload_bytes = max_upload_bytes
        self._rejected_uploads: list[RejectedUpload] = []
        self._scapi_start_failures: list[int] = []
        self._scapi_refusal: int | None = None
        self._ocapi_deprecated = False
        self._skipped_products: dict[str, str] = {}
        self._warned_products: dict[str, str] = {}
        self._last_started: datetime | None = None
        self.errors: list[str] = []  # tracebacks of unexpected exceptions in the fake itself
        self._dav = _make_webdav(self.root, uploads)
        self._server: _ThreadingWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False

    def __repr__(self) -> str:  # never shows the secret
        return (
            f"FakeSfcc({self.instance_url if self._server else 'not started'}, client_id={self.client_id!r})"
        )

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSfcc is not started")
        return self._server.server_address[1]

    @property
    def instance_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def account_manager_url(self) -> str:
        return f"{self.instance_url}{ACCOUNT_MANAGER_PREFIX}"

    @property
    def scapi_url_template(self) -> str:
        """The SCAPI base URL with a literal ``{short_code}`` left in, like
        ``https://{short_code}.api.commercecloud.salesforce.com``; format it with ``short_code``."""
        return f"{self.instance_url}/scapi/{{short_code}}"

    @property
    def organization_id(self) -> str:
        """The SCAPI organization of the instance: ``f_ecom_<tenant_id>``."""
        return f"f_ecom_{self.tenant_id}"

    @property
    def tenant_scope(self) -> str:
        """The Account Manager scope a SCAPI token needs: ``SALESFORCE_COMMERCE_API:<tenant_id>``."""
        return f"SALESFORCE_COMMERCE_API:{self.tenant_id}"

    def start(self) -> FakeSfcc:
        if self._stopped:
            raise RuntimeError("a stopped FakeSfcc cannot be started again; make a new one")
        if self._server is not None:
            return self
        self._server = _ThreadingWSGIServer((self.host, 0), _QuietHandler)
        self._server.set_app(self._app)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-sfcc", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            if self._thread is not None:
                self._thread.join(timeout=5)
                self._thread = None
            server.server_close()
        if not self._stopped:
            self._stopped = True
            self._folder.cleanup()

    def __enter__(self) -> FakeSfcc:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- fault injection ---------------------------------------------------------------------------

    def fail_uploads(self, count: int, status: int = 503) -> None:
        """The next ``count`` WebDAV PUTs answer ``status`` (before authentication), storing nothing."""
        with self._lock:
            self._upload_failures.extend([status] * count)

    def expire_tokens(self) -> None:
        """Every token issued so far becomes invalid; new grants work as usual."""
        with self._lock:
            self._revoked.update(self._tokens)
            self._tokens.clear()

    def reject_next_import(self, message: str) -> None:
        """The next import ends with exit status ERROR and ``message``, whatever the archive holds."""
        with self._lock:
            self._rejected_import = message

    def reject_imports_after(self, count: int, message: str) -> None:
        """The next ``count`` imports go as usual; the one after them ends with exit status ERROR and
        ``message`` (a delivery in parts rejected part way)."""
        if count < 0:
            raise ValueError("count must be >= 0")
        with self._lock:
            self._imports_before_rejection = count
            self._pending_rejection = message

    def fail_job_starts(self, count: int, status: int = 503) -> None:
        """The next ``count`` POSTs to a job's executions answer ``status`` (before authentication)."""
        with self._lock:
            self._job_start_failures.extend([status] * count)

    def limit_uploads(self, max_bytes: int | None) -> None:
        """WebDAV PUTs of more than ``max_bytes`` bytes answer 413 and store nothing; None: no limit.

        Checked after authentication: on the Content-Length up front, or while receiving a chunked body.
        A configuration like the constructor's ``max_upload_bytes``, so ``clear()`` keeps it."""
        _check_limit(max_bytes)
        with self._lock:
            self._max_upload_bytes = max_bytes

    def fail_scapi_starts(self, count: int, status: int = 503) -> None:
        """The next ``count`` POSTs to SCAPI job executions answer ``status`` (before authentication)."""
        with self._lock:
            self._scapi_start_failures.extend([status] * count)

    def refuse_scapi(self, status: int | None = 403) -> None:
        """Every SCAPI job start answers ``status`` (a 4xx, before authentication) until
        ``refuse_scapi(None)`` or ``clear()``."""
        if status is not None and not 400 <= status < 500:
            raise ValueError("refuse_scapi takes a 4xx status or None")
        with self._lock:
            self._scapi_refusal = status

    def deprecate_ocapi(self, on: bool = True) -> None:
        """Every OCAPI Data API request answers 403 ``OcapiDeprecatedException`` (before anything else).

        A property of the instance rather than a pending fault: ``clear()`` keeps it; call
        ``deprecate_ocapi(False)`` to undo it."""
        with self._lock:
            self._ocapi_deprecated = on

    def skip_products(self, ids: dict[str, str]) -> None:
        """Imports skip every ``<product product-id=...>`` of a catalog document whose id is a key of ``ids``
        (an ERROR line with the value as the reason, per element); the exit status stays OK. Adds to the
        earlier calls; ``clear()`` drops them."""
        with self._lock:
            self._skipped_products.update(ids)

    def warn_products(self, ids: dict[str, str]) -> None:
        """Like ``skip_products``, but the products are imported and logged with a WARN line."""
        with self._lock:
            self._warned_products.update(ids)

    def clear(self) -> None:
        """Drop every pending fault: upload and job start failures (OCAPI and SCAPI), a rejected import,
        ``refuse_scapi``, ``skip_products`` and ``warn_products``. Configuration stays: the upload limit and
        ``deprecate_ocapi``."""
        with self._lock:
            self._upload_failures.clear()
            self._job_start_failures.clear()
            self._rejected_import = None
            self._imports_before_rejection = None
            self._scapi_start_failures.clear()
            self._scapi_refusal = None
            self._skipped_products.clear()
            self._warned_products.clear()

    # -- introspection -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def count(
        self, method: str | None = None, path_prefix: str | None = None, status: int | None = None
    ) -> int:
        return sum(
            1
            for record in self.requests
            if (method is None or record.method == method.upper())
            and (path_prefix is None or record.path.startswith(path_prefix))
            and (status is None or record.status == status)
        )

    @property
    def token_grants(self) -> int:
        with self._lock:
            return self._token_grants

    @property
    def imports(self) -> list[ImportRecord]:
        with self._lock:
            return list(self._imports)

    @property
    def rejected_uploads(self) -> list[RejectedUpload]:
        """The PUTs refused for their size (413), in order."""
        with self._lock:
            return list(self._rejected_uploads)

    @property
    def max_upload_bytes(self) -> int | None:
        with self._lock:
            return self._max_upload_bytes

    def job_log(self, execution_id: str) -> str:
        """The job log text of an execution (KeyError for an unknown id)."""
        with self._lock:
            execution = self._executions[execution_id]
        return self.read_file(execution.log_file_path.removeprefix(WEBDAV_SHARE)).decode("utf-8")

    def put_file(self, relative_path: str, data: bytes) -> Path:
        """Store ``data`` in the WebDAV folder at ``relative_path`` (relative to ``Sites/``)."""
        target = self._sites_path(relative_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target

    def read_file(self, relative_path: str) -> bytes:
        """The bytes at ``relative_path`` (relative to ``Sites/``); FileNotFoundError when absent."""
        return self._sites_path(relative_path).read_bytes()

    def _sites_path(self, relative_path: str) -> Path:
        target = (self.root / relative_path.lstrip("/")).resolve()
        if not target.is_relative_to(self.root.resolve()) or target == self.root.resolve():
            raise ValueError(f"{relative_path!r} is not a file path inside Sites/")
        return target

    # -- WSGI entry point ----------------------------------------------------------------------------

    def _app(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"].upper()
        path = environ.get("PATH_INFO", "") or "/"
        body = _RequestBody.wrap(environ)
        recorded = False

        def recording_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            nonlocal recorded
            body.drain()  # the client may still be sending: read it all so it gets to read the answer
            if not recorded:
                recorded = True
                with self._lock:
                    self._requests.append(RequestRecord(method, path, int(status.split(" ", 1)[0])))
            headers = [(name, value) for name, value in headers if not is_hop_by_hop(name)]
            return start_response(status, headers, exc_info)

        try:
            if path.startswith(ACCOUNT_MANAGER_PREFIX + "/"):
                return self._account_manager(environ, recording_start_response, path)
            if path == WEBDAV_PREFIX or path.startswith(WEBDAV_PREFIX + "/"):
                return self._webdav(environ, recording_start_response, method, path)
            if path.startswith(OCAPI_DATA_PREFIX):
                return self._ocapi(environ, recording_start_response, method, path)
            if path.startswith(SCAPI_PREFIX):
                return self._scapi(environ, recording_start_response, method, path)
            return _text(recording_start_response, 404, "Not Found")
        except Exception:
            with self._lock:
                self.errors.append(traceback.format_exc())
            return _text(recording_start_response, 500, "Internal Server Error", exc_info=sys.exc_info())

    # -- Account Manager -------------------------------------------------------------------------------

    def _account_manager(self, environ: Environ, start_response: StartResponse, path: str) -> list[bytes]:
        if path[len(ACCOUNT_MANAGER_PREFIX) :] != TOKEN_PATH:
            return _json(start_response, 404, {"error": "not_found", "error_description": "Unknown endpoint"})
        if environ["REQUEST_METHOD"].upper() != "POST":
            return _json(
                start_response,
                405,
                {"error": "invalid_request", "error_description": "Only POST is supported"},
                [("Allow", "POST")],
            )
        credentials = _basic_credentials(environ.get("HTTP_AUTHORIZATION"))
        if credentials is None or not (
            secrets.compare_digest(credentials[0], self.client_id)
            and secrets.compare_digest(credentials[1], self.client_secret)
        ):
            return _json(
                start_response,
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed"},
                [("WWW-Authenticate", 'Basic realm="Account Manager"')],
            )
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return _json(
                start_response,
                400,
                {
                    "error": "invalid_request",
                    "error_description": "Content-Type must be application/x-www-form-urlencoded",
                },
            )
        form = dict(
            parse_qsl(environ["wsgi.input"].read().decode("utf-8", "replace"), keep_blank_values=True)
        )
        grant_type = form.get("grant_type")
        if grant_type is None:
            return _json(
                start_response, 400, {"error": "invalid_request", "error_description": "Missing grant_type"}
            )
        if grant_type != "client_credentials":
            return _json(
                start_response,
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"Grant type '{grant_type}' is not supported",
                },
            )
        scope = " ".join(form.get("scope", "").split()) or TOKEN_SCOPE
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = _Token(self.client_id, time.monotonic() + TOKEN_LIFETIME, scope)
            self._token_grants += 1
        return _json(
            start_response,
            200,
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "scope": scope,
            },
            [("Cache-Control", "no-store"), ("Pragma", "no-cache")],
        )

    def _bearer(self, environ: Environ) -> tuple[_Token | None, str]:
        """The valid token of the request, or None and why not."""
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None, "No access token was provided (Authorization: Bearer <token>)."
        with self._lock:
            grant = self._tokens.get(token)
            if grant is None:
                if token in self._revoked:
                    return None, "The access token has expired."
                return None, "The access token is invalid."
            if grant.expires <= time.monotonic():
                del self._tokens[token]
                self._revoked.add(token)
                return None, "The access token has expired."
        return grant, ""

    # -- WebDAV ------------------------------------------------------------------------------------------

    def _webdav(
        self, environ: Environ, start_response: StartResponse, method: str, path: str
    ) -> Iterable[bytes]:
        if method == "PUT":
            with self._lock:
                failure = self._upload_failures.pop(0) if self._upload_failures else None
            if failure is not None:
                return _text(start_response, failure, _reason(failure))
        token, problem = self._bearer(environ)
        if token is None:
            return _text(
                start_response,
                401,
                f"Unauthorized: {problem}",
                [("WWW-Authenticate", 'Bearer realm="Sites"')],
            )
        limit = self.max_upload_bytes if method == "PUT" else None
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if limit is not None and not chunked:
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return self._too_large(start_response, path, length, limit)
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + WEBDAV_MOUNT
        environ["PATH_INFO"] = path[len(WEBDAV_MOUNT) :]
        environ.pop("HTTP_AUTHORIZATION", None)  # WsgiDAV is anonymous behind this check
        if limit is None or not chunked:
            return self._dav(environ, start_response)
        # A chunked body is counted while WsgiDAV stores it (into a temporary file, see _UploadFile): past the
        # limit the read raises, WsgiDAV drops the partial file, and its answer is replaced by the 413.
        limited = _LimitedInput(environ["wsgi.input"], limit)
        environ["wsgi.input"] = limited
        answer: dict[str, Any] = {}
        chunks: list[bytes] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
            answer.update(status=status, headers=headers)
            return chunks.append

        result = self._dav(environ, capture)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if limited.exceeded:
            return self._too_large(start_response, path, limited.received, limit)
        start_response(answer["status"], answer["headers"])
        return chunks

    def _too_large(self, start_response: StartResponse, path: str, size: int, limit: int) -> list[bytes]:
        with self._lock:
            self._rejected_uploads.append(RejectedUpload(path, size))
        return _text(start_response, 413, f"Request Entity Too Large: uploads are limited to {limit} bytes")

    # -- OCAPI Data API ------------------------------------------------------------------------------------

    def _ocapi(self, environ: Environ, start_response: StartResponse, method: str, path: str) -> list[bytes]:
        match = _OCAPI_PATH.match(path)
        version_match = _VERSION.match(match["version"]) if match else None
        with self._lock:
            deprecated = self._ocapi_deprecated
        if deprecated:
            version = f"{int(version_match['major'])}.{version_match['minor']}" if version_match else "23.2"
            return _fault(start_response, 403, version, "OcapiDeprecatedException", OCAPI_DEPRECATED)
        if match is None or version_match is None:
            return _fault(
                start_response, 400, "23.2", "InvalidVersionException", "Version is missing or malformed."
            )
        version = f"{int(version_match['major'])}.{version_match['minor']}"
        route = _EXECUTIONS.match(match["rest"] or "")
        if route is not None and route["execution"] is None and method == "POST":
            with self._lock:
                failure = self._job_start_failures.pop(0) if self._job_start_failures else None
            if failure is not None:
                return _fault(
                    start_response,
                    failure,
                    version,
                    _FAULT_TYPES.get(failure, "InternalServerErrorException"),
                    f"{_reason(failure)} (injected by the fake).",
                )
        token, problem = self._bearer(environ)
        if token is None:
            return _fault(
                start_response,
                401,
                version,
                "InvalidAccessTokenException",
                problem,
                [("WWW-Authenticate", 'Bearer realm="ocapi"')],
            )
        if route is None:
            return _fault(
                start_response,
                404,
                version,
                "ResourcePathNotFoundException",
                f"Unable to find resource for path '{match['rest'] or '/'}'.",
            )
        job_id, execution_id = route["job"], route["execution"]
        if execution_id is None:
            if method != "POST":
                return _fault(
                    start_response,
                    405,
                    version,
                    "MethodNotAllowedException",
                    f"Method '{method}' is not allowed for this resource.",
                    [("Allow", "POST")],
                )
            return self._start_job(environ, start_response, version, job_id, token)
        if method != "GET":
            return _fault(
                start_response,
                405,
                version,
                "MethodNotAllowedException",
                f"Method '{method}' is not allowed for this resource.",
                [("Allow", "GET")],
            )
        if job_id != IMPORT_JOB:
            return _job_not_found(start_response, version, job_id)
        with self._lock:
            execution = self._poll(job_id, execution_id)
            if execution is None:
                return _fault(
                    start_response,
                    404,
                    version,
                    "JobExecutionNotFoundException",
                    f"No job execution with ID '{execution_id}' for job '{job_id}' could be found.",
                )
            document = _execution_document(execution, version)
        return _json(start_response, 200, document)

    def _poll(self, job_id: str, execution_id: str) -> _Execution | None:
        """The execution, one poll on (it finishes after ``polls_until_finished`` polls); hold the lock."""
        execution = self._executions.get(execution_id)
        if execution is None or execution.job_id != job_id:
            return None
        execution.polls += 1
        if execution.finished is None and execution.polls > self.polls_until_finished:
            execution.finished = max(datetime.now(UTC), execution.started)
        return execution

    def _start_job(
        self, environ: Environ, start_response: StartResponse, version: str, job_id: str, token: _Token
    ) -> list[bytes]:
        if job_id != IMPORT_JOB:
            return _job_not_found(start_response, version, job_id)
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _fault(
                start_response,
                415,
                version,
                "UnsupportedMediaTypeException",
                f"Media type '{content_type or '(none)'}' is not supported; send application/json.",
            )
        try:
            request = json.loads(environ["wsgi.input"].read() or b"{}")
        except (ValueError, UnicodeDecodeError):
            return _fault(
                start_response, 400, version, "BodyDecodingException", "The request body isn't valid JSON."
            )
        if not isinstance(request, dict):
            return _fault(
                start_response, 400, version, "BodyDecodingException", "The request body isn't an object."
            )
        file_name = request.get("file_name")
        if not isinstance(file_name, str) or not file_name.strip():
            return _fault(
                start_response,
                400,
                version,
                "NullConstraintViolationException",
                "Property 'file_name' of document 'site_archive_import_configuration' must not be null.",
            )
        mode = request.get("mode", "merge")
        if mode not in IMPORT_MODES:
            return _fault(
                start_response,
                400,
                version,
                "EnumConstraintViolationException",
                f"Value '{mode}' of property 'mode' is not one of {', '.join(IMPORT_MODES)}.",
            )
        execution = self._execute("ocapi", job_id, token, file_name, mode, [])
        with self._lock:
            document = _execution_document(execution, version)
        return _json(start_response, 202, document)

    # -- SCAPI Jobs API --------------------------------------------------------------------------------------

    def _scapi(self, environ: Environ, start_response: StartResponse, method: str, path: str) -> list[bytes]:
        match = _SCAPI_PATH.match(path)
        if match is None or match["short_code"] != self.short_code:
            short_code = match["short_code"] if match else ""
            return _problem(start_response, 404, f"Unknown short code '{short_code}'.")
        route = _SCAPI_EXECUTIONS.match(match["rest"] or "")
        if route is not None and route["execution"] is None and method == "POST":
            with self._lock:
                failure = self._scapi_start_failures.pop(0) if self._scapi_start_failures else None
                refusal = self._scapi_refusal
            if failure is not None:
                return _problem(start_response, failure, f"{_reason(failure)} (injected by the fake).")
            if refusal is not None:
                return _problem(
                    start_response, refusal, f"{_reason(refusal)}: job executions are refused (injected)."
                )
        token, problem = self._bearer(environ)
        if token is None:
            return _problem(start_response, 401, problem, [("WWW-Authenticate", 'Bearer realm="scapi"')])
        if route is None:
            return _problem(
                start_response, 404, f"Unable to find resource for path '{match['rest'] or '/'}'."
            )
        if route["org"] != self.organization_id:
            return _problem(start_response, 404, f"Unknown organization '{route['org']}'.")
        if self.tenant_scope not in token.scope.split():
            return _problem(
                start_response,
                403,
                f"The access token lacks the tenant scope '{self.tenant_scope}'; request it from "
                "Account Manager (scope form field).",
            )
        job_id, execution_id = route["job"], route["execution"]
        allowed = "POST" if execution_id is None else "GET"
        if method != allowed:
            return _problem(
                start_response,
                405,
                f"Method '{method}' is not allowed for this resource.",
                [("Allow", allowed)],
            )
        if job_id != IMPORT_JOB:
            return _problem(start_response, 404, f"No job definition with ID '{job_id}' could be found.")
        if execution_id is None:
            return self._scapi_start(environ, start_response, job_id, token)
        with self._lock:
            execution = self._poll(job_id, execution_id)
            if execution is None:
                return _problem(
                    start_response,
                    404,
                    f"No job execution with ID '{execution_id}' for job '{job_id}' could be found.",
                )
            document = _scapi_document(execution)
        return _json(start_response, 200, document)

    def _scapi_start(
        self, environ: Environ, start_response: StartResponse, job_id: str, token: _Token
    ) -> list[bytes]:
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _problem(
                start_response,
                415,
                f"Media type '{content_type or '(none)'}' is not supported; send application/json.",
            )
        try:
            request = json.loads(environ["wsgi.input"].read() or b"{}")
        except (ValueError, UnicodeDecodeError):
            return _problem(start_response, 400, "The request body isn't valid JSON.")
        parameters = request.get("parameters", []) if isinstance(request, dict) else None
        if not isinstance(parameters, list) or not all(
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and isinstance(item.get("value"), str)
            for item in parameters
        ):
            return _problem(
                start_response,
                400,
                "The body must be an object whose 'parameters' is a list of {name, value} strings.",
            )
        values = {item["name"]: item["value"] for item in parameters}
        file_name = values.get("ImportFile", "")
        if not file_name.strip():
            return _problem(start_response, 400, "Parameter 'ImportFile' is required.")
        mode = values.get("ImportMode", "Merge")
        if mode.lower() not in IMPORT_MODES:
            return _problem(
                start_response,
                400,
                f"Value '{mode}' of parameter 'ImportMode' is not one of Merge.",
            )
        echoed = [{"name": item["name"], "value": item["value"]} for item in parameters]
        execution = self._execute("scapi", job_id, token, file_name, mode.lower(), echoed)
        with self._lock:
            document = _scapi_document(execution)
        return _json(start_response, 202, document)

    # -- the import itself -----------------------------------------------------------------------------------

    def _execute(
        self,
        api: str,
        job_id: str,
        token: _Token,
        file_name: str,
        mode: str,
        parameters: list[dict[str, str]],
    ) -> _Execution:
        """Run the import, write its job log and record the execution (polled from either API)."""
        with self._lock:
            execution_id = str(self._next_execution)
            self._next_execution += 1
            if self._imports_before_rejection is not None:
                if self._imports_before_rejection == 0:
                    self._rejected_import = self._pending_rejection
                    self._imports_before_rejection = None
                else:
                    self._imports_before_rejection -= 1
            rejected, self._rejected_import = self._rejected_import, None
            skips, warns = dict(self._skipped_products), dict(self._warned_products)
            started = datetime.now(UTC)
            started = started.replace(microsecond=started.microsecond // 1000 * 1000)
            if self._last_started is not None and started <= self._last_started:
                started = self._last_started + timedelta(milliseconds=1)  # unique log file names
            self._last_started = started
        stamp = started.strftime("%Y%m%d%H%M%S") + f"{started.microsecond // 1000:03d}"
        execution = _Execution(
            id=execution_id,
            job_id=job_id,
            client_id=token.client_id,
            file_name=file_name,
            mode=mode,
            exit_code="ERROR",
            message="",
            started=started,
            api=api,
            log_file_name=f"Job-{job_id}-{stamp}.log",
            parameters=parameters,
        )
        log = _JobLog(job_id, execution_id)
        log.info(
            f"Job '{job_id}' execution {execution_id} started via {api.upper()}: "
            f"ImportFile '{file_name}', ImportMode '{mode}'"
        )
        record = self._import(execution_id, file_name, mode, rejected, skips, warns, log)
        record.api = api
        record.log_path = execution.log_file_path.removeprefix(WEBDAV_SHARE + "/")
        execution.exit_code, execution.message = record.exit_code, record.message
        if not record.ok:
            log.error(record.message)
        log.info(f"Import finished: {log.errors} errors, {log.warnings} warnings")
        target = self.root / record.log_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(log.text(), encoding="utf-8")
        with self._lock:
            self._imports.append(record)
            self._executions[execution_id] = execution
        return execution

    def _import(
        self,
        execution_id: str,
        file_name: str,
        mode: str,
        rejected: str | None,
        skips: dict[str, str],
        warns: dict[str, str],
        log: _JobLog,
    ) -> ImportRecord:
        record = ImportRecord(execution_id, file_name, mode, "ERROR", "")
        if rejected is not None:
            record.message = rejected
            return record
        impex = (self.root / IMPEX_FOLDER).resolve()
        archive = (impex / file_name).resolve()
        if not archive.is_relative_to(impex) or not archive.is_file():
            record.message = f"File '{file_name}' not found in {IMPEX_FOLDER}"
            return record
        with self._import_lock:
            record.exit_code, record.message = self._validate_archive(archive, record)
        if record.ok:
            for member, root in record.documents.items():
                log.info(f"Importing {member.split('/', 1)[-1]}")
                if (skips or warns) and root.tag == f"{{{CATALOG_NS}}}catalog":
                    for product in root.iterchildren(f"{{{CATALOG_NS}}}product"):
                        product_id = product.get("product-id", "")
                        if product_id in skips:
                            record.skipped.append(("product", product_id))
                            log.error(
                                f"Product {_quoted(product_id)} skipped: {_one_line(skips[product_id])}"
                            )
                        elif product_id in warns:
                            record.warned.append(("product", product_id))
                            log.warn(
                                f"Product {_quoted(product_id)} imported with warning: "
                                f"{_one_line(warns[product_id])}"
                            )
        return record

    def _validate_archive(self, archive: Path, record: ImportRecord) -> tuple[str, str]:
        try:
            bundle = zipfile.ZipFile(archive)
        except (zipfile.BadZipFile, OSError):
            return "ERROR", f"Import failed: '{archive.name}' is not a valid zip archive"
        with bundle:
            names = [info.filename for info in bundle.infolist()]
            tops = {name.split("/", 1)[0] for name in names}
            loose = [name for name in names if "/" not in name]
            if loose or len(tops) != 1:
                found = f"file '{loose[0]}' at its root" if loose else f"{len(tops)} top folders"
                return "ERROR", f"Import failed: a site archive holds one top folder; found {found}"
            record.members = [
                name for name in names if name.lower().endswith(".xml") and not name.endswith("/")
            ]
            if not record.members:
                return "ERROR", "Import failed: the archive holds no XML document to import"
            schemas = _schemas(self.xsd_dir)
            if not schemas:
                return "ERROR", f"Import failed: no SFCC schemas found in {self.xsd_dir}"
            for member in record.members:
                try:
                    root = etree.fromstring(bundle.read(member), SAFE_PARSER)
                except etree.XMLSyntaxError as exc:
                    reason = exc.error_log[0].message if len(exc.error_log) else exc.msg
                    return "ERROR", f"Import failed: {member} line {exc.lineno}: not well-formed: {reason}"
                record.documents[member] = root
                namespace = etree.QName(root).namespace
                if namespace not in schemas:
                    return (
                        "ERROR",
                        f"Import failed: {member}: no SFCC schema for root namespace {namespace!r}",
                    )
                schema = _schema(self.xsd_dir, namespace)
                if not schema.validate(root.getroottree()):
                    error = schema.error_log[0]
                    return "ERROR", f"Import failed: {member} line {error.line}: {error.message}"
        count = len(record.members)
        return "OK", f"Imported {count} file{'s' if count != 1 else ''}"


# -- XSDs, shared by every fake of the process ------------------------------------------------------
# Which file holds which namespace is read as the exporter reads it (sfcc_export.xml_check, no
# Django); the compiled schemas are the fake's own, so that its server threads never validate with
# an object the exporter is using at the same time.

_SCHEMA_LOCK = threading.Lock()
_SCHEMAS: dict[tuple[Path, str], etree.XMLSchema] = {}


def _schemas(xsd_dir: Path) -> dict[str, Path]:
    """Each schema's target namespace -> its file; empty when the folder holds none."""
    try:
        return schemas_by_namespace(xsd_dir)
    except SchemasMissing:
        return {}


def _schema(xsd_dir: Path, namespace: str) -> etree.XMLSchema:
    key = (xsd_dir.resolve(), namespace)
    path = _schemas(xsd_dir)[namespace]
    with _SCHEMA_LOCK:
        if key not in _SCHEMAS:
            _SCHEMAS[key] = etree.XMLSchema(etree.parse(str(path), SAFE_PARSER))
        return _SCHEMAS[key]


# -- documents and answers --------------------------------------------------------------------------


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _check_limit(max_bytes: int | None) -> None:
    if max_bytes is not None and (
        isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0
    ):
        raise ValueError("the upload limit is a number of bytes >= 0, or None")


def _quoted(object_id: str) -> str:
    """An id as the job log quotes it: 'id', or "id" when it holds a single quote."""
    return f'"{object_id}"' if "'" in object_id else f"'{object_id}'"


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _JobLog:
    """The lines of one execution's job log, SFCC style."""

    def __init__(self, job_id: str, execution_id: str):
        thread = 1_000_000 + int(execution_id) if execution_id.isdigit() else 1_000_000
        self._prefix = f"JobThread|{thread}|{job_id}|ImportSiteArchive system.job.ImportSiteArchive - "
        self._lines: list[str] = []
        self.errors = 0
        self.warnings = 0

    def _add(self, level: str, message: str) -> None:
        moment = datetime.now(UTC)
        stamp = moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
        self._lines.append(f"[{stamp} GMT] {level} {self._prefix}{_one_line(message)}")

    def info(self, message: str) -> None:
        self._add("INFO", message)

    def warn(self, message: str) -> None:
        self.warnings += 1
        self._add("WARN", message)

    def error(self, message: str) -> None:
        self.errors += 1
        self._add("ERROR", message)

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"


def _scapi_document(execution: _Execution) -> dict[str, Any]:
    """A SCAPI Jobs API ``JobExecution`` document (camelCase)."""
    parameters = execution.parameters or [
        {"name": "ImportFile", "value": execution.file_name},
        {"name": "ImportMode", "value": execution.mode},
    ]
    document: dict[str, Any] = {
        "clientId": execution.client_id,
        "executionScopes": ["Organization"],
        "id": execution.id,
        "isLogFileExisting": execution.finished is not None,
        "isRestart": False,
        "jobId": execution.job_id,
        "logFilePath": execution.log_file_path,
        "parameters": [dict(parameter) for parameter in parameters],
        "startTime": _timestamp(execution.started),
    }
    if execution.finished is None:
        document.update(
            executionStatus="running", status="RUNNING", modificationTime=_timestamp(execution.started)
        )
    else:
        ok = execution.exit_code == "OK"
        document.update(
            executionStatus="finished",
            status="OK" if ok else "ERROR",
            exitStatus={
                "code": execution.exit_code,
                "message": execution.message,
                "status": "ok" if ok else "error",
            },
            endTime=_timestamp(execution.finished),
            modificationTime=_timestamp(execution.finished),
            duration=int((execution.finished - execution.started).total_seconds() * 1000),
        )
    return dict(sorted(document.items()))


def _execution_document(execution: _Execution, version: str) -> dict[str, Any]:
    """An OCAPI ``job_execution`` document (Data API), as the instance reports it."""
    document: dict[str, Any] = {
        "_v": version,
        "_type": "job_execution",
        "client_id": execution.client_id,
        "execution_scopes": ["Organization"],
        "id": execution.id,
        "is_log_file_existing": execution.finished is not None,
        "is_restart": False,
        "job_id": execution.job_id,
        "log_file_name": execution.log_file_name,
        "log_file_path": execution.log_file_path,
        "parameters": [
            {"_type": "job_execution_parameter", "name": "ImportMode", "value": execution.mode},
            {"_type": "job_execution_parameter", "name": "ImportFile", "value": execution.file_name},
        ],
        "start_time": _timestamp(execution.started),
    }
    if execution.finished is None:
        document.update(
            execution_status="running", status="RUNNING", modification_time=_timestamp(execution.started)
        )
    else:
        ok = execution.exit_code == "OK"
        document.update(
            execution_status="finished",
            status="OK" if ok else "ERROR",
            exit_status={
                "_type": "status",
                "code": execution.exit_code,
                "message": execution.message,
                "status": "ok" if ok else "error",
            },
            end_time=_timestamp(execution.finished),
            modification_time=_timestamp(execution.finished),
            duration=int((execution.finished - execution.started).total_seconds() * 1000),
        )
    return dict(sorted(document.items()))


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _status_line(status: int) -> str:
    return f"{status} {_reason(status)}"


def _respond(
    start_response: StartResponse,
    status: int,
    content_type: str,
    body: bytes,
    headers: list[tuple[str, str]] | None = None,
    exc_info: Any = None,
) -> list[bytes]:
    start_response(
        _status_line(status),
        [("Content-Type", content_type), ("Content-Length", str(len(body))), *(headers or [])],
        exc_info,
    )
    return [body]


def _json(
    start_response: StartResponse, status: int, document: Any, headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    return _respond(
        start_response, status, "application/json;charset=UTF-8", json.dumps(document).encode(), headers
    )


def _text(
    start_response: StartResponse,
    status: int,
    text: str,
    headers: list[tuple[str, str]] | None = None,
    exc_info: Any = None,
) -> list[bytes]:
    return _respond(start_response, status, "text/plain;charset=UTF-8", text.encode(), headers, exc_info)


def _fault(
    start_response: StartResponse,
    status: int,
    version: str,
    fault_type: str,
    message: str,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    return _json(
        start_response, status, {"_v": version, "fault": {"type": fault_type, "message": message}}, headers
    )


def _problem(
    start_response: StartResponse, status: int, detail: str, headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    """A SCAPI error: RFC 7807 problem details."""
    document = {
        "type": f"{SCAPI_ERRORS}/{_PROBLEM_TYPES.get(status, 'error')}",
        "title": _reason(status),
        "detail": detail,
    }
    return _respond(
        start_response, status, "application/problem+json", json.dumps(document).encode(), headers
    )


def _job_not_found(start_response: StartResponse, version: str, job_id: str) -> list[bytes]:
    return _fault(
        start_response,
        404,
        version,
        "JobDefinitionNotFoundException",
        f"No job definition with ID '{job_id}' could be found.",
    )


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon else None


# -- WebDAV -----------------------------------------------------------------------------------------


class _WebDav(WsgiDAVApp):
    def resolve_provider(self, path: str) -> tuple[str | None, Any]:
        # WsgiDAV 4.4.0 lower-cases the path to match shares but keeps the shares' own case as keys, so a
        # share named "/Sites" is never found; match case-sensitively instead, as SFCC's URLs are.
        for share in sorted(self.provider_map, key=len, reverse=True):
            if share == "/" or path == share or path.startswith(share + "/"):
                return share, self.provider_map[share]
        return None, None


class _UploadFile(FileResource):
    """A file whose PUT body goes to a temporary file, moved into place only once it all arrived: a failed or
    refused upload (413) stores nothing, and leaves the file it would have replaced as it was."""

    created = False  # set by _Folder.create_empty_resource: the PUT made this (empty) file

    def begin_write(self, *, content_type: str | None = None) -> Any:
        if self.provider.readonly:
            raise DAVError(HTTP_FORBIDDEN)
        handle, name = tempfile.mkstemp(prefix="put-", dir=self.provider.upload_dir)
        os.fchmod(handle, 0o644)
        self._upload = name
        self._stream = os.fdopen(handle, "wb", BUFFER_SIZE)
        return self._stream

    def end_write(self, *, with_errors: bool) -> None:
        upload = getattr(self, "_upload", None)
        if upload is None:
            return
        self._upload = None
        self._stream.close()
        if with_errors:
            Path(upload).unlink(missing_ok=True)
            if self.created:
                Path(self._file_path).unlink(missing_ok=True)
            return
        os.replace(upload, self._file_path)
        self.file_stat = os.stat(self._file_path)


class _Folder(FolderResource):
    def create_empty_resource(self, name: str) -> Any:
        resource = super().create_empty_resource(name)
        if isinstance(resource, _UploadFile):
            resource.created = True
        return resource


class _Provider(FilesystemProvider):
    def __init__(self, root: Path, upload_dir: Path):
        super().__init__(str(root), fs_opts={})
        self.upload_dir = str(upload_dir)

    def get_resource_inst(self, path: str, environ: dict) -> Any:
        resource = super().get_resource_inst(path, environ)
        if type(resource) is FileResource:
            return _UploadFile(path, environ, resource._file_path)
        if type(resource) is FolderResource:
            return _Folder(path, environ, resource._file_path)
        return resource


class _LimitedInput:
    """A request body that raises 413 (a DAVError) once more than ``limit`` bytes were read from it."""

    def __init__(self, raw: Any, limit: int):
        self._raw = raw
        self._limit = limit
        self.received = 0
        self.exceeded = False

    def read(self, size: int | None = -1) -> bytes:
        data = self._raw.read(size)
        self.received += len(data)
        if self.received > self._limit:
            self.exceeded = True
            raise DAVError(HTTP_REQUEST_ENTITY_TOO_LARGE, f"uploads are limited to {self._limit} bytes")
        return data


def _make_webdav(root: Path, upload_dir: Path) -> WsgiDAVApp:
    """WsgiDAV over ``root`` as the share ``/Sites``, mounted at /on/demandware.servlet/webdav, anonymous.

    PUT bodies are written into ``upload_dir`` (same file system) and moved into place when complete."""
    return _WebDav(
        {
            "mount_path": WEBDAV_MOUNT,
            "provider_mapping": {WEBDAV_SHARE: _Provider(root, upload_dir)},
            "simple_dc": {"user_mapping": {"*": True}},  # anonymous: the Bearer check sits in front
            "http_authenticator": {"domain_controller": None, "accept_basic": False, "accept_digest": False},
            "dir_browser": {"enable": False},
            "logging": {"enable": False},
            "verbose": 1,
            "suppress_version_info": True,
        }
    )


# -- HTTP server ------------------------------------------------------------------------------------


class _RequestBody(io.RawIOBase):
    """The request body, ending where it ends (Content-Length or chunked), unlike wsgiref's socket file."""

    def __init__(self, raw: Any, length: int | None):
        super().__init__()
        self._raw = raw
        self._left = length  # bytes left of a Content-Length body; None: chunked
        self._chunk_left = 0
        self._done = length == 0

    @classmethod
    def wrap(cls, environ: Environ) -> _RequestBody:
        raw = environ["wsgi.input"]
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = cls(raw, None)
            environ.pop("CONTENT_LENGTH", None)
        else:
            try:
                length = max(0, int(environ.get("CONTENT_LENGTH") or 0))
            except ValueError:
                length = 0
            body = cls(raw, length)
        environ["wsgi.input"] = body
        return body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._read_some(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            parts = []
            while part := self._read_some(1 << 16):
                parts.append(part)
            return b"".join(parts)
        return self._read_some(size)

    def _read_some(self, size: int) -> bytes:
        if self._done or size == 0:
            return b""
        if self._left is not None:
            data = self._raw.read(min(size, self._left))
            self._left -= len(data)
            if not data or self._left == 0:
                self._done = True
            return data
        if self._chunk_left == 0:
            line = self._raw.readline(65537)
            try:
                self._chunk_left = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self._done = True
                return b""
            if self._chunk_left == 0:
                while self._raw.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                self._done = True
                return b""
        data = self._raw.read(min(size, self._chunk_left))
        if not data:
            self._done = True
            return b""
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            self._raw.readline(3)  # the CRLF after the chunk
        return data

    def drain(self) -> None:
        while self._read_some(1 << 16):
            pass


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # skips socket.getfqdn(), slow without DNS
        self.server_name, self.server_port = self.server_address[:2]
        self.setup_environ()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that goes away mid-answer is not the fake's problem


class _QuietHandler(WSGIRequestHandler):
    timeout = 60

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's name
        pass
