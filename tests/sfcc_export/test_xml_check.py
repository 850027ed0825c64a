"""sfcc_export.xml_check: SFCC import XML checked against Salesforce's XSDs, streaming, with lines."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from sfcc_export import xml_check
from sfcc_export.writers.catalog import (
    CatalogWriter,
    CategoryRecord,
    ImageGroup,
    ImageSettings,
    ProductRecord,
    VariationAttribute,
)
from sfcc_export.writers.pricebook import PricebookWriter
from sfcc_export.xml_check import (
    DocumentProblem,
    SchemasMissing,
    check_document,
    check_folder,
    schema_for,
    schemas_by_namespace,
)
from tests.paths import ROOT
from tests.sfcc_xsd import SKIP_REASON, require_xsds

REPO = ROOT
CATALOG = "http://www.demandware.com/xml/impex/catalog/2006-10-31"
PRICEBOOK = "http://www.demandware.com/xml/impex/pricebook/2006-10-31"


@pytest.fixture
def xsd() -> Path:
    return require_xsds()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def pricebook(rows: str, header: str = "<currency>EUR</currency>") -> str:
    """A pretty-printed pricebook: its first price-table row is line 8."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<pricebooks xmlns="{PRICEBOOK}">\n'
        "  <pricebook>\n"
        '    <header pricebook-id="EUR-list-prices">\n'
        f"      {header}\n"
        "    </header>\n"
        "    <price-tables>\n"
        f"{rows}"
        "    </price-tables>\n"
        "  </pricebook>\n"
        "</pricebooks>\n"
    )


def price_row(index: int) -> str:
    return f'      <price-table product-id="p{index}"><amount quantity="1">9.99</amount></price-table>\n'


