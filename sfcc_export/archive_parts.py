"""A site archive folder packed into zip parts that each stay under an upload limit. No Django here.

SFCC limits what one WebDAV upload and one site import take, and it has no rollback, so an archive
too big for one upload is cut the way Salesforce's own tooling cuts it: documents in dependency
order (meta, catalogs, pricebooks, inventory, libraries, sites), static files last, each document
whole in one part where it fits. A document larger than a part on its own is cut into several
documents of the same catalog (or pricebook, or library), each importable alone, in document order:
the categories and products before the category assignments that name them.

Parts are imported one after the other; each has its own top folder so that one part's unpacked
files never mix with another's on the instance.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree

MB = 1_000_000
# Packing aims a little below the limit: the deflate stream holds some bytes back until a member
# is closed, and each member adds its headers. The built part is checked against the limit itself.
PACKING_MARGIN = 0.95
UNIT_ORDER = {
    "meta": 0,
    "catalogs": 1,
    "pricebooks": 2,
    "price-books": 2,
    "inventory-lists": 3,
    "inventory": 3,
    "libraries": 4,
    "sites": 5,
}
# Already compressed: stored as they are, their size is their size in the part.
STORED_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".zip", ".gz", ".pdf", ".mp4", ".woff2"}
ZIP_ENTRY_OVERHEAD = 200
COPY_CHUNK = 1024 * 1024
# A cut document repeats these children of its shell in every piece (they describe the document,
# they are not its content); everything else at the unit depth is content.
REPEATED = {"header"}
# Where a document's content units sit, by root element: catalog and library children directly,
# a pricebook's price tables further down (pricebooks > pricebook > price-tables > price-table);
# the root is at depth 1.
UNIT_DEPTH = {"catalog": 2, "library": 2, "pricebooks": 4, "inventory": 4}
SAFE_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "huge_tree": True, "load_dtd": False}


class ArchiveTooLarge(Exception):
    """Something cannot fit a part whatever the cut: a static file, or a document we cannot cut."""


@dataclass
class ArchivePart:
    index: int  # 1-based, the import order
    path: Path
    top_folder: str
    files: list[str] = field(default_factory=list)  # paths inside the site archive, POSIX
    digest: str = ""  # of the part's content (names and bytes), not of the zip: see content_digest

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        return self.path.stat().st_size


@dataclass
class _Entry:
    path: Path
    relative: str
    estimate: int
    stored: bool


def unit_rank(relative: str, catalog_order: tuple[str, ...] = ()) -> tuple:
    """Sort key of a document: its unit's dependency rank, then (for catalogs) the given order."""
    parts = PurePosixPath(relative).parts
    rank = UNIT_ORDER.get(parts[0], len(UNIT_ORDER))
    catalog = parts[1] if parts[0] == "catalogs" and len(parts) > 2 else ""
    position = catalog_order.index(catalog) if catalog in catalog_order else len(catalog_order)
    return (rank, position, relative)


def is_static(relative: str) -> bool:
    return "static" in PurePosixPath(relative).parts[:-1]


def deflated_size(path: Path) -> int:
    """The size of ``path`` once deflated as zipfile deflates it (same level, raw stream)."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    size = 0
    with path.open("rb") as source:
        while block := source.read(COPY_CHUNK):
            size += len(compressor.compress(block))
    return size + len(compressor.flush())


def _entries(folder: Path, *, exact: bool) -> list[_Entry]:
    entries = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        stored = path.suffix.lower() in STORED_SUFFIXES
        raw = path.stat().st_size
        estimate = raw if stored or not exact else deflated_size(path)
        entries.append(_Entry(path, relative, estimate + ZIP_ENTRY_OVERHEAD + 2 * len(relative), stored))
    return entries


class _Hashing:
    """A writable stream that hashes what goes through it into the part's digest."""

    def __init__(self, out, digest):
        self._out = out
        self._digest = digest

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        return self._out.write(data)

    def flush(self) -> None:
        self._out.flush()


