"""Read supplier files row by row: CSV with any common delimiter or encoding, and XLSX.

Nothing here holds a whole file in memory: CSV is decoded as a stream, XLSX is read with
openpyxl's read-only mode. Every file is hostile until read: sizes are bounded (an XLSX by what it
unpacks to, not by its compressed bytes), rows, columns and cells are counted while streaming, and
what would be read wrongly (bytes of another encoding, an unclosed quote, rows split by another
delimiter than the first row, a formula without its saved value) is refused with the line.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from lxml import etree

SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
# cp1252 is a superset of Latin-1's printable characters; what neither it nor UTF-8 decodes is not
# text a supplier's spreadsheet program writes.
ENCODINGS = ("utf-8-sig", "cp1252")
ACCEPTED_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
ACCEPTED_DESCRIPTION = "CSV (.csv or .txt) or Excel (.xlsx or .xlsm)"
MAX_HEADER_LENGTH = 255
# Share of control characters above which a "text" file is really binary data.
MAX_CONTROL_SHARE = 0.01
CONTROL = {*range(0, 9), 11, 12, *range(14, 32), 127}
# Rows checked against the first row's delimiter: enough to catch a file saved with two settings.
DELIMITER_CHECK_ROWS = 100
# An XLSX part smaller than this is never a bomb, whatever its compression ratio.
RATIO_FLOOR_BYTES = 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


class SupplierFileError(Exception):
    """The file cannot be read as a supplier file; the message says why, in plain words."""


class SupplierFileTooLarge(SupplierFileError):
    """Over one of the reading limits; the message names the limit and its setting."""


@dataclass
class SupplierFile:
    headers: list[str]
    rows: Iterator[list[str]]
    description: str


@dataclass(frozen=True)
class Limits:
    rows: int
    columns: int
    cell_chars: int
    file_bytes: int
    unpacked_bytes: int
    shared_strings_bytes: int
    ratio: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            rows=settings.SDM_FILE_MAX_ROWS,
            columns=settings.SDM_FILE_MAX_COLUMNS,
            cell_chars=settings.SDM_FILE_MAX_CELL_CHARS,
            file_bytes=settings.SDM_FILE_MAX_BYTES,
            unpacked_bytes=settings.SDM_XLSX_MAX_UNPACKED_BYTES,
            shared_strings_bytes=settings.SDM_XLSX_MAX_SHARED_STRINGS_BYTES,
            ratio=settings.SDM_XLSX_MAX_RATIO,
        )


def check_file_name(name: str) -> None:
    """The one list of file types every door (admin, API, command) accepts."""
    if Path(name).suffix.lower() not in ACCEPTED_SUFFIXES:
        raise SupplierFileError(
            f"'{Path(name).name}' is not a supported file: upload a {ACCEPTED_DESCRIPTION}."
        )


def check_file_size(size: int, limits: Limits | None = None) -> None:
    limit = (limits or Limits.from_settings()).file_bytes
    if size > limit:
        raise SupplierFileTooLarge(
            f"The file is larger than {limit:,} bytes, the most a supplier file may be (SDM_FILE_MAX_BYTES)."
        )


def _check_text(sample: bytes) -> None:
    controls = sum(1 for byte in sample if byte in CONTROL)
    if b"\x00" in sample or controls > MAX_CONTROL_SHARE * len(sample):
        raise SupplierFileError(
            "The file is not text: it holds binary data. Upload the CSV itself, or an XLSX with its "
            "own .xlsx name."
        )


def _encoding(path: Path, sample: bytes) -> str:
    """The encoding that decodes the whole file without one bad byte (decided over every byte)."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    _check_text(sample)
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        lines = 0
        multibyte = False
        try:
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1024 * 1024), b""):
                    decoder.decode(block)
                    lines += block.count(b"\n")
                    multibyte = multibyte or not block.isascii()
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            if encoding == "utf-8-sig" and (multibyte or not block[: exc.start].isascii()):
                # UTF-8 up to here, then not: neither reading is right, and guessing corrupts one part.
                line = lines + block[: exc.start].count(b"\n") + 1
                raise SupplierFileError(
                    f"Line {line} holds bytes that are not UTF-8, while the lines before are UTF-8: the file "
                    "mixes two encodings. Save it again as CSV UTF-8."
                ) from None
            continue
        return encoding
    raise SupplierFileError(
        "The file is not readable text: it is neither UTF-8 nor Windows-1252/Latin-1. Save it as "
        "CSV UTF-8 from your spreadsheet program."
    )


def _header_delimiter(first_line: str, sample: str) -> str:
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts.values())
    if best == 0:
        return ","  # one column
    tied = [d for d, n in counts.items() if n == best]
    if len(tied) == 1:
        return tied[0]
    try:
        sniffed = csv.Sniffer().sniff(sample, "".join(tied)).delimiter
    except csv.Error:
        return tied[0]
    return sniffed


