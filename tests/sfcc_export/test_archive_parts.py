"""Packing a site archive folder into parts under a size limit (sfcc_export.archive_parts), on real
files written by the project's own writers, each part checked against SFCC's schemas."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from sfcc_export.archive_parts import ArchiveTooLarge, pack_parts
from sfcc_export.writers.catalog import CatalogWriter, ImageSettings, ProductRecord
from sfcc_export.writers.pricebook import PricebookWriter
from tests.sfcc_xsd import assert_valid

CATALOG = "{http://www.demandware.com/xml/impex/catalog/2006-10-31}"
PRICEBOOK = "{http://www.demandware.com/xml/impex/pricebook/2006-10-31}"


def site_folder(root: Path, name: str = "20261202-101010-run7", products: int = 2000) -> Path:
    folder = root / name
    (folder / "catalogs/master").mkdir(parents=True)
    (folder / "catalogs/storefront").mkdir(parents=True)
    (folder / "pricebooks").mkdir()
    (folder / "meta").mkdir()
    static = folder / "catalogs/master/static/default/images"
    static.mkdir(parents=True)
    for index in range(3):
        (static / f"image-{index}.jpg").write_bytes(bytes(range(256)) * 80)  # 20 KB each, "incompressible"
    with (folder / "catalogs/master/catalog.xml").open("wb") as out, CatalogWriter(out, "master") as writer:
        writer.header(ImageSettings(["large"]))
        for index in range(products):
            name = f"Product {index} " + format(index * 7919 % 104729, "x") * 8
            writer.product(ProductRecord(f"p{index}", system={"display-name": {None: name}}))
    with (
        (folder / "catalogs/storefront/catalog.xml").open("wb") as out,
        CatalogWriter(out, "storefront") as writer,
    ):
        for index in range(products):
            writer.assignment("root", f"p{index}")
    with (
        (folder / "pricebooks/EUR.xml").open("wb") as out,
        PricebookWriter(out, "EUR", {None: "Euro"}) as book,
    ):
        for index in range(products):
            book.price(f"p{index}", f"{index}.50")
    (folder / "meta/system-objecttype-extensions.xml").write_bytes(
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<metadata xmlns="http://www.demandware.com/xml/impex/metadata/2006-10-31"/>\n'
    )
    return folder


def documents(part) -> dict[str, etree._Element]:
    with zipfile.ZipFile(part.path) as bundle:
        return {
            name.split("/", 1)[1]: etree.fromstring(bundle.read(name))
            for name in bundle.namelist()
            if name.endswith(".xml")
        }


def test_an_archive_that_fits_is_one_part_named_as_the_folder(tmp_path):
    folder = site_folder(tmp_path, products=50)

    [part] = pack_parts(folder, 10_000_000)

    assert part.name == f"{folder.name}.zip"
    with zipfile.ZipFile(part.path) as bundle:
        assert {name.split("/", 1)[0] for name in bundle.namelist()} == {folder.name}
    assert sorted(part.files) == sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
    )


def test_parts_stay_under_the_limit_in_dependency_order_with_documents_cut_where_too_big(tmp_path):
    folder = site_folder(tmp_path)
    limit = 40_000

    parts = pack_parts(folder, limit, catalog_order=("master", "storefront"))

    assert len(parts) >= 4
    assert all(part.size <= limit for part in parts)
    assert [part.top_folder for part in parts] == [
        f"{folder.name}-part-{i}" for i in range(1, len(parts) + 1)
    ]
    order = [name for part in parts for name in part.files]
    firsts = {
        prefix: next(i for i, name in enumerate(order) if name.startswith(prefix))
        for prefix in (
            "meta/",
            "catalogs/master/catalog",
            "catalogs/storefront/",
            "pricebooks/",
            "catalogs/master/static/",
        )
    }
    assert firsts["meta/"] < firsts["catalogs/master/catalog"] < firsts["catalogs/storefront/"]
    assert firsts["catalogs/storefront/"] < firsts["pricebooks/"] < firsts["catalogs/master/static/"]
    # Every piece is a valid document of its own; together they hold the whole one, in order.
    products, prices = [], []
    for part in parts:
        for name, root in documents(part).items():
            assert_valid(etree.tostring(root), name)
            if name == "catalogs/master/catalog.xml":
                assert root[0].tag == f"{CATALOG}header" and root.get("catalog-id") == "master"
                products += [child.get("product-id") for child in root.iter(f"{CATALOG}product")]
            if name == "pricebooks/EUR.xml":
                assert (
                    root.find(f"{PRICEBOOK}pricebook/{PRICEBOOK}header").get("pricebook-id")
                    == "EUR-list-prices"
                )
                prices += [table.get("product-id") for table in root.iter(f"{PRICEBOOK}price-table")]
    assert products == [f"p{i}" for i in range(2000)]
    assert prices == [f"p{i}" for i in range(2000)]


def test_the_same_files_give_the_same_digests_whatever_the_folder_is_called(tmp_path):
    first = pack_parts(site_folder(tmp_path / "a", "20261202-101010-run7"), 40_000)
    second = pack_parts(site_folder(tmp_path / "b", "20261203-090000-run8"), 40_000)

    assert [part.digest for part in first] == [part.digest for part in second]
    assert len({part.digest for part in first}) == len(first)


def test_a_static_file_larger_than_a_part_is_refused_by_name(tmp_path):
    folder = site_folder(tmp_path, products=10)
    big = folder / "catalogs/master/static/default/images/huge.jpg"
    big.write_bytes(os.urandom(60_000))

    with pytest.raises(ArchiveTooLarge, match="huge.jpg"):
        pack_parts(folder, 40_000)


def test_a_document_that_cannot_be_cut_is_refused(tmp_path):
    folder = tmp_path / "run"
    (folder / "sites").mkdir(parents=True)
    (folder / "sites/site.xml").write_bytes(
        b'<?xml version="1.0"?><site xmlns="http://www.demandware.com/xml/impex/site/2007-04-30">'
        + b"<x>"
        + os.urandom(30_000).hex().encode()
        + b"</x></site>"
    )

    with pytest.raises(ArchiveTooLarge, match="cannot be cut"):
        pack_parts(folder, 20_000)


def test_a_cut_document_never_expands_entities(tmp_path):
    folder = tmp_path / "run"
    (folder / "catalogs/m").mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = "".join(
        f'<product product-id="p{i}"><display-name>&x;</display-name></product>' for i in range(3000)
    )
    (folder / "catalogs/m/catalog.xml").write_text(
        f'<?xml version="1.0"?><!DOCTYPE catalog [<!ENTITY x SYSTEM "file://{secret}">]>'
        f'<catalog xmlns="{CATALOG[1:-1]}" catalog-id="m">{body}</catalog>'
    )

    parts = pack_parts(folder, 20_000)

    for part in parts:
        with zipfile.ZipFile(part.path) as bundle:
            assert all(b"TOP-SECRET" not in bundle.read(name) for name in bundle.namelist())
