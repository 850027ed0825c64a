"""Numbers read from query strings: ASCII digits only, within the database's range.

``str.isdigit`` accepts "²" and "١٢", which ``int`` then refuses or reads as another number, and
Python ints have no bound while a database column has; either way a hostile query became a 500.
"""

from __future__ import annotations

import re

ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
DB_MAX = 2**63 - 1


def ascii_int(text: str | None, *, minimum: int = 0, maximum: int = DB_MAX) -> int | None:
    """The number written in ``text``, or None when it is not plain digits within the bounds."""
    if text is None or not ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None
