"""The REST resources of the sandbox PIM: one route per documented endpoint, and their handlers.

Handlers take a ``Request`` and return a ``Reply``; the server calls them with its lock held, after
authentication. Item JSON follows the API definitions; list items carry ``_links.self``.
"""

from __future__ import annotations

import functools
import json
import mimetypes
import re
import uuid as uuid_module
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .filters import ProductQuery, parse_search, simple_filter
from .media import MultipartError, extension, media_code, parse_multipart, png_bytes
from .pagination import (
    ENTITY_PAGE,
    MAX_OFFSET,
    limit_of,
    page_listing,
    pagination_type,
    search_after_listing,
    sorted_walk,
)
from .protocol import API, ApiError, Invalid, Reply, Request, empty_reply, json_reply, unknown_code
from .store import Record
from .structure import ATTRIBUTE_DEFS, MEDIA_TYPES, SELECT_TYPES
from .writes import Writer, json_array_batch, ndjson_batch, single_write, table_attribute_body

if TYPE_CHECKING:
    from .catalog import Catalog
    from .server import FakeAkeneo

SYSTEM_INFORMATION = {"version": "7.0.0", "edition": "EE"}
ATTRIBUTE_PROPERTIES = set(ATTRIBUTE_DEFS[0]) - {"group_labels"} | {"table_configuration"}
ATTRIBUTE_DEFAULTS = {
    key: ([] if isinstance(value, list) else {} if isinstance(value, dict) else None)
    for key, value in ATTRIBUTE_DEFS[0].items()
} | {
    "localizable": False,
    "scopable": False,
    "unique": False,
    "useable_as_grid_filter": False,
    "sort_order": 0,
    "is_main_identifier": False,
    "is_mandatory": False,
}
PUBLIC_PATHS = {API, f"{API}/system-information"}


ACTIONS = {
    ("GET", False): "list",
    ("GET", True): "get",
    ("POST", False): "create",
    ("DELETE", True): "delete",
}
ACTIONS |= {("PATCH", False): "partial_update_list", ("PATCH", True): "partial_update"}


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # "/api/rest/v1/categories/{code}"; "{...code}" also matches slashes (media file codes)
    handler: Callable[[Request], Reply]

    @property
    def pattern(self) -> re.Pattern:
        return _compile(self.template)

    @property
    def operation(self) -> str:
        """An operation id in the reference's style (``get_categories__code_``), for documentation links."""
        path = self.template[len(API) :].strip("/").replace("{...", "{")
        slug = re.sub(r"\{(\w+)\}", r"_\1_", path.replace("-", "_").replace("/", "_"))
        return f"{self.method.lower()}_{slug or 'endpoints'}"

    @property
    def name(self) -> str:
        """A route name for the endpoint list (``pim_api_categories_get``)."""
        path = self.template[len(API) :].strip("/")
        words = [w for w in path.replace("-", "_").split("/") if w and not w.startswith("{")]
        action = ACTIONS.get((self.method, path.endswith("}")), self.method.lower())
        return "_".join(["pim_api", *words, action]) if words else "pim_api_rest_endpoints"

    def match(self, path: str) -> dict[str, str] | None:
        found = _compile(self.template).fullmatch(path)
        return {k: unquote(v) for k, v in found.groupdict().items()} if found else None


@functools.lru_cache(maxsize=256)
def _compile(template: str) -> re.Pattern:
    pattern = re.escape(template)
    pattern = re.sub(r"\\\{\\\.\\\.\\\.(\w+)\\\}", r"(?P<\1>.+)", pattern)
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
    return re.compile(pattern)


@dataclass
class Slim:
    """``scope``, ``locales`` and ``attributes`` query parameters, checked."""

    scope: str | None = None
    locales: list[str] | None = None
    attributes: list[str] | None = None
    with_options: bool = False
    with_completenesses: bool = False
    special: dict[str, str] = field(default_factory=dict)  # attributes whose values get links or labels

    @property
    def filters(self) -> bool:
        return bool(self.scope or self.locales or self.attributes)


def _strip_private(item: dict) -> dict:
    return {k: v for k, v in item.items() if not k.startswith("_")}


def _with_self(href: str, item: dict, **links: str) -> dict:
    return {
        "_links": {"self": {"href": href}, **{k: {"href": v} for k, v in links.items()}},
        **_strip_private(item),
    }


def _attribute_json(r: Request, attribute: dict) -> dict:
    """Select columns of a table attribute show their options only when asked to."""
    columns = attribute.get("table_configuration")
    if not columns or r.query.get("with_table_select_options") == "true":
        return attribute
    slim = [{k: v for k, v in column.items() if k != "options"} for column in columns]
    return {**attribute, "table_configuration": slim}


def _get(mapping: dict, code: str, message: str) -> Any:
    if code not in mapping:
        raise ApiError(404, message)
    return mapping[code]


