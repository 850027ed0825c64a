"""Table attribute cells: a supplier's text → the PIM's table value (a list of rows of cells).

A cell holds rows separated by line breaks or ``|``, each row ``column: value`` pairs separated by
``;`` (``nutrient: Sugar; quantity: 12 | nutrient: Salt; quantity: 0,5``), or the PIM's own JSON
(``[{"nutrient": "sugar", "quantity": "12"}]``). Columns are named by code or label. Select cells go
through the job's value mapping, like select attributes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .cells import CellError, boolean, date, number
from .jobs import normalize

MAX_ROWS = 100  # the PIM's own limit per table value
ROW_SPLIT = re.compile(r"\s*(?:\r?\n|\|)\s*")
CELL_SPLIT = re.compile(r"\s*;\s*")
PAIR = re.compile(r"^([^:=]+?)\s*[:=]\s*(.*)$", re.S)

SelectLookup = Callable[[str, str, str], str]  # (column code, raw value, where) → option code


def columns_of(raw_attribute: dict) -> list[dict]:
    return [
        c for c in raw_attribute.get("table_configuration") or [] if isinstance(c, dict) and c.get("code")
    ]


def _column_index(columns: list[dict]) -> dict[str, str]:
    index: dict[str, str] = {}
    for column in columns:
        for label in (column.get("labels") or {}).values():
            index.setdefault(normalize(label), column["code"])
    for column in columns:
        index[normalize(column["code"])] = column["code"]
    return index


def parse(raw: str, columns: list[dict], where: str) -> list[dict[str, str]]:
    """The rows of a table cell as column code → raw text (raises ``CellError``)."""
    index = _column_index(columns)
    text = raw.strip()
    if text.startswith("["):
        try:
            loaded = json.loads(text)
        except ValueError:
            raise CellError(f"{where}: the table is not valid JSON.") from None
        if not isinstance(loaded, list) or not all(isinstance(row, dict) for row in loaded):
            raise CellError(f"{where}: a JSON table is a list of rows, each an object of cells.")
        pairs = [[(str(k), "" if v is None else _text(v)) for k, v in row.items()] for row in loaded]
    else:
        pairs = []
        for row_text in filter(None, ROW_SPLIT.split(text)):
            row = []
            for cell in filter(None, CELL_SPLIT.split(row_text)):
                match = PAIR.match(cell)
                if not match:
                    raise CellError(f"{where}: '{cell}' is not 'column: value'.")
                row.append((match.group(1), match.group(2).strip()))
            pairs.append(row)
    if len(pairs) > MAX_ROWS:
        raise CellError(f"{where}: {len(pairs)} table rows; the PIM takes at most {MAX_ROWS}.")
    rows, unknown = [], []
    for row in pairs:
        cells = {}
        for name, value in row:
            code = index.get(normalize(name))
            if code is None:
                unknown.append(name)
            elif value != "":
                cells[code] = value
        if cells:
            rows.append(cells)
    if unknown:
        known = ", ".join(c["code"] for c in columns)
        names = ", ".join(f"'{name}'" for name in dict.fromkeys(unknown))
        raise CellError(f"{where}: {names} not a column of this table (columns: {known}).")
    return rows


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def select_values(raw: str, columns: list[dict]) -> list[tuple[str, str]]:
    """(select column code, raw value) of every select cell, for the value mapping; unreadable → none."""
    selects = {c["code"] for c in columns if c.get("data_type") == "select"}
    try:
        rows = parse(raw, columns, "")
    except CellError:
        return []  # the row reports its own error when it is checked
    return [(code, value) for row in rows for code, value in row.items() if code in selects]


def convert(
    raw: str,
    columns: list[dict],
    select: SelectLookup,
    record: SelectLookup,
    where: str,
) -> list[dict[str, Any]]:
    """The PIM's table value for one cell; every bad cell is reported, not only the first."""
    rows = parse(raw, columns, where)
    by_code = {c["code"]: c for c in columns}
    first = columns[0]["code"] if columns else ""
    problems: list[str] = []
    table = []
    for number_of_row, row in enumerate(rows, start=1):
        at = f"{where}, table row {number_of_row}"
        if first not in row:
            problems.append(f"{at}: the first column '{first}' is required in every row.")
            continue
        converted = {}
        for code, value in row.items():
            try:
                converted[code] = _cell(by_code[code], value, select, record, f"{at}, column '{code}'")
            except CellError as exc:
                problems.append(str(exc))
        table.append(converted)
    if problems:
        raise CellError(" ".join(problems))
    return table


def _cell(column: dict, raw: str, select: SelectLookup, record: SelectLookup, where: str) -> Any:
    kind = column.get("data_type")
    validations = column.get("validations") or {}
    if kind == "select":
        return select(column["code"], raw, where)
    if kind == "number":
        return number(raw, validations.get("decimals_allowed", True) is not False, where)
    if kind == "boolean":
        return boolean(raw, where)
    if kind == "date":
        return date(raw, where)[:10]
    if kind == "measurement":
        amount, _, unit = raw.partition(" ")
        return {
            "amount": number(amount, True, where),
            "unit": unit.strip().upper() or column.get("measurement_default_unit_code") or "",
        }
    if kind == "reference_entity":
        return record(column["code"], raw, where)
    limit = validations.get("max_length")
    if kind == "text" and limit and len(raw) > int(limit):
        raise CellError(f"{where}: {len(raw)} characters, at most {limit}.")
    return raw
