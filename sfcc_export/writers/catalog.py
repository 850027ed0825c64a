"""Catalog import documents (catalog.xsd), written element by element with lxml's incremental writer.

The writer knows the schema's order (categories, then products, then category assignments) and
the order of a product's children; callers hand it plain records. No Django here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from lxml import etree

from .xml import XML_LANG, add_localized

NS = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
# Each element is serialized on its own; a default namespace keeps it free of ns0: prefixes.
NSMAP = {None: NS}
LOCALIZED_SYSTEM = ("display-name", "short-description", "long-description")
# catalog.xsd, complexType.Product: the system elements we write, in schema order.
SYSTEM_ORDER = (
    "ean",
    "upc",
    "display-name",
    "short-description",
    "long-description",
    "online-flag",
    "searchable-flag",
    "tax-class-id",
    "brand",
    "manufacturer-name",
    "manufacturer-sku",
)
MAX_LENGTH = {"display-name": 4000, "tax-class-id": 256}
SECTION_ORDER = ("header", "category", "product", "category-assignment")


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


@dataclass
class CustomValue:
    attribute_id: str
    locale: str | None
    texts: tuple[str, ...]
    multiple: bool = False


@dataclass
class VariationAttribute:
    attribute_id: str
    display_name: dict[str, str] = field(default_factory=dict)
    values: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # value, display per locale


@dataclass
class ImageGroup:
    view_type: str
    paths: list[str]
    # On a master: the variation values (attribute id, value) the group's images are for.
    variation: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ImageSettings:
    view_types: list[str]
    base_path: str | None = "/images"  # images packed in the catalog's static folder
    http_url: str | None = None  # or an external location


@dataclass
class ProductRecord:
    product_id: str
    mode: str | None = None  # "delete"
    system: dict[str, dict[str | None, str]] = field(default_factory=dict)  # element → locale → text
    online: bool | None = None
    custom: list[CustomValue] = field(default_factory=list)
    variation_attributes: list[VariationAttribute] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    variation_groups: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # product id, link type
    images: list[ImageGroup] | None = None  # None: leave SFCC's images alone


@dataclass
class CategoryRecord:
    category_id: str
    display_name: dict[str, str] = field(default_factory=dict)
    online: bool = True
    parent: str | None = None
    position: float | None = None
    refinements: etree._Element | None = None  # saved <refinement-definitions>, written back as they were


def _single(texts: dict[str | None, str]) -> str | None:
    return texts.get(None) or texts.get("x-default") or next(iter(texts.values()), None)


def product_element(record: ProductRecord) -> etree._Element:
    element = etree.Element(q("product"), {"product-id": record.product_id}, nsmap=NSMAP)
    if record.mode:
        element.set("mode", record.mode)
        return element
    for name in SYSTEM_ORDER:
        if name == "online-flag":
            if record.online is not None:
                etree.SubElement(element, q(name)).text = "true" if record.online else "false"
            continue
        if name == "tax-class-id" and record.images is not None:  # images come just before it
            _images(element, record.images)
        texts = record.system.get(name)
        if not texts:
            continue
        if name in LOCALIZED_SYSTEM:
            add_localized(element, q(name), texts, MAX_LENGTH.get(name))
        elif (text := _single(texts)) is not None:
            if name == "searchable-flag":
                text = "true" if text.lower() in ("1", "true", "yes") else "false"
            etree.SubElement(element, q(name)).text = text[: MAX_LENGTH.get(name, 256)]
    if record.custom:
        customs = etree.SubElement(element, q("custom-attributes"))
        for value in record.custom:
            custom = etree.SubElement(customs, q("custom-attribute"), {"attribute-id": value.attribute_id})
            if value.locale:
                custom.set(XML_LANG, value.locale)
            if value.multiple:
                for text in value.texts:
                    etree.SubElement(custom, q("value")).text = text
            else:
                custom.text = value.texts[0]
    if record.variation_attributes or record.variants or record.variation_groups:
        variations = etree.SubElement(element, q("variations"))
        if record.variation_attributes:
            attributes = etree.SubElement(variations, q("attributes"))
            for attribute in record.variation_attributes:
                _variation_attribute(attributes, attribute)
        if record.variants:
            variants = etree.SubElement(variations, q("variants"))
            for variant_id in record.variants:
                etree.SubElement(variants, q("variant"), {"product-id": variant_id})
        if record.variation_groups:
            groups = etree.SubElement(variations, q("variation-groups"))
            for group_id in record.variation_groups:
                etree.SubElement(groups, q("variation-group"), {"product-id": group_id})
    if record.links:
        links = etree.SubElement(element, q("product-links"))
        for product_id, link_type in record.links:
            etree.SubElement(links, q("product-link"), {"product-id": product_id, "type": link_type})
    return element


def _images(parent: etree._Element, groups: list[ImageGroup]) -> None:
    images = etree.SubElement(parent, q("images"))
    for group in groups:
        element = etree.SubElement(images, q("image-group"), {"view-type": group.view_type})
        for attribute_id, value in group.variation:
            etree.SubElement(element, q("variation"), {"attribute-id": attribute_id, "value": value})
        for path in group.paths:
            etree.SubElement(element, q("image"), {"path": path})


def header_element(settings: ImageSettings) -> etree._Element:
    header = etree.Element(q("header"), nsmap=NSMAP)
    image_settings = etree.SubElement(header, q("image-settings"))
    if settings.http_url:
        location = etree.SubElement(image_settings, q("external-location"))
        etree.SubElement(location, q("http-url")).text = settings.http_url
    else:
        etree.SubElement(image_settings, q("internal-location"), {"base-path": settings.base_path})
    view_types = etree.SubElement(image_settings, q("view-types"))
    for view_type in settings.view_types:
        etree.SubElement(view_types, q("view-type")).text = view_type
    return header


def _variation_attribute(parent: etree._Element, attribute: VariationAttribute) -> None:
    element = etree.SubElement(
        parent,
        q("variation-attribute"),
        {"attribute-id": attribute.attribute_id, "variation-attribute-id": attribute.attribute_id},
    )
    add_localized(element, q("display-name"), attribute.display_name, 4000)
    if attribute.values:
        values = etree.SubElement(element, q("variation-attribute-values"))
        for value, display in attribute.values:
            item = etree.SubElement(values, q("variation-attribute-value"), {"value": value[:256]})
            add_localized(item, q("display-value"), display, 4000)


def category_element(record: CategoryRecord) -> etree._Element:
    element = etree.Element(q("category"), {"category-id": record.category_id}, nsmap=NSMAP)
    add_localized(element, q("display-name"), record.display_name, 4000)
    etree.SubElement(element, q("online-flag")).text = "true" if record.online else "false"
    if record.parent:
        etree.SubElement(element, q("parent")).text = record.parent
    if record.position is not None:
        etree.SubElement(element, q("position")).text = str(record.position)
    if record.refinements is not None:
        element.append(copy.deepcopy(record.refinements))
    return element


def assignment_element(category_id: str, product_id: str, primary: bool = False) -> etree._Element:
    element = etree.Element(
        q("category-assignment"), {"category-id": category_id, "product-id": product_id}, nsmap=NSMAP
    )
    if primary:
        etree.SubElement(element, q("primary-flag")).text = "true"
    return element


class CatalogWriter:
    """One catalog document; sections must come in schema order, which the writer checks."""

    def __init__(self, out: BinaryIO, catalog_id: str):
        self._out = out
        self._catalog_id = catalog_id
        self._section = 0
        self.counts: dict[str, int] = dict.fromkeys(SECTION_ORDER, 0)

    def __enter__(self) -> CatalogWriter:
        self._file_context = etree.xmlfile(self._out, encoding="UTF-8")
        self._xf = self._file_context.__enter__()
        self._xf.write_declaration()
        self._root_context = self._xf.element(
            q("catalog"), {"catalog-id": self._catalog_id}, nsmap={None: NS}
        )
        self._root_context.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._root_context.__exit__(*exc)
        self._file_context.__exit__(*exc)

    def _write(self, section: str, element: etree._Element) -> None:
        position = SECTION_ORDER.index(section)
        if position < self._section:
            raise ValueError(f"A {section} cannot follow a {SECTION_ORDER[self._section]} in a catalog.")
        self._section = position
        self._xf.write(element)
        self.counts[section] += 1
        if self.counts[section] % 100 == 0:
            self._xf.flush()

    def header(self, settings: ImageSettings) -> None:
        self._write("header", header_element(settings))

    def category(self, record: CategoryRecord) -> None:
        self._write("category", category_element(record))

    def product(self, record: ProductRecord) -> None:
        self._write("product", product_element(record))

    def assignment(self, category_id: str, product_id: str, primary: bool = False) -> None:
        self._write("category-assignment", assignment_element(category_id, product_id, primary))

    def assignments(self, category_ids: Iterable[str], product_id: str) -> None:
        for category_id in category_ids:
            self.assignment(category_id, product_id)