def write_catalog(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out, CatalogWriter(out, "akeneo-master") as writer:
        writer.header(ImageSettings(view_types=["large", "small"]))
        writer.category(CategoryRecord("root", {"x-default": "Root"}))
        writer.category(CategoryRecord("shoes", {"x-default": "Shoes", "de": "Schuhe"}, parent="root"))
        writer.product(
            ProductRecord(
                "master-1",
                system={"display-name": {"x-default": "Runner", "de": "Läufer"}, "brand": {None: "Acme"}},
                online=True,
                variation_attributes=[VariationAttribute("color", {"x-default": "Color"}, [("red", {})])],
                variants=["variant-1"],
                images=[ImageGroup("large", ["shoes/runner.jpg"])],
            )
        )
        writer.product(ProductRecord("variant-1", system={"ean": {None: "4006381333931"}}))
        writer.product(ProductRecord("gone", mode="delete"))
        writer.assignment("shoes", "master-1", primary=True)
    return path


def write_pricebook(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out, PricebookWriter(out, "EUR", {"x-default": "List prices"}) as writer:
        writer.price("master-1", "129.00")
        writer.price("variant-1", "99.5")
    return path


# -- valid documents ------------------------------------------------------------------------------


def test_documents_of_our_writers_are_valid(xsd, tmp_path):
    catalog = write_catalog(tmp_path / "catalogs" / "akeneo-master" / "catalog.xml")
    prices = write_pricebook(tmp_path / "pricebooks" / "EUR-list-prices.xml")

    assert check_document(catalog, xsd) is None
    assert check_document(prices, xsd) is None
    assert check_folder(tmp_path, xsd) == []


def test_the_schema_is_the_one_of_the_root_namespace_and_is_cached(xsd):
    schemas = schemas_by_namespace(xsd)

    assert schemas[CATALOG].name == "catalog.xsd" and schemas[PRICEBOOK].name == "pricebook.xsd"
    same_folder = xsd.parent / ".." / xsd.parent.name / xsd.name
    assert schema_for(xsd, CATALOG) is schema_for(same_folder, CATALOG)
    with ThreadPoolExecutor(max_workers=8) as pool:
        compiled = set(map(id, pool.map(lambda _: schema_for(xsd, PRICEBOOK), range(32))))
    assert compiled == {id(schema_for(xsd, PRICEBOOK))}
    with pytest.raises(KeyError):
        schema_for(xsd, "urn:example:no-schema")


def test_the_first_xsd_by_name_wins_a_namespace(tmp_path):
    schema = '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t"/>'
    write(tmp_path / "b.xsd", schema)
    write(tmp_path / "a.xsd", schema)
    write(tmp_path / "none.xsd", '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>')

    assert schemas_by_namespace(tmp_path) == {"urn:t": tmp_path.resolve() / "a.xsd"}


# -- problems: file, line, libxml2's message ------------------------------------------------------


def test_an_unknown_element_gives_its_line_and_libxml2s_message(xsd, tmp_path):
    rows = price_row(1) + '      <price-table product-id="p2">\n        <bogus/>\n      </price-table>\n'
    path = write(tmp_path / "pricebooks" / "EUR.xml", pricebook(rows))

    problem = check_document(path, xsd, name="pricebooks/EUR.xml")

    assert problem.file == "pricebooks/EUR.xml" and problem.line == 10
    assert problem.message.startswith(f"Element '{{{PRICEBOOK}}}bogus': This element is not expected.")
    assert str(problem) == f"pricebooks/EUR.xml line 10: {problem.message}"


def test_a_missing_required_attribute_gives_its_line(xsd, tmp_path):
    rows = price_row(1) + price_row(2) + '      <price-table><amount quantity="1">1</amount></price-table>\n'
    path = write(tmp_path / "EUR.xml", pricebook(rows))

    assert check_document(path, xsd) == DocumentProblem(
        str(path),
        10,
        f"Element '{{{PRICEBOOK}}}price-table': The attribute 'product-id' is required but missing.",
    )


def test_a_bad_value_in_a_catalog_gives_its_line(xsd, tmp_path):
    path = write(
        tmp_path / "catalog.xml",
        f"""
        <?xml version="1.0" encoding="UTF-8"?>
        <catalog xmlns="{CATALOG}" catalog-id="m">
          <product product-id="p1">
            <online-flag>true</online-flag>
          </product>
          <product product-id="p2">
            <online-flag>maybe</online-flag>
          </product>
        </catalog>
        """,
    )

    problem = check_document(path, xsd)

    assert problem.line == 7
    assert problem.message == (
        f"Element '{{{CATALOG}}}online-flag': 'maybe' is not a valid value of the atomic type 'xs:boolean'."
    )


def test_not_well_formed_gives_the_line(xsd, tmp_path):
    rows = price_row(1) + '      <price-table product-id="p2"><amount>1</amoun></price-table>\n'
    path = write(tmp_path / "EUR.xml", pricebook(rows))

    problem = check_document(path, xsd)

    assert problem.line == 9
    assert problem.message.startswith(
        "not well-formed: Opening and ending tag mismatch: amount line 9 and amoun"
    )


def test_a_document_cut_short_is_not_well_formed(xsd, tmp_path):
    """lxml's validating parser takes a valid beginning for a valid document; the check does not."""
    whole = pricebook(price_row(1) + price_row(2))
    path = write(tmp_path / "EUR.xml", whole[: whole.index("    </price-tables>")])

    problem = check_document(path, xsd)

    assert problem.message.startswith("not well-formed: ") and problem.line == 10


def test_an_empty_file_is_not_well_formed(xsd, tmp_path):
    path = tmp_path / "empty.xml"
    path.write_bytes(b"")

    assert check_document(path, xsd).message.startswith("not well-formed: ")


def test_a_doctype_is_refused_and_its_entities_are_not_expanded(xsd, tmp_path):
    secret = write(tmp_path / "secret.txt", "TOP-SECRET-VALUE")
    doctype = (
        "<!DOCTYPE pricebooks [\n"
        f'  <!ENTITY secret SYSTEM "{secret.as_uri()}">\n'
        '  <!ENTITY word "EXPANDED-WORD">\n'
        "]>\n"
    )
    body = pricebook(price_row(1)).replace('pricebook-id="EUR-list-prices"', 'pricebook-id="&word;&secret;"')
    declaration, rest = body.split("\n", 1)
    early = write(tmp_path / "early.xml", f"{declaration}\n<!-- exported -->\n{doctype}{rest}")
    # Past the first 64 KB the parser reads the DTD (without loading or expanding anything) and the
    # document is refused all the same.
    late = write(tmp_path / "late.xml", f"{declaration}\n<!-- {'x' * 70_000} -->\n{doctype}{rest}")

    for path, line in ((early, 3), (late, None)):
        problem = check_document(path, xsd)
        assert problem.line == line
        assert problem.message.startswith("a DOCTYPE is refused")
        assert "EXPANDED-WORD" not in str(problem) and "TOP-SECRET-VALUE" not in str(problem)


def test_an_unknown_root_namespace(xsd, tmp_path):
    path = write(tmp_path / "x.xml", '<?xml version="1.0"?>\n<catalog xmlns="urn:example:other"/>\n')

    assert check_document(path, xsd, name="x.xml") == DocumentProblem(
        "x.xml", 2, "no SFCC schema for root namespace 'urn:example:other'"
    )


def test_a_folder_gives_one_problem_per_file_named_relative_to_it(xsd, tmp_path):
    write_catalog(tmp_path / "catalogs" / "akeneo-master" / "catalog.xml")
    write_pricebook(tmp_path / "pricebooks" / "EUR-list-prices.xml")
    two_errors = price_row(1) + "      <price-table/>\n      <bogus/>\n"
    write(tmp_path / "pricebooks" / "USD-list-prices.xml", pricebook(two_errors))
    write(
        tmp_path / "catalogs" / "akeneo-storefront" / "catalog.xml", f'<catalog xmlns="{CATALOG}">\n<a></b>\n'
    )
    write(tmp_path / "notes.txt", "<not xml")

    problems = check_folder(tmp_path, xsd)

    assert [(p.file, p.line) for p in problems] == [
        ("catalogs/akeneo-storefront/catalog.xml", 2),
        ("pricebooks/USD-list-prices.xml", 9),
    ]
    assert "The attribute 'product-id' is required" in problems[1].message


def test_documents_are_checked_side_by_side(xsd, tmp_path):
    good = write_pricebook(tmp_path / "good.xml")
    bad = write(tmp_path / "bad.xml", pricebook(price_row(1) + "      <price-table/>\n"))

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda path: check_document(path, xsd), [good, bad] * 8))

    assert results[0::2] == [None] * 8
    assert {(p.line, p.message) for p in results[1::2]} == {
        (9, f"Element '{{{PRICEBOOK}}}price-table': The attribute 'product-id' is required but missing.")
    }


