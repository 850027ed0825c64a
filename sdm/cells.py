"""Supplier cell text → PIM value data: numbers, prices, yes/no, dates, lists.

Every function raises ``CellError`` with a message that names the column (``where``) and says why.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .jobs import normalize

TRUE_WORDS = {"1", "true", "yes", "y", "x", "oui", "ja", "si", "vrai", "wahr"}
FALSE_WORDS = {"0", "false", "no", "n", "non", "nein", "faux", "falsch"}
LIST_SPLIT = re.compile(r"\s*[,;|]\s*")
PRICE_SPLIT = re.compile(r"\s*[;|]\s*")  # a comma may be the decimal separator in a price


class CellError(ValueError):
    """A cell cannot be turned into a PIM value; the message names the column and the reason."""


def split_list(raw: str) -> list[str]:
    return [part for part in LIST_SPLIT.split(raw) if part]


def boolean(raw: str, where: str) -> bool:
    word = normalize(raw)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"{where}: '{raw}' is not a yes/no value.")


def number(raw: str, decimals_allowed: bool | None, where: str) -> Any:
    text = raw.replace(" ", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CellError(f"{where}: '{raw}' is not a number.") from None
    if decimals_allowed is False:
        if value != value.to_integral_value():
            raise CellError(f"{where}: '{raw}' must be a whole number.")
        return int(value)
    return str(value)


def prices(raw: str, default_currency: str, where: str) -> list[dict[str, str]]:
    prices = []
    for part in PRICE_SPLIT.split(raw):
        if not part:
            continue
        match = re.fullmatch(r"([A-Za-z]{3})?\s*([-0-9.,\s]+?)\s*([A-Za-z]{3})?", part)
        if not match:
            raise CellError(f"{where}: '{part}' is not a price like '12.50 EUR'.")
        currency = (match.group(1) or match.group(3) or default_currency).upper()
        prices.append({"amount": number(match.group(2), True, where), "currency": currency})
    return prices


def date(raw: str, where: str) -> str:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(raw[:19], pattern).strftime("%Y-%m-%dT00:00:00+00:00")
        except ValueError:
            continue
    raise CellError(f"{where}: '{raw}' is not a date (YYYY-MM-DD or DD/MM/YYYY).")
