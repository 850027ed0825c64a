"""The ``search`` query parameter, applied the way the PIM applies it.

``parse_search`` checks the JSON and its structure; ``ProductQuery`` compiles a product or product
model search into one predicate (validating fields, operators and values up front, so errors show
even when nothing would match); ``simple_filter`` covers the structure resources (attributes,
families, categories, locales, currencies) and records/assets.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .catalog import Catalog
from .protocol import ApiError, php_type, unknown_code
from .store import Record, Stub, epoch, to_epoch
from .structure import SELECT_TYPES

PRODUCT_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
PRODUCT_FIELDS = {"uuid", "identifier", "enabled", "family", "categories", "completeness", "groups", "parent"}
MODEL_FIELDS = {"identifier", "family", "categories", "parent"}
DATE_OPERATORS = {"=", "!=", "<", ">", "BETWEEN", "NOT BETWEEN", "SINCE LAST N DAYS"}
COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
ALL_LOCALES_OPERATORS = {
    "GREATER THAN ON ALL LOCALES": ">",
    "GREATER OR EQUALS THAN ON ALL LOCALES": ">=",
    "LOWER THAN ON ALL LOCALES": "<",
    "LOWER OR EQUALS THAN ON ALL LOCALES": "<=",
}

MEDIA_KINDS = ("pim_catalog_image", "pim_catalog_file")
ENTITY_KINDS = (
    "akeneo_reference_entity",
    "akeneo_reference_entity_collection",
    "pim_catalog_asset_collection",
)

Predicate = Callable[[Record], bool]


def unsupported(field: str, operator: Any) -> ApiError:
    return ApiError(
        422, f'Filter on property "{field}" is not supported or does not support operator "{operator}"'
    )


def parse_search(raw: str | None) -> dict[str, list[dict]]:
    if raw is None or raw == "":
        return {}
    try:
        search = json.loads(raw)
    except ValueError:
        search = None
    if search is None:
        raise ApiError(400, "Search query parameter should be valid JSON.")
    if isinstance(search, list) and not search:
        return {}
    if not isinstance(search, dict):
        raise ApiError(422, f'Search query parameter has to be an array, "{php_type(search)}" given.')
    for key, filters in search.items():
        if not isinstance(filters, list) or not filters or not isinstance(filters[0], dict):
            shape = f'{{"{key}":[{{"operator": "my_operator", "value": "my_value"}}]}}'
            raise ApiError(422, f'Structure of filter "{key}" should respect this structure: {shape}')
        for condition in filters:
            if not isinstance(condition, dict) or condition.get("operator") is None:
                raise ApiError(422, f'Operator is missing for the property "{key}".')
            if not isinstance(condition["operator"], str):
                raise ApiError(
                    422, f'Operator has to be a string, "{php_type(condition["operator"])}" given.'
                )
    return search


# ----------------------------------------------------------------------------- values of conditions


def _product_date(field: str, value: Any) -> int:
    try:
        return int(datetime.strptime(value, PRODUCT_DATE_FORMAT).replace(tzinfo=UTC).timestamp())
    except (TypeError, ValueError):
        raise ApiError(
            422,
            f'Property "{field}" expects a string with the format "yyyy-mm-dd H:i:s" as data, '
            f'"{value}" given.',
        ) from None


def _iso_date(field: str, value: Any) -> int:
    stamp = to_epoch(value) if isinstance(value, str) else None
    if stamp is None:
        raise ApiError(422, f'Property "{field}" expects a string with the ISO 8601 format, "{value}" given.')
    return stamp


def _list(field: str, value: Any) -> list:
    if not isinstance(value, list):
        raise ApiError(422, f'Property "{field}" expects an array as data, "{php_type(value)}" given.')
    return value


def _date_test(field: str, condition: dict, parse: Callable[[str, Any], int]) -> Callable[[int | None], bool]:
    """A test on an epoch timestamp for one date condition."""
    operator, value = condition["operator"], condition.get("value")
    if operator not in DATE_OPERATORS:
        raise unsupported(field, operator)
    if operator == "SINCE LAST N DAYS":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ApiError(422, f'Property "{field}" expects an integer as data, "{php_type(value)}" given.')
        since = int(time.time()) - value * 86400
        return lambda stamp: stamp is not None and stamp >= since
    if operator in ("BETWEEN", "NOT BETWEEN"):
        bounds = _list(field, value)
        if len(bounds) != 2:
            raise ApiError(422, f'Property "{field}" expects an array with two dates as data.')
        low, high = (parse(field, v) for v in bounds)
        if operator == "BETWEEN":
            return lambda stamp: stamp is not None and low <= stamp <= high
        return lambda stamp: stamp is not None and not low <= stamp <= high
    moment = parse(field, value)
    if operator == ">":
        return lambda stamp: stamp is not None and stamp > moment
    if operator == "<":
        return lambda stamp: stamp is not None and stamp < moment
    day = moment - moment % 86400
    if operator == "=":
        return lambda stamp: stamp is not None and day <= stamp < day + 86400
    return lambda stamp: stamp is not None and not day <= stamp < day + 86400


def _membership(field: str, condition: dict, allowed: set[str]) -> Callable[[Any], bool]:
    """IN / NOT IN / = / != / EMPTY / NOT EMPTY on a single value."""
    operator, value = condition["operator"], condition.get("value")
    if operator not in allowed:
        raise unsupported(field, operator)
    if operator in ("IN", "NOT IN"):
        wanted = set(_list(field, value))
        return (lambda v: v in wanted) if operator == "IN" else (lambda v: v not in wanted)
    if operator == "=":
        return lambda v: v == value
    if operator == "!=":
        return lambda v: v != value
    if operator == "EMPTY":
        return lambda v: v in (None, "", [])
    return lambda v: v not in (None, "", [])


# ----------------------------------------------------------------------------- products and models


class ProductQuery:
    """A compiled product (``kind="product"``) or product model (``kind="model"``) search."""

    def __init__(
        self,
        catalog: Catalog,
        search: dict[str, list[dict]],
        *,
        kind: str = "product",
        search_locale: str | None = None,
        search_scope: str | None = None,
        channel: str | None = None,
    ):
        self.catalog = catalog
        self.kind = kind
        self.search_locale = search_locale
        self.search_scope = search_scope
        self.tests: list[Predicate] = []
        self.needs_values = False
        fields = PRODUCT_FIELDS if kind == "product" else MODEL_FIELDS
        if channel and "categories" not in search:
            tree = catalog.channels[channel].get("category_tree")
            search = {**search, "categories": [{"operator": "IN CHILDREN", "value": [tree]}]}
        for field, conditions in search.items():
            for condition in conditions:
                if field in ("created", "updated"):
                    self.tests.append(self._date(field, condition))
                elif field in fields:
                    self.tests.append(getattr(self, f"_{field}")(condition))
                elif field in catalog.attributes:
                    self.tests.append(self._attribute(field, condition))
                else:
                    raise unsupported(field, condition["operator"])

    def matches(self, record: Record) -> bool:
        return all(test(record) for test in self.tests)

    def select(self, records: Iterable[Record]) -> Iterable[Record]:
        if not self.tests:
            return records
        return (record for record in records if self.matches(record))

    # family tree ---------------------------------------------------------------------

    def ancestors(self, record: Record) -> list[Record]:
        chain, models = [], self.catalog.product_models
        parent = record.get("parent")
        while parent and len(chain) < 3:
            model = models.raw(parent)
            if model is None:
                break
            chain.append(model)
            parent = model.get("parent")
        return chain

    def categories_of(self, record: Record) -> set[str]:
        """A variant is classified in its own categories and in its ancestors'."""
        codes = set(record.get("categories") or ())
        for model in self.ancestors(record):
            codes.update(model.get("categories") or ())
        return codes

    def values_of(self, record: Record) -> dict[str, list[dict]]:
        store = self.catalog.products if self.kind == "product" else self.catalog.product_models
        values = dict(store.full(record).get("values") or {})
        for model in self.ancestors(record):
            for code, entries in (self.catalog.product_models.full(model).get("values") or {}).items():
                values.setdefault(code, entries)
        return values

    # properties --------------------------------------------------------------------------

    def _date(self, field: str, condition: dict) -> Predicate:
        test = _date_test(field, condition, _product_date)
        if self.kind == "product" and field == "updated":
            # A variant counts as changed when one of its models changed (documented API behaviour).
            return lambda r: test(epoch(r, field)) or any(test(epoch(m, field)) for m in self.ancestors(r))
        return lambda r: test(epoch(r, field))

    def _uuid(self, condition: dict) -> Predicate:
        test = _membership("uuid", condition, {"IN", "NOT IN"})
        return lambda r: test(r.key if isinstance(r, Stub) else r.get("uuid"))

    def _identifier(self, condition: dict) -> Predicate:
        if self.kind == "model":
            test = _membership("identifier", condition, {"IN", "NOT IN"})
            return lambda r: test(r.key if isinstance(r, Stub) else r.get("code"))
        operator, value = condition["operator"], condition.get("value")
        text = {
            "STARTS WITH": lambda v: bool(v) and v.startswith(value),
            "ENDS WITH": lambda v: bool(v) and v.endswith(value),
            "CONTAINS": lambda v: bool(v) and value in v,
            "DOES NOT CONTAIN": lambda v: not v or value not in v,
        }
        if operator in text:
            if not isinstance(value, str):
                raise ApiError(
                    422, f'Property "identifier" expects a string as data, "{php_type(value)}" given.'
                )
            test = text[operator]
        else:
            test = _membership("identifier", condition, {"IN", "NOT IN", "=", "!=", "EMPTY", "NOT EMPTY"})
        return lambda r: test(r.get("identifier"))

    def _enabled(self, condition: dict) -> Predicate:
        value = condition.get("value")
        if condition["operator"] not in ("=", "!="):
            raise unsupported("enabled", condition["operator"])
        if not isinstance(value, bool):
            raise ApiError(422, f'Property "enabled" expects a boolean as data, "{php_type(value)}" given.')
        test = _membership("enabled", condition, {"=", "!="})
        return lambda r: test(bool(r.get("enabled")))

    def _family(self, condition: dict) -> Predicate:
        if condition["operator"] in ("IN", "NOT IN"):
            unknown = [f for f in _list("family", condition.get("value")) if f not in self.catalog.families]
            if unknown:
                raise ApiError(
                    422,
                    unknown_code("family", "family", unknown[0]),
                )
        test = _membership("family", condition, {"IN", "NOT IN", "EMPTY", "NOT EMPTY"})
        return lambda r: test(r.get("family"))

    def _groups(self, condition: dict) -> Predicate:
        operator, value = condition["operator"], condition.get("value")
        if operator in ("IN", "NOT IN"):
            wanted = set(_list("groups", value))
            if operator == "IN":
                return lambda r: bool(wanted & set(r.get("groups") or ()))
            return lambda r: not wanted & set(r.get("groups") or ())
        if operator in ("EMPTY", "NOT EMPTY"):
            return lambda r: bool(r.get("groups")) == (operator == "NOT EMPTY")
        raise unsupported("groups", operator)

    def _categories(self, condition: dict) -> Predicate:
        operator = condition["operator"]
        if operator == "UNCLASSIFIED":
            return lambda r: not self.categories_of(r)
        value = _list("categories", condition.get("value"))
        unknown = [c for c in value if c not in self.catalog.categories]
        if unknown:
            if len(unknown) > 1:
                raise ApiError(422, f'Categories "{", ".join(unknown)}" do not exist.')
            raise ApiError(422, f'Category "{unknown[0]}" does not exist.')
        wanted = set(value)
        if operator in ("IN CHILDREN", "NOT IN CHILDREN"):
            wanted = descendants(self.catalog, wanted)
        if operator in ("IN", "IN CHILDREN"):
            return lambda r: bool(wanted & self.categories_of(r))
        if operator in ("NOT IN", "NOT IN CHILDREN"):
            return lambda r: not wanted & self.categories_of(r)
        if operator == "IN OR UNCLASSIFIED":
            return lambda r: (lambda codes: not codes or bool(wanted & codes))(self.categories_of(r))
        raise unsupported("categories", operator)

    def _completeness(self, condition: dict) -> Predicate:
        operator, value, scope = condition["operator"], condition.get("value"), condition.get("scope")
        operator = ALL_LOCALES_OPERATORS.get(operator, operator)
        if condition["operator"] in ALL_LOCALES_OPERATORS and not isinstance(condition.get("locales"), list):
            raise ApiError(422, 'Property "completeness" expects an array with the key "locales".')
        if operator not in COMPARE:
            raise unsupported("completeness", condition["operator"])
        if not scope:
            raise ApiError(422, 'Property "completeness" expects an array with the key "scope".')
        if scope not in self.catalog.channels:
            raise ApiError(422, f'Property "completeness" expects a valid scope, "{scope}" given.')
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ApiError(
                422, f'Property "completeness" expects a numeric as data, "{php_type(value)}" given.'
            )
        compare, completeness = COMPARE[operator], self.catalog.completeness
        return lambda r: compare(
            (completeness.get(r.key if isinstance(r, Stub) else r.get("uuid")) or {}).get(scope, 0), value
        )

    def _parent(self, condition: dict) -> Predicate:
        operator, value = condition["operator"], condition.get("value")
        if operator == "EMPTY":
            return lambda r: not r.get("parent")
        if operator == "NOT EMPTY":
            return lambda r: bool(r.get("parent"))
        if operator == "IN":
            wanted = set(_list("parent", value))
            return lambda r: r.get("parent") in wanted
        if operator == "=" and self.kind == "product":
            if not isinstance(value, str):
                raise ApiError(422, f'Property "parent" expects a string as data, "{php_type(value)}" given.')
            # Every variant below the model, whether it is a root or a sub model.
            return lambda r: (
                r.get("parent") == value or any(m.get("parent") == value for m in self.ancestors(r))
            )
        raise unsupported("parent", operator)

    # attribute values ----------------------------------------------------------------------

    def _attribute(self, code: str, condition: dict) -> Predicate:
        attribute = self.catalog.attributes[code]
        locale = condition.get("locale", self.search_locale)
        scope = condition.get("scope", self.search_scope)
        check_locale_and_scope(self.catalog, attribute, locale, scope)
        test = value_test(attribute, condition)
        self.needs_values = True

        def predicate(record: Record) -> bool:
            entries = self.values_of(record).get(code) or []
            data = [
                e.get("data")
                for e in entries
                if (not attribute["localizable"] or e.get("locale") == locale)
                and (not attribute["scopable"] or e.get("scope") == scope)
            ]
            return test(data[0] if data else None)

        return predicate


