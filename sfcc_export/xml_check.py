"""Checks SFCC import XML against Salesforce's import schemas (XSD), streaming. No Django here.

The schemas are Salesforce's files, found in a folder the caller names (the SFCC_XSD_DIR setting);
each document is checked against the schema of its root element's namespace, as SFCC picks it.

A document is read in passes, each streaming and clearing what it has read, so a 300 MB catalog
needs neither its size in memory nor the tenfold of a whole tree:

1. the prolog and the root element: a DOCTYPE is refused (SFCC files have none, and a DTD can
   declare entities: hostile input), and the root's namespace picks the schema;
2. well-formedness, with libxml2's line and message;
3. the schema, by libxml2's validator plugged into the parser. It gives the first violation's
   message but no line (line 0: the validator sees parser events, not the parser), and it does not
   report a document cut short, which is why pass 2 comes first;
4. only for an invalid document, the line: the document is parsed again without the schema and
   its partial tree validated in windows, the elements already validated cut down to stubs, until
   the violation of pass 3 appears (see _locate). Lines are exact beyond libxml2's 65,535 too.
"""

from __future__ import annotations

import copy
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

PARSE_OPTIONS = {"resolve_entities": False, "no_network": True, "huge_tree": True}
CHUNK_BYTES = 1024 * 1024
LOCATE_CHUNK_BYTES = 64 * 1024  # at most 16,384 elements (<a/>) beyond a window
PROLOG_BYTES = 64 * 1024  # where a DOCTYPE is looked for before the parser sees it
# Pass 4 validates the partial tree after this many elements more (and once at the end).
LOCATE_WINDOW_ELEMENTS = 20_000  # with a chunk's, fewer than 65,535 (see _window_error)

_lock = threading.RLock()
_namespaces: dict[Path, dict[str, Path]] = {}
_schemas: dict[tuple[Path, str], etree.XMLSchema] = {}


class SchemasMissing(Exception):
    """The schema folder is missing or holds no XSD."""

    def __init__(self, folder: Path, why: str = "holds no .xsd file"):
        self.folder = Path(folder)
        super().__init__(
            f"SFCC import schemas not found: {self.folder} {why}. Set SFCC_XSD_DIR (environment "
            "variable and Django setting) to the folder of Salesforce's B2C Commerce import/export "
            "schemas (catalog.xsd, pricebook.xsd, library.xsd, metadata.xsd, xml.xsd, ...). They are "
            "Salesforce's files and do not ship with this project: Salesforce publishes them with its "
            "B2C Commerce developer tooling (SalesforceCommerceCloud/b2c-developer-tooling, "
            "packages/b2c-tooling-sdk/data/xsd); "
            "in this project's development setup they are in ../shared/sfcc-xsd, beside the project."
        )


@dataclass(frozen=True)
class DocumentProblem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file} line {self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(**PARSE_OPTIONS)


def schemas_by_namespace(xsd_dir: Path) -> dict[str, Path]:
    """Each XSD's targetNamespace -> its file; the first by sorted name wins. Cached per folder."""
    key = Path(xsd_dir).resolve()
    with _lock:
        if key not in _namespaces:
            if not key.is_dir():
                raise SchemasMissing(Path(xsd_dir), "does not exist")
            files = sorted(key.glob("*.xsd"))
            if not files:
                raise SchemasMissing(Path(xsd_dir))
            by_namespace: dict[str, Path] = {}
            for xsd in files:
                namespace = etree.parse(str(xsd), _parser()).getroot().get("targetNamespace")
                if namespace:
                    by_namespace.setdefault(namespace, xsd)
            _namespaces[key] = by_namespace
        return dict(_namespaces[key])


def schema_for(xsd_dir: Path, namespace: str) -> etree.XMLSchema:
    """The compiled schema of ``namespace`` (KeyError when no XSD has it). Cached per folder."""
    key = (Path(xsd_dir).resolve(), namespace)
    with _lock:
        if key not in _schemas:
            path = schemas_by_namespace(xsd_dir)[namespace]
            _schemas[key] = etree.XMLSchema(etree.parse(str(path), _parser()))
        return _schemas[key]


def check_folder(folder: Path, xsd_dir: Path) -> list[DocumentProblem]:
    """The first problem of each ``*.xml`` under ``folder`` (sorted), named relative to it."""
    schemas_by_namespace(xsd_dir)
    folder = Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(f"No folder at {folder}")
    names = sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.suffix.lower() == ".xml" and path.is_file()
    )
    problems = []
    for name in names:
        problem = check_document(folder / name, xsd_dir, name=name)
        if problem is not None:
            problems.append(problem)
    return problems


