"""Just enough of the PIM's validation for 422s to happen where they happen on a real PIM.

Two kinds of failure, as on the PIM: a malformed property (unknown attribute, wrong locale or
scope, wrong data type) is an ``Invalid`` with one message that points to the documentation; a
well-formed value that breaks a rule (unknown option, too long, unknown unit...) is collected
into ``"Validation failed."`` with one ``errors`` entry per value.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .catalog import Catalog
from .filters import check_locale_and_scope
from .protocol import ApiError, Invalid, php_type, unknown_code
from .structure import MEDIA_TYPES, SELECT_TYPES, TABLE_TYPE

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}([+-]\d{2}:\d{2}|Z)?)?$")
MAX_TABLE_ROWS = 100


def check_known_properties(body: dict, allowed: set[str]) -> None:
    for key in body:
        if key not in allowed:
            raise Invalid(f'Property "{key}" does not exist.', documented=True)


def check_labels(body: dict) -> None:
    if "labels" not in body:
        return
    labels = body["labels"]
    if not isinstance(labels, dict):
        raise Invalid(
            f'Property "labels" expects an array as data, "{php_type(labels)}" given.', documented=True
        )


def check_product_like(catalog: Catalog, body: dict) -> None:
    """Family, categories, groups, parent and values of a product or product model."""
    family = body.get("family")
    if family is not None and family not in catalog.families:
        raise Invalid(
            unknown_code("family", "family", family),
            documented=True,
        )
    if "categories" in body:
        categories = body["categories"]
        if not isinstance(categories, list):
            raise Invalid(
                f'Property "categories" expects an array as data, "{php_type(categories)}" given.',
                documented=True,
            )
        for category in categories:
            if category not in catalog.categories:
                raise Invalid(
                    unknown_code("categories", "category", category),
                    documented=True,
                )
    for group in body.get("groups") or []:
        raise Invalid(
            unknown_code("groups", "group", group),
            documented=True,
        )
    if "values" in body:
        check_values(catalog, body["values"])


def check_values(catalog: Catalog, values: Any) -> None:
    if not isinstance(values, dict):
        raise Invalid(
            f'Property "values" expects an array as data, "{php_type(values)}" given.', documented=True
        )
    errors: list[dict] = []
    for code, entries in values.items():
        attribute = catalog.attributes.get(code)
        if attribute is None:
            raise Invalid(f'Attribute "{code}" does not exist.', documented=True)
        if not isinstance(entries, list):
            raise Invalid(
                f'Property "{code}" expects an array as data, "{php_type(entries)}" given.', documented=True
            )
        for entry in entries:
            if not isinstance(entry, dict) or "data" not in entry:
                raise Invalid(f'Property "{code}" expects an array with the key "data".', documented=True)
            try:
                check_locale_and_scope(catalog, attribute, entry.get("locale"), entry.get("scope"))
            except ApiError as error:
                raise Invalid(error.message, documented=True) from None
            if entry["data"] is not None:
                errors.extend(_check_data(catalog, attribute, entry))
    if errors:
        raise Invalid("Validation failed.", errors)


def _error(attribute: dict, entry: dict, message: str) -> dict:
    return {
        "property": "values",
        "message": message,
        "attribute": attribute["code"],
        "locale": entry.get("locale"),
        "scope": entry.get("scope"),
    }


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value)
        except (InvalidOperation, ValueError):
            return None
    return None


def _type_error(code: str, expected: str, data: Any) -> Invalid:
    shown = data if isinstance(data, str | int | float) and not isinstance(data, bool) else php_type(data)
    return Invalid(f'Property "{code}" expects {expected} as data, "{shown}" given.', documented=True)


def _check_data(catalog: Catalog, attribute: dict, entry: dict) -> list[dict]:
    code, kind, data = attribute["code"], attribute["type"], entry["data"]
    if kind in ("pim_catalog_identifier", "pim_catalog_text", "pim_catalog_textarea"):
        if not isinstance(data, str):
            raise _type_error(code, "a string", data)
        limit = attribute.get("max_characters")
        if limit and len(data) > int(limit):
            return [
                _error(
                    attribute, entry, f"This value is too long. It should have {limit} characters or less."
                )
            ]
        pattern = attribute.get("validation_regexp") if attribute.get("validation_rule") == "regexp" else None
        if pattern and not re.search(pattern, data):
            return [_error(attribute, entry, "This value is not valid.")]
        return []
    if kind == "pim_catalog_number":
        number = _number(data)
        if number is None:
            raise _type_error(code, "a numeric", data)
        return _number_rules(attribute, entry, number)
    if kind == "pim_catalog_metric":
        if not isinstance(data, dict) or "amount" not in data or "unit" not in data:
            raise Invalid(
                f'Property "{code}" expects an array with the key "amount" and "unit".', documented=True
            )
        number = _number(data["amount"])
        if number is None:
            raise _type_error(code, "a numeric", data["amount"])
        units = catalog.measurement_families.get(attribute.get("metric_family") or "", {}).get("units", {})
        if data["unit"] not in units:
            return [_error(attribute, entry, f'Please specify a valid metric unit, "{data["unit"]}" given.')]
        return _number_rules(attribute, entry, number)
    if kind == "pim_catalog_price_collection":
        if not isinstance(data, list):
            raise _type_error(code, "an array", data)
        enabled = {c["code"] for c in catalog.currencies if c.get("enabled")}
        errors = []
        for price in data:
            if not isinstance(price, dict) or "amount" not in price or "currency" not in price:
                raise Invalid(
                    f'Property "{code}" expects an array with the key "amount" and "currency".',
                    documented=True,
                )
            if price["amount"] is not None and _number(price["amount"]) is None:
                raise _type_error(code, "a numeric", price["amount"])
            if price["currency"] not in enabled:
                errors.append(
                    _error(attribute, entry, f'The currency "{price["currency"]}" is not activated.')
                )
        return errors
    if kind in SELECT_TYPES:
        options = catalog.options.get(code, {})
        if kind == "pim_catalog_simpleselect":
            if not isinstance(data, str):
                raise _type_error(code, "a string", data)
            if data not in options:
                return [
                    _error(attribute, entry, f"The {data} value is not in the {code} attribute option list.")
                ]
            return []
        if not isinstance(data, list) or not all(isinstance(d, str) for d in data):
            raise _type_error(code, "an array of strings", data)
        missing = [d for d in data if d not in options]
        if missing:
            joined = ", ".join(missing)
            return [
                _error(attribute, entry, f"The {joined} values are not in the {code} attribute option list.")
            ]
        return []
    if kind == "pim_catalog_boolean":
        if not isinstance(data, bool):
            raise _type_error(code, "a boolean", data)
        return []
    if kind == "pim_catalog_date":
        if not isinstance(data, str) or not DATE.match(data):
            raise Invalid(
                f'Property "{code}" expects a string with the format "yyyy-mm-dd" as data, "{data}" given.',
                documented=True,
            )
        try:
            date.fromisoformat(data[:10])
        except ValueError:
            return [_error(attribute, entry, "This value is not a valid date.")]
        return []
    if kind in MEDIA_TYPES:
        if not isinstance(data, str) or data not in catalog.media:
            raise Invalid(
                f'Property "{code}" expects a valid pathname as data, "{data}" given.', documented=True
            )
        return []
    if kind == TABLE_TYPE:
        return _table_errors(catalog, attribute, entry)
    if kind == "pim_catalog_asset_collection":
        family = attribute.get("reference_data_name") or ""
        return _codes(attribute, entry, data, catalog.assets.get(family, {}), f'asset family "{family}"')
    if kind in ("akeneo_reference_entity", "akeneo_reference_entity_collection"):
        entity = attribute.get("reference_data_name") or ""
        records = catalog.records.get(entity, {})
        if kind == "akeneo_reference_entity":
            if not isinstance(data, str):
                raise _type_error(code, "a string", data)
            data = [data]
        return _codes(attribute, entry, data, records, f'reference entity "{entity}"')
    return []


def _table_errors(catalog: Catalog, attribute: dict, entry: dict) -> list[dict]:
    rows = entry["data"]
    if not isinstance(rows, list):
        raise _type_error(attribute["code"], "an array", rows)
    if len(rows) > MAX_TABLE_ROWS:
        return [_error(attribute, entry, f"A table cannot have more than {MAX_TABLE_ROWS} rows.")]
    columns = {c["code"]: c for c in attribute.get("table_configuration") or []}
    first = next(iter(columns), None)
    messages = [message for row in rows for message in _row_problems(catalog, columns, first, row)]
    messages.extend(_duplicated_first_cells(rows, first))
    return [_error(attribute, entry, message) for message in messages]


def _row_problems(catalog: Catalog, columns: dict[str, dict], first: str | None, row: Any) -> list[str]:
    if not isinstance(row, dict) or not row:
        return ["Each row of a table must be a non-empty object of cells keyed by column code."]
    problems = [f'The "{code}" column does not exist.' for code in row if code not in columns]
    if first is not None and row.get(first) is None:
        problems.append(f'The "{first}" column must be filled in every row.')
    for code, cell in row.items():
        check = CELL_CHECKS.get(columns.get(code, {}).get("data_type"))
        problem = check(catalog, columns[code], cell) if check and cell is not None else None
        if problem:
            problems.append(problem)
    return problems


def _duplicated_first_cells(rows: list, first: str | None) -> list[str]:
    """The first column identifies a row: the PIM refuses two rows with the same first cell."""
    keys = [row.get(first) for row in rows if isinstance(row, dict) and isinstance(row.get(first), str)]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    return [f'The "{key}" value is used in more than one row of the "{first}" column.' for key in repeated]


def _select_cell(catalog: Catalog, column: dict, cell: Any) -> str | None:
    known = {option.get("code") for option in column.get("options") or []}
    if isinstance(cell, str) and cell in known:
        return None
    return f'The "{cell}" option does not exist in the "{column["code"]}" column.'


def _number_cell(catalog: Catalog, column: dict, cell: Any) -> str | None:
    code, rules = column["code"], column.get("validations") or {}
    number = _number(cell)
    if number is None or not number.is_finite():
        return f'The "{code}" column expects a number, "{cell}" given.'
    if rules.get("decimals_allowed") is False and number != number.to_integral_value():
        return f'The "{code}" column does not accept decimals.'
    for bound, fails, word in (("min", number.__lt__, "greater"), ("max", number.__gt__, "less")):
        limit = _number(rules.get(bound))
        if limit is not None and limit.is_finite() and fails(limit):
            return f'The "{code}" column expects a number {word} than or equal to {rules[bound]}.'
    return None


def _boolean_cell(catalog: Catalog, column: dict, cell: Any) -> str | None:
    if isinstance(cell, bool):
        return None
    return f'The "{column["code"]}" column expects a boolean, "{cell}" given.'


def _text_cell(catalog: Catalog, column: dict, cell: Any) -> str | None:
    code = column["code"]
    if not isinstance(cell, str):
        return f'The "{code}" column expects a text, "{php_type(cell)}" given.'
    limit = (column.get("validations") or {}).get("max_length")
    if limit and len(cell) > int(limit):
        return f'The "{code}" column is too long. It should have {limit} characters or less.'
    return None


def _measurement_cell(catalog: Catalog, column: dict, cell: Any) -> str | None:
    if not isinstance(cell, dict) or set(cell) != {"amount", "unit"} or _number(cell["amount"]) is None:
        return f'The "{column["code"]}" column expects an object with a numeric "amount" and a "unit".'
    family = catalog.measurement_families.get(column.get("measurement_family_code") or "")
    if family is not None and cell["unit"] not in family.get("units", {}):
        return f'The "{cell["unit"]}" unit does not exist in the "{family["code"]}" measurement family.'
    return None


def _record_cell(catalog: Catalog, column: dict, cell: Any) -> str | None:
    entity = column.get("reference_entity_identifier") or ""
    if isinstance(cell, str) and cell in catalog.records.get(entity, {}):
        return None
    return f'The "{cell}" record does not exist in the "{entity}" reference entity.'


def _date_cell(catalog: Catalog, column: dict, cell: Any) -> str | None:
    if isinstance(cell, str) and DATE.match(cell):
        try:
            date.fromisoformat(cell[:10])
            return None
        except ValueError:
            pass
    return f'The "{column["code"]}" column expects a date in the format "yyyy-mm-dd", "{cell}" given.'


CELL_CHECKS = {
    "select": _select_cell,
    "number": _number_cell,
    "boolean": _boolean_cell,
    "text": _text_cell,
    "measurement": _measurement_cell,
    "reference_entity": _record_cell,
    "date": _date_cell,
}


def _codes(attribute: dict, entry: dict, data: Any, known: dict, where: str) -> list[dict]:
    if not isinstance(data, list) or not all(isinstance(d, str) for d in data):
        raise _type_error(attribute["code"], "an array of strings", data)
    missing = [d for d in data if d not in known]
    if missing:
        return [_error(attribute, entry, f'The codes "{", ".join(missing)}" do not exist in the {where}.')]
    return []


def _number_rules(attribute: dict, entry: dict, number: Decimal) -> list[dict]:
    errors = []
    if attribute.get("decimals_allowed") is False and number != number.to_integral_value():
        errors.append(_error(attribute, entry, "This value should not be a decimal."))
    if attribute.get("negative_allowed") is False and number < 0:
        errors.append(_error(attribute, entry, "This value should be greater than or equal to 0."))
    for bound, fails, word in (
        ("number_min", lambda b: number < b, "greater"),
        ("number_max", lambda b: number > b, "less"),
    ):
        limit = _number(attribute.get(bound))
        if limit is not None and fails(limit):
            errors.append(
                _error(attribute, entry, f"This value should be {word} than or equal to {attribute[bound]}.")
            )
    return errors


def merge_values(current: dict, incoming: dict, *, scope_key: str = "scope") -> dict:
    """Value-level merge on (attribute, scope, locale); ``data: null`` erases the value."""
    merged = {code: list(entries) for code, entries in current.items()}
    for code, entries in incoming.items():
        existing = merged.setdefault(code, [])
        for entry in entries:
            where = (entry.get("locale"), entry.get(scope_key))
            existing[:] = [e for e in existing if (e.get("locale"), e.get(scope_key)) != where]
            if entry.get("data") not in (None, "", []):  # an empty value is no value
                existing.append({"locale": where[0], scope_key: where[1], "data": entry["data"]})
        if not existing:
            del merged[code]
    return merged


def merge_objects(current: dict, incoming: dict) -> dict:
    """The PATCH rule: objects merge key by key, anything else replaces."""
    merged = dict(current)
    for key, value in incoming.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_objects(merged[key], value)
        else:
            merged[key] = value
    return merged
