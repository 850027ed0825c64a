"""Content library import documents (library.xsd): folders, then content assets. No Django here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from lxml import etree

from .xml import XML_LANG, add_localized

NS = "http://www.demandware.com/xml/impex/library/2006-10-31"
NSMAP = {None: NS}


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


@dataclass
class FolderRecord:
    folder_id: str
    display_name: dict[str, str] = field(default_factory=dict)
    parent: str = "root"


@dataclass
class ContentRecord:
    content_id: str
    folder_id: str
    display_name: dict[str, str] = field(default_factory=dict)
    body: dict[str, str] = field(default_factory=dict)  # SFCC locale → HTML (the standard `body` attribute)
    online: bool = True


def folder_element(record: FolderRecord) -> etree._Element:
    element = etree.Element(q("folder"), {"folder-id": record.folder_id}, nsmap=NSMAP)
    add_localized(element, q("display-name"), record.display_name, 4000)
    etree.SubElement(element, q("online-flag")).text = "true"
    etree.SubElement(element, q("parent")).text = record.parent
    return element


def content_element(record: ContentRecord) -> etree._Element:
    element = etree.Element(q("content"), {"content-id": record.content_id}, nsmap=NSMAP)
    add_localized(element, q("display-name"), record.display_name, 4000)
    etree.SubElement(element, q("online-flag")).text = "true" if record.online else "false"
    if record.body:
        customs = etree.SubElement(element, q("custom-attributes"))
        for locale, html in record.body.items():
            body = etree.SubElement(customs, q("custom-attribute"), {"attribute-id": "body"})
            body.set(XML_LANG, locale)
            body.text = html
    links = etree.SubElement(element, q("folder-links"))
    etree.SubElement(links, q("classification-link"), {"folder-id": record.folder_id})
    etree.SubElement(links, q("folder-link"), {"folder-id": record.folder_id})
    return element


def write_library(out: BinaryIO, library_id: str, folders, contents) -> int:
    """Folders first, then content assets (the schema's order); returns how many content assets."""
    count = 0
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(q("library"), {"library-id": library_id}, nsmap=NSMAP):
            for folder in folders:
                xf.write(folder_element(folder))
            for content in contents:
                xf.write(content_element(content))
                count += 1
                if count % 100 == 0:
                    xf.flush()
    return count
