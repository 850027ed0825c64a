"""Page and search-after pagination with absolute ``_links``, as the PIM paginates."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from .protocol import MAX_ITEMS, ApiError, Reply, Request, json_reply

DEFAULT_LIMIT = 10
ENTITY_PAGE = 100  # reference entities, records, asset families and assets: fixed pages, cursor only
MAX_OFFSET = 10_000  # deep page-mode offsets are refused for products and product models
PAGE_DOCUMENTATION = "http://api.akeneo.com/documentation/pagination.html#the-search-after-method"


def _is_integer(raw: str) -> bool:
    try:
        return str(int(raw)) == raw.strip()
    except ValueError:
        return False


def limit_of(request: Request) -> int:
    raw = request.query.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not _is_integer(raw) or int(raw) < 1:
        raise ApiError(422, f'"{raw}" is not a valid limit number.')
    if int(raw) > MAX_ITEMS:
        raise ApiError(422, f"You cannot request more than {MAX_ITEMS} items.")
    return int(raw)


def pagination_type(request: Request, *, search_after_supported: bool) -> str:
    kind = request.query.get("pagination_type", "page")
    if kind == "search_after":
        if not search_after_supported:
            raise ApiError(422, "Pagination type is not supported.")
    elif kind != "page":
        raise ApiError(422, "Pagination type does not exist.")
    return kind


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(422, f'The search_after cursor "{cursor}" is not valid.') from None


def page_listing(
    request: Request,
    records: Iterable[Any],
    render: Callable[[Any], dict],
    *,
    max_offset: int | None = None,
) -> Reply:
    """Page mode: ``page``, ``limit``, ``with_count``; ``records`` are already filtered, in order."""
    limit = limit_of(request)
    raw_page = request.query.get("page", "1")
    if not _is_integer(raw_page) or int(raw_page) < 1:
        raise ApiError(422, f'"{raw_page}" is not a valid page number.')
    page = int(raw_page)
    with_count = request.query.get("with_count", "false")
    if with_count not in ("true", "false"):
        raise ApiError(
            422,
            f'Parameter "with_count" has to be a boolean. Only "true" or "false" allowed, '
            f'"{with_count}" given.',
        )
    if max_offset is not None and page * limit > max_offset:
        raise ApiError(
            422,
            'You have reached the maximum number of pages you can retrieve with the "page" pagination type. '
            "Please use the search after pagination type instead",
            documentation=PAGE_DOCUMENTATION,
        )
    iterator: Iterator[Any] = iter(records)
    skipped = sum(1 for _ in islice(iterator, (page - 1) * limit))
    chunk = list(islice(iterator, limit + 1))
    has_next = len(chunk) > limit
    chunk = chunk[:limit]
    base = {k: v for k, v in request.query.items() if k != "page"}
    base["limit"] = str(limit)

    def link(number: int) -> dict:
        return {"href": request.url(request.path, {**base, "page": number})}

    links = {"self": link(page), "first": link(1)}
    if page > 1:
        links["previous"] = link(page - 1)
    if has_next:
        links["next"] = link(page + 1)
    payload: dict[str, Any] = {"_links": links, "current_page": page}
    if with_count == "true":
        payload["items_count"] = skipped + len(chunk) + (1 if has_next else 0) + sum(1 for _ in iterator)
    payload["_embedded"] = {"items": [render(record) for record in chunk]}
    return json_reply(200, payload)


def search_after_listing(
    request: Request,
    walk: Callable[[str | None], Iterable[tuple[str, Any]]],
    render: Callable[[Any], dict],
    *,
    fixed_limit: int | None = None,
) -> Reply:
    """``walk(after)`` yields ``(sort key, record)`` after the decoded cursor, filtered, in key order."""
    limit = fixed_limit or limit_of(request)
    cursor = request.query.get("search_after")
    after = decode_cursor(cursor) if cursor else None
    chunk = list(islice(walk(after), limit + 1))
    has_next = len(chunk) > limit
    chunk = chunk[:limit]
    base = {k: v for k, v in request.query.items() if k != "search_after"}
    if fixed_limit is None:
        base["limit"] = str(limit)
    links: dict[str, Any] = {
        "self": {"href": request.url(request.path, {**base, **({"search_after": cursor} if cursor else {})})},
        "first": {"href": request.url(request.path, base)},
    }
    if has_next:
        links["next"] = {
            "href": request.url(request.path, {**base, "search_after": encode_cursor(chunk[-1][0])})
        }
    return json_reply(200, {"_links": links, "_embedded": {"items": [render(record) for _, record in chunk]}})


def sorted_walk(
    items: Iterable[dict], key: str = "code"
) -> Callable[[str | None], Iterator[tuple[str, dict]]]:
    """A ``walk`` over a small collection of dicts, sorted by ``key``."""
    ordered = sorted(((str(item[key]), item) for item in items), key=lambda pair: pair[0])

    def walk(after: str | None) -> Iterator[tuple[str, dict]]:
        return ((k, item) for k, item in ordered if after is None or k > after)

    return walk
