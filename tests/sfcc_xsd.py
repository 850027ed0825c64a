"""Validation of our XML against SFCC's import schemas, in the folder of settings.SFCC_XSD_DIR.

The schemas are Salesforce's files, never copied into the project. Without them the schema tests
skip (the terminal summary counts them, tests/conftest.py), except on CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from sfcc_export.xml_check import SchemasMissing, schema_for, schemas_by_namespace

SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
SKIP_REASON = "SFCC schemas not found"  # every skip's reason starts so; the summary looks for it


def xsd_dir() -> Path:
    from django.conf import settings

    return Path(settings.SFCC_XSD_DIR)


def require_xsds() -> Path:
    """The schema folder; without its schemas the test skips, or fails on CI."""
    folder = xsd_dir()
    try:
        schemas_by_namespace(folder)
    except SchemasMissing as exc:
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(f"{SKIP_REASON} at {folder} (set SFCC_XSD_DIR to the folder of Salesforce's XSD files)")
    return folder


def assert_valid(data: bytes, name: str = "document") -> None:
    folder = require_xsds()
    document = etree.fromstring(data, SAFE_PARSER).getroottree()
    namespace = etree.QName(document.getroot()).namespace
    schemas = schemas_by_namespace(folder)
    if namespace not in schemas:
        raise AssertionError(f"{name}: no SFCC schema for root namespace {namespace!r}")
    schema = schema_for(folder, namespace)
    if not schema.validate(document):
        errors = "\n".join(f"line {e.line}: {e.message}" for e in list(schema.error_log)[:10])
        raise AssertionError(f"{name} is not valid against {schemas[namespace].name}:\n{errors}")


def assert_archive_valid(archive: Path) -> int:
    checked = 0
    with zipfile.ZipFile(archive) as bundle:
        for name in bundle.namelist():
            if name.endswith(".xml"):
                assert_valid(bundle.read(name), name)
                checked += 1
    assert checked, f"{archive} holds no XML"
    return checked