def check_document(path: Path, xsd_dir: Path, *, name: str | None = None) -> DocumentProblem | None:
    """The first problem of one document, or None when it is valid against its SFCC schema."""
    schemas = schemas_by_namespace(xsd_dir)
    label = name if name is not None else str(path)
    try:
        return _check(Path(path), xsd_dir, schemas, label)
    except OSError as exc:
        return DocumentProblem(label, None, f"cannot be read: {exc.strerror or exc}")


def _check(path: Path, xsd_dir: Path, schemas: dict[str, Path], label: str) -> DocumentProblem | None:
    with path.open("rb") as source:
        head = source.read(PROLOG_BYTES)
    line = _doctype_line(head)
    if line is not None:
        return DocumentProblem(label, line, _DOCTYPE_REFUSED)
    try:
        namespace, root_line, has_doctype = _root(path)
    except etree.XMLSyntaxError as exc:
        return _not_well_formed(label, exc)
    if has_doctype:
        return DocumentProblem(label, None, _DOCTYPE_REFUSED)
    if namespace not in schemas:
        return DocumentProblem(label, root_line, f"no SFCC schema for root namespace {namespace!r}")
    try:
        _stream(path)
    except etree.XMLSyntaxError as exc:
        return _not_well_formed(label, exc)
    schema = schema_for(xsd_dir, namespace)
    try:
        _stream(path, schema=schema)
    except etree.XMLSyntaxError as exc:
        message = exc.msg or str(exc)
    else:
        return None
    try:
        line = _locate(path, schema, message)
    except etree.XMLSyntaxError:  # the file changed since pass 2
        line = None
    return DocumentProblem(label, line, message)


_DOCTYPE_REFUSED = (
    "a DOCTYPE is refused: SFCC import documents have none, and a DTD can declare entities (hostile input)"
)


def _doctype_line(head: bytes) -> int | None:
    """The line of a DOCTYPE in the prolog (before the root element), read as bytes, unparsed."""
    position = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while position < len(head):
        if head[position : position + 1].isspace():
            position += 1
        elif head.startswith(b"<?", position):
            position = _after(head, b"?>", position)
        elif head.startswith(b"<!--", position):
            position = _after(head, b"-->", position)
        elif head.startswith(b"<!DOCTYPE", position):
            return head.count(b"\n", 0, position) + 1
        else:
            break
    return None


def _after(head: bytes, end: bytes, position: int) -> int:
    found = head.find(end, position)
    return len(head) if found < 0 else found + len(end)


def _root(path: Path) -> tuple[str | None, int | None, bool]:
    """The root element's namespace and line, and whether a DOCTYPE came before it."""
    with path.open("rb") as source:
        for _event, element in etree.iterparse(source, events=("start",), **PARSE_OPTIONS):
            docinfo = element.getroottree().docinfo
            has_doctype = bool(docinfo.doctype) or docinfo.internalDTD is not None
            return etree.QName(element).namespace, element.sourceline, has_doctype
    raise etree.XMLSyntaxError("Document is empty", None, 1, 1)  # iterparse raises first; kept as a guard


def _stream(path: Path, schema: etree.XMLSchema | None = None) -> None:
    """Parses the whole document (validating it with ``schema``) in bounded memory: each element is
    emptied once ended, and dropped from its parent once the next one ends."""
    with path.open("rb") as source:
        events = etree.iterparse(source, events=("end",), schema=schema, **PARSE_OPTIONS)
        for _event, element in events:
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]


def _not_well_formed(label: str, exc: etree.XMLSyntaxError) -> DocumentProblem:
    return DocumentProblem(label, exc.lineno or None, f"not well-formed: {exc.msg or exc}")


