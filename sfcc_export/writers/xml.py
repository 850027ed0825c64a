"""What every SFCC import document shares: localized elements (xml:lang, x-default for the default)."""

from __future__ import annotations

from lxml import etree

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def add_localized(parent: etree._Element, tag: str, texts: dict, limit: int | None = None) -> None:
    """One ``tag`` child per locale with a text; a ``None`` locale is SFCC's ``x-default``."""
    for locale, text in texts.items():
        if text:
            element = etree.SubElement(parent, tag)
            element.set(XML_LANG, locale or "x-default")
            element.text = text[:limit] if limit else text
