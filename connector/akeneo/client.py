"""The Akeneo REST API client: plain Python on a pooled ``requests.Session``.

It owns OAuth (password grant, refresh before expiry, one re-authentication on 401), retries with
exponential backoff and jitter that honour ``Retry-After``, a request-rate cap, pagination that
follows the PIM's own ``_links.next`` (``search_after`` where the API offers it), NDJSON batch
PATCH with one result per line, and media streamed to and from disk.

No Django here: ``AkeneoConnection.client()`` builds one from a row; tests point it at the fake PIM.
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests_toolbelt import MultipartEncoder
from tenacity import RetryCallState, Retrying, retry_if_exception

from .auth import TokenManager
from .budget import CallBudget, LocalBudget
from .errors import (
    AkeneoAuthError,
    AkeneoError,
    AkeneoForbidden,
    AkeneoNotFound,
    AkeneoRateLimited,
    AkeneoTransientError,
    AkeneoUnavailable,
    AkeneoValidationError,
    FieldError,
)
from .parallel import ordered_map
from .ratelimit import RateLimiter
from .search import Search

logger = logging.getLogger(__name__)

API_PREFIX = "/api/rest/v1"
TOKEN_PATH = "/api/oauth/v1/token"  # noqa: S105 - a URL path, not a secret
PAGE_LIMIT = 100
BATCH_LIMIT = 100
NDJSON = "application/vnd.akeneo.collection+json"
DOWNLOAD_CHUNK = 64 * 1024

# Collections that accept pagination_type=search_after; page mode gets slow deep into these.
SEARCH_AFTER_COLLECTIONS = frozenset(
    f"{API_PREFIX}/{name}" for name in ("products-uuid", "products", "product-models", "published-products")
)
# Collections that only know a cursor: no `limit`, no `pagination_type`, just follow `next`.
CURSOR_ONLY_PREFIXES = (f"{API_PREFIX}/reference-entities", f"{API_PREFIX}/asset-families")

TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class BatchResult:
    """The PIM's answer for one line of a batch PATCH (``line`` counts from 1 across chunks)."""

    line: int
    status_code: int
    key: str | None
    message: str | None = None
    errors: tuple[FieldError, ...] = ()

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def created(self) -> bool:
        return self.status_code == 201

    def describe(self) -> str:
        parts = [self.message or ""] + [
            f"{e.property}: {e.message}" if e.property else e.message for e in self.errors
        ]
        return "; ".join(p for p in parts if p)


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    size: int
    content_type: str | None
    sha256: str