def descendants(catalog: Catalog, codes: set[str]) -> set[str]:
    """The given categories and every category below them."""
    children: dict[str, list[str]] = {}
    for category in catalog.categories.values():
        if category.get("parent"):
            children.setdefault(category["parent"], []).append(category["code"])
    found, todo = set(codes), list(codes)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def check_locale_and_scope(catalog: Catalog, attribute: dict, locale: Any, scope: Any) -> None:
    """The PIM's own checks on the locale and scope of a value (filters and writes)."""
    code = attribute["code"]
    if attribute["localizable"]:
        if not locale:
            raise ApiError(422, f'Attribute "{code}" expects a locale, none given.')
        if locale not in catalog.enabled_locales():
            raise ApiError(
                422, f'Attribute "{code}" expects an existing and activated locale, "{locale}" given.'
            )
    elif locale:
        raise ApiError(422, f'Attribute "{code}" does not expect a locale, "{locale}" given.')
    if attribute["scopable"]:
        if not scope:
            raise ApiError(422, f'Attribute "{code}" expects a scope, none given.')
        if scope not in catalog.channels:
            raise ApiError(422, f'Attribute "{code}" expects an existing scope, "{scope}" given.')
    elif scope:
        raise ApiError(422, f'Attribute "{code}" does not expect a scope, "{scope}" given.')


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def value_test(attribute: dict, condition: dict) -> Callable[[Any], bool]:
    """A test on one value's ``data`` (``None`` when the product has no value there)."""
    code, kind = attribute["code"], attribute["type"]
    operator, value = condition["operator"], condition.get("value")
    if operator == "EMPTY" and kind != "pim_catalog_boolean":
        return lambda data: data in (None, "", [])
    if operator == "NOT EMPTY" and kind != "pim_catalog_boolean":
        return lambda data: data not in (None, "", [])
    if kind in ("pim_catalog_identifier", "pim_catalog_text", "pim_catalog_textarea", *MEDIA_KINDS):
        if operator in ("IN", "NOT IN") and kind == "pim_catalog_identifier":
            wanted = set(_list(code, value))
            return (lambda d: d in wanted) if operator == "IN" else (lambda d: d not in wanted)
        if not isinstance(value, str):
            raise ApiError(422, f'Property "{code}" expects a string as data, "{php_type(value)}" given.')
        texts = {
            "=": lambda d: d == value,
            "!=": lambda d: d is not None and d != value,
            "STARTS WITH": lambda d: isinstance(d, str) and d.startswith(value),
            "ENDS WITH": lambda d: isinstance(d, str) and d.endswith(value),
            "CONTAINS": lambda d: isinstance(d, str) and value in d,
            "DOES NOT CONTAIN": lambda d: not isinstance(d, str) or value not in d,
        }
        if operator in texts:
            return texts[operator]
    elif kind in ("pim_catalog_number", "pim_catalog_metric", "pim_catalog_price_collection"):
        if operator in COMPARE:
            return _amount_test(attribute, operator, value)
    elif kind in SELECT_TYPES or kind in ENTITY_KINDS:
        if operator in ("IN", "NOT IN"):
            wanted = set(_list(code, value))

            def chosen(data: Any) -> set:
                return set(data) if isinstance(data, list) else ({data} if data else set())

            if operator == "IN":
                return lambda d: bool(chosen(d) & wanted)
            return lambda d: not chosen(d) & wanted
    elif kind == "pim_catalog_boolean":
        if operator in ("=", "!=") and isinstance(value, bool):
            return (lambda d: d is value) if operator == "=" else (lambda d: d is not None and d is not value)
        if operator in ("=", "!="):
            raise ApiError(422, f'Property "{code}" expects a boolean as data, "{php_type(value)}" given.')
    elif kind == "pim_catalog_date":
        if operator in DATE_OPERATORS - {"SINCE LAST N DAYS"}:
            test = _date_test(code, condition, _day)
            return lambda d: test(to_epoch(d[:10] + "T00:00:00+00:00") if isinstance(d, str) else None)
    raise unsupported(code, operator)