# -- the line of a violation in a large document (validated in windows) ---------------------------


def test_a_violation_past_the_first_window_and_past_line_65535(xsd, tmp_path):
    count = 70_000  # more elements than a window holds, more lines than libxml2 keeps
    rows = "".join(price_row(i) for i in range(count - 100))
    rows += '      <price-table product-id="late">\n        <amount>\n          1.x\n        </amount>\n'
    rows += "      </price-table>\n" + "".join(price_row(i) for i in range(100))
    path = write(tmp_path / "EUR.xml", pricebook(rows))

    problem = check_document(path, xsd)

    assert problem.line == 8 + count - 100 + 1
    assert problem.message.startswith(f"Element '{{{PRICEBOOK}}}amount': '\n          1.x\n        ' is not")


def test_a_missing_child_in_a_later_window_is_not_taken_for_a_stub(xsd, tmp_path):
    """The stubs of a window (emptied elements) miss their children: the same message at line 0."""
    rows = "".join(price_row(i) for i in range(30_000))
    second = '  <pricebook>\n    <header pricebook-id="USD-list-prices">\n    </header>\n  </pricebook>\n'
    text = pricebook(rows).replace("</pricebooks>", second + "</pricebooks>")
    path = write(tmp_path / "prices.xml", text)

    problem = check_document(path, xsd)

    assert problem.line == 8 + 30_000 + 3
    assert problem.message.startswith(f"Element '{{{PRICEBOOK}}}header': Missing child element(s).")


