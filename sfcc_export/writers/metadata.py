"""Custom product attribute definitions (metadata import, system-object-type extension of Product).

Written with lxml's incremental writer: one small element per attribute, nothing else kept.
No Django here: the caller gives plain definitions and a binary file object.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from lxml import etree

NS = "http://www.demandware.com/xml/impex/metadata/2006-10-31"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class ValueDefinition:
    value: str
    display: dict[str, str] = field(default_factory=dict)  # SFCC locale (x-default, fr-FR) → text


@dataclass(frozen=True)
class AttributeDefinition:
    attribute_id: str
    type: str  # SFCC type: string, text, html, int, double, boolean, date, enum-of-string, set-of-string
    display_name: dict[str, str] = field(default_factory=dict)
    localizable: bool = False
    values: tuple[ValueDefinition, ...] = ()
    unit: str | None = None


def _localized(parent: etree._Element, tag: str, texts: dict[str, str]) -> None:
    for locale, text in texts.items():
        if text:
            element = etree.SubElement(parent, f"{{{NS}}}{tag}")
            element.set(XML_LANG, locale)
            element.text = text[:4000]


def _definition(attribute: AttributeDefinition) -> etree._Element:
    element = etree.Element(
        f"{{{NS}}}attribute-definition", {"attribute-id": attribute.attribute_id}, nsmap={None: NS}
    )
    _localized(element, "display-name", attribute.display_name)
    etree.SubElement(element, f"{{{NS}}}type").text = attribute.type
    etree.SubElement(element, f"{{{NS}}}localizable-flag").text = "true" if attribute.localizable else "false"
    etree.SubElement(element, f"{{{NS}}}mandatory-flag").text = "false"
    etree.SubElement(element, f"{{{NS}}}externally-managed-flag").text = "true"
    if attribute.unit:
        unit = etree.SubElement(element, f"{{{NS}}}unit")
        unit.set(XML_LANG, "x-default")
        unit.text = attribute.unit
    if attribute.values:
        values = etree.SubElement(element, f"{{{NS}}}value-definitions")
        for value in attribute.values:
            definition = etree.SubElement(values, f"{{{NS}}}value-definition")
            _localized(definition, "display", value.display)
            etree.SubElement(definition, f"{{{NS}}}value").text = value.value
    return element


def write_product_attributes(
    out: BinaryIO, attributes: Iterable[AttributeDefinition], group_id: str, group_names: dict[str, str]
) -> int:
    """Write the metadata document; returns how many attribute definitions it holds."""
    written: list[str] = []
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(f"{{{NS}}}metadata", nsmap={None: NS}):
            with xf.element(f"{{{NS}}}type-extension", {"type-id": "Product"}):
                remaining = iter(attributes)
                first = next(remaining, None)
                if first is not None:  # the schema wants at least one definition inside the element
                    with xf.element(f"{{{NS}}}custom-attribute-definitions"):
                        for attribute in itertools.chain([first], remaining):
                            xf.write(_definition(attribute))
                            written.append(attribute.attribute_id)
                            xf.flush()
                with xf.element(f"{{{NS}}}group-definitions"):
                    group = etree.Element(
                        f"{{{NS}}}attribute-group", {"group-id": group_id}, nsmap={None: NS}
                    )
                    _localized(group, "display-name", group_names)
                    for attribute_id in written:
                        etree.SubElement(group, f"{{{NS}}}attribute", {"attribute-id": attribute_id})
                    xf.write(group)
    return len(written)