def _locate(path: Path, schema: etree.XMLSchema, message: str) -> int | None:
    """The line of the violation ``message`` (pass 4 of the module's docstring), or None.

    The document is parsed again without the schema and its partial tree validated about every
    LOCATE_WINDOW_ELEMENTS elements, and once at the end. After a window, every element that has
    ended is cut down to a stub: no children, no text, line 0, and of a long run of stubs of one
    name only the first _RUN_KEPT stay. A stub has been validated with its content already; what it
    causes now (a "missing child" of its own) is not an error of the document, nor is anything at
    line 0; what its parent's content model needs of it, its name, it keeps. The violation is the
    document's first error, so the first other error with its message is it. Memory: a window's
    tree, twice (see _window_error), and the open elements with their stubs."""
    parser = etree.XMLPullParser(events=("start", "end"), **PARSE_OPTIONS)
    depth = since = starts = 0
    root = None
    # libxml2 keeps an element's line up to 65,535 only; beyond, its rank among the start tags.
    ranks: dict[etree._Element, int] = {}
    found = None
    with path.open("rb") as source:
        while found is None and (chunk := source.read(LOCATE_CHUNK_BYTES)):
            parser.feed(chunk)
            for event, element in parser.read_events():
                if event == "start":
                    depth += 1
                    since += 1
                    starts += 1
                    root = element if root is None else root
                    if element.sourceline >= _MAX_LINE:
                        ranks[element] = starts
                else:
                    depth -= 1
            if since >= LOCATE_WINDOW_ELEMENTS and depth:
                since = 0
                found = _window_error(schema, root, depth, message)
                if found is None:
                    _to_stubs(root, depth)
                    ranks = {
                        element: ranks[element]
                        for element in root.iter(etree.Element)
                        if element in ranks and element.sourceline
                    }
        if found is None:
            found = _window_error(schema, parser.close(), 0, message)
    if found is None:
        return None
    if found.sourceline < _MAX_LINE:
        return found.sourceline
    return _start_tag_line(path, ranks[found]) if found in ranks else None


_MARKER = "{urn:x-sfcc-export:xml-check}window-end"
_MAX_LINE = 65_535
# The largest bound (maxOccurs) short of "unbounded" in SFCC's schemas is 999: past 1,000 stubs of a
# name in a row, more of them do not change what their parent's content model accepts.
_RUN_KEPT = 1000


def _window_error(
    schema: etree.XMLSchema, root: etree._Element, depth: int, message: str
) -> etree._Element | None:
    """The element of the first error ``message`` in a copy of the tree whose ``depth`` open
    elements (each the last child of the one before) are made to end here. Each gets a marker
    element as its last child, so that their "missing child" and the like, not true yet, give way
    to the marker's "not expected" (left out); an innermost open element without children (its
    text may be cut short) is left out. The copy's elements other than stubs are numbered in order,
    as their lines: the line of an error names its element."""
    tree = copy.deepcopy(root)
    numbered: dict[int, etree._Element] = {}
    number = 0
    for element, copied in zip(root.iter(etree.Element), tree.iter(etree.Element), strict=True):
        if element.sourceline:
            number = number % (_MAX_LINE - 1) + 1
            copied.sourceline = number
            numbered[number] = element
    opened = [tree]
    while len(opened) < depth:
        opened.append(opened[-1][-1])  # an open element is its parent's last child
    if depth > 1 and len(opened[-1]) == 0:
        opened[-2].remove(opened.pop())
    for element in opened[:depth]:
        etree.SubElement(element, _MARKER)
    with _lock:  # a schema's error log is the schema object's own: one validation at a time
        if schema.validate(tree.getroottree()):
            return None
        errors = [(error.message, error.line) for error in schema.error_log]
    for text, line in errors:
        if line and text == message:
            return numbered.get(line)
    return None


_TOKEN = re.compile(rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<[!?/]|<", re.DOTALL)


def _start_tag_line(path: Path, rank: int) -> int | None:
    """The line of the ``rank``-th start tag (from 1) of a well-formed document without DOCTYPE,
    counted in its bytes: outside comments, CDATA sections and processing instructions, each "<"
    opens a tag."""
    line, seen, data = 1, 0, b""
    with path.open("rb") as source:
        while chunk := source.read(CHUNK_BYTES):
            data += chunk
            rest = len(data)
            for match in _TOKEN.finditer(data):
                token = match.group()
                if token in (b"<!", b"<?") or match.end() == len(data):
                    rest = match.start()  # cut short by the chunk: read on
                    break
                if token == b"<" and data[match.end() : match.end() + 1] not in (b"!", b"?", b"/"):
                    seen += 1
                    if seen == rank:
                        return line + data.count(b"\n", 0, match.start())
            line += data.count(b"\n", 0, rest)
            data = data[rest:]
    return None


def _to_stubs(root: etree._Element, depth: int) -> None:
    """Every element that has ended loses its children, its text and its line: its name is what its
    parent's content model needs (its attributes stay: without them each stub would be an error to
    report, on every validation after). The open elements keep all."""
    element = root
    for level in range(depth):
        following = element[-1] if level + 1 < depth else None
        run: list[etree._Element] = []
        for child in list(element):
            if child is following:
                break
            if not isinstance(child.tag, str):  # a comment or processing instruction: nothing to validate
                element.remove(child)
                continue
            if child.sourceline:
                del child[:]
                child.text = child.tail = None
                child.sourceline = 0
            if run and run[-1].tag != child.tag:
                run = []
            run.append(child)
            if len(run) > _RUN_KEPT:  # a 1,001st stub of a kind, one after the other, changes nothing
                element.remove(run.pop())
        element = following