def _day(field: str, value: Any) -> int:
    try:
        return int(datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC).timestamp())
    except (TypeError, ValueError):
        raise ApiError(
            422, f'Property "{field}" expects a string with the format "yyyy-mm-dd" as data, "{value}" given.'
        ) from None


def _amount_test(attribute: dict, operator: str, value: Any) -> Callable[[Any], bool]:
    code, kind = attribute["code"], attribute["type"]
    compare = COMPARE[operator]
    if kind == "pim_catalog_number":
        wanted = _number(value)
        if wanted is None:
            raise ApiError(422, f'Property "{code}" expects a numeric as data, "{php_type(value)}" given.')
        return lambda d: _number(d) is not None and compare(_number(d), wanted)
    key = "unit" if kind == "pim_catalog_metric" else "currency"
    if not isinstance(value, dict) or _number(value.get("amount")) is None or not value.get(key):
        raise ApiError(422, f'Property "{code}" expects an array with the keys "amount" and "{key}".')
    amount, unit = _number(value["amount"]), value[key]
    if kind == "pim_catalog_metric":
        return lambda d: (
            isinstance(d, dict) and d.get(key) == unit and compare(_number(d.get("amount")), amount)
        )
    return lambda d: (
        isinstance(d, list)
        and any(
            p.get(key) == unit
            and _number(p.get("amount")) is not None
            and compare(_number(p.get("amount")), amount)
            for p in d
        )
    )