class Resources:
    def __init__(self, pim: FakeAkeneo):
        self.pim = pim
        self.routes = self._routes()

    @property
    def catalog(self) -> Catalog:
        return self.pim.catalog

    def writer(self) -> Writer:
        return Writer(self.pim.catalog, self.pim.faults, emit=self.pim.events.emit)

    # ------------------------------------------------------------------ route table

    def _routes(self) -> list[Route]:
        table: list[tuple[str, str, Callable[[Request], Reply]]] = [
            ("GET", "", self.root),
            ("GET", "/system-information", self.system_information),
            ("GET", "/channels", self.channels),
            ("GET", "/channels/{code}", self.channel),
            ("GET", "/locales", self.locales),
            ("GET", "/locales/{code}", self.locale),
            ("GET", "/currencies", self.currencies),
            ("GET", "/currencies/{code}", self.currency),
            ("GET", "/measurement-families", self.measurement_families),
            ("GET", "/attribute-groups", self.attribute_groups),
            ("GET", "/attribute-groups/{code}", self.attribute_group),
            ("GET", "/attributes", self.attributes),
            ("GET", "/attributes/{code}", self.attribute),
            ("PATCH", "/attributes/{code}", self.attribute_patch),
            ("GET", "/attributes/{attribute}/options", self.options),
            ("POST", "/attributes/{attribute}/options", self.option_create),
            ("PATCH", "/attributes/{attribute}/options", self.options_patch),
            ("GET", "/attributes/{attribute}/options/{code}", self.option),
            ("PATCH", "/attributes/{attribute}/options/{code}", self.option_patch),
            ("GET", "/families", self.families),
            ("PATCH", "/families", self.families_patch),
            ("GET", "/families/{code}", self.family),
            ("PATCH", "/families/{code}", self.family_patch),
            ("GET", "/families/{family}/variants", self.family_variants),
            ("GET", "/families/{family}/variants/{code}", self.family_variant),
            ("GET", "/categories", self.categories),
            ("PATCH", "/categories", self.categories_patch),
            ("GET", "/categories/{code}", self.category),
            ("PATCH", "/categories/{code}", self.category_patch),
            ("GET", "/association-types", self.association_types),
            ("GET", "/association-types/{code}", self.association_type),
            ("GET", "/products-uuid", self.products_uuid),
            ("POST", "/products-uuid", self.product_uuid_create),
            ("PATCH", "/products-uuid", self.products_uuid_patch),
            ("GET", "/products-uuid/{code}", self.product_uuid),
            ("PATCH", "/products-uuid/{code}", self.product_uuid_patch),
            ("DELETE", "/products-uuid/{code}", self.product_uuid_delete),
            ("GET", "/products", self.products),
            ("PATCH", "/products", self.products_patch),
            ("GET", "/products/{code}", self.product),
            ("PATCH", "/products/{code}", self.product_patch),
            ("DELETE", "/products/{code}", self.product_delete),
            ("GET", "/product-models", self.product_models),
            ("PATCH", "/product-models", self.product_models_patch),
            ("GET", "/product-models/{code}", self.product_model),
            ("DELETE", "/product-models/{code}", self.product_model_delete),
            ("PATCH", "/product-models/{code}", self.product_model_patch),
            ("GET", "/media-files", self.media_files),
            ("POST", "/media-files", self.media_file_upload),
            ("GET", "/media-files/{...code}/download", self.media_file_download),
            ("GET", "/media-files/{...code}", self.media_file),
            ("GET", "/reference-entities", self.reference_entities),
            ("GET", "/reference-entities/{code}", self.reference_entity),
            ("GET", "/reference-entities/{entity}/attributes", self.entity_attributes),
            ("GET", "/reference-entities/{entity}/attributes/{code}", self.entity_attribute),
            ("GET", "/reference-entities/{entity}/attributes/{attribute}/options", self.entity_options),
            ("GET", "/reference-entities/{entity}/attributes/{attribute}/options/{code}", self.entity_option),
            ("GET", "/reference-entities/{entity}/records", self.records),
            ("PATCH", "/reference-entities/{entity}/records", self.records_patch),
            ("GET", "/reference-entities/{entity}/records/{code}", self.record),
            ("PATCH", "/reference-entities/{entity}/records/{code}", self.record_patch),
            ("POST", "/reference-entities-media-files", self.entity_media_upload),
            ("GET", "/reference-entities-media-files/{...code}", self.entity_media_download),
            ("GET", "/asset-families", self.asset_families),
            ("GET", "/asset-families/{code}", self.asset_family),
            ("GET", "/asset-families/{family}/attributes", self.asset_attributes),
            ("GET", "/asset-families/{family}/attributes/{code}", self.asset_attribute),
            ("GET", "/asset-families/{family}/attributes/{attribute}/options", self.asset_options),
            ("GET", "/asset-families/{family}/attributes/{attribute}/options/{code}", self.asset_option),
            ("GET", "/asset-families/{family}/assets", self.assets),
            ("PATCH", "/asset-families/{family}/assets", self.assets_patch),
            ("GET", "/asset-families/{family}/assets/{code}", self.asset),
            ("PATCH", "/asset-families/{family}/assets/{code}", self.asset_patch),
            ("POST", "/asset-media-files", self.asset_media_upload),
            ("GET", "/asset-media-files/{...code}", self.asset_media_download),
        ]
        return [Route(method, API + path, handler) for method, path, handler in table]

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None | list[str]:
        """(route, args); or the methods the path allows (405); or ``None`` (404)."""
        allowed = []
        for route in self.routes:
            args = route.match(path)
            if args is None:
                continue
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return route, args
            allowed.append(route.method)
        return sorted(set(allowed)) or None

    # ------------------------------------------------------------------ shared helpers

    def _page(
        self, request: Request, items: list[dict], href: Callable[[dict], str], resource: str | None = None
    ) -> Reply:
        pagination_type(request, search_after_supported=False)
        if resource:
            search = parse_search(request.query.get("search"))
            if search:
                keep = simple_filter(self.catalog, resource, search)
                items = [item for item in items if keep(item)]
        return page_listing(request, items, lambda item: _with_self(href(item), item))

    def _entity_page(
        self, request: Request, items: list[dict], href: Callable[[dict], str], **extra
    ) -> Reply:
        return search_after_listing(
            request,
            sorted_walk(items),
            lambda item: _with_self(href(item), item, **extra),
            fixed_limit=ENTITY_PAGE,
        )

    # ------------------------------------------------------------------ public routes

    def root(self, request: Request) -> Reply:
        routes = {
            route.name: {"route": route.template, "methods": [route.method]}
            for route in self.routes
            if route.template != API
        }
        return json_reply(
            200,
            {
                "host": request.origin,
                "authentication": {
                    "fos_oauth_server_token": {"route": "/api/oauth/v1/token", "methods": ["POST"]}
                },
                "routes": routes,
            },
        )

    def system_information(self, request: Request) -> Reply:
        return json_reply(200, SYSTEM_INFORMATION)

    # ------------------------------------------------------------------ structure

    def channels(self, r: Request) -> Reply:
        return self._page(r, list(self.catalog.channels.values()), lambda i: r.api_url("channels", i["code"]))

    def channel(self, r: Request) -> Reply:
        code = r.args["code"]
        return json_reply(200, _get(self.catalog.channels, code, f'Channel "{code}" does not exist.'))

    def locales(self, r: Request) -> Reply:
        return self._page(r, list(self.catalog.locales), lambda i: r.api_url("locales", i["code"]), "locales")

    def locale(self, r: Request) -> Reply:
        code = r.args["code"]
        found = {loc["code"]: loc for loc in self.catalog.locales}
        return json_reply(200, _get(found, code, f'Locale "{code}" does not exist.'))

    def currencies(self, r: Request) -> Reply:
        return self._page(
            r, list(self.catalog.currencies), lambda i: r.api_url("currencies", i["code"]), "currencies"
        )

    def currency(self, r: Request) -> Reply:
        code = r.args["code"]
        found = {c["code"]: c for c in self.catalog.currencies}
        return json_reply(200, _get(found, code, f'Currency "{code}" does not exist.'))

    def measurement_families(self, r: Request) -> Reply:
        return json_reply(200, list(self.catalog.measurement_families.values()))

    def attribute_groups(self, r: Request) -> Reply:
        items = list(self.catalog.attribute_groups.values())
        return self._page(r, items, lambda i: r.api_url("attribute-groups", i["code"]), "attribute-groups")

    def attribute_group(self, r: Request) -> Reply:
        code = r.args["code"]
        return json_reply(
            200, _get(self.catalog.attribute_groups, code, f'Attribute group "{code}" does not exist.')
        )

    def attributes(self, r: Request) -> Reply:
        items = [_attribute_json(r, item) for item in self.catalog.attributes.values()]
        return self._page(r, items, lambda i: r.api_url("attributes", i["code"]), "attributes")

    def attribute(self, r: Request) -> Reply:
        code = r.args["code"]
        found = _get(self.catalog.attributes, code, f'Attribute "{code}" does not exist.')
        return json_reply(200, _attribute_json(r, found))

    def attribute_patch(self, r: Request) -> Reply:
        catalog = self.catalog
        allowed = ATTRIBUTE_PROPERTIES

        def validate(body: dict, existing: dict | None) -> None:
            if existing is None and not body.get("type"):
                raise Invalid('Property "type" is required.', documented=True)
            if existing is not None and body.get("type") not in (None, existing["type"]):
                raise Invalid(
                    "Validation failed.",
                    [{"property": "type", "message": "This property cannot be changed."}],
                )
            if "group" in body and body["group"] not in catalog.attribute_groups:
                raise Invalid(
                    unknown_code("group", "attribute group", body["group"]),
                    documented=True,
                )

        defaults = {**ATTRIBUTE_DEFAULTS, "group": next(iter(catalog.attribute_groups), None)}

        def upsert(body: dict) -> int:
            body = table_attribute_body(body, catalog.attributes.get(r.args["code"]))
            status = self.writer().code_upsert(
                catalog.attributes,
                body,
                key=r.args["code"],
                defaults=defaults,
                allowed=allowed,
                validate=validate,
                resource="attributes",
            )
            attribute = catalog.attributes[r.args["code"]]
            group = catalog.attribute_groups.get(attribute.get("group"))
            if group is not None and attribute["code"] not in group["attributes"]:
                group["attributes"].append(attribute["code"])
            return status

        return single_write(r, lambda: r.api_url("attributes", r.args["code"]), upsert)

    def _select_attribute(self, code: str) -> dict[str, dict]:
        if code not in self.catalog.attributes:
            raise ApiError(404, f'Attribute "{code}" does not exist.')
        if self.catalog.attribute_type(code) not in SELECT_TYPES:
            raise ApiError(
                404,
                f'Attribute "{code}" does not support options. Only attributes of type '
                f'"pim_catalog_simpleselect", "pim_catalog_multiselect" support options.',
            )
        return self.catalog.options.setdefault(code, {})

    def options(self, r: Request) -> Reply:
        attribute = r.args["attribute"]
        options = self._select_attribute(attribute)
        return self._page(
            r, list(options.values()), lambda i: r.api_url("attributes", attribute, "options", i["code"])
        )

    def option(self, r: Request) -> Reply:
        attribute, code = r.args["attribute"], r.args["code"]
        options = self._select_attribute(attribute)
        return json_reply(
            200,
            _get(
                options,
                code,
                f'Attribute option "{code}" does not exist or is not an option of the attribute '
                f'"{attribute}".',
            ),
        )

    def _option_upsert(
        self, r: Request, key: str | None, *, create_only: bool = False
    ) -> Callable[[dict], int]:
        attribute = r.args["attribute"]
        options = self._select_attribute(attribute)

        def validate(body: dict, existing: dict | None) -> None:
            if body.get("attribute") not in (None, attribute):
                raise Invalid(
                    f'The attribute "{body["attribute"]}" provided in the request body must match the '
                    f'attribute "{attribute}" provided in the url.'
                )

        def upsert(body: dict) -> int:
            defaults = {"attribute": attribute, "sort_order": len(options) + 1, "labels": {}}
            return self.writer().code_upsert(
                options,
                body,
                key=key,
                defaults=defaults,
                allowed={"code", "attribute", "sort_order", "labels"},
                validate=validate,
                create_only=create_only,
            )

        return upsert

    def options_patch(self, r: Request) -> Reply:
        upsert = self._option_upsert(r, None)
        return ndjson_batch(r, "code", lambda body: (upsert(body), None))

    def option_create(self, r: Request) -> Reply:
        attribute = r.args["attribute"]
        # The location is asked for once the body was accepted, so its code is there.
        location = lambda: r.api_url("attributes", attribute, "options", r.json()["code"])  # noqa: E731
        return single_write(r, location, self._option_upsert(r, None, create_only=True))

    def option_patch(self, r: Request) -> Reply:
        attribute, code = r.args["attribute"], r.args["code"]
        return single_write(
            r, lambda: r.api_url("attributes", attribute, "options", code), self._option_upsert(r, code)
        )

    def families(self, r: Request) -> Reply:
        return self._page(
            r, list(self.catalog.families.values()), lambda i: r.api_url("families", i["code"]), "families"
        )

    def family(self, r: Request) -> Reply:
        code = r.args["code"]
        return json_reply(200, _get(self.catalog.families, code, f'Family "{code}" does not exist.'))

    def _family_upsert(self, key: str | None) -> Callable[[dict], int]:
        catalog = self.catalog

        def validate(body: dict, existing: dict | None) -> None:
            attributes = body.get("attributes", (existing or {}).get("attributes", []))
            if not isinstance(attributes, list):
                raise Invalid('Property "attributes" expects an array as data.', documented=True)
            for code in attributes:
                if code not in catalog.attributes:
                    raise Invalid(
                        unknown_code("attributes", "attribute", code),
                        documented=True,
                    )
            for prop in ("attribute_as_label", "attribute_as_image"):
                if body.get(prop) and body[prop] not in attributes:
                    raise Invalid(
                        "Validation failed.",
                        [{"property": prop, "message": f'Property "{prop}" must belong to the family'}],
                    )
            requirements = body.get("attribute_requirements", {})
            if not isinstance(requirements, dict):
                raise Invalid('Property "attribute_requirements" expects an array as data.', documented=True)
            for channel in requirements:
                if channel not in catalog.channels:
                    raise Invalid(
                        unknown_code("attribute_requirements", "channel", channel),
                        documented=True,
                    )

        def upsert(body: dict) -> int:
            if (
                "attributes" in body
                and isinstance(body["attributes"], list)
                and "sku" not in body["attributes"]
            ):
                body = {**body, "attributes": ["sku", *body["attributes"]]}
            defaults = {
                "attributes": ["sku"],
                "attribute_as_label": "sku",
                "attribute_as_image": None,
                "attribute_requirements": {channel: ["sku"] for channel in catalog.channels},
                "labels": {},
            }
            allowed = {
                "code",
                "attributes",
                "attribute_as_label",
                "attribute_as_image",
                "attribute_requirements",
                "labels",
            }
            status = self.writer().code_upsert(
                catalog.families,
                body,
                key=key,
                defaults=defaults,
                allowed=allowed,
                validate=validate,
                resource="families",
            )
            catalog.family_variants.setdefault(key or body["code"], {})
            return status

        return upsert

    def families_patch(self, r: Request) -> Reply:
        upsert = self._family_upsert(None)
        return ndjson_batch(r, "code", lambda body: (upsert(body), None))

    def family_patch(self, r: Request) -> Reply:
        return single_write(
            r, lambda: r.api_url("families", r.args["code"]), self._family_upsert(r.args["code"])
        )

    def family_variants(self, r: Request) -> Reply:
        family = r.args["family"]
        variants = _get(self.catalog.family_variants, family, f'Family "{family}" does not exist.')
        return self._page(
            r, list(variants.values()), lambda i: r.api_url("families", family, "variants", i["code"])
        )

    def family_variant(self, r: Request) -> Reply:
        family, code = r.args["family"], r.args["code"]
        variants = _get(self.catalog.family_variants, family, f'Family "{family}" does not exist.')
        return json_reply(200, _get(variants, code, f'Family variant "{code}" does not exist.'))

    def _category_json(self, r: Request, item: dict, positions: dict[str, int] | None) -> dict:
        out = {"code": item["code"], "parent": item.get("parent"), "updated": item.get("updated")}
        if positions is not None:
            out["position"] = positions.get(item["code"], 1)
        out["labels"] = item.get("labels", {})
        return out

    def _positions(self) -> dict[str, int]:
        counters: dict[str | None, int] = {}
        positions = {}
        for category in self.catalog.categories.values():
            parent = category.get("parent")
            counters[parent] = counters.get(parent, 0) + 1
            positions[category["code"]] = counters[parent]
        return positions

    def categories(self, r: Request) -> Reply:
        positions = self._positions() if r.query.get("with_position") == "true" else None
        items = [self._category_json(r, item, positions) for item in self.catalog.categories.values()]
        return self._page(r, items, lambda i: r.api_url("categories", i["code"]), "categories")

    def category(self, r: Request) -> Reply:
        code = r.args["code"]
        item = _get(self.catalog.categories, code, f'Category "{code}" does not exist.')
        positions = self._positions() if r.query.get("with_position") == "true" else None
        return json_reply(200, self._category_json(r, item, positions))

    def _category_upsert(self, key: str | None) -> Callable[[dict], int]:
        catalog = self.catalog

        def validate(body: dict, existing: dict | None) -> None:
            code = key or body.get("code")
            parent = body.get("parent")
            if parent is not None and (parent not in catalog.categories or parent == code):
                raise Invalid(
                    unknown_code("parent", "category", parent),
                    documented=True,
                )

        def upsert(body: dict) -> int:
            defaults = {"parent": None, "updated": None, "labels": {}}
            return self.writer().code_upsert(
                catalog.categories,
                body,
                key=key,
                defaults=defaults,
                allowed={"code", "parent", "labels", "updated"},
                validate=validate,
            )

        return upsert

    def categories_patch(self, r: Request) -> Reply:
        upsert = self._category_upsert(None)
        return ndjson_batch(r, "code", lambda body: (upsert(body), None))

    def category_patch(self, r: Request) -> Reply:
        return single_write(
            r, lambda: r.api_url("categories", r.args["code"]), self._category_upsert(r.args["code"])
        )

    def association_types(self, r: Request) -> Reply:
        items = list(self.catalog.association_types.values())
        return self._page(r, items, lambda i: r.api_url("association-types", i["code"]))

    def association_type(self, r: Request) -> Reply:
        code = r.args["code"]
        return json_reply(
            200, _get(self.catalog.association_types, code, f'Association type "{code}" does not exist.')
        )

    # ------------------------------------------------------------------ products

    def _slim(self, r: Request) -> Slim:
        catalog = self.catalog
        scope = r.query.get("scope") or None
        if scope and scope not in catalog.channels:
            raise ApiError(422, f'Scope "{scope}" does not exist.')
        locales = [code for code in (r.query.get("locales") or "").split(",") if code] or None
        if locales:
            unknown = [code for code in locales if code not in catalog.enabled_locales()]
            if len(unknown) > 1:
                raise ApiError(422, f'Locales "{", ".join(unknown)}" do not exist or are not activated.')
            if unknown:
                raise ApiError(422, f'Locale "{unknown[0]}" does not exist or is not activated.')
        elif scope:
            locales = list(catalog.channels[scope].get("locales") or [])
        attributes = [code for code in (r.query.get("attributes") or "").split(",") if code] or None
        if attributes:
            unknown = [code for code in attributes if code not in catalog.attributes]
            if len(unknown) > 1:
                raise ApiError(422, f'Attributes "{", ".join(unknown)}" do not exist.')
            if unknown:
                raise ApiError(422, f'Attribute "{unknown[0]}" does not exist.')
        with_options = r.query.get("with_attribute_options") == "true"
        special = {
            code: attribute["type"]
            for code, attribute in catalog.attributes.items()
            if attribute["type"] in MEDIA_TYPES or (with_options and attribute["type"] in SELECT_TYPES)
        }
        return Slim(
            scope,
            locales,
            attributes,
            with_options=with_options,
            with_completenesses=r.query.get("with_completenesses") == "true",
            special=special,
        )

    def _inherited(self, item: dict) -> tuple[dict[str, list], list[str]]:
        """Values and categories of a variant product or sub model, with what its ancestors give it."""
        values = dict(item.get("values") or {})
        categories = list(item.get("categories") or [])
        models, parent, depth = self.catalog.product_models, item.get("parent"), 0
        while parent and depth < 3:
            model = models.peek(parent)
            if model is None:
                break
            for code, entries in (model.get("values") or {}).items():
                values.setdefault(code, entries)
            categories.extend(c for c in model.get("categories") or [] if c not in categories)
            parent, depth = model.get("parent"), depth + 1
        return values, categories

    def _values_json(self, r: Request, values: dict[str, list], slim: Slim) -> dict[str, list]:
        special = slim.special
        if not slim.filters and not any(code in special for code in values):
            return values  # nothing to drop, nothing to add: serve as stored
        out = {}
        for code, entries in values.items():
            if slim.attributes and code not in slim.attributes:
                continue
            kind = special.get(code)
            kept = []
            for entry in entries:
                if slim.scope and entry.get("scope") not in (None, slim.scope):
                    continue
                if slim.locales and entry.get("locale") not in (None, *slim.locales):
                    continue
                if kind in MEDIA_TYPES and isinstance(entry.get("data"), str):
                    link = r.api_url("media-files", entry["data"], keep_slashes=True) + "/download"
                    entry = {**entry, "_links": {"download": {"href": link}}}
                elif slim.with_options and kind in SELECT_TYPES and entry.get("data"):
                    entry = {**entry, "linked_data": self._linked(code, entry["data"])}
                kept.append(entry)
            if kept:
                out[code] = kept
        return out

    def _linked(self, attribute: str, data: Any) -> dict:
        options = self.catalog.options.get(attribute, {})

        def one(code: str) -> dict:
            return {
                "attribute": attribute,
                "code": code,
                "labels": (options.get(code) or {}).get("labels", {}),
            }

        return {code: one(code) for code in data} if isinstance(data, list) else one(data)

    def product_json(self, r: Request, record: Record, by: str, slim: Slim, links: bool) -> dict:
        catalog = self.catalog
        product = catalog.products.full(record)
        values, categories = self._inherited(product)
        out: dict[str, Any] = {}
        if links:
            key = product["uuid"] if by == "uuid" else product.get("identifier")
            out["_links"] = {
                "self": {"href": r.api_url("products-uuid" if by == "uuid" else "products", key)}
            }
        out["uuid"] = product["uuid"]
        if by == "identifier":
            out["identifier"] = product.get("identifier")
        associations = {}
        for type_code, linked in (product.get("associations") or {}).items():
            linked = dict(linked)
            if by == "identifier":
                found = (catalog.products.raw(u) for u in linked.get("products") or [])
                linked["products"] = [
                    p.get("identifier") for p in found if p is not None and p.get("identifier")
                ]
            associations[type_code] = linked
        out.update(
            {
                "enabled": product.get("enabled", True),
                "family": product.get("family"),
                "categories": categories,
                "groups": product.get("groups") or [],
                "parent": product.get("parent"),
                "values": self._values_json(r, values, slim),
                "associations": associations,
                "quantified_associations": product.get("quantified_associations") or {},
                "created": product.get("created"),
                "updated": product.get("updated"),
            }
        )
        if slim.with_completenesses:
            percents = catalog.completeness.get(product["uuid"]) or {}
            out["completenesses"] = [
                {"scope": channel, "locale": locale, "data": percents.get(channel, 0)}
                for channel, definition in catalog.channels.items()
                for locale in definition.get("locales") or []
            ]
        return out

    def model_json(self, r: Request, record: Record, slim: Slim, links: bool) -> dict:
        model = self.catalog.product_models.full(record)
        values, categories = self._inherited(model)
        out: dict[str, Any] = {}
        if links:
            out["_links"] = {"self": {"href": r.api_url("product-models", model["code"])}}
        out.update({k: v for k, v in model.items() if not k.startswith("_")})
        out["categories"] = categories
        out["values"] = self._values_json(r, values, slim)
        return out

    def _product_query(self, r: Request, kind: str, slim: Slim) -> ProductQuery:
        return ProductQuery(
            self.catalog,
            parse_search(r.query.get("search")),
            kind=kind,
            search_locale=r.query.get("search_locale") or None,
            search_scope=r.query.get("search_scope") or None,
            channel=slim.scope,
        )

    def _list_records(
        self, r: Request, store, accept: Callable[[Record], bool], render: Callable[[Record], dict]
    ) -> Reply:
        kind = pagination_type(r, search_after_supported=True)
        limit_of(r)  # refuse a bad limit before any work

        def walk(after: str | None) -> Iterator[tuple[str, Record]]:
            for key in store.keys_after(after):
                record = store.raw(key)
                if record is not None and accept(record):
                    yield key, record

        if kind == "search_after":
            return search_after_listing(r, walk, render)
        return page_listing(r, (record for _, record in walk(None)), render, max_offset=MAX_OFFSET)

    def _products(self, r: Request, by: str) -> Reply:
        slim = self._slim(r)
        query = self._product_query(r, "product", slim)

        def accept(record: Record) -> bool:
            return (by == "uuid" or bool(record.get("identifier"))) and query.matches(record)

        return self._list_records(
            r, self.catalog.products, accept, lambda rec: self.product_json(r, rec, by, slim, True)
        )

    def products_uuid(self, r: Request) -> Reply:
        return self._products(r, "uuid")

    def products(self, r: Request) -> Reply:
        return self._products(r, "identifier")

    def _product_key(self, r: Request, by: str) -> str:
        code, store = r.args["code"], self.catalog.products
        key = code if by == "uuid" and code in store else (store.find(code) if by == "identifier" else None)
        if key is None:
            raise ApiError(
                404, f'Product "{code}" does not exist or you do not have permission to access it.'
            )
        return key

    def product_uuid(self, r: Request) -> Reply:
        key = self._product_key(r, "uuid")
        return json_reply(
            200, self.product_json(r, self.catalog.products.raw(key), "uuid", self._slim(r), False)
        )

    def product(self, r: Request) -> Reply:
        key = self._product_key(r, "identifier")
        return json_reply(
            200, self.product_json(r, self.catalog.products.raw(key), "identifier", self._slim(r), False)
        )

    def product_uuid_create(self, r: Request) -> Reply:
        created: list[str] = []

        def upsert(body: dict) -> int:
            status, key = self.writer().product(body, by="uuid", create_only=True)
            created.append(key)
            return status

        reply = single_write(r, lambda: "", upsert)
        reply.headers["Location"] = r.api_url("products-uuid", created[0])
        return reply

    def products_uuid_patch(self, r: Request) -> Reply:
        def upsert(body: dict) -> tuple[int, str | None]:
            if not body.get("uuid"):
                raise Invalid('Property "uuid" is required.', documented=True)
            return self.writer().product(body, by="uuid", key=body["uuid"])

        return ndjson_batch(r, "uuid", upsert)

    def product_uuid_patch(self, r: Request) -> Reply:
        key = r.args["code"]
        return single_write(
            r,
            lambda: r.api_url("products-uuid", key),
            lambda body: self.writer().product(body, by="uuid", key=key)[0],
        )

    def products_patch(self, r: Request) -> Reply:
        def upsert(body: dict) -> tuple[int, str | None]:
            if not body.get("identifier"):
                raise Invalid("Identifier is missing.")
            status, _ = self.writer().product(body, by="identifier", key=body["identifier"])
            return status, None

        return ndjson_batch(r, "identifier", upsert)

    def product_patch(self, r: Request) -> Reply:
        key = r.args["code"]
        return single_write(
            r,
            lambda: r.api_url("products", key),
            lambda body: self.writer().product(body, by="identifier", key=key)[0],
        )

    def _delete_product(self, key: str) -> Reply:
        catalog = self.catalog
        identifier = catalog.products.raw(key).get("identifier")
        del catalog.products[key]
        catalog.completeness.pop(key, None)
        self.pim.events.emit("product", "deleted", uuid=key, identifier=identifier)
        return empty_reply(204)

    def product_model_delete(self, r: Request) -> Reply:
        """The model, its sub-models and their variant products go, each with its event."""
        code, catalog = r.args["code"], self.catalog
        if catalog.product_models.raw(code) is None:
            raise ApiError(
                404, f'Product model "{code}" does not exist or you do not have permission to access it.'
            )
        models = {code}
        models |= {
            key
            for key in list(catalog.product_models)
            if catalog.product_models.raw(key).get("parent") == code
        }
        for key in [k for k in list(catalog.products) if catalog.products.raw(k).get("parent") in models]:
            self._delete_product(key)
        for key in sorted(models, key=lambda m: m != code):
            del catalog.product_models[key]
            self.pim.events.emit("product-model", "deleted", code=key)
        return empty_reply(204)

    def product_uuid_delete(self, r: Request) -> Reply:
        return self._delete_product(self._product_key(r, "uuid"))

    def product_delete(self, r: Request) -> Reply:
        return self._delete_product(self._product_key(r, "identifier"))

    def product_models(self, r: Request) -> Reply:
        slim = self._slim(r)
        query = self._product_query(r, "model", slim)
        return self._list_records(
            r, self.catalog.product_models, query.matches, lambda rec: self.model_json(r, rec, slim, True)
        )

    def product_model(self, r: Request) -> Reply:
        code = r.args["code"]
        record = self.catalog.product_models.raw(code)
        if record is None:
            raise ApiError(
                404, f'Product model "{code}" does not exist or you do not have permission to access it.'
            )
        return json_reply(200, self.model_json(r, record, self._slim(r), False))

    def product_models_patch(self, r: Request) -> Reply:
        return ndjson_batch(r, "code", lambda body: (self.writer().model(body), None))

    def product_model_patch(self, r: Request) -> Reply:
        code = r.args["code"]
        return single_write(
            r, lambda: r.api_url("product-models", code), lambda body: self.writer().model(body, key=code)
        )

    # ------------------------------------------------------------------ media

    def _media_json(self, r: Request, media: dict, *, with_self: bool) -> dict:
        download = r.api_url("media-files", media["code"], keep_slashes=True) + "/download"
        links = {"download": {"href": download}}
        if with_self:
            links = {"self": {"href": r.api_url("media-files", media["code"], keep_slashes=True)}, **links}
        data = media.get("_bytes")
        return {
            "_links": links,
            "code": media["code"],
            "original_filename": media.get("original_filename"),
            "mime_type": media.get("mime_type"),
            "size": len(data) if data is not None else len(png_bytes(media["code"])),
            "extension": extension(media.get("original_filename")),
        }

    def media_files(self, r: Request) -> Reply:
        pagination_type(r, search_after_supported=False)
        return page_listing(
            r, list(self.catalog.media.values()), lambda m: self._media_json(r, m, with_self=True)
        )

    def media_file(self, r: Request) -> Reply:
        code = r.args["code"]
        media = _get(self.catalog.media, code, f'Media file "{code}" does not exist.')
        return json_reply(200, self._media_json(r, media, with_self=False))

    def media_file_download(self, r: Request) -> Reply:
        code = r.args["code"]
        return _download(_get(self.catalog.media, code, f'Media file "{code}" does not exist.'))

    def _uploaded_file(self, r: Request) -> tuple[dict, dict]:
        """(parts, file entry) of a multipart upload; 415 / 422 as the PIM answers."""
        if r.content_type != "multipart/form-data":
            shown = r.content_type or ""
            raise ApiError(
                415,
                f'"{shown}" in "Content-Type" header is not valid. Only "multipart/form-data" is allowed.',
            )
        try:
            parts = parse_multipart(r.headers.get("Content-Type") or "", r.body)
        except MultipartError as error:
            raise ApiError(400, str(error)) from None
        part = parts.get("file")
        if part is None or part.filename is None:
            raise ApiError(422, 'Property "file" is required.')
        filename = part.filename or "file"
        mime = part.content_type
        if not mime or mime in ("application/octet-stream", "text/plain"):
            mime = mimetypes.guess_type(filename)[0] or mime or "application/octet-stream"
        return parts, {"original_filename": filename, "mime_type": mime, "_bytes": part.content}

    def media_file_upload(self, r: Request) -> Reply:
        parts, file = self._uploaded_file(r)
        owner_field = [name for name in ("product", "product_model") if name in parts]
        if not owner_field:
            raise ApiError(
                422, 'You should at least give one of the following properties: "product" or "product_model".'
            )
        if len(owner_field) > 1:
            raise ApiError(422, 'You should give either a "product" or a "product_model" key.')
        try:
            owner = _parse_owner(parts[owner_field[0]].text())
        except ValueError:
            raise ApiError(400, "Invalid json message received") from None
        attribute = owner.get("attribute")
        if self.catalog.attribute_type(attribute) not in MEDIA_TYPES:
            raise ApiError(
                422, f'Attribute "{attribute}" does not exist or is not a media attribute (image or file).'
            )
        code = media_code(f"upload-{uuid_module.uuid4()}", file["original_filename"])
        self.catalog.media[code] = {"code": code, **file}
        body = {
            "values": {
                attribute: [{"locale": owner.get("locale"), "scope": owner.get("scope"), "data": code}]
            }
        }
        try:
            if owner_field[0] == "product":
                key = owner.get("uuid") or self.catalog.products.find(owner.get("identifier") or "")
                if not key or key not in self.catalog.products:
                    shown = owner.get("uuid") or owner.get("identifier")
                    raise ApiError(422, f'Product "{shown}" does not exist.')
                self.writer().product(body, by="uuid", key=key)
            else:
                model = owner.get("code")
                if not model or model not in self.catalog.product_models:
                    raise ApiError(422, f'Product model "{model}" does not exist.')
                self.writer().model(body, key=model)
        except (ApiError, Invalid) as error:
            del self.catalog.media[code]
            if isinstance(error, Invalid):
                raise r.invalid(error) from None
            raise
        return empty_reply(201, {"Location": r.api_url("media-files", code, keep_slashes=True)})

    def asset_media_upload(self, r: Request) -> Reply:
        _, file = self._uploaded_file(r)
        code = media_code(f"asset-upload-{uuid_module.uuid4()}", file["original_filename"])
        self.catalog.asset_media[code] = {"code": code, **file}
        location = r.api_url("asset-media-files", code, keep_slashes=True)
        return empty_reply(201, {"Location": location, "Asset-media-file-code": code})

    def asset_media_download(self, r: Request) -> Reply:
        code = r.args["code"]
        return _download(_get(self.catalog.asset_media, code, f'Media file "{code}" does not exist.'))

    def entity_media_upload(self, r: Request) -> Reply:
        _, file = self._uploaded_file(r)
        code = media_code(f"entity-upload-{uuid_module.uuid4()}", file["original_filename"])
        self.catalog.reference_entity_media[code] = {"code": code, **file}
        location = r.api_url("reference-entities-media-files", code, keep_slashes=True)
        return empty_reply(201, {"Location": location, "Reference-entities-media-file-code": code})

    def entity_media_download(self, r: Request) -> Reply:
        code = r.args["code"]
        return _download(
            _get(self.catalog.reference_entity_media, code, f'Media file "{code}" does not exist.')
        )

    # ------------------------------------------------------------------ reference entities

    def _entity(self, code: str) -> dict:
        return _get(self.catalog.reference_entities, code, f'Reference entity "{code}" does not exist.')

    def reference_entities(self, r: Request) -> Reply:
        def render(item: dict) -> dict:
            links = {"self": {"href": r.api_url("reference-entities", item["code"])}}
            if item.get("image"):
                href = r.api_url("reference-entities-media-files", item["image"], keep_slashes=True)
                links["image_download"] = {"href": href}
            return {"_links": links, **_strip_private(item)}

        items = list(self.catalog.reference_entities.values())
        return search_after_listing(r, sorted_walk(items), render, fixed_limit=ENTITY_PAGE)

    def reference_entity(self, r: Request) -> Reply:
        return json_reply(200, _strip_private(self._entity(r.args["code"])))

    def _entity_attribute(self, entity: str, code: str) -> dict:
        self._entity(entity)
        found = {a["code"]: a for a in self.catalog.reference_entity_attributes.get(entity, [])}
        return _get(found, code, f'Attribute "{code}" does not exist for reference entity "{entity}".')

    def entity_attributes(self, r: Request) -> Reply:
        self._entity(r.args["entity"])
        return json_reply(200, list(self.catalog.reference_entity_attributes.get(r.args["entity"], [])))

    def entity_attribute(self, r: Request) -> Reply:
        return json_reply(200, self._entity_attribute(r.args["entity"], r.args["code"]))

    def _entity_options(self, entity: str, attribute: str) -> dict[str, dict]:
        found = self._entity_attribute(entity, attribute)
        if found.get("type") not in ("single_option", "multiple_options"):
            raise ApiError(404, f'Attribute "{attribute}" does not support options.')
        return self.catalog.reference_entity_options.get(entity, {}).get(attribute, {})

    def entity_options(self, r: Request) -> Reply:
        return json_reply(200, list(self._entity_options(r.args["entity"], r.args["attribute"]).values()))

    def entity_option(self, r: Request) -> Reply:
        code = r.args["code"]
        options = self._entity_options(r.args["entity"], r.args["attribute"])
        return json_reply(200, _get(options, code, f'Attribute option "{code}" does not exist.'))

    def _entity_values(self, r: Request, item: dict) -> dict:
        channel = r.query.get("channel") or None
        locales = [code for code in (r.query.get("locales") or "").split(",") if code] or None
        if channel is None and locales is None:
            return item
        values = {}
        for code, entries in (item.get("values") or {}).items():
            kept = [
                e
                for e in entries
                if (channel is None or e.get("channel") in (None, channel))
                and (locales is None or e.get("locale") in (None, *locales))
            ]
            if kept:
                values[code] = kept
        return {**item, "values": values}

    def records(self, r: Request) -> Reply:
        entity = r.args["entity"]
        self._entity(entity)
        items = list(self.catalog.records.get(entity, {}).values())
        search = parse_search(r.query.get("search"))
        if search:
            keep = simple_filter(self.catalog, "records", search)
            items = [item for item in items if keep(item)]

        def render(item: dict) -> dict:
            href = r.api_url("reference-entities", entity, "records", item["code"])
            return _with_self(href, self._entity_values(r, item))

        return search_after_listing(r, sorted_walk(items), render, fixed_limit=ENTITY_PAGE)

    def record(self, r: Request) -> Reply:
        entity, code = r.args["entity"], r.args["code"]
        self._entity(entity)
        record = _get(self.catalog.records.get(entity, {}), code, f'Record "{code}" does not exist.')
        return json_reply(200, self._entity_values(r, record))

    def _record_upsert(self, entity: str, key: str | None) -> Callable[[dict], int]:
        catalog = self.catalog
        self._entity(entity)

        def upsert(body: dict) -> int:
            return self.writer().entity_item(
                catalog.records.setdefault(entity, {}),
                catalog.reference_entity_attributes.get(entity, []),
                catalog.reference_entity_options.get(entity, {}),
                {**catalog.reference_entity_media, **catalog.media},
                body,
                key=key,
            )

        return upsert

    def records_patch(self, r: Request) -> Reply:
        return json_array_batch(r, self._record_upsert(r.args["entity"], None))

    def record_patch(self, r: Request) -> Reply:
        entity, code = r.args["entity"], r.args["code"]
        location = lambda: r.api_url("reference-entities", entity, "records", code)  # noqa: E731
        return single_write(r, location, self._record_upsert(entity, code))

    # ------------------------------------------------------------------ asset manager

    def _asset_family(self, code: str) -> dict:
        return _get(self.catalog.asset_families, code, f'Asset family "{code}" does not exist.')

    def asset_families(self, r: Request) -> Reply:
        items = list(self.catalog.asset_families.values())
        return self._entity_page(r, items, lambda i: r.api_url("asset-families", i["code"]))

    def asset_family(self, r: Request) -> Reply:
        return json_reply(200, _strip_private(self._asset_family(r.args["code"])))

    def _asset_attribute(self, family: str, code: str) -> dict:
        self._asset_family(family)
        found = {a["code"]: a for a in self.catalog.asset_family_attributes.get(family, [])}
        return _get(found, code, f'Attribute "{code}" does not exist for asset family "{family}".')

    def asset_attributes(self, r: Request) -> Reply:
        self._asset_family(r.args["family"])
        return json_reply(200, list(self.catalog.asset_family_attributes.get(r.args["family"], [])))

    def asset_attribute(self, r: Request) -> Reply:
        return json_reply(200, self._asset_attribute(r.args["family"], r.args["code"]))

    def _asset_options(self, family: str, attribute: str) -> dict[str, dict]:
        found = self._asset_attribute(family, attribute)
        if found.get("type") not in ("single_option", "multiple_options"):
            raise ApiError(404, f'Attribute "{attribute}" does not support options.')
        return self.catalog.asset_family_options.get(family, {}).get(attribute, {})

    def asset_options(self, r: Request) -> Reply:
        return json_reply(200, list(self._asset_options(r.args["family"], r.args["attribute"]).values()))

    def asset_option(self, r: Request) -> Reply:
        code = r.args["code"]
        options = self._asset_options(r.args["family"], r.args["attribute"])
        return json_reply(200, _get(options, code, f'Attribute option "{code}" does not exist.'))

    def _asset_json(self, r: Request, family: str, item: dict) -> dict:
        item = self._entity_values(r, item)
        media_attributes = {
            a["code"]
            for a in self.catalog.asset_family_attributes.get(family, [])
            if a.get("type") == "media_file"
        }
        values = {}
        for code, entries in (item.get("values") or {}).items():
            if code in media_attributes:
                entries = [
                    {
                        **e,
                        "_links": {
                            "download": {"href": r.api_url("asset-media-files", e["data"], keep_slashes=True)}
                        },
                    }
                    if isinstance(e.get("data"), str)
                    else e
                    for e in entries
                ]
            values[code] = entries
        return {**item, "values": values}

    def assets(self, r: Request) -> Reply:
        family = r.args["family"]
        self._asset_family(family)
        items = list(self.catalog.assets.get(family, {}).values())
        search = parse_search(r.query.get("search"))
        if search:
            keep = simple_filter(self.catalog, "assets", search)
            items = [item for item in items if keep(item)]

        def render(item: dict) -> dict:
            href = r.api_url("asset-families", family, "assets", item["code"])
            return _with_self(href, self._asset_json(r, family, item))

        return search_after_listing(r, sorted_walk(items), render, fixed_limit=ENTITY_PAGE)

    def asset(self, r: Request) -> Reply:
        family, code = r.args["family"], r.args["code"]
        self._asset_family(family)
        item = _get(self.catalog.assets.get(family, {}), code, f'Asset "{code}" does not exist.')
        return json_reply(200, self._asset_json(r, family, item))

    def _asset_upsert(self, family: str, key: str | None) -> Callable[[dict], int]:
        catalog = self.catalog
        self._asset_family(family)

        def upsert(body: dict) -> int:
            if body.get("asset_family_code") not in (None, family):
                raise Invalid(f'The asset family code "{body["asset_family_code"]}" must be "{family}".')
            return self.writer().entity_item(
                catalog.assets.setdefault(family, {}),
                catalog.asset_family_attributes.get(family, []),
                catalog.asset_family_options.get(family, {}),
                catalog.asset_media,
                body,
                key=key,
                extra={"asset_family_code": family},
            )

        return upsert

    def assets_patch(self, r: Request) -> Reply:
        return json_array_batch(r, self._asset_upsert(r.args["family"], None))

    def asset_patch(self, r: Request) -> Reply:
        family, code = r.args["family"], r.args["code"]
        location = lambda: r.api_url("asset-families", family, "assets", code)  # noqa: E731
        return single_write(r, location, self._asset_upsert(family, code))


def _parse_owner(text: str) -> dict:
    owner = json.loads(text)
    if not isinstance(owner, dict):
        raise ValueError("not an object")
    return owner


def _download(media: dict) -> Reply:
    data = media.get("_bytes")
    if data is None:
        data = png_bytes(media["code"])
    filename = (media.get("original_filename") or "file").replace('"', "")
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Reply(200, data, media.get("mime_type") or "application/octet-stream", headers)
