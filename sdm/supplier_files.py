"""Read supplier files row by row: CSV with any common delimiter or encoding, and XLSX.

Nothing here holds a whole file in memory: CSV is decoded as a stream, XLSX is read with
openpyxl's read-only mode.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
# cp1252 is a superset of Latin-1's printable characters; what neither it nor UTF-8 decodes is not
# text a supplier's spreadsheet program writes.
ENCODINGS = ("utf-8-sig", "cp1252")
ACCEPTED_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
ACCEPTED_DESCRIPTION = "CSV (.csv or .txt) or Excel (.xlsx or .xlsm)"
MAX_COLUMNS = 2000
MAX_HEADER_LENGTH = 255
# Share of control characters above which a "text" file is really binary data.
MAX_CONTROL_SHARE = 0.01
CONTROL = {*range(0, 9), 11, 12, *range(14, 32), 127}


class SupplierFileError(Exception):
    """The file cannot be read as a supplier file; the message says why, in plain words."""


@dataclass
class SupplierFile:
    headers: list[str]
    rows: Iterator[list[str]]
    description: str


def check_file_name(name: str) -> None:
    """The one list of file types every door (admin, API, command) accepts."""
    if Path(name).suffix.lower() not in ACCEPTED_SUFFIXES:
        raise SupplierFileError(
            f"'{Path(name).name}' is not a supported file: upload a {ACCEPTED_DESCRIPTION}."
        )


def _encoding(sample: bytes) -> str:
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    controls = sum(1 for byte in sample if byte in CONTROL)
    if b"\x00" in sample or controls > MAX_CONTROL_SHARE * len(sample):
        raise SupplierFileError(
            "The file is not text: it holds binary data. Upload the CSV itself, or an XLSX with its "
            "own .xlsx name."
        )
    for encoding in ENCODINGS:
        try:
            sample.decode(encoding)
        except UnicodeDecodeError as exc:
            # A sample cut in the middle of a multi-byte character is still UTF-8.
            if encoding == "utf-8-sig" and exc.start >= len(sample) - 3:
                return encoding
            continue
        return encoding
    raise SupplierFileError(
        "The file is not readable text: it is neither UTF-8 nor Windows-1252/Latin-1. Save it as "
        "CSV UTF-8 from your spreadsheet program."
    )


def _csv(path: Path) -> SupplierFile:
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    if not sample.strip():
        raise SupplierFileError("The file is empty.")
    encoding = _encoding(sample)
    text_sample = sample.decode(encoding, errors="ignore")
    try:
        dialect = csv.Sniffer().sniff(text_sample, DELIMITERS)
        delimiter = dialect.delimiter
    except csv.Error:
        first = text_sample.splitlines()[0] if text_sample else ""
        delimiter = max(DELIMITERS, key=first.count)

    def rows() -> Iterator[list[str]]:
        with path.open("r", encoding=encoding, newline="", errors="replace") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            next(reader, None)
            for row in reader:
                if any(cell.strip() for cell in row):
                    yield row

    with path.open("r", encoding=encoding, newline="", errors="replace") as handle:
        headers = next(csv.reader(handle, delimiter=delimiter), [])
    return SupplierFile(_clean_headers(headers), rows(), f"CSV, {encoding}, delimiter {delimiter!r}")


def _xlsx(path: Path) -> SupplierFile:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise SupplierFileError(f"The XLSX file cannot be opened: {exc}") from None
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    headers = next(iterator, None)
    if headers is None:
        workbook.close()
        raise SupplierFileError("The first sheet of the XLSX file is empty.")

    def rows() -> Iterator[list[str]]:
        try:
            for row in iterator:
                cells = ["" if cell is None else _cell_text(cell) for cell in row]
                if any(cell.strip() for cell in cells):
                    yield cells
        finally:
            workbook.close()

    return SupplierFile(_clean_headers(["" if h is None else str(h) for h in headers]), rows(), "XLSX")


def _cell_text(cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if hasattr(cell, "isoformat"):
        return cell.isoformat()
    return str(cell)


def _clean_headers(headers: list[str]) -> list[str]:
    """The first row, checked to be column names a person wrote (not data, not garbage)."""
    cleaned = [h.strip() for h in headers]
    while cleaned and not cleaned[-1]:
        cleaned.pop()  # spreadsheets often add empty trailing columns
    if not cleaned:
        raise SupplierFileError("The first row has no column names.")
    if len(cleaned) > MAX_COLUMNS:
        raise SupplierFileError(f"The first row has {len(cleaned)} columns; at most {MAX_COLUMNS} are read.")
    seen: dict[str, int] = {}
    for number, header in enumerate(cleaned, start=1):
        if "\ufffd" in header or any(ord(c) in CONTROL for c in header):
            raise SupplierFileError(
                f"Column {number}'s name holds unreadable characters: is the first row really column names?"
            )
        if len(header) > MAX_HEADER_LENGTH:
            raise SupplierFileError(
                f"Column {number}'s name is {len(header)} characters long (at most {MAX_HEADER_LENGTH}): "
                "is the first row really column names?"
            )
        key = header.casefold()
        if key and key in seen:
            raise SupplierFileError(f"Column '{header}' appears twice (columns {seen[key]} and {number}).")
        seen[key] = number
    return cleaned


def open_supplier_file(path: Path | str) -> SupplierFile:
    path = Path(path)
    check_file_name(path.name)
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx(path)
    return _csv(path)