def test_a_document_on_one_line_gives_that_line(xsd, tmp_path):
    rows = [price_row(i).strip() for i in range(25_000)]
    rows[24_000] = "<price-table/>"
    text = "".join(line.strip() for line in pricebook("".join(rows)).splitlines(keepends=True)[1:])
    path = write(tmp_path / "prices.xml", f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n')

    problem = check_document(path, xsd)

    assert problem.line == 2 and "The attribute 'product-id' is required" in problem.message


def test_large_catalogs_are_checked_in_bounded_memory(xsd, tmp_path):
    """In a fresh process, whose peak memory (ru_maxrss) before the check is that of the imports."""
    valid, invalid = tmp_path / "valid.xml", tmp_path / "invalid.xml"
    count, wrong = 150_000, 140_000
    for path in (valid, invalid):
        with path.open("w", encoding="utf-8") as out:
            out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<catalog xmlns="{CATALOG}" catalog-id="m">\n')
            for i in range(count):
                attribute = "product-idx" if path is invalid and i == wrong else "product-id"
                out.write(
                    f'  <product {attribute}="p{i}">\n'
                    f'    <display-name xml:lang="x-default">Product {i}</display-name>\n'
                    f'    <long-description xml:lang="x-default">{"A sturdy thing for every day. " * 8}'
                    "</long-description>\n"
                    "    <online-flag>true</online-flag>\n"
                    "  </product>\n"
                )
            out.write("</catalog>\n")
    size = valid.stat().st_size
    assert size > 60_000_000

    script = textwrap.dedent(
        """
        import json, resource, sys
        from pathlib import Path
        from sfcc_export.xml_check import check_document, schema_for
        xsd = Path(sys.argv[1])
        schema_for(xsd, sys.argv[2])
        unit = 1 if sys.platform == "darwin" else 1024
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
        results = []
        for name in sys.argv[3:]:
            problem = check_document(Path(name), xsd)
            growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit - before
            results.append([growth, problem and [problem.line, problem.message]])
        print(json.dumps(results))
        """
    )
    command = [sys.executable, "-c", script, str(xsd), CATALOG, str(valid), str(invalid)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (valid_growth, valid_problem), (invalid_growth, invalid_problem) = json.loads(done.stdout)

    assert valid_problem is None
    assert valid_growth < size / 2, f"{valid_growth / 1e6:.0f} MB more for a {size / 1e6:.0f} MB catalog"
    line, message = invalid_problem
    assert line == 3 + 5 * wrong and "The attribute 'product-idx' is not allowed." in message
    assert invalid_growth < size, f"{invalid_growth / 1e6:.0f} MB more to find the line"


# -- without the schemas --------------------------------------------------------------------------


@pytest.mark.parametrize(("folder", "why"), [("empty", "holds no .xsd file"), ("absent", "does not exist")])
def test_schemas_missing_names_the_folder_and_the_setting(tmp_path, folder, why):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README").write_text("no schemas here")
    path = write(tmp_path / "doc.xml", "<a/>")
    xsd = tmp_path / folder

    for call in (check_folder, check_document):
        with pytest.raises(SchemasMissing) as missing:
            call(tmp_path if call is check_folder else path, xsd)
        assert f"{xsd} {why}" in str(missing.value)
        assert "SFCC_XSD_DIR" in str(missing.value) and "Salesforce" in str(missing.value)
    assert xsd.resolve() not in xml_check._namespaces  # nothing cached: the schemas may come later


def test_require_xsds_fails_on_ci_without_the_schemas(settings, tmp_path, monkeypatch):
    settings.SFCC_XSD_DIR = tmp_path
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception) as failed:
        require_xsds()

    assert str(tmp_path) in str(failed.value) and "SFCC_XSD_DIR" in str(failed.value)


def test_require_xsds_skips_elsewhere_with_the_fixed_reason(settings, tmp_path, monkeypatch):
    settings.SFCC_XSD_DIR = tmp_path / "nowhere"
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception) as skipped:
        require_xsds()

    reason = str(skipped.value)
    assert reason.startswith(SKIP_REASON) and str(tmp_path / "nowhere") in reason and "SFCC_XSD_DIR" in reason


def test_the_terminal_summary_counts_the_schema_skips_in_one_line():
    from tests.conftest import pytest_terminal_summary

    reason = "SFCC schemas not found at /x/y (set SFCC_XSD_DIR to the folder of Salesforce's XSD files)"
    schema_skip = SimpleNamespace(longrepr=("tests/test_a.py", 3, f"Skipped: {reason}"))
    other_skip = SimpleNamespace(longrepr=("tests/test_b.py", 4, "Skipped: no browser"))
    lines: list[str] = []

    pytest_terminal_summary(
        SimpleNamespace(stats={"skipped": [schema_skip] * 29 + [other_skip]}, write_line=lines.append)
    )
    pytest_terminal_summary(SimpleNamespace(stats={"skipped": [other_skip]}, write_line=lines.append))
    pytest_terminal_summary(SimpleNamespace(stats={}, write_line=lines.append))

    assert lines == [f"29 SFCC schema tests skipped: {reason}."]
