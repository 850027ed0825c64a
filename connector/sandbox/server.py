"""The sandbox PIM: a real HTTP server on 127.0.0.1 that answers like the Akeneo Web API.

It follows the official contract for the endpoints this product uses: OAuth tokens (with expiry
and refresh), 401 without a valid token, the error body ``{"code", "message", "errors"?}``, page
and ``search_after`` pagination with absolute ``_links``, ``search`` filters, single and NDJSON
batch PATCH, multipart media upload and streamed download. ``faults`` injects 429/5xx, slowness,
token expiry and per-product 422s; ``requests`` records every request for assertions.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from . import filters
from .catalog import Catalog, build_demo_catalog, media_code, png_bytes
from .faults import Faults
from .validation import Invalid, check_known_properties, check_product_like, merge_values

SANDBOX_CREDENTIALS = {
    "client_id": "sandbox_client",
    "secret": "sandbox_secret",
    "username": "sandbox",
    "password": "sandbox",
}
API = "/api/rest/v1"
NDJSON = "application/vnd.akeneo.collection+json"
MAX_LIMIT = 100
CURSOR_PAGE = 100


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: dict[str, str]
    status: int
    body_lines: int | None


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: list[dict] | None = None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = headers or {}


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] | None = None


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(payload).encode(), "application/json", headers)


class FakeAkeneo:
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
    ):
        self.catalog = catalog if catalog is not None else build_demo_catalog()
        self.host = host
        self.port = port
        self.token_ttl = token_ttl
        self.credentials = (client_id, secret, username, password)
        self.faults = Faults()
        self.requests: list[RequestRecord] = []
        self._lock = threading.RLock()
        self._access_tokens: dict[str, float] = {}  # token → issued at (monotonic)
        self._refresh_tokens: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes = _routes(self)

    # lifecycle -----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("The sandbox PIM is not started.")
        return f"http://{self.host}:{self._server.server_address[1]}"

    def _bind(self) -> None:
        pim = self

        class Handler(_Handler):
            fake = pim

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True

    def start(self) -> str:
        self._bind()
        self._thread = threading.Thread(target=self._server.serve_forever, name="sandbox-pim", daemon=True)
        self._thread.start()
        return self.base_url

    def serve_forever(self) -> None:
        self._bind()
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread:
                self._thread.join(timeout=5)

    def __enter__(self) -> FakeAkeneo:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # request log ---------------------------------------------------------------

    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self.requests.append(record)

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def count(
        self, method: str | None = None, path_prefix: str | None = None, status: int | None = None
    ) -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method)
                and (path_prefix is None or r.path.startswith(path_prefix))
                and (status is None or r.status == status)
            )

    # auth ------------------------------------------------------------------------

    def issue_token(self) -> dict:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access] = time.monotonic()
            self._refresh_tokens.add(refresh)
        return {
            "access_token": access,
            "expires_in": self.token_ttl,
            "token_type": "bearer",
            "scope": None,
            "refresh_token": refresh,
        }

    def check_token(self, header: str | None) -> None:
        if not header or not header.startswith("Bearer "):
            raise ApiError(401, "Authentication is required")
        token = header[len("Bearer ") :]
        with self._lock:
            issued = self._access_tokens.get(token)
        if issued is None:
            raise ApiError(401, "The access token provided is invalid.")
        if issued <= self.faults.tokens_expired_before or time.monotonic() - issued > self.token_ttl:
            raise ApiError(401, "The access token provided has expired.")

    def token_endpoint(self, headers, body: bytes) -> Reply:
        client_id, secret, username, password = self.credentials
        given = _basic_credentials(headers.get("Authorization"))
        if given != (client_id, secret):
            raise ApiError(
                422, 'Parameter "client_id" is missing or does not match any client, or secret is invalid'
            )
        payload = _json_body(body)
        grant = payload.get("grant_type")
        if grant == "password":
            if (payload.get("username"), payload.get("password")) != (username, password):
                raise ApiError(422, "No user found for the given username and password")
        elif grant == "refresh_token":
            with self._lock:
                known = payload.get("refresh_token") in self._refresh_tokens
                if known:
                    self._refresh_tokens.discard(payload.get("refresh_token"))
            if not known:
                raise ApiError(422, "Invalid refresh token")
        else:
            raise ApiError(422, 'Parameter "grant_type" is missing or invalid.')
        return json_reply(200, self.issue_token())

    def dispatch(
        self, method: str, path: str, query: dict[str, str], headers, body: bytes, host: str
    ) -> Reply:
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                request = Request(
                    method,
                    path,
                    query,
                    headers,
                    body,
                    host,
                    {k: unquote(v) for k, v in match.groupdict().items()},
                )
                return handler(request)
        if any(p.fullmatch(path) for _, p, _ in self._routes):
            raise ApiError(405, f"No route found for '{method} {path}': Method Not Allowed")
        raise ApiError(404, f'No route found for "{method} {path}"')


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Any
    body: bytes
    host: str
    args: dict[str, str]

    def url(self, path: str, query: dict[str, Any] | None = None) -> str:
        suffix = f"?{urlencode(query)}" if query else ""
        return f"http://{self.host}{path}{suffix}"

    def json(self) -> Any:
        return _json_body(self.body)


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body or b"{}")
    except ValueError:
        raise ApiError(400, "Invalid json message received") from None


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:]).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    return user, password


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in separate writes; without TCP_NODELAY, Nagle + delayed ACK add
    # ~40 ms to every response on a kept-alive connection.
    disable_nagle_algorithm = True
    fake: FakeAkeneo

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # the request log is ours; stderr stays quiet

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        host = self.headers.get("Host") or f"{self.fake.host}:{self.server.server_address[1]}"
        lines = len([line for line in body.splitlines() if line.strip()]) if self.command == "PATCH" else None
        reply = self._reply(path, query, body, host)
        self.fake.record(RequestRecord(self.command, path, query, reply.status, lines))
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in (reply.headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def _reply(self, path: str, query: dict[str, str], body: bytes, host: str) -> Reply:
        fake = self.fake
        try:
            if path.startswith("/_sandbox/"):
                return _control(fake, self.command, path, body)
            delay = fake.faults.delay_for(path)
            if delay:
                time.sleep(delay)
            fault = fake.faults.fault_for(path)
            if fault:
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
                message = "Too many requests" if fault.status == 429 else HTTPStatus(fault.status).phrase
                return json_reply(fault.status, {"code": fault.status, "message": message}, headers)
            if path == "/api/oauth/v1/token" and self.command == "POST":
                return fake.token_endpoint(self.headers, body)
            if path.startswith(API):
                fake.check_token(self.headers.get("Authorization"))
            return fake.dispatch(self.command, path, query, self.headers, body, host)
        except ApiError as error:
            payload: dict[str, Any] = {"code": error.status, "message": error.message}
            if error.errors:
                payload["errors"] = error.errors
            return json_reply(error.status, payload, error.headers)
        except Exception as exc:  # noqa: BLE001 - a bug in the fake must answer 500, not hang the client
            return json_reply(500, {"code": 500, "message": f"Sandbox error: {exc!r}"})

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = _handle


def _control(fake: FakeAkeneo, method: str, path: str, body: bytes) -> Reply:
    if path == "/_sandbox/requests":
        counts: dict[str, int] = {}
        for record in list(fake.requests):
            key = f"{record.method} {record.status}"
            counts[key] = counts.get(key, 0) + 1
        return json_reply(200, {"total": len(fake.requests), "by_method_and_status": counts})
    if path == "/_sandbox/faults" and method == "POST":
        spec = _json_body(body)
        faults = fake.faults
        if spec.get("clear"):
            faults.clear()
        if "every_nth" in spec:
            faults.every_nth(**spec["every_nth"])
        if "burst" in spec:
            faults.burst(**spec["burst"])
        if "delay" in spec:
            faults.delay(**spec["delay"])
        if spec.get("expire_tokens"):
            faults.expire_tokens()
        if "reject_product" in spec:
            faults.reject_product(**spec["reject_product"])
        return json_reply(200, {"ok": True})
    raise ApiError(404, f'No route found for "{method} {path}"')


# --------------------------------------------------------------------------- listing helpers


def _limit(request: Request, default: int = 10) -> int:
    raw = request.query.get("limit", str(default))
    try:
        limit = int(raw)
    except ValueError:
        raise ApiError(422, f'"{raw}" is not a valid limit number.') from None
    if limit > MAX_LIMIT:
        raise ApiError(422, f"You cannot request more than {MAX_LIMIT} items.")
    if limit < 1:
        raise ApiError(422, f'"{raw}" is not a valid limit number.')
    return limit


def _with_self(request: Request, item: dict, collection_path: str, key: str) -> dict:
    return {
        "_links": {"self": {"href": request.url(f"{collection_path}/{quote(str(item[key]), safe='')}")}},
        **item,
    }


def page_listing(request: Request, items: list[dict], key: str = "code") -> Reply:
    if request.query.get("pagination_type", "page") not in ("page", "search_after"):
        raise ApiError(422, "Pagination type does not exist.")
    limit = _limit(request)
    try:
        page = int(request.query.get("page", "1"))
    except ValueError:
        raise ApiError(422, "The page number should be a positive integer.") from None
    if page < 1:
        raise ApiError(422, "The page number should be a positive integer.")
    start = (page - 1) * limit
    chunk = items[start : start + limit]
    base = {k: v for k, v in request.query.items() if k not in ("page",)}
    links = {
        "self": {"href": request.url(request.path, {**base, "page": page})},
        "first": {"href": request.url(request.path, {**base, "page": 1})},
    }
    if page > 1:
        links["previous"] = {"href": request.url(request.path, {**base, "page": page - 1})}
    if start + limit < len(items):
        links["next"] = {"href": request.url(request.path, {**base, "page": page + 1})}
    payload: dict[str, Any] = {
        "_links": links,
        "current_page": page,
        "_embedded": {"items": [_with_self(request, i, request.path, key) for i in chunk]},
    }
    if request.query.get("with_count") == "true":
        payload["items_count"] = len(items)
    return json_reply(200, payload)


def _encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise ApiError(422, "Invalid search_after cursor.") from None


def search_after_listing(
    request: Request,
    items: list[dict] | Callable[[str | None], Iterator[dict]],
    key: str,
    limit: int | None = None,
) -> Reply:
    """One page after the opaque cursor, as on a real PIM.

    ``items`` is either a list (sorted here) or a function giving the items after a key, in key
    order, so large collections are scanned from the cursor instead of sorted on every page.
    """
    limit = limit or _limit(request)
    cursor = request.query.get("search_after")
    after = _decode_cursor(cursor) if cursor else None
    if callable(items):
        stream = items(after)
    else:
        stream = (i for i in sorted(items, key=lambda i: str(i[key])) if after is None or str(i[key]) > after)
    chunk = list(itertools.islice(stream, limit + 1))
    more = len(chunk) > limit
    chunk = chunk[:limit]
    base = {k: v for k, v in request.query.items() if k != "search_after"}
    links = {
        "self": {"href": request.url(request.path, request.query)},
        "first": {"href": request.url(request.path, base)},
    }
    if more:
        links["next"] = {
            "href": request.url(request.path, {**base, "search_after": _encode_cursor(str(chunk[-1][key]))})
        }
    items_out = [_with_self(request, i, request.path, key) for i in chunk]
    return json_reply(200, {"_links": links, "_embedded": {"items": items_out}})


def _listing(request: Request, items: list[dict], key: str, search_after_allowed: bool) -> Reply:
    pagination = request.query.get("pagination_type", "page")
    if pagination == "search_after" and search_after_allowed:
        return search_after_listing(request, items, key)
    if pagination == "search_after":
        raise ApiError(422, "Pagination type is not supported for this resource.")
    return page_listing(request, items, key)


def _get(mapping: dict, code: str, what: str) -> dict:
    if code not in mapping:
        raise ApiError(404, f'{what} "{code}" does not exist.')
    return mapping[code]


# --------------------------------------------------------------------------- writes


def _batch_lines(request: Request) -> list[tuple[int, Any]]:
    content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip()
    if content_type != NDJSON:
        raise ApiError(
            415, f'"{content_type}" in "Content-Type" header is not valid. Only "{NDJSON}" is allowed.'
        )
    lines = [line for line in request.body.decode().splitlines() if line.strip()]
    if len(lines) > MAX_LIMIT:
        raise ApiError(413, f"Too many resources to process, {MAX_LIMIT} is the maximum allowed.")
    parsed = []
    for number, line in enumerate(lines, start=1):
        try:
            parsed.append((number, json.loads(line)))
        except ValueError:
            parsed.append((number, None))
    return parsed


def _ndjson_reply(lines: list[dict]) -> Reply:
    return Reply(200, "\n".join(json.dumps(line) for line in lines).encode(), NDJSON)


def batch_upsert(request: Request, key: str, upsert: Callable[[dict], int]) -> Reply:
    answers = []
    for number, item in _batch_lines(request):
        answer: dict[str, Any] = {"line": number}
        if not isinstance(item, dict):
            answers.append({**answer, "status_code": 400, "message": "Invalid json message received"})
            continue
        if item.get(key) is not None:
            answer[key] = item[key]
        try:
            answer["status_code"] = upsert(item)
        except Invalid as error:
            answer.update(status_code=422, message=error.message)
            if error.errors:
                answer["errors"] = error.errors
        except ApiError as error:
            answer.update(status_code=error.status, message=error.message)
        answers.append(answer)
    return _ndjson_reply(answers)


def single_upsert(request: Request, location_path: str, upsert: Callable[[dict], int]) -> Reply:
    body = request.json()
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid json message received")
    try:
        status = upsert(body)
    except Invalid as error:
        raise ApiError(422, error.message, error.errors) from None
    return Reply(status, b"", "application/json", {"Location": request.url(location_path)})


PRODUCT_FIELDS = {
    "uuid",
    "identifier",
    "enabled",
    "family",
    "categories",
    "groups",
    "parent",
    "values",
    "associations",
    "quantified_associations",
    "created",
    "updated",
}
MODEL_FIELDS = {
    "code",
    "family",
    "family_variant",
    "parent",
    "categories",
    "values",
    "associations",
    "quantified_associations",
    "created",
    "updated",
}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def _upsert_product(
    fake: FakeAkeneo, body: dict, *, path_uuid: str | None = None, path_identifier: str | None = None
) -> int:
    catalog = fake.catalog
    check_known_properties(body, PRODUCT_FIELDS)
    product_uuid = path_uuid or body.get("uuid")
    identifier = path_identifier or body.get("identifier") or _identifier_from_values(body)
    rejection = fake.faults.rejection(product_uuid, identifier)
    if rejection:
        message, prop = rejection
        raise Invalid("Validation failed.", [{"property": prop, "message": message}])
    check_product_like(catalog, body)
    with fake._lock:
        existing = None
        if product_uuid and product_uuid in catalog.products:
            existing = catalog.products[product_uuid]
        elif identifier:
            existing = catalog.product_by_identifier(identifier)
        if existing is None:
            product_uuid = product_uuid or str(uuid.uuid4())
            product = {
                "uuid": product_uuid,
                "identifier": identifier,
                "enabled": True,
                "family": None,
                "categories": [],
                "groups": [],
                "parent": None,
                "values": {},
                "created": _now(),
                "updated": _now(),
                "associations": {},
                "quantified_associations": {},
            }
            catalog.products[product_uuid] = product
            catalog.completeness[product_uuid] = {"ecommerce": 0, "print": 0}
            status = 201
        else:
            product, status = existing, 204
        _apply_common(product, body)
        if identifier:
            product["identifier"] = identifier
            index = catalog.indexes.get("by_identifier")
            if index is not None:
                index[1][identifier] = product
                catalog.indexes["by_identifier"] = (len(catalog.products), index[1])
            product["values"]["sku"] = [{"locale": None, "scope": None, "data": identifier}]
        return status


def _identifier_from_values(body: dict) -> str | None:
    for entry in (body.get("values") or {}).get("sku", []) or []:
        if entry.get("data"):
            return entry["data"]
    return None


def _apply_common(target: dict, body: dict) -> None:
    for field in ("enabled", "family", "categories", "groups", "parent", "associations", "family_variant"):
        if field in body:
            target[field] = body[field]
    if "values" in body:
        target["values"] = merge_values(target.get("values") or {}, body["values"])
    target["updated"] = _now()


def _upsert_model(fake: FakeAkeneo, body: dict, code: str | None = None) -> int:
    check_known_properties(body, MODEL_FIELDS)
    code = code or body.get("code")
    if not code:
        raise Invalid('Property "code" is required.')
    rejection = fake.faults.rejection(code)
    if rejection:
        raise Invalid("Validation failed.", [{"property": rejection[1], "message": rejection[0]}])
    check_product_like(fake.catalog, body)
    with fake._lock:
        models = fake.catalog.product_models
        if code in models:
            _apply_common(models[code], body)
            return 204
        model = {
            "code": code,
            "family": body.get("family"),
            "family_variant": body.get("family_variant"),
            "parent": None,
            "categories": [],
            "values": {},
            "created": _now(),
            "updated": _now(),
            "associations": {},
            "quantified_associations": {},
        }
        _apply_common(model, body)
        models[code] = model
        return 201


def _upsert_code(mapping: dict, body: dict, code: str | None, defaults: dict, validate=None) -> int:
    code = code or body.get("code")
    if not code:
        raise Invalid('Property "code" is required.')
    if validate:
        validate(body)
    if code in mapping:
        for key, value in body.items():
            if key == "labels":
                mapping[code]["labels"] = {**mapping[code].get("labels", {}), **value}
            elif key != "code":
                mapping[code][key] = value
        return 204
    mapping[code] = {**copy.deepcopy(defaults), **body, "code": code}
    return 201


# --------------------------------------------------------------------------- media


def _multipart(request: Request) -> dict[str, tuple[str | None, bytes, str | None]]:
    content_type = request.headers.get("Content-Type") or ""
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(415, "The 'Content-type' header should be multipart/form-data.")
    message = BytesParser(policy=policy.default).parsebytes(
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + request.body
    )
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[name] = (
                part.get_filename(),
                part.get_payload(decode=True) or b"",
                part.get_content_type(),
            )
    return fields


def _upload_media(fake: FakeAkeneo, request: Request) -> Reply:
    fields = _multipart(request)
    if "file" not in fields:
        raise ApiError(422, 'Property "file" is required.')
    filename, data, mime = fields["file"]
    owner_field = "product" if "product" in fields else "product_model" if "product_model" in fields else None
    if owner_field is None:
        raise ApiError(
            422, 'You should at least give one of the following properties: "product" or "product_model".'
        )
    try:
        owner = json.loads(fields[owner_field][1])
    except ValueError:
        raise ApiError(400, "Invalid json message received") from None
    attribute = owner.get("attribute")
    if fake.catalog.attribute_type(attribute) not in ("pim_catalog_image", "pim_catalog_file"):
        raise ApiError(422, f'Attribute "{attribute}" does not exist or is not a media attribute.')
    code = media_code(f"upload-{uuid.uuid4()}", filename or "file")
    value = {attribute: [{"locale": owner.get("locale"), "scope": owner.get("scope"), "data": code}]}
    with fake._lock:
        if owner_field == "product":
            product = _find_product(fake.catalog, owner.get("uuid"), owner.get("identifier"))
            if product is None:
                raise ApiError(422, "The product does not exist.")
            product["values"] = merge_values(product["values"], value)
        else:
            model = fake.catalog.product_models.get(owner.get("code"))
            if model is None:
                raise ApiError(422, "The product model does not exist.")
            model["values"] = merge_values(model["values"], value)
        fake.catalog.media[code] = {
            "code": code,
            "original_filename": filename,
            "mime_type": mime,
            "_bytes": data,
        }
    return Reply(201, b"", "application/json", {"Location": request.url(f"{API}/media-files/{code}")})


def _find_product(catalog: Catalog, product_uuid: str | None, identifier: str | None) -> dict | None:
    if product_uuid:
        return catalog.products.get(product_uuid)
    return catalog.product_by_identifier(identifier) if identifier else None


def _media_info(request: Request, media: dict, download_path: str) -> dict:
    data = media.get("_bytes")
    size = len(data) if data is not None else len(png_bytes(media["code"]))
    return {
        "code": media["code"],
        "original_filename": media.get("original_filename"),
        "mime_type": media.get("mime_type"),
        "size": size,
        "extension": (media.get("original_filename") or "").rsplit(".", 1)[-1],
        "_links": {"download": {"href": request.url(download_path)}},
    }


def _media_bytes(media: dict) -> Reply:
    data = media.get("_bytes")
    if data is None:
        data = png_bytes(media["code"])
    filename = media.get("original_filename") or "file"
    return Reply(
        200,
        data,
        media.get("mime_type") or "application/octet-stream",
        {"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --------------------------------------------------------------------------- routes


def _routes(fake: FakeAkeneo) -> list[tuple[str, re.Pattern, Callable[[Request], Reply]]]:
    catalog = fake.catalog
    code = r"(?P<code>[^/]+)"

    def listing_of(items_fn, key="code"):
        return lambda r: _listing(r, filters.apply_simple(items_fn(), r), key, False)

    def one_of(mapping_fn, what):
        return lambda r: json_reply(200, _get(mapping_fn(), r.args["code"], what))

    def products(r: Request, by: str) -> Reply:
        if r.query.get("pagination_type") == "search_after":
            return search_after_listing(r, filters.products_after(catalog, r, by), by)
        items = filters.products(catalog, r)
        if by == "identifier":
            items = [i for i in items if i.get("identifier")]
        return _listing(r, items, by, True)

    def product_one(r: Request, by: str) -> Reply:
        if by == "uuid":
            product = catalog.products.get(r.args["code"])
        else:
            product = _find_product(catalog, None, r.args["code"])
        if product is None:
            raise ApiError(
                404, f'Product "{r.args["code"]}" does not exist or you do not have permission to access it.'
            )
        return json_reply(200, filters.slim_values(product, r))

    def reference_entity_records(r: Request) -> Reply:
        entity = r.args["code"]
        _get(catalog.reference_entities, entity, "Reference entity")
        return search_after_listing(r, list(catalog.records.get(entity, {}).values()), "code", CURSOR_PAGE)

    def assets(r: Request) -> Reply:
        family = r.args["code"]
        _get(catalog.asset_families, family, "Asset family")
        return search_after_listing(r, list(catalog.assets.get(family, {}).values()), "code", CURSOR_PAGE)

    def records_patch(mapping_fn, key_what) -> Callable[[Request], Reply]:
        def handler(r: Request) -> Reply:
            body = r.json()
            if not isinstance(body, list):
                raise ApiError(400, "Invalid json message received")
            if len(body) > MAX_LIMIT:
                raise ApiError(413, f"Too many resources to process, {MAX_LIMIT} is the maximum allowed.")
            mapping = mapping_fn(r)
            answers = []
            for item in body:
                try:
                    status = _upsert_code(mapping, item, None, {"values": {}})
                    answers.append({"code": item.get("code"), "status_code": status})
                except Invalid as error:
                    answers.append({"code": item.get("code"), "status_code": 422, "message": error.message})
            return json_reply(200, answers)

        return handler

    def option_upsert(r: Request, option_code: str | None) -> Callable[[dict], int]:
        attribute = r.args["attribute"]
        if catalog.attribute_type(attribute) not in ("pim_catalog_simpleselect", "pim_catalog_multiselect"):
            raise ApiError(404, f'Attribute "{attribute}" does not exist or does not support options.')
        options = catalog.options.setdefault(attribute, {})

        def upsert(body: dict) -> int:
            return _upsert_code(
                options,
                body,
                option_code,
                {"attribute": attribute, "sort_order": len(options) + 1, "labels": {}},
            )

        return upsert

    def attribute_patch(r: Request) -> Reply:
        return single_upsert(
            r, r.path, lambda body: _upsert_code(catalog.attributes, body, r.args["code"], {})
        )

    def system_information(r: Request) -> Reply:
        return json_reply(200, {"version": "7.0.0-sandbox", "edition": "CE"})

    def root(r: Request) -> Reply:
        names = [
            "channels",
            "locales",
            "currencies",
            "measurement-families",
            "attribute-groups",
            "attributes",
            "families",
            "categories",
            "association-types",
            "products-uuid",
            "products",
            "product-models",
            "media-files",
            "reference-entities",
            "asset-families",
        ]
        return json_reply(
            200,
            {
                "host": f"http://{r.host}",
                "routes": {f"{API}/{n}": {"route": f"{API}/{n}", "methods": ["GET"]} for n in names},
            },
        )

    routes: list[tuple[str, str, Callable[[Request], Reply]]] = [
        ("GET", f"{API}", root),
        ("GET", f"{API}/system-information", system_information),
        ("GET", f"{API}/channels", listing_of(lambda: list(catalog.channels.values()))),
        ("GET", f"{API}/channels/{code}", one_of(lambda: catalog.channels, "Channel")),
        ("GET", f"{API}/locales", listing_of(lambda: catalog.locales)),
        (
            "GET",
            f"{API}/locales/{code}",
            one_of(lambda: {loc["code"]: loc for loc in catalog.locales}, "Locale"),
        ),
        ("GET", f"{API}/currencies", listing_of(lambda: catalog.currencies)),
        (
            "GET",
            f"{API}/currencies/{code}",
            one_of(lambda: {c["code"]: c for c in catalog.currencies}, "Currency"),
        ),
        (
            "GET",
            f"{API}/measurement-families",
            lambda r: json_reply(200, list(catalog.measurement_families.values())),
        ),
        ("GET", f"{API}/attribute-groups", listing_of(lambda: list(catalog.attribute_groups.values()))),
        (
            "GET",
            f"{API}/attribute-groups/{code}",
            one_of(lambda: catalog.attribute_groups, "Attribute group"),
        ),
        ("GET", f"{API}/attributes", listing_of(lambda: list(catalog.attributes.values()))),
        ("GET", f"{API}/attributes/{code}", one_of(lambda: catalog.attributes, "Attribute")),
        ("PATCH", f"{API}/attributes/{code}", attribute_patch),
        (
            "GET",
            f"{API}/attributes/(?P<attribute>[^/]+)/options",
            lambda r: _listing(
                r,
                list(_get(catalog.options, r.args["attribute"], "Attribute").values())
                if catalog.attribute_type(r.args["attribute"])
                in ("pim_catalog_simpleselect", "pim_catalog_multiselect")
                else _raise(
                    404, f'Attribute "{r.args["attribute"]}" does not exist or does not support options.'
                ),
                "code",
                False,
            ),
        ),
        (
            "GET",
            f"{API}/attributes/(?P<attribute>[^/]+)/options/{code}",
            lambda r: json_reply(
                200, _get(catalog.options.get(r.args["attribute"], {}), r.args["code"], "Option")
            ),
        ),
        (
            "PATCH",
            f"{API}/attributes/(?P<attribute>[^/]+)/options",
            lambda r: batch_upsert(r, "code", option_upsert(r, None)),
        ),
        (
            "PATCH",
            f"{API}/attributes/(?P<attribute>[^/]+)/options/{code}",
            lambda r: single_upsert(r, r.path, option_upsert(r, r.args["code"])),
        ),
        ("GET", f"{API}/families", listing_of(lambda: list(catalog.families.values()))),
        ("GET", f"{API}/families/{code}", one_of(lambda: catalog.families, "Family")),
        (
            "PATCH",
            f"{API}/families",
            lambda r: batch_upsert(
                r,
                "code",
                lambda b: _upsert_code(
                    catalog.families,
                    b,
                    None,
                    {"attributes": ["sku"], "attribute_requirements": {}, "labels": {}},
                ),
            ),
        ),
        (
            "GET",
            f"{API}/families/(?P<family>[^/]+)/variants",
            lambda r: _listing(
                r, list(_get(catalog.family_variants, r.args["family"], "Family").values()), "code", False
            ),
        ),
        (
            "GET",
            f"{API}/families/(?P<family>[^/]+)/variants/{code}",
            lambda r: json_reply(
                200, _get(catalog.family_variants.get(r.args["family"], {}), r.args["code"], "Family variant")
            ),
        ),
        ("GET", f"{API}/categories", listing_of(lambda: list(catalog.categories.values()))),
        ("GET", f"{API}/categories/{code}", one_of(lambda: catalog.categories, "Category")),
        (
            "PATCH",
            f"{API}/categories",
            lambda r: batch_upsert(
                r,
                "code",
                lambda b: _upsert_code(
                    catalog.categories,
                    b,
                    None,
                    {"parent": None, "labels": {}, "values": {}, "updated": _now()},
                ),
            ),
        ),
        (
            "PATCH",
            f"{API}/categories/{code}",
            lambda r: single_upsert(
                r,
                r.path,
                lambda b: _upsert_code(
                    catalog.categories,
                    b,
                    r.args["code"],
                    {"parent": None, "labels": {}, "values": {}, "updated": _now()},
                ),
            ),
        ),
        ("GET", f"{API}/association-types", listing_of(lambda: list(catalog.association_types.values()))),
        ("GET", f"{API}/products-uuid", lambda r: products(r, "uuid")),
        ("POST", f"{API}/products-uuid", lambda r: _create_product(fake, r)),
        (
            "PATCH",
            f"{API}/products-uuid",
            lambda r: batch_upsert(r, "uuid", lambda b: _upsert_product(fake, b)),
        ),
        ("GET", f"{API}/products-uuid/{code}", lambda r: product_one(r, "uuid")),
        (
            "PATCH",
            f"{API}/products-uuid/{code}",
            lambda r: single_upsert(r, r.path, lambda b: _upsert_product(fake, b, path_uuid=r.args["code"])),
        ),
        ("GET", f"{API}/products", lambda r: products(r, "identifier")),
        (
            "PATCH",
            f"{API}/products",
            lambda r: batch_upsert(r, "identifier", lambda b: _upsert_product(fake, b)),
        ),
        ("GET", f"{API}/products/{code}", lambda r: product_one(r, "identifier")),
        (
            "PATCH",
            f"{API}/products/{code}",
            lambda r: single_upsert(
                r, r.path, lambda b: _upsert_product(fake, b, path_identifier=r.args["code"])
            ),
        ),
        (
            "GET",
            f"{API}/product-models",
            lambda r: _listing(r, filters.product_models(catalog, r), "code", True),
        ),
        (
            "PATCH",
            f"{API}/product-models",
            lambda r: batch_upsert(r, "code", lambda b: _upsert_model(fake, b)),
        ),
        ("GET", f"{API}/product-models/{code}", one_of(lambda: catalog.product_models, "Product model")),
        (
            "PATCH",
            f"{API}/product-models/{code}",
            lambda r: single_upsert(r, r.path, lambda b: _upsert_model(fake, b, r.args["code"])),
        ),
        (
            "GET",
            f"{API}/media-files",
            lambda r: _listing(
                r,
                [
                    _media_info(r, m, f"{API}/media-files/{m['code']}/download")
                    for m in catalog.media.values()
                ],
                "code",
                False,
            ),
        ),
        ("POST", f"{API}/media-files", lambda r: _upload_media(fake, r)),
        (
            "GET",
            f"{API}/media-files/(?P<code>.+)/download",
            lambda r: _media_bytes(_get(catalog.media, r.args["code"], "Media file")),
        ),
        (
            "GET",
            f"{API}/media-files/(?P<code>.+)",
            lambda r: json_reply(
                200,
                _media_info(
                    r,
                    _get(catalog.media, r.args["code"], "Media file"),
                    f"{API}/media-files/{r.args['code']}/download",
                ),
            ),
        ),
        (
            "GET",
            f"{API}/reference-entities",
            lambda r: search_after_listing(r, list(catalog.reference_entities.values()), "code", CURSOR_PAGE),
        ),
        (
            "GET",
            f"{API}/reference-entities/{code}",
            one_of(lambda: catalog.reference_entities, "Reference entity"),
        ),
        (
            "GET",
            f"{API}/reference-entities/{code}/attributes",
            lambda r: json_reply(
                200,
                catalog.reference_entity_attributes.get(
                    _get(catalog.reference_entities, r.args["code"], "Reference entity")["code"], []
                ),
            ),
        ),
        ("GET", f"{API}/reference-entities/{code}/records", reference_entity_records),
        (
            "PATCH",
            f"{API}/reference-entities/{code}/records",
            records_patch(lambda r: catalog.records.setdefault(r.args["code"], {}), "record"),
        ),
        (
            "GET",
            f"{API}/reference-entities/{code}/records/(?P<record>[^/]+)",
            lambda r: json_reply(
                200, _get(catalog.records.get(r.args["code"], {}), r.args["record"], "Record")
            ),
        ),
        (
            "GET",
            f"{API}/asset-families",
            lambda r: search_after_listing(r, list(catalog.asset_families.values()), "code", CURSOR_PAGE),
        ),
        ("GET", f"{API}/asset-families/{code}", one_of(lambda: catalog.asset_families, "Asset family")),
        (
            "GET",
            f"{API}/asset-families/{code}/attributes",
            lambda r: json_reply(
                200,
                catalog.asset_family_attributes.get(
                    _get(catalog.asset_families, r.args["code"], "Asset family")["code"], []
                ),
            ),
        ),
        ("GET", f"{API}/asset-families/{code}/assets", assets),
        (
            "PATCH",
            f"{API}/asset-families/{code}/assets",
            records_patch(lambda r: catalog.assets.setdefault(r.args["code"], {}), "asset"),
        ),
        (
            "GET",
            f"{API}/asset-families/{code}/assets/(?P<asset>[^/]+)",
            lambda r: json_reply(200, _get(catalog.assets.get(r.args["code"], {}), r.args["asset"], "Asset")),
        ),
        ("POST", f"{API}/asset-media-files", lambda r: _upload_asset_media(fake, r)),
        (
            "GET",
            f"{API}/asset-media-files/(?P<code>.+)",
            lambda r: _media_bytes(_get(catalog.asset_media, r.args["code"], "Asset media file")),
        ),
    ]
    return [(method, re.compile(pattern), handler) for method, pattern, handler in routes]


def _raise(status: int, message: str):
    raise ApiError(status, message)


def _create_product(fake: FakeAkeneo, request: Request) -> Reply:
    body = request.json()
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid json message received")
    body.setdefault("uuid", str(uuid.uuid4()))
    if body["uuid"] in fake.catalog.products:
        raise ApiError(
            422, "Validation failed.", [{"property": "uuid", "message": "The uuid is already used."}]
        )
    try:
        _upsert_product(fake, body)
    except Invalid as error:
        raise ApiError(422, error.message, error.errors) from None
    return Reply(
        201, b"", "application/json", {"Location": request.url(f"{API}/products-uuid/{body['uuid']}")}
    )


def _upload_asset_media(fake: FakeAkeneo, request: Request) -> Reply:
    fields = _multipart(request)
    if "file" not in fields:
        raise ApiError(422, 'Property "file" is required.')
    filename, data, mime = fields["file"]
    code = media_code(f"asset-upload-{uuid.uuid4()}", filename or "file")
    with fake._lock:
        fake.catalog.asset_media[code] = {
            "code": code,
            "original_filename": filename,
            "mime_type": mime,
            "_bytes": data,
        }
    return Reply(
        201,
        b"",
        "application/json",
        {
            "Location": request.url(f"{API}/asset-media-files/{code}"),
            "Asset-media-file-code": code,
        },
    )