# ----------------------------------------------------------------------------- structure resources

SIMPLE_FILTERS: dict[str, dict[str, set[str]]] = {
    "attributes": {"code": {"IN"}, "type": {"IN"}, "updated": {">"}, "is_main_identifier": {"="}},
    "attribute-groups": {"code": {"IN"}, "updated": {">"}},
    "families": {"code": {"IN"}, "updated": {">"}, "has_products": {"="}},
    "categories": {"code": {"IN"}, "parent": {"="}, "is_root": {"="}, "updated": {">"}},
    "locales": {"enabled": {"="}},
    "currencies": {"enabled": {"="}},
    "records": {"code": {"IN"}, "updated": {">", "<", "BETWEEN", "NOT BETWEEN", "SINCE LAST N DAYS"}},
    "assets": {"code": {"IN"}, "updated": {">", "<", "BETWEEN", "NOT BETWEEN", "SINCE LAST N DAYS"}},
}


def simple_filter(catalog: Catalog, resource: str, search: dict[str, list[dict]]) -> Callable[[dict], bool]:
    allowed = SIMPLE_FILTERS[resource]
    tests: list[Callable[[dict], bool]] = []
    for field, conditions in search.items():
        for condition in conditions:
            operator = condition["operator"]
            if operator not in allowed.get(field, set()):
                raise unsupported(field, operator)
            if field == "updated":
                test = _date_test(field, condition, _iso_date)
                tests.append(
                    lambda item, t=test: t(
                        to_epoch(item.get("updated") or catalog.changed_at(resource, item["code"]))
                    )
                )
            elif field == "has_products":
                families = _families_in_use(catalog)
                wanted = bool(condition.get("value"))
                tests.append(lambda item, f=families, w=wanted: (item["code"] in f) == w)
            elif field == "is_root":
                wanted = bool(condition.get("value"))
                tests.append(lambda item, w=wanted: (not item.get("parent")) == w)
            else:
                test = _membership(field, condition, allowed[field])
                tests.append(lambda item, f=field, t=test: t(item.get(f)))
    return lambda item: all(test(item) for test in tests)


def _families_in_use(catalog: Catalog) -> set[str]:
    store = catalog.products
    return {store.raw(key).get("family") for key in store}
