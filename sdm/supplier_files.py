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
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


class SupplierFileError(Exception):
    """The file cannot be read as a supplier file; the message says why, in plain words."""


@dataclass
class SupplierFile:
    headers: list[str]
    rows: Iterator[list[str]]
    description: str


def _encoding(sample: bytes) -> str:
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ENCODINGS:
        try:
            sample.decode(encoding)
        except UnicodeDecodeError as exc:
            # A sample cut in the middle of a multi-byte character is still UTF-8.
            if encoding == "utf-8-sig" and exc.start >= len(sample) - 3:
                return encoding
            continue
        return encoding
    return "latin-1"


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
    cleaned = [h.strip() for h in headers]
    if not any(cleaned):
        raise SupplierFileError("The first row has no column names.")
    return cleaned


def open_supplier_file(path: Path | str) -> SupplierFile:
    path = Path(path)
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx(path)
    return _csv(path)