@dataclass
class _Attempt:
    """What one HTTP call needs; ``body`` is rebuilt per attempt so streamed uploads can be retried."""

    method: str
    url: str
    params: dict[str, Any] | None = None
    json_body: Any = None
    body: Callable[[], tuple[Any, dict[str, str]]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    authenticated: bool = True
    stream: bool = False
    idempotent: bool = True
    basic_auth: tuple[str, str] | None = None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


class AkeneoClient:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        secret: str,
        username: str,
        password: str,
        *,
        timeout: float = 30.0,
        max_requests_per_second: float | None = None,
        max_concurrency: int = 4,
        budget: CallBudget | None = None,
        max_attempts: int = 6,
        retry_budget: float = 120.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        session: requests.Session | None = None,
        user_agent: str = "akeneo-connector/1.0",
    ):
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("The PIM URL must start with http:// or https:// and name a host.")
        self.base_url = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        self._origin = (parts.scheme, parts.netloc)
        self._client_id = client_id
        self._secret = secret
        self._password = password
        self.timeout = timeout
        self.last_server_date: datetime | None = None  # the PIM's clock (HTTP Date) at its last answer
        self.max_attempts = max(1, max_attempts)
        self.retry_budget = retry_budget
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._sleep = sleep
        self._limiter = RateLimiter(max_requests_per_second, clock=clock, sleep=sleep)
        # Shared with other clients (and processes) of the same connection when the caller passes one.
        self.budget: CallBudget = budget if budget is not None else LocalBudget(max_concurrency)
        self._session = session or self._new_session(user_agent)
        self._tokens = TokenManager(self._request_token, username, password, clock=clock)

    def __repr__(self) -> str:
        return f"<AkeneoClient {self.base_url}>"

    @staticmethod
    def _new_session(user_agent: str) -> requests.Session:
        session = requests.Session()
        # Retries are ours (they need the PIM's classification); the adapter only pools connections.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=8, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})
        return session

    @property
    def concurrency(self) -> int:
        """How many calls this client may have in flight: the size of the work pools that use it."""
        return self.budget.size

    def access_token(self) -> str:
        """A valid access token, for the Akeneo services beside the REST API (the Event Platform)."""
        return self._tokens.access_token()

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> AkeneoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ reads

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._call(_Attempt("GET", self._url(path), params=params)).json()

    def pages(
        self, path: str, params: dict[str, Any] | None = None, *, search: Search | dict | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield every page of a collection, following the PIM's own ``next`` links."""
        path = self._path(path)
        query = dict(params or {})
        if search:
            query["search"] = search.to_json() if isinstance(search, Search) else json.dumps(search)
        if not path.startswith(CURSOR_ONLY_PREFIXES):
            query.setdefault("limit", PAGE_LIMIT)
            if path in SEARCH_AFTER_COLLECTIONS:
                query.setdefault("pagination_type", "search_after")
        url: str | None = self._url(path)
        seen: set[str] = set()
        while url:
            page = self._call(_Attempt("GET", url, params=query)).json()
            yield page
            next_href = (page.get("_links") or {}).get("next", {}).get("href")
            if not next_href:
                return
            url, query = self._rebase(next_href), None
            if url in seen:
                raise AkeneoError(f"The PIM sent the same next page twice ({urlsplit(url).path}).")
            seen.add(url)

    def paginate(
        self, path: str, params: dict[str, Any] | None = None, *, search: Search | dict | None = None
    ) -> Iterator[dict[str, Any]]:
        for page in self.pages(path, params, search=search):
            yield from (page.get("_embedded") or {}).get("items", [])

    def count(
        self, path: str, params: dict[str, Any] | None = None, *, search: Search | dict | None = None
    ) -> int | None:
        """How many items a listing holds, or None if the PIM does not say.

        One page-mode request for a single item with ``with_count=true`` (search_after pages carry
        no count). The PIM counts the whole result set for it, which is slow on a big catalog:
        ask once per pass, never per page.
        """
        query = {**(params or {}), "limit": 1, "with_count": "true"}
        if search:
            query["search"] = search.to_json() if isinstance(search, Search) else json.dumps(search)
        answer = self.get(path, query)
        count = answer.get("items_count") if isinstance(answer, dict) else None
        return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None

    def list_all(self, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """A whole collection, for endpoints that answer with a plain JSON array or paginate."""
        answer = self.get(path, params)
        if isinstance(answer, list):
            return answer
        return list(self.paginate(path, params))

    def iter_products(self, search: Search | dict | None = None, **params: Any) -> Iterator[dict[str, Any]]:
        return self.paginate("products-uuid", params, search=search)

    def iter_product_models(
        self, search: Search | dict | None = None, **params: Any
    ) -> Iterator[dict[str, Any]]:
        return self.paginate("product-models", params, search=search)

    def system_information(self) -> dict[str, Any]:
        return self.get("system-information")

    # ----------------------------------------------------------------- writes

    def patch(self, path: str, body: dict[str, Any]) -> int:
        """Create or update one resource; returns 201 (created) or 204 (updated)."""
        return self._call(_Attempt("PATCH", self._url(path), json_body=body)).status_code

    def delete(self, path: str) -> int:
        return self._call(_Attempt("DELETE", self._url(path))).status_code

    def post(self, path: str, body: dict[str, Any]) -> requests.Response:
        return self._call(_Attempt("POST", self._url(path), json_body=body, idempotent=False))

    def patch_batch(self, path: str, items: Iterable[dict[str, Any]]) -> Iterator[BatchResult]:
        """NDJSON batch PATCH, 100 lines per request, one ``BatchResult`` per input line, in order.

        Requests go out ``concurrency`` at a time. A request refused as a whole with a permanent
        error (e.g. 413, 403) becomes a failed result on each of its lines, so the other chunks
        still go through; transient errors that survive the retries propagate, and a rerun resumes.
        """

        def chunks() -> Iterator[tuple[int, list[dict[str, Any]]]]:
            chunk: list[dict[str, Any]] = []
            offset = 0
            for item in items:
                chunk.append(item)
                if len(chunk) == BATCH_LIMIT:
                    yield offset, chunk
                    offset += len(chunk)
                    chunk = []
            if chunk:
                yield offset, chunk

        for results in ordered_map(
            lambda job: self._patch_chunk(path, job[1], job[0]), chunks(), self.concurrency
        ):
            yield from results

    def _patch_chunk(self, path: str, chunk: list[dict[str, Any]], offset: int) -> list[BatchResult]:
        payload = "\n".join(json.dumps(item, separators=(",", ":")) for item in chunk).encode()
        attempt = _Attempt(
            "PATCH",
            self._url(path),
            body=lambda: (payload, {"Content-Type": NDJSON}),
        )
        try:
            response = self._call(attempt)
        except AkeneoError as exc:
            if not exc.permanent:
                raise
            return [
                BatchResult(offset + i + 1, exc.status or 0, _batch_key(item), exc.message)
                for i, item in enumerate(chunk)
            ]
        return _parse_batch_answer(response.text, chunk, offset)

    def patch_list(self, path: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """JSON-array batch PATCH (reference-entity records, assets): 100 per request, one answer each."""
        answers: list[dict[str, Any]] = []
        for start in range(0, len(items), BATCH_LIMIT):
            chunk = items[start : start + BATCH_LIMIT]
            response = self._call(_Attempt("PATCH", self._url(path), json_body=chunk))
            body = response.json()
            answers.extend(body if isinstance(body, list) else [])
        return answers

    # ------------------------------------------------------------------ media

    def download(self, path_or_url: str, destination: Path | str) -> DownloadResult:
        """Stream a file to ``destination`` (written beside it first, renamed when complete)."""
        destination = Path(destination)
        destination.parent.mkdir(parents=True, exist_ok=True)
        url = self._rebase(path_or_url) if "://" in path_or_url else self._url(path_or_url)
        partial = destination.with_name(destination.name + ".part")
        response = self._call(_Attempt("GET", url, stream=True, headers={"Accept": "*/*"}))
        digest = hashlib.sha256()
        size = 0
        try:
            with _holding_slot(response), response, partial.open("wb") as out:
                for block in response.iter_content(DOWNLOAD_CHUNK):
                    out.write(block)
                    digest.update(block)
                    size += len(block)
        except requests.RequestException as exc:
            partial.unlink(missing_ok=True)
            path = urlsplit(url).path
            raise AkeneoUnavailable(
                f"The download of {path} broke off: {type(exc).__name__}.", path=path
            ) from None
        os.replace(partial, destination)
        return DownloadResult(destination, size, response.headers.get("Content-Type"), digest.hexdigest())

    def download_media_file(self, code: str, destination: Path | str) -> DownloadResult:
        return self.download(f"media-files/{quote(code, safe='/')}/download", destination)

    def download_asset_media_file(self, code: str, destination: Path | str) -> DownloadResult:
        return self.download(f"asset-media-files/{quote(code, safe='/')}", destination)

    def upload_media_file(
        self,
        file_path: Path | str,
        *,
        product: dict[str, Any] | None = None,
        product_model: dict[str, Any] | None = None,
    ) -> str:
        """Upload a file for a product (or product model) value; returns the new media file code.

        ``product`` is ``{"uuid" | "identifier": ..., "attribute": ..., "scope": ..., "locale": ...}``.
        """
        if (product is None) == (product_model is None):
            raise ValueError("Give exactly one of product or product_model.")
        owner_field, owner = ("product", product) if product is not None else ("product_model", product_model)
        response = self._upload("media-files", file_path, {owner_field: json.dumps(owner)})
        return _code_from_location(response.headers.get("Location", ""))

    def upload_asset_media_file(self, file_path: Path | str) -> str:
        response = self._upload("asset-media-files", file_path, {})
        return response.headers.get("Asset-media-file-code") or _code_from_location(
            response.headers.get("Location", "")
        )

    def _upload(self, path: str, file_path: Path | str, fields: dict[str, str]) -> requests.Response:
        file_path = Path(file_path)
        content_type = mimetypes.guess_type(file_path.name)[0] or "application/octet-stream"

        def body() -> tuple[Any, dict[str, str]]:
            # A fresh encoder (and file handle) per attempt: the stream is consumed by each send.
            encoder = MultipartEncoder(
                fields={**fields, "file": (file_path.name, file_path.open("rb"), content_type)}
            )
            return encoder, {"Content-Type": encoder.content_type}

        return self._call(_Attempt("POST", self._url(path), body=body, idempotent=False))

    # -------------------------------------------------------------- transport

    def _path(self, path: str) -> str:
        if path.startswith("/"):
            return path
        return f"{API_PREFIX}/{path}"

    def _url(self, path: str) -> str:
        return self.base_url + self._path(path)

    def _rebase(self, href: str) -> str:
        """Keep the PIM's path and query but our scheme and host.

        A PIM behind a proxy may announce http:// links while we talk https, and the bearer token
        must never follow a link to another host.
        """
        parts = urlsplit(href)
        return urlunsplit((*self._origin, parts.path, parts.query, ""))

    def _request_token(self, payload: dict[str, Any]) -> dict[str, Any]:
        attempt = _Attempt(
            "POST",
            self.base_url + TOKEN_PATH,
            json_body=payload,
            authenticated=False,
            basic_auth=(self._client_id, self._secret),
        )
        return self._send(attempt).json()

    def _call(self, attempt: _Attempt) -> requests.Response:
        retrying = Retrying(
            retry=retry_if_exception(lambda exc: _worth_retrying(exc, attempt.idempotent)),
            wait=self._wait,
            stop=self._stop,
            sleep=self._sleep,
            before_sleep=self._log_retry,
            retry_error_callback=self._give_up,
        )
        return retrying(self._send, attempt)

    def _send(self, attempt: _Attempt) -> requests.Response:
        token = self._tokens.access_token() if attempt.authenticated else None
        response = self._send_once(attempt, token)
        if response.status_code == 401 and token is not None:
            _discard(response)
            self._tokens.invalidate(token)
            token = self._tokens.access_token()
            response = self._send_once(attempt, token)
            if response.status_code == 401:
                _discard(response)
                raise AkeneoAuthError(
                    f"The PIM refused the API token even after re-authenticating: {_pim_message(response)}",
                    status=401,
                    method=attempt.method,
                    path=attempt.path,
                )
        try:
            self._raise_for_response(response, attempt)
        except AkeneoError:
            _discard(response)
            raise
        self.last_server_date = _server_date(response) or self.last_server_date
        return response

    def _send_once(self, attempt: _Attempt, token: str | None) -> requests.Response:
        """One HTTP exchange holding one slot of the call budget (a stream keeps it until closed)."""
        release = self.budget.acquire()
        try:
            response = self._exchange(attempt, token)
        except BaseException:
            release()
            raise
        if attempt.stream:
            response._release_slot = release  # type: ignore[attr-defined]  # given back by _discard/_holding_slot
        else:
            release()
        return response

    def _exchange(self, attempt: _Attempt, token: str | None) -> requests.Response:
        self._limiter.acquire()
        headers = dict(attempt.headers)
        kwargs: dict[str, Any] = {}
        if attempt.body is not None:
            data, body_headers = attempt.body()
            headers.update(body_headers)
            kwargs["data"] = data
        elif attempt.json_body is not None:
            kwargs["json"] = attempt.json_body
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        try:
            return self._session.request(
                attempt.method,
                attempt.url,
                params=attempt.params,
                headers=headers,
                auth=attempt.basic_auth,
                timeout=self.timeout,
                stream=attempt.stream,
                **kwargs,
            )
        except requests.Timeout as exc:
            error = AkeneoUnavailable(
                f"{attempt.method} {attempt.path}: the PIM did not answer within {self.timeout:g} s.",
                method=attempt.method,
                path=attempt.path,
            )
            error.safe_to_repeat = isinstance(exc, requests.ConnectTimeout)
            raise error from None
        except requests.ConnectionError as exc:
            error = AkeneoUnavailable(
                f"{attempt.method} {attempt.path}: could not reach the PIM at "
                f"{self._origin[0]}://{self._origin[1]} ({_network_reason(exc)}).",
                method=attempt.method,
                path=attempt.path,
            )
            error.safe_to_repeat = _never_connected(exc)
            raise error from None

    def _raise_for_response(self, response: requests.Response, attempt: _Attempt) -> None:
        status = response.status_code
        if status < 400:
            return
        message = self._scrub(_pim_message(response))
        where = {"status": status, "method": attempt.method, "path": attempt.path}
        if attempt.path == TOKEN_PATH and status in (400, 401, 403, 422):
            raise AkeneoAuthError(f"The PIM refused the API credentials (HTTP {status}): {message}", **where)
        if status in TRANSIENT_STATUSES:
            retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            cls = AkeneoRateLimited if status == 429 else AkeneoUnavailable
            error = cls(
                f"{attempt.method} {attempt.path}: the PIM answered HTTP {status}: {message}",
                retry_after=retry_after,
                **where,
            )
            # 429 and 503 mean the PIM did not process the request: safe to send again.
            error.safe_to_repeat = status in (429, 503)
            raise error
        if status == 401:
            raise AkeneoAuthError(f"The PIM refused the request (HTTP 401): {message}", **where)
        if status == 403:
            raise AkeneoForbidden(f"The API user is not allowed to do this (HTTP 403): {message}", **where)
        if status == 404:
            raise AkeneoNotFound(f"{attempt.method} {attempt.path}: not found: {message}", **where)
        if status == 422:
            errors = _field_errors(response)
            details = "; ".join(f"{e.property}: {e.message}" if e.property else e.message for e in errors)
            text = f"The PIM rejected the data: {message}" + (f" ({details})" if details else "")
            raise AkeneoValidationError(self._scrub(text), errors=errors, **where)
        raise AkeneoError(
            f"{attempt.method} {attempt.path}: the PIM answered HTTP {status}: {message}", **where
        )

    def _scrub(self, text: str) -> str:
        for secret in (self._secret, self._password):
            if secret and len(secret) >= 4:
                text = text.replace(secret, "********")
        return text

    # tenacity hooks --------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return retry_after
        exponential = self.backoff_initial * 2 ** (state.attempt_number - 1)
        return min(self.backoff_max, exponential) * random.uniform(0.5, 1.0)  # full jitter, halved

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self.max_attempts:
            return True
        spent = max(state.seconds_since_start or 0.0, state.idle_for)
        return spent + state.upcoming_sleep > self.retry_budget

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        logger.warning(
            "Akeneo call failed (attempt %d of %d), retrying in %.1f s: %s",
            state.attempt_number,
            self.max_attempts,
            state.upcoming_sleep,
            exc,
        )

    def _give_up(self, state: RetryCallState) -> Any:
        exc = state.outcome.exception() if state.outcome else None
        if not isinstance(exc, AkeneoTransientError):  # pragma: no cover - tenacity only calls on retries
            raise exc  # type: ignore[misc]
        spent = max(state.seconds_since_start or 0.0, state.idle_for)
        error = type(exc)(
            f"{exc.message} Gave up after {state.attempt_number} attempts over {spent:.0f} s; "
            "the PIM may be overloaded or down, try again later.",
            retry_after=exc.retry_after,
            status=exc.status,
            method=exc.method,
            path=exc.path,
        )
        raise error from None


def _discard(response: requests.Response) -> None:
    """Close an answer we will not read, and give back the slot a streamed one still holds."""
    response.close()
    release = getattr(response, "_release_slot", None)
    if release is not None:
        release()


class _holding_slot:  # noqa: N801 - used like contextlib's helpers
    """Gives back a streamed answer's budget slot once its body is read (or the read fails)."""

    def __init__(self, response: requests.Response):
        self.response = response

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        _discard(self.response)


def _worth_retrying(exc: BaseException, idempotent: bool) -> bool:
    if not isinstance(exc, AkeneoTransientError):
        return False
    return idempotent or getattr(exc, "safe_to_repeat", False)


def _never_connected(exc: requests.ConnectionError) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _network_reason(exc: requests.ConnectionError) -> str:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        return "connection refused or host unreachable"
    if isinstance(reason, urllib3.exceptions.NameResolutionError):
        return "unknown host name"
    if isinstance(reason, urllib3.exceptions.SSLError):
        return "TLS error"
    return "connection dropped"


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _server_date(response: requests.Response) -> datetime | None:
    try:
        return parsedate_to_datetime(response.headers["Date"])
    except (KeyError, TypeError, ValueError):
        return None


def _pim_message(response: requests.Response) -> str:
    body = _json_or_none(response)
    if isinstance(body, dict):
        message = body.get("message") or body.get("error_description") or body.get("error")
        if message:
            return str(message)
    reason = response.reason or "no message"
    return f"{reason} (no JSON error body)"


def _field_errors(response: requests.Response) -> list[FieldError]:
    body = _json_or_none(response)
    return _errors_from(body.get("errors") if isinstance(body, dict) else None)


def _errors_from(raw: Any) -> list[FieldError]:
    errors = []
    for entry in raw or []:
        if isinstance(entry, dict):
            extra = {k: v for k, v in entry.items() if k not in ("property", "message")}
            errors.append(FieldError(entry.get("property"), str(entry.get("message", "")), extra))
    return errors


def _batch_key(item: dict[str, Any]) -> str | None:
    for key in ("uuid", "identifier", "code"):
        if item.get(key):
            return str(item[key])
    return None


def _parse_batch_answer(text: str, chunk: list[dict[str, Any]], offset: int) -> list[BatchResult]:
    by_line: dict[int, dict[str, Any]] = {}
    for raw in text.splitlines():
        raw = raw.strip()
        if not raw:
            continue
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("line"), int):
            by_line[entry["line"]] = entry
    results = []
    for index, item in enumerate(chunk, start=1):
        entry = by_line.get(index)
        if entry is None:
            results.append(
                BatchResult(offset + index, 0, _batch_key(item), "The PIM sent no answer for this line.")
            )
            continue
        key = entry.get("uuid") or entry.get("identifier") or entry.get("code") or _batch_key(item)
        results.append(
            BatchResult(
                line=offset + index,
                status_code=int(entry.get("status_code", 0)),
                key=str(key) if key is not None else None,
                message=entry.get("message"),
                errors=tuple(_errors_from(entry.get("errors"))),
            )
        )
    return results


def _code_from_location(location: str) -> str:
    path = urlsplit(location).path
    marker = "/media-files/"
    if marker in path:
        return path.split(marker, 1)[1]
    return path.rsplit("/", 1)[-1]
