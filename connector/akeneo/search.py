"""Build the ``search`` query parameter from Python values.

Akeneo wants ``{"field": [{"operator": "...", "value": ..., "scope"?: ..., "locale"?: ...}]}`` as
JSON, and dates on products and product models as ``YYYY-MM-DD hh:mm:ss`` (UTC is what the PIM
stores, so aware datetimes are converted to UTC first).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

PRODUCT_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def format_product_date(value: date | datetime) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime(PRODUCT_DATE_FORMAT)
    return datetime(value.year, value.month, value.day).strftime(PRODUCT_DATE_FORMAT)


def _to_api_value(value: Any) -> Any:
    if isinstance(value, date):  # datetime is a date too
        return format_product_date(value)
    if isinstance(value, set | frozenset):
        return sorted(_to_api_value(v) for v in value)
    if isinstance(value, list | tuple):
        return [_to_api_value(v) for v in value]
    return value


class Search:
    """Chainable filter builder: ``Search().where("updated", ">", since).where("enabled", "=", True)``."""

    def __init__(self) -> None:
        self._filters: dict[str, list[dict[str, Any]]] = {}

    def where(
        self,
        field: str,
        operator: str,
        value: Any = None,
        *,
        scope: str | None = None,
        locale: str | None = None,
        locales: list[str] | None = None,
    ) -> Search:
        condition: dict[str, Any] = {"operator": operator}
        if value is not None or operator not in ("EMPTY", "NOT EMPTY"):
            condition["value"] = _to_api_value(value)
        if scope is not None:
            condition["scope"] = scope
        if locale is not None:
            condition["locale"] = locale
        if locales is not None:
            condition["locales"] = list(locales)
        self._filters.setdefault(field, []).append(condition)
        return self

    def updated_since(self, since: date | datetime) -> Search:
        return self.where("updated", ">", since)

    def copy(self) -> Search:
        twin = Search()
        twin._filters = self.as_dict()
        return twin

    def __bool__(self) -> bool:
        return bool(self._filters)

    def as_dict(self) -> dict[str, list[dict[str, Any]]]:
        return {field: [dict(c) for c in conditions] for field, conditions in self._filters.items()}

    def to_json(self) -> str:
        return json.dumps(self._filters, separators=(",", ":"), sort_keys=True)
