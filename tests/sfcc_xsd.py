"""Validation of our XML against SFCC's import schemas in ../shared (never copied into the project)."""

from __future__ import annotations

import zipfile
from functools import cache
from pathlib import Path

import pytest
from lxml import etree

XSD_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "sfcc-xsd"
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


@cache
def _schemas() -> dict[str, Path]:
    by_namespace = {}
    for xsd in sorted(XSD_DIR.glob("*.xsd")):
        namespace = etree.parse(str(xsd), SAFE_PARSER).getroot().get("targetNamespace")
        if namespace:
            by_namespace.setdefault(namespace, xsd)
    return by_namespace


@cache
def _schema(namespace: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_schemas()[namespace]), SAFE_PARSER))


def require_xsds() -> None:
    if not XSD_DIR.is_dir():
        pytest.skip(f"SFCC schemas not found at {XSD_DIR} (CI has ../shared beside the project)")


def assert_valid(data: bytes, name: str = "document") -> None:
    require_xsds()
    document = etree.fromstring(data, SAFE_PARSER).getroottree()
    namespace = etree.QName(document.getroot()).namespace
    schema = _schema(namespace)
    if not schema.validate(document):
        errors = "\n".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:10])
        raise AssertionError(f"{name} is not valid against {_schemas()[namespace].name}:\n{errors}")


def assert_archive_valid(archive: Path) -> int:
    checked = 0
    with zipfile.ZipFile(archive) as bundle:
        for name in bundle.namelist():
            if name.endswith(".xml"):
                assert_valid(bundle.read(name), name)
                checked += 1
    assert checked, f"{archive} holds no XML"
    return checked