class _Measured(_Hashing):
    """Also tells how big what went through is once deflated, at most: zipfile's own compressor
    keeps an unknown amount back, so a second one is flushed every few KB (at most a sixteenth of
    a part) and what came after the last flush counts at full size."""

    def __init__(self, out, digest, budget: int):
        super().__init__(out, digest)
        self._sync_every = max(4096, min(64 * 1024, budget // 16))
        self._compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        self._deflated = 0
        self._unflushed = 0

    def write(self, data: bytes) -> int:
        self._deflated += len(self._compressor.compress(data))
        self._unflushed += len(data)
        if self._unflushed >= self._sync_every:
            self._deflated += len(self._compressor.flush(zlib.Z_SYNC_FLUSH))
            self._unflushed = 0
        return super().write(data)

    @property
    def deflated_at_most(self) -> int:
        return self._deflated + self._unflushed


class _PartWriter:
    """Builds parts one after the other; the current part stays open until something does not fit."""

    def __init__(self, folder: Path, out_dir: Path, base: str, budget: int, single: bool):
        self.folder = folder
        self.out_dir = out_dir
        self.base = base
        self.budget = budget
        self.single = single
        self.parts: list[ArchivePart] = []
        self._zip: zipfile.ZipFile | None = None
        self._raw = None
        self._digest = None

    # ------------------------------------------------------------------ parts
    @property
    def used(self) -> int:
        return self._raw.tell() if self._raw is not None else 0

    @property
    def empty(self) -> bool:
        return self._zip is None or not self.parts[-1].files

    def _open(self) -> None:
        index = len(self.parts) + 1
        top = self.base if self.single else f"{self.base}-part-{index}"
        path = self.out_dir / f"{top}.zip"
        self._raw = path.open("wb")
        self._zip = zipfile.ZipFile(self._raw, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self._digest = hashlib.sha256()
        self.parts.append(ArchivePart(index, path, top))

    def close(self) -> None:
        if self._zip is None:
            return
        self._zip.close()
        self._raw.close()
        self.parts[-1].digest = self._digest.hexdigest()
        self._zip = self._raw = self._digest = None

    def room_for(self, estimate: int) -> None:
        """Make sure the current part can take ``estimate`` more bytes, opening a new one if not."""
        if self._zip is None:
            self._open()
        elif not self.empty and self.used + estimate > self.budget:
            self.close()
            self._open()

    def fresh(self) -> None:
        if not self.empty:
            self.close()
        if self._zip is None:
            self._open()

    def _member(self, relative: str, stored: bool):
        part = self.parts[-1]
        part.files.append(relative)
        self._digest.update(relative.encode() + b"\0")
        return self._zip.open(
            zipfile.ZipInfo(f"{part.top_folder}/{relative}", date_time=(2000, 1, 1, 0, 0, 0))
            if stored
            else _deflated_info(f"{part.top_folder}/{relative}"),
            "w",
            force_zip64=True,
        )

    # --------------------------------------------------------------- members
    def add_file(self, entry: _Entry) -> None:
        with self._member(entry.relative, entry.stored) as member, entry.path.open("rb") as source:
            sink = _Hashing(member, self._digest)
            while block := source.read(COPY_CHUNK):
                sink.write(block)

    def add_cut_document(self, entry: _Entry) -> None:
        """``entry`` is too big for one part: its pieces fill parts of their own, in document order."""
        document = _Document(entry.path)
        if not document.has_more():  # nothing to share out: it goes whole, and the size check says so
            self.room_for(entry.estimate)
            self.add_file(entry)
            return
        first = True
        while document.has_more():
            if first and self._zip is not None and self.used < self.budget // 2:
                pass  # the first piece fills what the part holding earlier documents has left
            else:
                self.fresh()
            first = False
            start = self.used
            with self._member(entry.relative, False) as member:
                sink = _Measured(member, self._digest, self.budget)
                document.write_piece(sink, _full_at(start, sink, self.budget))
            if document.has_more():
                self.close()


def _full_at(start: int, sink: _Measured, budget: int) -> Callable[[], bool]:
    return lambda: start + sink.deflated_at_most >= budget


def _deflated_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


class _Document:
    """One XML document read element by element, handed out as pieces that each make a document.

    The shell (root, and for a pricebook its pricebook and price-tables elements) and the headers
    inside it are written again in every piece; the units under the shell are shared out.
    """

    def __init__(self, path: Path):
        self.path = path
        self._events = etree.iterparse(str(path), events=("start", "end"), **SAFE_PARSER_OPTIONS)
        self._shell: list[etree._Element] = []  # depth 1 .. unit depth - 1
        self._headers: dict[int, list[etree._Element]] = {}  # by depth
        self._pending: etree._Element | None = None  # a unit read, not yet written
        self._depth = 0
        self._unit_depth = 0
        self._units_seen = False
        self._header_at = 0  # the depth of the header being read, 0 outside headers
        self._advance()

    def has_more(self) -> bool:
        return self._pending is not None

    def _advance(self) -> None:
        """Read on to the next unit (kept in _pending), or to the end of the document."""
        self._pending = None
        for event, element in self._events:
            if event == "start":
                self._depth += 1
                if self._header_at:
                    continue
                if self._depth <= self._unit_depth and etree.QName(element).localname in REPEATED:
                    self._header_at = self._depth
                    continue
                if self._depth == 1:
                    local = etree.QName(element).localname
                    if local not in UNIT_DEPTH:
                        raise ArchiveTooLarge(
                            f"{self.path.name}: a <{local}> document cannot be cut into pieces."
                        )
                    self._unit_depth = UNIT_DEPTH[local]
                if self._depth < self._unit_depth:
                    if len(self._shell) >= self._depth and self._units_seen:
                        raise ArchiveTooLarge(
                            f"{self.path.name}: holds several <{etree.QName(element).localname}> "
                            "and cannot be cut into pieces."
                        )
                    del self._shell[self._depth - 1 :]
                    self._shell.append(element)
                continue
            depth, self._depth = self._depth, self._depth - 1
            if self._header_at:
                if depth == self._header_at:
                    self._header_at = 0
                    self._headers.setdefault(depth, []).append(element)
                continue
            if depth == self._unit_depth:
                self._pending = element
                self._units_seen = True
                return

    def write_piece(self, out, full: Callable[[], bool]) -> None:
        """Write the shell, its headers and units until ``full()`` says the piece is big enough."""
        with etree.xmlfile(out, encoding="UTF-8") as xf:
            xf.write_declaration()
            with ExitStack() as shell:
                for depth, element in enumerate(self._shell, start=1):
                    for header in self._headers.get(depth, []) if depth > 1 else []:
                        xf.write(header)
                    nsmap = element.nsmap if depth == 1 else None
                    shell.enter_context(xf.element(element.tag, dict(element.attrib), nsmap=nsmap))
                for header in self._headers.get(self._unit_depth, []):
                    xf.write(header)
                while self._pending is not None:
                    unit = self._pending
                    xf.write(unit)
                    _forget(unit)
                    xf.flush()
                    self._advance()
                    if full():
                        return


def _forget(element: etree._Element) -> None:
    """Free a written unit and the siblings before it: a document of 300 MB stays small in memory."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def content_digest(part: ArchivePart) -> str:
    return part.digest


def pack_parts(
    folder: Path,
    max_bytes: int,
    *,
    catalog_order: tuple[str, ...] = (),
    out_dir: Path | None = None,
) -> list[ArchivePart]:
    """Zip ``folder`` (a site archive's top folder) into parts of at most ``max_bytes`` each.

    One part, ``<folder>.zip`` with the folder as its top folder, when everything fits; otherwise
    ``<folder>-part-N.zip`` each with top folder ``<folder>-part-N``.
    """
    out_dir = out_dir or folder.parent
    budget = int(max_bytes * PACKING_MARGIN)
    # Raw sizes bound the packed ones: when they fit, nothing needs compressing twice.
    entries = _entries(folder, exact=False)
    single = sum(entry.estimate for entry in entries) <= budget
    if not single:
        entries = _entries(folder, exact=True)
        single = sum(entry.estimate for entry in entries) <= budget
    for entry in entries:
        if is_static(entry.relative) and entry.estimate > budget:
            raise ArchiveTooLarge(
                f"{entry.relative} ({entry.estimate / MB:.1f} MB) is larger than an archive part "
                f"({max_bytes / MB:.1f} MB); a file cannot be cut. Raise the profile's archive size limit."
            )
    documents = sorted(
        (entry for entry in entries if not is_static(entry.relative)),
        key=lambda entry: unit_rank(entry.relative, catalog_order),
    )
    statics = [entry for entry in entries if is_static(entry.relative)]
    writer = _PartWriter(folder, out_dir, folder.name, budget, single)
    try:
        for entry in _in_order(documents, statics):
            if entry.estimate > budget and not is_static(entry.relative):
                writer.add_cut_document(entry)
            else:
                writer.room_for(entry.estimate)
                writer.add_file(entry)
        writer.room_for(0)  # an empty folder still makes one (empty) part
    finally:
        writer.close()
    for part in writer.parts:
        if part.size > max_bytes:
            raise ArchiveTooLarge(
                f"{part.name} came out at {part.size / MB:.2f} MB, above the {max_bytes / MB:.2f} MB "
                "limit; raise the profile's archive size limit a little."
            )
    return writer.parts


def _in_order(documents: list[_Entry], statics: list[_Entry]) -> Iterator[_Entry]:
    yield from documents
    yield from statics


def remove_parts(parts: list[ArchivePart]) -> None:
    for part in parts:
        part.path.unlink(missing_ok=True)


def copy_part(part: ArchivePart, target: Path) -> Path:
    shutil.copyfile(part.path, target)
    return target
