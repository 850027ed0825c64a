"""The ``search`` query parameter as the PIM applies it, and ``scope``/``locales``/``attributes`` slimming."""

from __future__ import annotations

import bisect
import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from .catalog import Catalog

PRODUCT_FILTERS = {
    "updated",
    "created",
    "enabled",
    "family",
    "categories",
    "completeness",
    "uuid",
    "identifier",
    "parent",
    "groups",
}
MODEL_FILTERS = {"updated", "created", "family", "categories", "completeness", "identifier", "parent", "code"}
SIMPLE_FILTERS = {"code", "type", "parent", "enabled", "updated"}
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class SearchError(Exception):
    pass


def _search(request) -> dict[str, list[dict]]:
    from .server import ApiError

    raw = request.query.get("search")
    if not raw:
        return {}
    try:
        search = json.loads(raw)
    except ValueError:
        raise ApiError(400, "Search query parameter should be valid JSON.") from None
    if not isinstance(search, dict) or not all(isinstance(v, list) for v in search.values()):
        raise ApiError(422, "Structure of filter on the search query parameter should be an array.")
    return search


def _parse_date(value: str) -> datetime:
    from .server import ApiError

    try:
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)
    except (TypeError, ValueError):
        raise ApiError(
            422,
            f'Property "updated" expects a string with the format "yyyy-mm-dd H:i:s" as data, '
            f'"{value}" given.',
        ) from None


def _date_matches(stamp: str, condition: dict) -> bool:
    moment = datetime.fromisoformat(stamp).astimezone(UTC)
    operator, value = condition.get("operator"), condition.get("value")
    if operator == ">":
        return moment > _parse_date(value)
    if operator == "<":
        return moment < _parse_date(value)
    if operator == "BETWEEN":
        low, high = (_parse_date(v) for v in value)
        return low <= moment <= high
    if operator == "NOT BETWEEN":
        low, high = (_parse_date(v) for v in value)
        return not low <= moment <= high
    if operator == "SINCE LAST N DAYS":
        return moment >= datetime.now(UTC) - timedelta(days=int(value))
    from .server import ApiError

    raise ApiError(
        422, f'Filter on property "updated" is not supported or does not support operator "{operator}"'
    )


def _in(actual: Any, condition: dict, field: str) -> bool:
    from .server import ApiError

    operator, value = condition.get("operator"), condition.get("value")
    if operator in ("IN", "NOT IN") and not isinstance(value, list):
        raise ApiError(422, f'Property "{field}" expects an array as data.')
    if operator == "IN":
        return actual in value
    if operator == "NOT IN":
        return actual not in value
    if operator == "=":
        return actual == value
    if operator == "!=":
        return actual != value
    if operator == "EMPTY":
        return not actual
    if operator == "NOT EMPTY":
        return bool(actual)
    raise ApiError(
        422, f'Filter on property "{field}" is not supported or does not support operator "{operator}"'
    )


def _category_descendants(catalog: Catalog, codes: list[str]) -> set[str]:
    wanted = set(codes)
    changed = True
    while changed:
        changed = False
        for category in catalog.categories.values():
            if category.get("parent") in wanted and category["code"] not in wanted:
                wanted.add(category["code"])
                changed = True
    return wanted


def _categories_match(catalog: Catalog, categories: list[str], condition: dict) -> bool:
    operator, value = condition.get("operator"), condition.get("value") or []
    if operator == "IN":
        return bool(set(categories) & set(value))
    if operator == "NOT IN":
        return not set(categories) & set(value)
    if operator == "IN CHILDREN":
        return bool(set(categories) & _category_descendants(catalog, value))
    if operator == "NOT IN CHILDREN":
        return not set(categories) & _category_descendants(catalog, value)
    if operator == "UNCLASSIFIED":
        return not categories
    if operator == "IN OR UNCLASSIFIED":
        return not categories or bool(set(categories) & set(value))
    from .server import ApiError

    raise ApiError(422, f'Filter on property "categories" does not support operator "{operator}"')


def _completeness_matches(percent: int, condition: dict) -> bool:
    operator, value = condition.get("operator"), condition.get("value")
    return {
        ">": percent > value,
        ">=": percent >= value,
        "<": percent < value,
        "<=": percent <= value,
        "=": percent == value,
        "!=": percent != value,
    }.get(operator, False)


