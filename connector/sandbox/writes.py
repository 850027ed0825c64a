"""Creating and updating resources the way the PIM does: upserts, PATCH merge rules, batch answers."""

from __future__ import annotations

import copy
import json
import uuid as uuid_module
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .catalog import Catalog
from .faults import Faults
from .protocol import (
    JSON,
    MAX_ITEMS,
    NDJSON,
    ApiError,
    Invalid,
    Reply,
    Request,
    empty_reply,
    json_reply,
    not_json_content,
    php_type,
    require_json_content,
    unknown_code,
)
from .structure import CHANNEL_LOCALES, TABLE_DATA_TYPES, TABLE_TYPE
from .validation import (
    check_known_properties,
    check_labels,
    check_product_like,
    merge_objects,
    merge_values,
)

PRODUCT_PROPERTIES = {
    "uuid",
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
MODEL_PROPERTIES = {
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
TOO_MANY = f"Too many resources to process, {MAX_ITEMS} is the maximum allowed."
ALREADY_USED = [{"property": "code", "message": "This value is already used."}]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _snapshot(record: dict) -> str:
    return json.dumps(record, sort_keys=True, default=str)


def _require_object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise ApiError(400, "Invalid json message received")
    return body


def _must_match(field: str, given: Any, expected: str) -> None:
    if given is not None and given != expected:
        raise Invalid(
            f'The {field} "{given}" provided in the request body must match the {field} "{expected}" '
            f"provided in the url."
        )


def _rejected(faults: Faults, *keys: str | None) -> None:
    rejection = faults.rejection(*keys)
    if rejection:
        message, prop = rejection
        raise Invalid("Validation failed.", [{"property": prop, "message": message}])


class Writer:
    """All writes to a catalog; the server calls it with its lock held."""

    def __init__(self, catalog: Catalog, faults: Faults, emit=None):
        self.catalog = catalog
        self.faults = faults
        # The Event Platform hears of every product and model written (event_platform.emit).
        self.emit = emit or (lambda *args, **names: None)

    # products ----------------------------------------------------------------------------

    def product(
        self, body: dict, *, by: str, key: str | None = None, create_only: bool = False
    ) -> tuple[int, str]:
        """Upsert one product → (status, uuid). ``by``: "uuid" (products-uuid) or "identifier" (products)."""
        catalog, store = self.catalog, self.catalog.products
        check_known_properties(body, PRODUCT_PROPERTIES | ({"identifier"} if by == "identifier" else set()))
        new_identifier = _sku(body)
        if by == "uuid":
            if key:
                _must_match("uuid", body.get("uuid"), key)
            product_uuid = key or body.get("uuid")
            if product_uuid is not None and not _valid_uuid(product_uuid):
                raise Invalid(f'The uuid "{product_uuid}" is not a valid uuid.', documented=True)
            existing = store.raw(product_uuid) if product_uuid else None
            if create_only and existing is not None:
                raise Invalid(
                    "Validation failed.",
                    [{"property": "uuid", "message": "The same uuid is already set on another product"}],
                )
        else:
            if key:
                _must_match("identifier", body.get("identifier"), key)
            identifier = key or body.get("identifier")
            if not identifier:
                raise Invalid('Property "identifier" is required.', documented=True)
            new_identifier = new_identifier or identifier
            product_uuid = store.find(identifier, scan=False)
            existing = store.raw(product_uuid) if product_uuid else None
            if body.get("uuid") and product_uuid and body["uuid"] != product_uuid:
                raise Invalid(
                    f'The uuid "{body["uuid"]}" provided in the request body must match the uuid of the '
                    f'product "{identifier}".'
                )
            product_uuid = product_uuid or body.get("uuid")
        current_identifier = existing.get("identifier") if existing is not None else None
        _rejected(self.faults, product_uuid, new_identifier, current_identifier)
        check_product_like(catalog, body)
        parent = self._check_parent(body, existing)
        associations = self._associations(body, by)
        if new_identifier:
            owner = store.find(new_identifier, scan=False)
            if owner is not None and owner != product_uuid:
                raise Invalid(
                    "Validation failed.",
                    [
                        {
                            "property": "identifier",
                            "message": "The same identifier is already set on another product",
                        }
                    ],
                )
        if existing is None:
            product_uuid = product_uuid or str(uuid_module.uuid4())
            product = self._new_product(product_uuid)
            status = 201
        else:
            product = store[product_uuid]  # materialized and kept from now on
            status = 204
        before = _snapshot(product)
        for field in ("enabled", "family", "categories", "groups"):
            if field in body:
                product[field] = body[field]
        if "parent" in body:
            product["parent"] = body["parent"]
            if parent is not None and "family" not in body:
                product["family"] = parent.get("family")
        if associations is not None:
            product["associations"] = _merge_associations(product.get("associations") or {}, associations)
        if "quantified_associations" in body and isinstance(body["quantified_associations"], dict):
            product["quantified_associations"] = merge_objects(
                product.get("quantified_associations") or {}, body["quantified_associations"]
            )
        if "values" in body:
            product["values"] = merge_values(product.get("values") or {}, body["values"])
        if new_identifier:
            product["identifier"] = new_identifier
            product["values"]["sku"] = [{"locale": None, "scope": None, "data": new_identifier}]
        if status == 201 or _snapshot(product) != before:
            product["updated"] = now_iso()
            catalog.completeness[product_uuid] = self.completeness(product)
        store[product_uuid] = product
        store.reindex(product_uuid)
        change = "created" if status == 201 else "updated"
        self.emit("product", change, uuid=product_uuid, identifier=product.get("identifier"))
        return status, product_uuid

    def _new_product(self, product_uuid: str) -> dict:
        stamp = now_iso()
        return {
            "uuid": product_uuid,
            "identifier": None,
            "enabled": True,
            "family": None,
            "categories": [],
            "groups": [],
            "parent": None,
            "values": {},
            "created": stamp,
            "updated": stamp,
            "associations": {
                code: {"products": [], "product_models": [], "groups": []}
                for code in self.catalog.association_types
            },
            "quantified_associations": {},
        }

    def _check_parent(self, body: dict, existing: Any) -> dict | None:
        if "parent" not in body or body["parent"] is None:
            return None
        parent = self.catalog.product_models.peek(body["parent"]) if isinstance(body["parent"], str) else None
        if parent is None:
            raise Invalid(
                unknown_code("parent", "product model", body["parent"]),
                documented=True,
            )
        family = body.get("family") or (existing.get("family") if existing is not None else None)
        if family and family != parent.get("family"):
            raise Invalid(
                "Validation failed.",
                [
                    {
                        "property": "family",
                        "message": "The variant product family must be the same than its parent",
                    }
                ],
            )
        return parent

    def _associations(self, body: dict, by: str) -> dict | None:
        if "associations" not in body:
            return None
        associations = body["associations"]
        if not isinstance(associations, dict):
            raise Invalid('Property "associations" expects an array as data.', documented=True)
        store, converted = self.catalog.products, {}
        for type_code, links in associations.items():
            if type_code not in self.catalog.association_types:
                raise Invalid(
                    unknown_code("associations", "association type", type_code),
                    documented=True,
                )
            if not isinstance(links, dict):
                raise Invalid(
                    f'Property "associations" expects an array as data for "{type_code}".', documented=True
                )
            converted[type_code] = dict(links)
            if "products" in links:
                uuids = []
                for reference in links["products"] or []:
                    target = (
                        store.find(reference, scan=False)
                        if by == "identifier"
                        else (reference if reference in store else None)
                    )
                    if target is None:
                        what = "identifier" if by == "identifier" else "uuid"
                        raise Invalid(
                            unknown_code("associations", "product", reference, key=what),
                            documented=True,
                        )
                    uuids.append(target)
                converted[type_code]["products"] = uuids
            for model in links.get("product_models") or []:
                if model not in self.catalog.product_models:
                    raise Invalid(
                        unknown_code("associations", "product model", model),
                        documented=True,
                    )
            for group in links.get("groups") or []:
                raise Invalid(
                    unknown_code("associations", "group", group),
                    documented=True,
                )
        return converted

    def completeness(self, product: dict) -> dict[str, int]:
        """Per channel: the share of the family's required values that are filled (all channel locales)."""
        catalog = self.catalog
        family = catalog.families.get(product.get("family") or "")
        values = dict(product.get("values") or {})
        parent = product.get("parent")
        while parent:
            model = catalog.product_models.peek(parent)
            if model is None:
                break
            for code, entries in (model.get("values") or {}).items():
                values.setdefault(code, entries)
            parent = model.get("parent")
        result = {}
        for channel in catalog.channels:
            required = (family or {}).get("attribute_requirements", {}).get(channel, []) if family else []
            locales = catalog.channels[channel].get("locales") or CHANNEL_LOCALES.get(channel, [])
            slots = filled = 0
            for code in required:
                attribute = catalog.attributes.get(code)
                if attribute is None:
                    continue
                for locale in locales if attribute["localizable"] else [None]:
                    slots += 1
                    scope = channel if attribute["scopable"] else None
                    if any(
                        e.get("locale") == locale
                        and e.get("scope") == scope
                        and e.get("data") not in (None, "", [])
                        for e in values.get(code) or []
                    ):
                        filled += 1
            result[channel] = 100 * filled // slots if slots else 100
        return result

    # product models ------------------------------------------------------------------------

    def model(self, body: dict, *, key: str | None = None) -> int:
        catalog, store = self.catalog, self.catalog.product_models
        check_known_properties(body, MODEL_PROPERTIES)
        if key:
            _must_match("code", body.get("code"), key)
        code = key or body.get("code")
        if not code:
            raise Invalid('Property "code" is required.', documented=True)
        _rejected(self.faults, code)
        check_product_like(catalog, body)
        existing = store.raw(code)
        variant_code = body.get("family_variant") or (
            existing.get("family_variant") if existing is not None else None
        )
        if existing is None and not variant_code:
            raise Invalid(
                "Validation failed.",
                [
                    {
                        "property": "family_variant",
                        "message": "The product model family variant must not be empty.",
                    }
                ],
            )
        if (
            "family_variant" in body
            and existing is not None
            and body["family_variant"] != existing.get("family_variant")
        ):
            raise Invalid(
                "Validation failed.",
                [
                    {
                        "property": "family_variant",
                        "message": "The family variant of a product model cannot be changed.",
                    }
                ],
            )
        family = next(
            (f for f, variants in catalog.family_variants.items() if variant_code in variants), None
        )
        if family is None:
            raise Invalid(
                unknown_code("family_variant", "family variant", variant_code),
                documented=True,
            )
        if body.get("family") and body["family"] != family:
            raise Invalid(
                "Validation failed.",
                [
                    {
                        "property": "family",
                        "message": "The family of a product model must be the family of its family variant.",
                    }
                ],
            )
        if body.get("parent"):
            parent = store.peek(body["parent"]) if isinstance(body["parent"], str) else None
            if parent is None or parent.get("parent"):
                raise Invalid(
                    unknown_code("parent", "product model", body["parent"]),
                    documented=True,
                )
        if existing is None:
            stamp = now_iso()
            model = {
                "code": code,
                "family": family,
                "family_variant": variant_code,
                "parent": None,
                "categories": [],
                "values": {},
                "created": stamp,
                "updated": stamp,
                "associations": {
                    c: {"products": [], "product_models": [], "groups": []} for c in catalog.association_types
                },
                "quantified_associations": {},
            }
            status = 201
        else:
            model = store[code]
            status = 204
        before = _snapshot(model)
        for field in ("categories", "parent"):
            if field in body:
                model[field] = body[field]
        if "associations" in body:
            model["associations"] = _merge_associations(
                model.get("associations") or {}, self._associations(body, "uuid") or {}
            )
        if "values" in body:
            model["values"] = merge_values(model.get("values") or {}, body["values"])
        if status == 201 or _snapshot(model) != before:
            model["updated"] = now_iso()
        store[code] = model
        self.emit("product-model", "created" if status == 201 else "updated", code=code)
        return status

    # structure -----------------------------------------------------------------------------

    def code_upsert(
        self,
        mapping: dict[str, dict],
        body: dict,
        *,
        key: str | None,
        defaults: dict,
        allowed: set[str],
        validate: Callable[[dict, dict | None], None] | None = None,
        resource: str | None = None,
        create_only: bool = False,
    ) -> int:
        """Categories, families, options, association types: PATCH merge on a code-keyed dict.

        ``create_only`` (the POST endpoints) refuses an existing code and leaves it untouched.
        """
        check_known_properties(body, allowed)
        if key:
            _must_match("code", body.get("code"), key)
        code = key or body.get("code")
        if not code or not isinstance(code, str):
            raise Invalid('Property "code" is required.', documented=True)
        check_labels(body)
        existing = mapping.get(code)
        if validate:
            validate(body, existing)
        if create_only and existing is not None:
            raise Invalid("Validation failed.", ALREADY_USED)
        changes = {k: v for k, v in body.items() if k != "code"}
        if existing is None:
            mapping[code] = merge_objects({**defaults, "code": code}, changes)
            status = 201
        else:
            before = _snapshot(existing)
            merged = merge_objects(existing, changes)
            existing.clear()
            existing.update(merged)
            status = 204
            if _snapshot(existing) == before:
                return status
        if "updated" in mapping[code]:
            mapping[code]["updated"] = now_iso()
        if resource:
            self.catalog.touch(resource, code)
        return status

    # records and assets ----------------------------------------------------------------------

    def entity_item(
        self,
        mapping: dict[str, dict],
        attributes: list[dict],
        options: dict[str, dict],
        media: dict[str, dict],
        body: dict,
        *,
        key: str | None = None,
        extra: dict | None = None,
    ) -> int:
        """A reference entity record or an asset: code + values keyed by attribute, ``channel`` scoped."""
        check_known_properties(body, {"code", "values", "asset_family_code", "created", "updated"})
        if key:
            _must_match("code", body.get("code"), key)
        code = key or body.get("code")
        if not code:
            raise Invalid('Property "code" is required.', documented=True)
        values = body.get("values", {})
        if not isinstance(values, dict):
            raise Invalid('Property "values" expects an array as data.', documented=True)
        known = {a["code"]: a for a in attributes}
        enabled = self.catalog.enabled_locales()
        for attribute_code, entries in values.items():
            attribute = known.get(attribute_code)
            if attribute is None:
                raise Invalid(f'Attribute "{attribute_code}" does not exist.', documented=True)
            for entry in entries if isinstance(entries, list) else [None]:
                if not isinstance(entry, dict) or "data" not in entry:
                    raise Invalid(
                        f'Property "{attribute_code}" expects an array with the key "data".', documented=True
                    )
                locale, channel, data = entry.get("locale"), entry.get("channel"), entry.get("data")
                if bool(locale) != bool(attribute.get("value_per_locale")) or (
                    locale and locale not in enabled
                ):
                    raise Invalid(
                        f'The attribute "{attribute_code}" does not accept the locale "{locale}".',
                        documented=True,
                    )
                if bool(channel) != bool(attribute.get("value_per_channel")) or (
                    channel and channel not in self.catalog.channels
                ):
                    raise Invalid(
                        f'The attribute "{attribute_code}" does not accept the channel "{channel}".',
                        documented=True,
                    )
                if data is None:
                    continue
                kind = attribute.get("type")
                if kind == "single_option" and data not in options.get(attribute_code, {}):
                    raise Invalid(
                        "Validation failed.",
                        [
                            {
                                "property": "values",
                                "message": f'The option "{data}" does not exist for "{attribute_code}".',
                            }
                        ],
                    )
                if kind in ("media_file", "image") and data not in media:
                    raise Invalid(
                        "Validation failed.",
                        [{"property": "values", "message": f'The file "{data}" was not found.'}],
                    )
        existing = mapping.get(code)
        if existing is None:
            stamp = now_iso()
            item = {"code": code, **(extra or {}), "values": {}, "created": stamp, "updated": stamp}
            status = 201
        else:
            item = existing
            status = 204
        before = _snapshot(item)
        item["values"] = merge_values(item.get("values") or {}, values, scope_key="channel")
        if status == 201 or _snapshot(item) != before:
            item["updated"] = now_iso()
        mapping[code] = item
        return status


def _sku(body: dict) -> str | None:
    values = body.get("values")
    if not isinstance(values, dict):
        return None
    for entry in values.get("sku") or []:
        if isinstance(entry, dict) and isinstance(entry.get("data"), str) and entry["data"]:
            return entry["data"]
    return None


def _valid_uuid(value: Any) -> bool:
    try:
        uuid_module.UUID(str(value))
    except ValueError:
        return False
    return True


def _merge_associations(current: dict, incoming: dict) -> dict:
    merged = {code: dict(links) for code, links in current.items()}
    for code, links in incoming.items():
        merged[code] = {**merged.get(code, {"products": [], "product_models": [], "groups": []}), **links}
    return merged


# ----------------------------------------------------------------------------- table attributes


def _table_invalid(message: str) -> Invalid:
    return Invalid("Validation failed.", [{"property": "table_configuration", "message": message}])


def table_attribute_body(body: dict, existing: dict | None) -> dict:
    """An attribute PATCH body whose ``table_configuration`` is the merged result, ready to replace."""
    kind = body.get("type") or (existing or {}).get("type")
    if kind != TABLE_TYPE:
        if "table_configuration" in body:
            raise _table_invalid('Only attributes of type "pim_catalog_table" have a table configuration.')
        return body
    if "table_configuration" not in body and existing is not None:
        return body
    current = (existing or {}).get("table_configuration") or []
    columns = merge_table_configuration(current, body.get("table_configuration"))
    if not columns or columns[0].get("data_type") != "select":
        raise _table_invalid("The first column of a table must be a select column.")
    return {**body, "table_configuration": columns}


def merge_table_configuration(current: list[dict], incoming: Any) -> list[dict]:
    """Columns matched by code and merged; new columns appended; nothing given is deleted.

    The PIM never drops a select option that a PATCH leaves out, so neither do we: stored
    table values keep pointing at options that exist.
    """
    if not isinstance(incoming, list) or not all(isinstance(c, dict) for c in incoming):
        raise Invalid(
            f'Property "table_configuration" expects an array of columns as data, "{php_type(incoming)}" '
            "given.",
            documented=True,
        )
    merged = copy.deepcopy(current)
    by_code = {column["code"]: column for column in merged}
    for column in incoming:
        code = column.get("code")
        if not isinstance(code, str) or not code:
            raise _table_invalid("Every column needs a code.")
        if code in by_code:
            _merge_column(by_code[code], column)
        else:
            by_code[code] = _new_column(column)
            merged.append(by_code[code])
    return merged


def _new_column(column: dict) -> dict:
    if column.get("data_type") not in TABLE_DATA_TYPES:
        raise _table_invalid(f'The "{column["code"]}" column has an unknown data type.')
    fresh = {"labels": {}, "validations": {}, "is_required_for_completeness": False, **column}
    fresh.pop("options", None)
    _merge_column(fresh, column)
    return fresh


def _merge_column(existing: dict, column: dict) -> None:
    code = existing["code"]
    if column.get("data_type", existing["data_type"]) != existing["data_type"]:
        raise _table_invalid(f'The data type of the "{code}" column cannot be changed.')
    for prop in ("labels", "validations"):
        if not isinstance(column.get(prop, {}), dict):
            raise _table_invalid(f'The "{prop}" of the "{code}" column must be an object.')
    options = column.get("options")
    if options is not None and existing["data_type"] != "select":
        raise _table_invalid(f'The "{code}" column is not a select column: it has no options.')
    existing.update(merge_objects(existing, {k: v for k, v in column.items() if k != "options"}))
    if options is not None:
        existing["options"] = _merge_options(existing.get("options") or [], options, code)


def _merge_options(current: list[dict], incoming: Any, column: str) -> list[dict]:
    if not isinstance(incoming, list):
        raise _table_invalid(f'The options of the "{column}" column must be an array.')
    merged = [dict(option) for option in current]
    by_code = {option["code"]: option for option in merged}
    for option in incoming:
        if not isinstance(option, dict) or not isinstance(option.get("code"), str) or not option["code"]:
            raise _table_invalid(f'Every option of the "{column}" column needs a code.')
        if not isinstance(option.get("labels", {}), dict):
            raise _table_invalid(f'The labels of the "{option["code"]}" option must be an object.')
        if option["code"] in by_code:
            by_code[option["code"]].update(merge_objects(by_code[option["code"]], option))
        else:
            by_code[option["code"]] = {"code": option["code"], "labels": {}, **option}
            merged.append(by_code[option["code"]])
    return merged


# ----------------------------------------------------------------------------- batch answers


def ndjson_batch(request: Request, key: str, upsert: Callable[[dict], tuple[int, str | None]]) -> Reply:
    """A collection PATCH: one JSON object per line in, one answer line per input line out."""
    content_type = request.content_type
    if not content_type:
        raise ApiError(415, f'The "Content-Type" header is missing. "{NDJSON}" has to specified as value.')
    if content_type != NDJSON:
        raise ApiError(
            415, f'"{content_type}" in "Content-Type" header is not valid. Only "{NDJSON}" is allowed.'
        )
    lines = [line for line in request.body.decode("utf-8", errors="replace").splitlines() if line.strip()]
    if len(lines) > MAX_ITEMS:
        raise ApiError(413, TOO_MANY)
    answers = []
    for number, line in enumerate(lines, start=1):
        answer: dict[str, Any] = {"line": number}
        try:
            item = json.loads(line)
        except ValueError:
            answers.append({**answer, "status_code": 400, "message": "Invalid json message received"})
            continue
        if not isinstance(item, dict):
            answers.append({**answer, "status_code": 400, "message": "Invalid json message received"})
            continue
        if item.get(key) is not None:
            answer[key] = item[key]
        try:
            status, resolved = upsert(item)
            if resolved is not None and key not in answer:
                answer[key] = resolved
            answer["status_code"] = status
        except Invalid as error:
            answer.update(error.line(request.operation))
        except ApiError as error:
            answer.update(status_code=error.status, message=error.message)
        answers.append(answer)
    body = "\n".join(json.dumps(a, ensure_ascii=False, separators=(",", ":")) for a in answers).encode()
    return Reply(200, body, NDJSON)


def json_array_batch(request: Request, upsert: Callable[[dict], int]) -> Reply:
    """Records and assets: a JSON array in, a JSON array of ``{code, status_code, message?}`` out."""
    if request.content_type != JSON:
        raise ApiError(415, not_json_content(request.content_type))
    body = request.json()
    if not isinstance(body, list):
        raise ApiError(400, "Invalid json message received")
    if len(body) > MAX_ITEMS:
        raise ApiError(413, TOO_MANY)
    answers = []
    for item in body:
        code = item.get("code") if isinstance(item, dict) else None
        try:
            if not isinstance(item, dict):
                raise Invalid("Invalid json message received")
            answers.append({"code": code, "status_code": upsert(item)})
        except Invalid as error:
            line = {"code": code, "status_code": 422, "message": error.message}
            if error.errors:
                line["errors"] = error.errors
            answers.append(line)
    return json_reply(200, answers)


def single_write(request: Request, location: Callable[[], str], upsert: Callable[[dict], int]) -> Reply:
    """A single PATCH: 201 with Location when created, 204 with Location when updated."""
    require_json_content(request)
    body = _require_object(request.json())
    try:
        status = upsert(body)
    except Invalid as error:
        raise request.invalid(error) from None
    return empty_reply(status, {"Location": location()})
