"""Requests, replies and errors as the sandbox PIM's handlers see them (no sockets here)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

API = "/api/rest/v1"
JSON = "application/json"
NDJSON = "application/vnd.akeneo.collection+json"
MAX_ITEMS = 100
DOCUMENTATION = "http://api.akeneo.com/api-reference.html"
CHECK_DOCUMENTATION = " Check the expected format on the API documentation."


class ApiError(Exception):
    """Answered as ``{"code": status, "message": ..., "errors"?: [...], "_links"?: {...}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict] | None = None,
        *,
        headers: dict[str, str] | None = None,
        documentation: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}
        self.documentation = documentation

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.status, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        if self.documentation:
            body["_links"] = {"documentation": {"href": self.documentation}}
        return body


class Invalid(Exception):
    """A 422 on one resource: in a batch it becomes that line's answer, alone it becomes the reply.

    ``documented`` errors are the PIM's "property" errors: their message points to the API
    documentation and the answer carries a ``_links.documentation``. Others are constraint
    violations: ``"Validation failed."`` with one entry per problem in ``errors``.
    """

    def __init__(self, message: str, errors: list[dict] | None = None, *, documented: bool = False):
        super().__init__(message)
        self.message = message + (CHECK_DOCUMENTATION if documented else "")
        self.errors = errors or []
        self.documented = documented

    def as_api_error(self, operation: str | None = None) -> ApiError:
        link = f"{DOCUMENTATION}#{operation}" if self.documented and operation else None
        if self.documented and not link:
            link = DOCUMENTATION
        return ApiError(422, self.message, self.errors, documentation=link)

    def line(self, operation: str | None = None) -> dict[str, Any]:
        """The fields of a batch answer line (status, message, errors, links)."""
        payload = self.as_api_error(operation).payload()
        payload.pop("code")
        return {"status_code": 422, **payload}


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return Reply(status, body, JSON, dict(headers or {}))


def empty_reply(status: int, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, b"", JSON, dict(headers or {}))


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Any
    body: bytes
    origin: str  # "http://host:port" as the client addressed us (from the Host header)
    args: dict[str, str] = field(default_factory=dict)
    operation: str | None = None  # the route's operation id, for documentation links

    def url(self, path: str, query: dict[str, Any] | None = None) -> str:
        suffix = f"?{urlencode(query)}" if query else ""
        return f"{self.origin}{path}{suffix}"

    def api_url(self, *segments: str, keep_slashes: bool = False) -> str:
        safe = "/" if keep_slashes else ""
        return self.origin + API + "".join("/" + quote(str(s), safe=safe) for s in segments)

    @property
    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        return parse_json(self.body)

    def invalid(self, error: Invalid) -> ApiError:
        return error.as_api_error(self.operation)


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Invalid json message received") from None


def require_json_content(request: Request) -> None:
    """Single writes take ``application/json`` only (415 otherwise, as the PIM does)."""
    if not request.content_type:
        raise ApiError(
            415, "The 'Content-type' header is missing. 'application/json' has to specified as value."
        )
    if request.content_type != JSON:
        raise ApiError(415, not_json_content(request.content_type))


def unknown_code(prop: str, what: str, given: Any, key: str = "code") -> str:
    """The PIM's message for a reference to something that does not exist."""
    return f'Property "{prop}" expects a valid {what} {key}. The {what} does not exist, "{given}" given.'


def not_json_content(content_type: str) -> str:
    return f"'{content_type}' in 'Content-type' header is not valid. Only 'application/json' is allowed."


def php_type(value: Any) -> str:
    """How the PIM names a JSON value's type in its messages."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    return "array"
