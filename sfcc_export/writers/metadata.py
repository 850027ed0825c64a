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

from .xml import XML_LANG, add_localized

NS = "http://www.demandware.com/xml/impex/metadata/2006-10-31"


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


def _definition(attribute: AttributeDefinition) -> etree._Element:
    element = etree.Element(
        f"{{{NS}}}attribute-definition", {"attribute-id": attribute.attribute_id}, nsmap={None: NS}
    )
    add_localized(element, f"{{{NS}}}display-name", attribute.display_name, 4000)
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
            add_localized(definition, f"{{{NS}}}display", value.display, 4000)
            etree.SubElement(definition, f"{{{NS}}}value").text = value.value
    return element


@dataclass
class GroupDefinition:
    """An attribute group and the custom attribute definitions it holds."""

    group_id: str
    display_name: dict[str, str]
    attributes: Iterable[AttributeDefinition]


def write_product_extensions(out: BinaryIO, groups: list[GroupDefinition]) -> dict[str, int]:
    """Write the metadata document (Product type extension); returns definitions written per group."""
    members: dict[str, list[str]] = {group.group_id: [] for group in groups}
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(f"{{{NS}}}metadata", nsmap={None: NS}):
            with xf.element(f"{{{NS}}}type-extension", {"type-id": "Product"}):
                pairs = ((group.group_id, a) for group in groups for a in group.attributes)
                first = next(pairs, None)
                if first is not None:  # the schema wants at least one definition inside the element
                    with xf.element(f"{{{NS}}}custom-attribute-definitions"):
                        for group_id, attribute in itertools.chain([first], pairs):
                            xf.write(_definition(attribute))
                            members[group_id].append(attribute.attribute_id)
                            xf.flush()
                with xf.element(f"{{{NS}}}group-definitions"):
                    for group in groups:
                        element = etree.Element(
                            f"{{{NS}}}attribute-group", {"group-id": group.group_id}, nsmap={None: NS}
                        )
                        add_localized(element, f"{{{NS}}}display-name", group.display_name, 4000)
                        for attribute_id in members[group.group_id]:
                            etree.SubElement(element, f"{{{NS}}}attribute", {"attribute-id": attribute_id})
                        xf.write(element)
    return {group_id: len(ids) for group_id, ids in members.items()}
