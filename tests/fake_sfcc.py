"""A fake Salesforce B2C Commerce (SFCC) instance over real sockets, for tests and benchmarks.

It serves, on 127.0.0.1 and a free port:

* Account Manager: ``POST {account_manager_url}/dwsso/oauth2/access_token`` (client credentials, HTTP Basic);
* WebDAV (WsgiDAV over a temporary folder): ``{instance_url}/on/demandware.servlet/webdav/Sites/...``,
  Bearer token required; ``Impex/src/instance`` exists from the start;
* OCAPI Data API: ``POST {instance_url}/s/-/dw/data/{version}/jobs/sfcc-site-archive-import/executions`` and
  ``GET .../executions/{id}``; the import validates every XML document of the uploaded site archive against
  the SFCC schemas (picked by root namespace) and is reported through the polls.

Fault injection and introspection are plain methods (thread-safe). No Django here: plain Python, lxml and
WsgiDAV, so benchmarks can use it too. Secrets and tokens are never printed or logged.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
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
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.util import is_hop_by_hop

from lxml import etree
from wsgidav.fs_dav_provider import FilesystemProvider
from wsgidav.wsgidav_app import WsgiDAVApp

DEFAULT_XSD_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "sfcc-xsd"
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

_OCAPI_PATH = re.compile(r"^/s/-/dw/data/(?P<version>[^/]+)(?P<rest>/.*)?$")
_VERSION = re.compile(r"^v(?P<major>\d+)_(?P<minor>\d+)$")
_EXECUTIONS = re.compile(r"^/jobs/(?P<job>[^/]+)/executions(?:/(?P<execution>[^/]+))?/?$")

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
    polls: int = 0
    finished: datetime | None = None


@dataclass
class _Token:
    client_id: str
    expires: float  # time.monotonic()


class FakeSfcc:
    """Account Manager + WebDAV + OCAPI jobs of one SFCC instance; see the module docstring."""

    def __init__(
        self,
        client_id: str = "sfcc_client",
        client_secret: str = "sfcc_secret",  # noqa: S107 - the fake's own test credential
        xsd_dir: str | Path | None = None,
        polls_until_finished: int = 1,
    ):
        if polls_until_finished < 0:
            raise ValueError("polls_until_finished must be >= 0")
        self.client_id = client_id
        self.client_secret = client_secret
        self.xsd_dir = Path(xsd_dir) if xsd_dir is not None else DEFAULT_XSD_DIR
        self.polls_until_finished = polls_until_finished
        self.host = "127.0.0.1"
        self._lock = threading.RLock()
        self._import_lock = threading.Lock()
        self._folder = tempfile.TemporaryDirectory(prefix="fake-sfcc-")
        self.root = Path(self._folder.name)  # the WebDAV "Sites" folder
        (self.root / IMPEX_FOLDER).mkdir(parents=True)
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
        self.errors: list[str] = []  # tracebacks of unexpected exceptions in the fake itself
        self._dav = _make_webdav(self.root)
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

    def fail_job_starts(self, count: int, status: int = 503) -> None:
        """The next ``count`` POSTs to a job's executions answer ``status`` (before authentication)."""
        with self._lock:
            self._job_start_failures.extend([status] * count)

    def clear(self) -> None:
        """Drop every pending fault (upload and job start failures, a rejected import)."""
        with self._lock:
            self._upload_failures.clear()
            self._job_start_failures.clear()
            self._rejected_import = None

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
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = _Token(self.client_id, time.monotonic() + TOKEN_LIFETIME)
            self._token_grants += 1
        return _json(
            start_response,
            200,
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "scope": TOKEN_SCOPE,
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
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + WEBDAV_MOUNT
        environ["PATH_INFO"] = path[len(WEBDAV_MOUNT) :]
        environ.pop("HTTP_AUTHORIZATION", None)  # WsgiDAV is anonymous behind this check
        return self._dav(environ, start_response)

    # -- OCAPI Data API ------------------------------------------------------------------------------------

    def _ocapi(self, environ: Environ, start_response: StartResponse, method: str, path: str) -> list[bytes]:
        match = _OCAPI_PATH.match(path)
        version_match = _VERSION.match(match["version"]) if match else None
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
            execution = self._executions.get(execution_id)
            if execution is None or execution.job_id != job_id:
                return _fault(
                    start_response,
                    404,
                    version,
                    "JobExecutionNotFoundException",
                    f"No job execution with ID '{execution_id}' for job '{job_id}' could be found.",
                )
            execution.polls += 1
            if execution.finished is None and execution.polls > self.polls_until_finished:
                execution.finished = datetime.now(UTC)
            document = _execution_document(execution, version)
        return _json(start_response, 200, document)

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
        with self._lock:
            execution_id = str(self._next_execution)
            self._next_execution += 1
            rejected, self._rejected_import = self._rejected_import, None
        started = datetime.now(UTC)
        record = self._import(execution_id, file_name, mode, rejected)
        execution = _Execution(
            id=execution_id,
            job_id=job_id,
            client_id=token.client_id,
            file_name=file_name,
            mode=mode,
            exit_code=record.exit_code,
            message=record.message,
            started=started,
        )
        with self._lock:
            self._imports.append(record)
            self._executions[execution_id] = execution
            document = _execution_document(execution, version)
        return _json(start_response, 202, document)

    # -- the import itself -----------------------------------------------------------------------------------

    def _import(self, execution_id: str, file_name: str, mode: str, rejected: str | None) -> ImportRecord:
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

_SCHEMA_LOCK = threading.Lock()
_NAMESPACES: dict[Path, dict[str, Path]] = {}
_SCHEMAS: dict[tuple[Path, str], etree.XMLSchema] = {}


def _schemas(xsd_dir: Path) -> dict[str, Path]:
    """Each schema's target namespace -> its file, as shared/tools/sfcc_validate.py picks them."""
    key = xsd_dir.resolve()
    with _SCHEMA_LOCK:
        if key not in _NAMESPACES:
            by_namespace: dict[str, Path] = {}
            for xsd in sorted(key.glob("*.xsd")):
                namespace = etree.parse(str(xsd), SAFE_PARSER).getroot().get("targetNamespace")
                if namespace:
                    by_namespace.setdefault(namespace, xsd)
            _NAMESPACES[key] = by_namespace
        return _NAMESPACES[key]


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


def _execution_document(execution: _Execution, version: str) -> dict[str, Any]:
    """An OCAPI ``job_execution`` document (Data API), as the instance reports it."""
    stamp = execution.started.strftime("%Y%m%d%H%M%S") + f"{execution.started.microsecond // 1000:03d}"
    document: dict[str, Any] = {
        "_v": version,
        "_type": "job_execution",
        "client_id": execution.client_id,
        "execution_scopes": ["Organization"],
        "id": execution.id,
        "is_log_file_existing": execution.finished is not None,
        "is_restart": False,
        "job_id": execution.job_id,
        "log_file_name": f"Job-{execution.job_id}-{stamp}.log",
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


def _make_webdav(root: Path) -> WsgiDAVApp:
    """WsgiDAV over ``root`` as the share ``/Sites``, mounted at /on/demandware.servlet/webdav, anonymous."""
    return _WebDav(
        {
            "mount_path": WEBDAV_MOUNT,
            "provider_mapping": {WEBDAV_SHARE: FilesystemProvider(str(root), fs_opts={})},
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
