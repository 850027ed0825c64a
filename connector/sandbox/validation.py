"""Just enough of the PIM's validation for 422s to happen the way they do on a real PIM."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .catalog import Catalog


class Invalid(Exception):
    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []


def check_known_properties(body: dict, allowed: set[str]) -> None:
    for key in body:
        if key not in allowed:
            raise Invalid(
                f'Property "{key}" does not exist. Check the expected format on the API documentation.'
            )


def check_product_like(catalog: Catalog, body: dict) -> None:
    family = body.get("family")
    if family is not None and family not in catalog.families:
        raise Invalid(
            f'Property "family" expects a valid family code. The family does not exist, "{family}" given.'
        )
    for category in body.get("categories") or []:
        if category not in catalog.categories:
            raise Invalid(
                f'Property "categories" expects a valid category code. The category does not exist, '
                f'"{category}" given.'
            )
    check_values(catalog, body.get("values") or {})


def check_values(catalog: Catalog, values: Any) -> None:
    if not isinstance(values, dict):
        raise Invalid('Property "values" expects an array as data.')
    errors: list[dict] = []
    for code, entries in values.items():
        attribute = catalog.attributes.get(code)
        if attribute is None:
            raise Invalid(
                f'Property "{code}" does not exist. Check the expected format on the API documentation.'
            )
        for entry in entries or []:
            errors.extend(_check_value(catalog, attribute, entry))
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


def _check_value(catalog: Catalog, attribute: dict, entry: dict) -> list[dict]:
    code = attribute["code"]
    locale, scope, data = entry.get("locale"), entry.get("scope"), entry.get("data")
    if attribute["localizable"] and not locale:
        return [_error(attribute, entry, f"The {code} attribute requires a locale.")]
    if not attribute["localizable"] and locale:
        return [
            _error(
                attribute, entry, f'The {code} attribute does not require a locale, "{locale}" was detected.'
            )
        ]
    if attribute["scopable"] and not scope:
        return [_error(attribute, entry, f"The {code} attribute requires a channel.")]
    if not attribute["scopable"] and scope:
        return [
            _error(
                attribute, entry, f'The {code} attribute does not require a channel, "{scope}" was detected.'
            )
        ]
    if scope and scope not in catalog.channels:
        return [_error(attribute, entry, f'The channel "{scope}" does not exist.')]
    if locale and locale not in {loc["code"] for loc in catalog.locales if loc["enabled"]}:
        return [_error(attribute, entry, f'The locale "{locale}" does not exist or is not activated.')]
    if data is None:
        return []
    kind = attribute["type"]
    if kind == "pim_catalog_simpleselect" and data not in catalog.options.get(code, {}):
        return [
            _error(
                attribute,
                entry,
                f'Property "{code}" expects a valid code. The option "{data}" does not exist',
            )
        ]
    if kind == "pim_catalog_multiselect":
        missing = [d for d in data if d not in catalog.options.get(code, {})]
        if missing:
            return [
                _error(
                    attribute,
                    entry,
                    f'Property "{code}" expects valid codes. The options "{", ".join(missing)}" do not exist',
                )
            ]
    if kind == "pim_catalog_number" and not _is_number(data):
        return [_error(attribute, entry, f'Property "{code}" expects a numeric as data, "{data}" given.')]
    if kind == "pim_catalog_metric":
        if not isinstance(data, dict) or not _is_number(data.get("amount")):
            return [_error(attribute, entry, f'Property "{code}" expects an array with the key "amount".')]
        units = catalog.measurement_families.get(attribute["metric_family"], {}).get("units", {})
        if data.get("unit") not in units:
            return [_error(attribute, entry, f"Please specify a valid metric unit for {code}.")]
    if kind == "pim_catalog_boolean" and not isinstance(data, bool):
        return [_error(attribute, entry, f'Property "{code}" expects a boolean as data, "{data}" given.')]
    return []


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        Decimal(str(value))
    except (InvalidOperation, ValueError):
        return False
    return True


def merge_values(current: dict, incoming: dict) -> dict:
    """Value-level merge on (attribute, scope, locale); ``data: null`` erases a value."""
    merged = {code: list(entries) for code, entries in current.items()}
    for code, entries in incoming.items():
        existing = merged.setdefault(code, [])
        for entry in entries:
            key = (entry.get("locale"), entry.get("scope"))
            existing[:] = [e for e in existing if (e.get("locale"), e.get("scope")) != key]
            if entry.get("data") is not None:
                existing.append(
                    {"locale": entry.get("locale"), "scope": entry.get("scope"), "data": entry["data"]}
                )
        if not existing:
            del merged[code]
    return merged
