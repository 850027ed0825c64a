"""Pricebook import documents (pricebook.xsd): one list pricebook per currency, streamed. No Django here."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from lxml import etree

from .xml import add_localized

NS = "http://www.demandware.com/xml/impex/pricebook/2006-10-31"
NSMAP = {None: NS}


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def pricebook_id(currency: str) -> str:
    return f"{currency}-list-prices"


def decimal_amount(amount) -> str | None:
    """The PIM's amount as an xsd:decimal, or None when it is not a number."""
    try:
        value = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        return None
    return format(value, "f") if value.is_finite() else None


class PricebookWriter:
    """One pricebook document; ``price`` adds one product's price table."""

    def __init__(self, out: BinaryIO, currency: str, display_name: dict[str, str]):
        self._out = out
        self.currency = currency
        self._display_name = display_name
        self.count = 0

    def __enter__(self) -> PricebookWriter:
        self._file = etree.xmlfile(self._out, encoding="UTF-8")
        self._xf = self._file.__enter__()
        self._xf.write_declaration()
        self._contexts = [
            self._xf.element(q("pricebooks"), nsmap=NSMAP),
            self._xf.element(q("pricebook")),
        ]
        for context in self._contexts:
            context.__enter__()
        header = etree.Element(q("header"), {"pricebook-id": pricebook_id(self.currency)}, nsmap=NSMAP)
        etree.SubElement(header, q("currency")).text = self.currency
        add_localized(header, q("display-name"), self._display_name, 4000)
        etree.SubElement(header, q("online-flag")).text = "true"
        self._xf.write(header)
        self._tables = self._xf.element(q("price-tables"))
        self._tables.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._tables.__exit__(*exc)
        for context in reversed(self._contexts):
            context.__exit__(*exc)
        self._file.__exit__(*exc)

    def price(self, product_id: str, amount: str) -> None:
        table = etree.Element(q("price-table"), {"product-id": product_id}, nsmap=NSMAP)
        etree.SubElement(table, q("amount"), {"quantity": "1"}).text = amount
        self._xf.write(table)
        self.count += 1
        if self.count % 100 == 0:
            self._xf.flush()