def _csv(path: Path, limits: Limits) -> SupplierFile:
    check_file_size(path.stat().st_size, limits)
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    if not sample.strip():
        raise SupplierFileError("The file is empty.")
    encoding = _encoding(path, sample)
    text_sample = sample.decode(encoding, errors="ignore")
    first_line = text_sample.lstrip("\ufeff").splitlines()[0] if text_sample.strip() else ""
    delimiter = _header_delimiter(first_line, text_sample)

    def reader(handle):
        return csv.reader(handle, delimiter=delimiter, strict=True)

    try:
        with path.open("r", encoding=encoding, newline="") as handle:
            headers = next(reader(handle), [])
    except csv.Error as exc:
        raise _csv_problem(exc, 1, limits) from None
    headers = _clean_headers(headers, limits)

    def rows() -> Iterator[list[str]]:
        with path.open("r", encoding=encoding, newline="") as handle:
            lines = reader(handle)
            next(lines, None)
            count, line = 0, lines.line_num
            try:
                for row in lines:
                    start, line = line + 1, lines.line_num
                    if not any(cell.strip() for cell in row):
                        continue
                    count += 1
                    _check_row(row, start, headers, limits, count)
                    _check_csv_row(row, start, line, headers, delimiter, count)
                    yield row
            except csv.Error as exc:
                raise _csv_problem(exc, lines.line_num, limits) from None

    return SupplierFile(headers, rows(), f"CSV, {encoding}, delimiter {delimiter!r}")


def _csv_problem(exc: csv.Error, line: int, limits: Limits) -> SupplierFileError:
    text = str(exc)
    if "field larger than field limit" in text:
        return SupplierFileError(
            f"Line {line}: a cell is longer than {limits.cell_chars:,} characters (SDM_FILE_MAX_CELL_CHARS)."
        )
    if "unexpected end of data" in text or "EOF" in text:
        return SupplierFileError(f"Line {line}: a quoted cell is not closed before the end of the file.")
    return SupplierFileError(f"Line {line}: the line is not valid CSV ({text}).")


def _check_row(cells: list[str], line: int, headers: list[str], limits: Limits, count: int) -> None:
    """What every format checks on a data row: the row limit, cell sizes, NUL characters."""
    if count > limits.rows:
        raise SupplierFileTooLarge(
            f"The file has more than {limits.rows:,} data rows, the most one job takes (SDM_FILE_MAX_ROWS). "
            "Split it into several files."
        )
    for position, cell in enumerate(cells):
        name = headers[position] if position < len(headers) else f"column {position + 1}"
        if len(cell) > limits.cell_chars:
            # A content problem of one cell (400), not a request too large for the server (413).
            raise SupplierFileError(
                f"Line {line}, {name}: the cell is {len(cell):,} characters long, more than "
                f"{limits.cell_chars:,} (SDM_FILE_MAX_CELL_CHARS)."
            )
        if "\x00" in cell:
            raise SupplierFileError(f"Line {line}, {name}: the cell holds a NUL character.")
    extra = [cell for cell in cells[len(headers) :] if cell.strip()]
    if extra:
        raise SupplierFileError(
            f"Line {line} has {len(cells)} cells with data, but the first row names {len(headers)} columns: "
            "a cell would be lost. Is a delimiter or a quote out of place?"
        )


