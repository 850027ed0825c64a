"""The sandbox PIM: a real HTTP server on 127.0.0.1 that answers like the Akeneo Web API.

``FakeAkeneo`` owns the socket, the OAuth tokens (password and refresh grants, real expiry), the
request log and the fault rules; ``resources.Resources`` answers the REST routes. HTTP/1.1 with
keep-alive: every answer has a Content-Length and every request body is read in full, so a
``requests.Session`` reuses its connections.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import socket
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .catalog import Catalog, build_demo_catalog
from .event_platform import PREFIX as EVENT_PLATFORM_PREFIX
from .event_platform import EventPlatform
from .faults import Faults
from .protocol import JSON, ApiError, Reply, Request, json_reply, parse_json
from .resources import PUBLIC_PATHS, Resources

SANDBOX_CREDENTIALS = {
    "client_id": "sandbox_client",
    "secret": "sandbox_secret",
    "username": "sandbox",
    "password": "sandbox",
}
TOKEN_PATH = "/api/oauth/v1/token"  # noqa: S105 - a URL path, not a secret
FORM = "application/x-www-form-urlencoded"
REFRESH_TOKEN_TTL = 14 * 24 * 3600  # the PIM's default
# The OAuth server's own grant types: anything else counts as a missing grant type.
KNOWN_GRANTS = {"authorization_code", "token", "password", "client_credentials", "refresh_token"}
THROTTLED = "You have exceeded the limit of API requests per second."
INVALID_REQUEST = 'Parameter "grant_type", "username" or "password" is missing, empty or invalid'
INVALID_CLIENT = 'Parameter "client_id" is missing or does not match any client, or secret is invalid'


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    status: int
    body_lines: int | None


class FakeAkeneo:
    """A started sandbox PIM is reachable at ``base_url``; use it as a context manager or start()/stop()."""

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token_ttl: int = 3600,
        client_id: str = SANDBOX_CREDENTIALS["client_id"],
        secret: str = SANDBOX_CREDENTIALS["secret"],
        username: str = SANDBOX_CREDENTIALS["username"],
        password: str = SANDBOX_CREDENTIALS["password"],
        latency: float = 0.0,
    ):
        self.catalog = catalog if catalog is not None else build_demo_catalog()
        self.host = host
        self.port = port
        self.token_ttl = token_ttl
        self.client_id, self.secret = client_id, secret
        self.username, self.password = username, password
        self.faults = Faults()
        # Added to every API call, outside the catalog lock: a stand-in for a SaaS PIM's answer time.
        self.latency = float(latency)
        self.requests: list[RequestRecord] = []
        self.in_flight = 0
        self.peak_in_flight = 0  # the most calls the PIM was working on at once since the last reset
        self.resources = Resources(self)
        # Akeneo's Event Platform beside the PIM, as on SaaS: subscriptions and signed events.
        self.events = EventPlatform(self.check_token, lambda: self.client_id)
        self.lock = threading.RLock()  # one request at a time touches the catalog
        self._log_lock = threading.Lock()
        self._token_lock = threading.Lock()
        self._access_tokens: dict[str, float] = {}  # token → issued at (monotonic)
        self._refresh_tokens: dict[str, float] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("The sandbox PIM is not started.")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def _bind(self) -> ThreadingHTTPServer:
        if self._server is None:
            self._server = _Server((self.host, self.port), _handler_for(self))
        return self._server

    def start(self) -> FakeAkeneo:
        server = self._bind()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-pim", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self, ready: Any = None) -> None:
        """Serve in this thread until interrupted; ``ready(base_url)`` is called once listening."""
        server = self._bind()
        if ready is not None:
            ready(self.base_url)
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            self._close()

    def stop(self) -> None:
        self.events.stop_delivery()
        if self._server is None:
            return
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._close()

    def _close(self) -> None:
        server, self._server = self._server, None
        for connection in list(self._connections):  # idle keep-alive connections would linger
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if server is not None:
            server.server_close()

    def __enter__(self) -> FakeAkeneo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # request log -------------------------------------------------------------------------

    def record(self, entry: RequestRecord) -> None:
        with self._log_lock:
            self.requests.append(entry)

    def clear_requests(self) -> None:
        with self._log_lock:
            self.requests.clear()
            self.peak_in_flight = self.in_flight

    def call_started(self) -> None:
        with self._log_lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def call_ended(self) -> None:
        with self._log_lock:
            self.in_flight -= 1

    def count(
        self, method: str | None = None, path_prefix: str | None = None, status: int | None = None
    ) -> int:
        with self._log_lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path_prefix is None or r.path.startswith(path_prefix))
                and (status is None or r.status == status)
            )

    # OAuth -------------------------------------------------------------------------------

    def issue_token(self) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._token_lock:
            self._access_tokens[access] = now
            self._refresh_tokens[refresh] = now
        return {
            "access_token": access,
            "expires_in": self.token_ttl,
            "token_type": "bearer",
            "scope": None,
            "refresh_token": refresh,
        }

    def check_token(self, header: str | None) -> None:
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "Authentication is required")
        with self._token_lock:
            issued = self._access_tokens.get(token.strip())
        if issued is None:
            raise ApiError(401, "The access token provided is invalid.")
        if self.faults.token_expired(issued) or time.monotonic() - issued >= self.token_ttl:
            raise ApiError(401, "The access token provided has expired.")

    def token_endpoint(self, request: Request) -> Reply:
        payload = _token_payload(request)
        grant = payload.get("grant_type")
        if grant not in KNOWN_GRANTS:
            raise ApiError(422, INVALID_REQUEST)
        client = _basic_credentials(request.headers.get("Authorization"))
        if client is None and payload.get("client_id"):
            client = (str(payload.get("client_id")), str(payload.get("client_secret") or ""))
        if client != (self.client_id, self.secret):
            raise ApiError(422, INVALID_CLIENT)
        if grant == "password":
            username, password = payload.get("username"), payload.get("password")
            if not username or not password:
                raise ApiError(422, INVALID_REQUEST)
            if (username, password) != (self.username, self.password):
                raise ApiError(422, "No user found for the given username and password")
        elif grant == "refresh_token":
            refresh = payload.get("refresh_token")
            if not refresh:
                raise ApiError(422, 'Parameter "grant_type" or "refresh_token" is missing or empty')
            with self._token_lock:
                issued = self._refresh_tokens.pop(str(refresh), None)  # a refresh token is used once
            if issued is None or time.monotonic() - issued >= REFRESH_TOKEN_TTL:
                raise ApiError(422, "Refresh token is invalid or has expired")
        else:
            raise ApiError(422, "This grant type is not authorized for this client")
        return json_reply(200, self.issue_token(), {"Cache-Control": "no-store", "Pragma": "no-cache"})

    # dispatch ----------------------------------------------------------------------------

    def respond(
        self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes, origin: str
    ) -> Reply:
        request = Request(method, path, query, headers, body, origin)
        try:
            if path == "/_sandbox/events" or path.startswith("/_sandbox/events/"):
                return self.events.control(request)
            if path == "/_sandbox" or path.startswith("/_sandbox/"):
                return self._control(request)
            if path.startswith(EVENT_PLATFORM_PREFIX + "/"):
                return self.events.handle(request)
            if self.latency:
                time.sleep(self.latency)
            delay = self.faults.delay_for(path)
            if delay:
                time.sleep(delay)
            fault = self.faults.fault_for(path)
            if fault is not None:
                headers_out = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                message = THROTTLED if fault.status == 429 else HTTPStatus(fault.status).phrase
                return json_reply(fault.status, {"code": fault.status, "message": message}, headers_out)
            if path == TOKEN_PATH:
                if method != "POST":
                    raise ApiError(
                        405, f"No route found for '{method} {path}': Method Not Allowed (Allow: POST)"
                    )
                return self.token_endpoint(request)
            if path.startswith("/api/") and path not in PUBLIC_PATHS:
                self.check_token(headers.get("Authorization"))
            found = self.resources.match(method, path)
            if found is None:
                raise ApiError(404, f'No route found for "{method} {path}"')
            if isinstance(found, list):
                allow = ", ".join(found)
                raise ApiError(
                    405,
                    f"No route found for '{method} {path}': Method Not Allowed (Allow: {allow})",
                    headers={"Allow": allow},
                )
            route, args = found
            request.args, request.operation = args, route.operation
            with self.lock:
                reply = route.handler(request)
            if method == "HEAD":
                reply.headers["Content-Length"] = str(len(reply.body))
            return reply
        except ApiError as error:
            return json_reply(error.status, error.payload(), error.headers)
        except Exception as exc:  # a bug in the sandbox must answer 500, not hang the client
            traceback.print_exc()
            return json_reply(500, {"code": 500, "message": f"Sandbox error: {exc!r}"})

    def _control(self, request: Request) -> Reply:
        """``/_sandbox/faults`` and ``/_sandbox/requests``: no authentication, for the demo."""
        path, method = request.path.rstrip("/"), request.method
        if path == "/_sandbox/faults":
            if method == "GET":
                return json_reply(200, self.faults.describe())
            if method == "DELETE":
                self.faults.clear()
                return json_reply(200, self.faults.describe())
            if method == "POST":
                spec = parse_json(request.body)
                if not isinstance(spec, dict):
                    raise ApiError(400, "Invalid json message received")
                try:
                    self.faults.configure(spec)
                except (TypeError, ValueError) as error:
                    raise ApiError(422, f"Invalid fault rule: {error}") from None
                return json_reply(200, self.faults.describe())
        if path == "/_sandbox/latency":
            if method == "POST":
                spec = parse_json(request.body)
                seconds = spec.get("seconds") if isinstance(spec, dict) else None
                number = isinstance(seconds, int | float) and not isinstance(seconds, bool)
                if not number or not 0 <= seconds <= 60:
                    raise ApiError(422, 'Send {"seconds": N} with N from 0 to 60.')
                self.latency = float(seconds)
            if method in ("GET", "POST"):
                return json_reply(200, {"seconds": self.latency})
        if path == "/_sandbox/requests":
            if method == "DELETE":
                self.clear_requests()
                return json_reply(200, {"total": 0})
            if method == "GET":
                with self._log_lock:
                    log = list(self.requests)
                    peak = self.peak_in_flight
                return json_reply(
                    200,
                    {
                        "total": len(log),
                        "peak_in_flight": peak,
                        "by_status": dict(Counter(str(r.status) for r in log)),
                        "by_method_and_status": dict(Counter(f"{r.method} {r.status}" for r in log)),
                        "by_path": dict(Counter(r.path for r in log)),
                    },
                )
        raise ApiError(404, f'No route found for "{method} {request.path}"')


def _token_payload(request: Request) -> dict[str, Any]:
    content_type = request.content_type
    if content_type == FORM or (not content_type and not request.body.lstrip().startswith(b"{")):
        return dict(parse_qsl(request.body.decode("utf-8", errors="replace")))
    if content_type and content_type != JSON:
        raise ApiError(
            415,
            f'"{content_type}" in "Content-Type" header is not valid. Only "{JSON}" or "{FORM}" are allowed.',
        )
    payload = parse_json(request.body)
    if not isinstance(payload, dict):
        raise ApiError(400, "Invalid json message received")
    return payload


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def _body_lines(content_type: str, body: bytes) -> int | None:
    """How many resources a write carries: NDJSON lines, or the items of a JSON array."""
    if not body:
        return None
    if content_type == "application/vnd.akeneo.collection+json":
        return sum(1 for line in body.splitlines() if line.strip())
    if content_type == JSON and body.lstrip().startswith(b"["):
        try:
            items = json.loads(body)
        except ValueError:
            return None
        return len(items) if isinstance(items, list) else None
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that goes away mid-answer is not the sandbox's problem


def _handler_for(pim: FakeAkeneo) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        fake = pim

    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stalls
    server_version = "AkeneoSandbox/1.0"
    sys_version = ""
    fake: FakeAkeneo

    def setup(self) -> None:
        super().setup()
        self.fake._connections.add(self.connection)

    def finish(self) -> None:
        self.fake._connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the standard library's signature
        pass  # the request log is ours; stderr stays quiet

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        host = self.headers.get("Host") or f"{self.fake.host}:{self.server.server_address[1]}"
        counted = not parts.path.startswith("/_sandbox")
        if counted:
            self.fake.call_started()
        try:
            reply = self.fake.respond(self.command, parts.path, query, self.headers, body, f"http://{host}")
        finally:
            # Uncounted before the first byte of the answer leaves: a client that has read it and
            # starts its next call is never counted twice, so the peak never overstates.
            if counted:
                self.fake.call_ended()
        self._answer(reply, parts.path, query, body)

    def _answer(self, reply: Reply, path: str, query: dict[str, str], body: bytes) -> None:
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        lines = _body_lines(content_type, body) if self.command in ("PATCH", "POST") else None
        self.fake.record(RequestRecord(self.command, path, query, reply.status, lines))
        self.send_response(reply.status)
        if reply.status != 204:
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", reply.headers.pop("Content-Length", str(len(reply.body))))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and reply.status != 204:
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_OPTIONS = _handle