def _matches(
    catalog: Catalog,
    item: dict,
    search: dict,
    *,
    completeness: dict[str, int] | None,
    models: dict[str, dict] | None,
) -> bool:
    for field, conditions in search.items():
        for condition in conditions:
            if field in ("updated", "created"):
                stamps = [item[field]]
                # A variant whose parent (or grandparent) model changed counts as changed, as on a real PIM.
                parent = item.get("parent")
                while field == "updated" and models is not None and parent in models:
                    stamps.append(models[parent]["updated"])
                    parent = models[parent].get("parent")
                if not any(_date_matches(stamp, condition) for stamp in stamps):
                    return False
            elif field == "categories":
                if not _categories_match(catalog, item.get("categories") or [], condition):
                    return False
            elif field == "completeness":
                scope = condition.get("scope")
                if completeness is None or not _completeness_matches(completeness.get(scope, 0), condition):
                    return False
            elif field == "family":
                if not _in(item.get("family"), condition, field):
                    return False
            elif field in ("uuid", "identifier", "code", "parent", "enabled", "type"):
                if not _in(item.get(field), condition, field):
                    return False
            elif field == "groups":
                if not set(item.get("groups") or []) & set(condition.get("value") or []):
                    return False
    return True


def _check_fields(search: dict, allowed: set[str]) -> None:
    from .server import ApiError

    for field in search:
        if field not in allowed:
            raise ApiError(
                422,
                f'Filter on property "{field}" is not supported or does not support operator '
                f'"{search[field][0].get("operator") if search[field] else ""}"',
            )


def products(catalog: Catalog, request) -> list[dict]:
    search = _search(request)
    _check_fields(search, PRODUCT_FILTERS)
    result = []
    for product in catalog.products.values():
        if _matches(
            catalog,
            product,
            search,
            completeness=catalog.completeness.get(product["uuid"]),
            models=catalog.product_models,
        ):
            result.append(slim_values(product, request))
    return result


def products_after(catalog: Catalog, request, key: str):
    """For search_after pages: matching products after a cursor, in ``key`` order, lazily."""
    search = _search(request)
    _check_fields(search, PRODUCT_FILTERS)
    keys, by_key = _sorted_index(catalog, key)

    def after(cursor: str | None):
        start = bisect.bisect_right(keys, cursor) if cursor is not None else 0
        for sort_key in itertools.islice(keys, start, None):
            product = by_key[sort_key]
            if _matches(
                catalog,
                product,
                search,
                completeness=catalog.completeness.get(product["uuid"]),
                models=catalog.product_models,
            ):
                yield slim_values(product, request)

    return after


def _sorted_index(catalog: Catalog, key: str) -> tuple[list[str], dict[str, dict]]:
    """Products sorted by ``key``, rebuilt only when products were added (keys never change)."""
    cached = catalog.indexes.get(key)
    if cached and cached[0] == len(catalog.products):
        return cached[1], cached[2]
    by_key = {str(p[key]): p for p in catalog.products.values() if p.get(key)}
    keys = sorted(by_key)
    catalog.indexes[key] = (len(catalog.products), keys, by_key)
    return keys, by_key


def product_models(catalog: Catalog, request) -> list[dict]:
    search = _search(request)
    _check_fields(search, MODEL_FILTERS)
    return [
        slim_values(m, request)
        for m in catalog.product_models.values()
        if _matches(catalog, m, search, completeness=None, models=catalog.product_models)
    ]


def slim_values(item: dict, request) -> dict:
    scope = request.query.get("scope")
    locales = [loc for loc in re.split(r",", request.query.get("locales", "")) if loc]
    attributes = [a for a in request.query.get("attributes", "").split(",") if a]
    if not (scope or locales or attributes):
        return item
    values = {}
    for code, entries in item.get("values", {}).items():
        if attributes and code not in attributes:
            continue
        kept = [
            e
            for e in entries
            if (not scope or e.get("scope") in (None, scope))
            and (not locales or e.get("locale") in (None, *locales))
        ]
        if kept:
            values[code] = kept
    return {**item, "values": values}


def apply_simple(items: list[dict], request) -> list[dict]:
    search = _search(request)
    if not search:
        return items
    _check_fields(search, SIMPLE_FILTERS)
    return [i for i in items if all(_in(i.get(f), c, f) for f, conds in search.items() for c in conds)]