def _check_csv_row(
    row: list[str], start: int, end: int, headers: list[str], delimiter: str, count: int
) -> None:
    if end > start:
        # A quoted cell spanning lines is fine (a description with line breaks); one that holds
        # whole rows is a quote left open, swallowing what follows.
        for position, cell in enumerate(row):
            for later in cell.splitlines()[1:]:
                if len(headers) > 2 and later.count(delimiter) >= len(headers) - 1:
                    name = headers[position] if position < len(headers) else f"column {position + 1}"
                    raise SupplierFileError(
                        f"Line {start}, {name}: a quote opened here is not closed until line {end}, so the "
                        "rows in between would be read as one cell. Close or remove the quote."
                    )
    if count <= DELIMITER_CHECK_ROWS and len(headers) > 1 and len(row) == 1:
        others = {d: row[0].count(d) for d in DELIMITERS if d != delimiter}
        used = max(others, key=others.get)
        if others[used] >= len(headers) - 1:
            raise SupplierFileError(
                f"Line {start} is separated by {used!r} but the first row by {delimiter!r}: save the file "
                "with one delimiter throughout."
            )


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        workbook = etree.fromstring(archive.read("xl/workbook.xml"), parser)
        rels = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"), parser)
    except (KeyError, etree.XMLSyntaxError):
        raise SupplierFileError(
            "The XLSX file has no readable workbook: is it really an Excel file?"
        ) from None
    sheet = workbook.find(f"{{{MAIN_NS}}}sheets/{{{MAIN_NS}}}sheet")
    if sheet is None:
        raise SupplierFileError("The XLSX file has no sheet.")
    rel_id = sheet.get(f"{{{REL_NS}}}id")
    for rel in rels.iterfind(f"{{{PACKAGE_REL_NS}}}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    raise SupplierFileError("The XLSX file's first sheet cannot be found.")


def check_xlsx(path: Path, limits: Limits) -> None:
    """Before openpyxl unpacks anything: declared sizes, compression ratios, the shared strings'
    size, then one streaming pass over the first sheet for its row count and formulas without a
    saved value (which would be read as empty cells)."""
    check_file_size(path.stat().st_size, limits)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise SupplierFileError("The XLSX file cannot be opened: it is not a valid Excel file.") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise SupplierFileTooLarge(
                f"The XLSX file holds {len(members):,} parts; at most {MAX_ZIP_MEMBERS:,}."
            )
        unpacked = sum(member.file_size for member in members)
        if unpacked > limits.unpacked_bytes:
            raise SupplierFileTooLarge(
                f"The XLSX file unpacks to {unpacked:,} bytes, more than {limits.unpacked_bytes:,} "
                "(SDM_XLSX_MAX_UNPACKED_BYTES)."
            )
        for member in members:
            if member.filename == "xl/sharedStrings.xml" and member.file_size > limits.shared_strings_bytes:
                raise SupplierFileTooLarge(
                    f"The XLSX file's text table is {member.file_size:,} bytes, more than "
                    f"{limits.shared_strings_bytes:,} (SDM_XLSX_MAX_SHARED_STRINGS_BYTES)."
                )
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > RATIO_FLOOR_BYTES and ratio > limits.ratio:
                raise SupplierFileTooLarge(
                    f"The XLSX part {member.filename} unpacks {ratio:,.0f} times its size, more than "
                    f"{limits.ratio} (SDM_XLSX_MAX_RATIO): a spreadsheet program does not write that."
                )
        sheet = _first_sheet_path(archive)
        try:
            _scan_sheet(archive.open(sheet), limits)
        except KeyError:
            raise SupplierFileError("The XLSX file's first sheet cannot be found.") from None
        except (etree.XMLSyntaxError, zipfile.BadZipFile, EOFError) as exc:
            raise SupplierFileError(f"The XLSX file's first sheet is damaged: {exc}") from None


def _scan_sheet(stream, limits: Limits) -> None:
    rows = 0
    row_tag, cell_tag = f"{{{MAIN_NS}}}row", f"{{{MAIN_NS}}}c"
    formula_tag, value_tag, inline_tag = f"{{{MAIN_NS}}}f", f"{{{MAIN_NS}}}v", f"{{{MAIN_NS}}}is"
    for _, element in etree.iterparse(
        stream,
        events=("end",),
        tag=(row_tag, cell_tag),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    ):
        if element.tag == cell_tag:
            formula_only = element.find(formula_tag) is not None and element.find(value_tag) is None
            if formula_only and element.find(inline_tag) is None:
                raise SupplierFileError(
                    f"Cell {element.get('r', '?')} holds a formula without a saved value, which would be "
                    "read as empty: open the file in your spreadsheet program and save it again, or "
                    "paste the values."
                )
            continue
        rows += 1
        if rows > limits.rows + 1:  # the first row is the column names
            raise SupplierFileTooLarge(
                f"The first sheet has more than {limits.rows:,} data rows, the most one job takes "
                "(SDM_FILE_MAX_ROWS). Split it into several files."
            )
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]


def _xlsx(path: Path, limits: Limits) -> SupplierFile:
    from openpyxl import load_workbook

    check_xlsx(path, limits)
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
    headers = _clean_headers(["" if h is None else str(h) for h in headers[: limits.columns + 1]], limits)

    def rows() -> Iterator[list[str]]:
        count = 0
        try:
            for line, row in enumerate(iterator, start=2):
                cells = ["" if cell is None else _cell_text(cell) for cell in row]
                if any(cell.strip() for cell in cells):
                    count += 1
                    _check_row(cells, line, headers, limits, count)
                    yield cells
        finally:
            workbook.close()

    return SupplierFile(headers, rows(), "XLSX")


def _cell_text(cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if hasattr(cell, "isoformat"):
        return cell.isoformat()
    return str(cell)


def _clean_headers(headers: list[str], limits: Limits) -> list[str]:
    """The first row, checked to be column names a person wrote (not data, not garbage)."""
    cleaned = [h.strip() for h in headers]
    while cleaned and not cleaned[-1]:
        cleaned.pop()  # spreadsheets often add empty trailing columns
    if not cleaned:
        raise SupplierFileError("The first row has no column names.")
    if len(cleaned) > limits.columns:
        raise SupplierFileTooLarge(
            f"The first row has more than {limits.columns:,} columns, the most a file may have "
            "(SDM_FILE_MAX_COLUMNS)."
        )
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


def open_supplier_file(path: Path | str, limits: Limits | None = None) -> SupplierFile:
    path = Path(path)
    limits = limits or Limits.from_settings()
    check_file_name(path.name)
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx(path, limits)
    return _csv(path, limits)
