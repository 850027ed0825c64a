"""sfcc_export.job_log: reading an SFCC job log for what the import skipped. No database."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import requests

from sfcc_export.job_log import MAX_LINE, JobLogSummary, find_object, parse_job_log
from tests.fake_sfcc import CATALOG_NS, DEFAULT_XSD_DIR, IMPORT_JOB, FakeSfcc

STAMP = "[2026-12-02 10:15:02.123 GMT]"
PREFIX = "[2026-12-02 10:15:02.123 GMT] {level} JobThread|1000003|sfcc-site-archive-import|ImportSiteArchive "
PREFIX += "system.job.ImportSiteArchive - "
TIMEOUT = 10


def line(level: str, message: str) -> str:
    return PREFIX.format(level=level) + message


def log(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_counts_per_object_type_and_other():
    text = log(
        line("INFO", "Job 'sfcc-site-archive-import' execution 3 started via SCAPI: ImportFile 'a.zip'"),
        line("INFO", "Importing catalogs/c/catalog.xml"),
        line("ERROR", "Product 'ABC-1' skipped: the variation master is missing"),
        line("ERROR", "Product 'ABC-2' skipped: invalid"),
        line("ERROR", "CategoryAssignment 'product ABC-1 / category shoes' skipped: unknown category"),
        line("WARN", "Product 'W-1' imported with warning: attribute 'color' is not defined"),
        line("WARN", "Disk quota almost reached"),
        line("ERROR", "Import failed: catalog is locked"),
        line("INFO", "Import finished: 4 errors, 2 warnings"),
    )

    summary = parse_job_log(text)

    assert summary.errors == {"product": 2, "category-assignment": 1, "other": 1}
    assert summary.warnings == {"product": 1, "other": 1}
    assert (summary.error_count, summary.warning_count, summary.skipped_count) == (4, 2, 3)
    assert summary.skipped == {
        "product": ("ABC-1", "ABC-2"),
        "category-assignment": ("product ABC-1 / category shoes",),
    }
    assert summary.lines == (
        "ERROR Product 'ABC-1' skipped: the variation master is missing",
        "ERROR Product 'ABC-2' skipped: invalid",
        "ERROR CategoryAssignment 'product ABC-1 / category shoes' skipped: unknown category",
        "WARN Product 'W-1' imported with warning: attribute 'color' is not defined",
    )


def test_as_dict_is_json():
    summary = parse_job_log(log(line("ERROR", "Product 'P' skipped: x"), line("WARN", "Content 'home': old")))

    document = json.loads(json.dumps(summary.as_dict()))

    assert document == {
        "errors": {"product": 1},
        "warnings": {"content": 1},
        "lines": ["ERROR Product 'P' skipped: x", "WARN Content 'home': old"],
        "skipped": {"product": ["P"]},
        "error_count": 1,
        "warning_count": 1,
    }
    with pytest.raises(AttributeError):
        summary.lines = ()  # frozen


def test_only_the_first_lines_are_kept_but_all_are_counted():
    text = log(*(line("ERROR" if n % 2 else "WARN", f"Product 'P-{n}' skipped: x") for n in range(120)))

    default = parse_job_log(text)
    three = parse_job_log(text, max_lines=3)

    assert len(default.lines) == 50
    assert default.lines[0] == "WARN Product 'P-0' skipped: x"
    assert default.lines[49] == "ERROR Product 'P-49' skipped: x"
    assert three.lines == (
        "WARN Product 'P-0' skipped: x",
        "ERROR Product 'P-1' skipped: x",
        "WARN Product 'P-2' skipped: x",
    )
    assert default.errors == {"product": 60} and default.warnings == {"product": 60}
    assert len(default.skipped["product"]) == 60  # ids come from ERROR lines only
    assert default.skipped["product"][:2] == ("P-1", "P-3")


def test_ids_are_de_duplicated_in_order_and_bounded():
    text = log(
        line("ERROR", "Product 'B' skipped: x"),
        line("ERROR", "Product 'A' skipped: x"),
        line("ERROR", "Product 'B' skipped: again"),
        line("ERROR", "Category 'B' skipped: same id, other type"),
        line("WARN", "Product 'C' imported with warning: only warned"),
        line("ERROR", "Product 'A' skipped: again"),
    )

    summary = parse_job_log(text)
    bounded = parse_job_log(text, max_ids=1)

    assert summary.skipped == {"product": ("B", "A"), "category": ("B",)}
    assert summary.errors == {"product": 4, "category": 1}
    assert summary.skipped_count == 3
    assert bounded.skipped == {"product": ("B",), "category": ("B",)}
    assert bounded.skipped_count == 3  # still counts them all


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Product 'ABC-1' skipped: reason", ("product", "ABC-1")),
        ("Product with ID 'X-1' could not be imported", ("product", "X-1")),
        ("Product with ID X-2. Skipped.", ("product", "X-2")),
        ('product "X 3" failed validation', ("product", "X 3")),
        ('Element <product product-id="X-4" mode="delete"> rejected', ("product", "X-4")),
        ("Product ID: X-5 has no master", ("product", "X-5")),
        ("Product: 'X-6' skipped", ("product", "X-6")),
        ('Product "O\'Neil" skipped: invalid id', ("product", "O'Neil")),
        ("Catalog 'master': product 'X-7' skipped", ("product", "X-7")),
        ("Catalog 'master' is locked", ("catalog", "master")),
        (
            "CategoryAssignment 'product P / category shoes' skipped",
            ("category-assignment", "product P / category shoes"),
        ),
        ("Category assignment 'P/shoes' skipped", ("category-assignment", "P/shoes")),
        (
            '<category-assignment category-id="shoes" product-id="P"> invalid',
            ("category-assignment", "product P / category shoes"),
        ),
        ("Category 'shoes' skipped: parent missing", ("category", "shoes")),
        ('category-id="shoes" is unknown', ("category", "shoes")),
        ("PriceTable 'pt-1' skipped", ("price-table", "pt-1")),
        ("price-table 'pt-2' skipped", ("price-table", "pt-2")),
        ("Price book 'usd-list' not found", ("pricebook", "usd-list")),
        ("ContentAsset 'home-banner' skipped", ("content", "home-banner")),
        ("Content 'about' skipped", ("content", "about")),
        ("CustomObject 'NewsletterSubscription' skipped", ("custom-object", "NewsletterSubscription")),
        ("custom object with ID 'x1' skipped", ("custom-object", "x1")),
        ("VariationAttribute 'color' skipped", ("variation-attribute", "color")),
        ("Import failed: the archive holds no XML document to import", None),
        ("Product ID is missing", None),
        ("Element '{ns}product': The attribute 'product-id' is required but missing.", None),
    ],
)
def test_tolerant_phrasings(message, expected):
    assert find_object(message) == expected
    summary = parse_job_log(line("ERROR", message))
    assert summary.errors == {expected[0] if expected else "other": 1}
    assert summary.lines == ((f"ERROR {message}",) if expected else ())


def test_levels_and_prefixes():
    text = log(
        f"{STAMP} FATAL JobThread|1|job|step x - Product 'F' skipped: out of memory",
        f"{STAMP} WARNING SystemJobThread|2|job|step - Product 'W' imported with warning: x",
        "ERROR Product 'NoStamp' skipped: plain",
        f"{STAMP} ERROR PipelineCallServlet|3|Sites-Site|a|b custom.Foo []  - Product 'S' gone",
        "com.demandware.SomeException: Product 'Trace' skipped",  # a stack trace line: no level
        "\tat com.demandware.Impex.run(Impex.java:42) ERROR Product 'Trace2'",
        f"{STAMP} INFO JobThread|1|job|step x - Product 'I' ERROR mentioned",
        f"{STAMP} DEBUG JobThread|1|job|step x - Product 'D' skipped",
    )

    summary = parse_job_log(text)

    assert summary.errors == {"product": 3}
    assert summary.warnings == {"product": 1}
    assert summary.skipped == {"product": ("F", "NoStamp", "S")}
    assert summary.lines == (
        "ERROR Product 'F' skipped: out of memory",
        "WARN Product 'W' imported with warning: x",
        "ERROR Product 'NoStamp' skipped: plain",
        "ERROR Product 'S' gone",
    )


def test_a_log_without_object_lines():
    text = log(
        line("INFO", "Importing catalogs/c/catalog.xml"),
        line("ERROR", "Import failed: site/catalogs/c/catalog.xml line 2: not well-formed"),
        line("WARN", "Slow import"),
        line("INFO", "Import finished: 1 errors, 1 warnings"),
    )

    summary = parse_job_log(text)

    assert summary == JobLogSummary(errors={"other": 1}, warnings={"other": 1})
    assert (summary.error_count, summary.warning_count, summary.skipped_count) == (1, 1, 0)
    assert summary.lines == () and summary.skipped == {}
    assert parse_job_log("") == JobLogSummary()
    assert parse_job_log(line("INFO", "all fine")).as_dict()["error_count"] == 0


def test_a_large_log_is_read_line_by_line_within_bounds():
    filler = line("INFO", "Importing catalogs/c/catalog.xml") + "\r\n"
    errors = "".join(line("ERROR", f"Product 'P{n}' skipped: x") + "\r\n" for n in range(5000))
    huge_line = line("ERROR", "Product 'LONG' skipped: " + "y" * (5 << 20))
    text = filler * 50_000 + errors + huge_line + "\n" + filler

    summary = parse_job_log(text.encode())  # bytes are read as UTF-8

    assert summary.error_count == 5001
    assert summary.skipped_count == 5001
    assert len(summary.skipped["product"]) == 1000  # max_ids
    assert len(summary.lines) == 50
    assert not any(entry.endswith("\r") for entry in summary.lines)
    assert len(parse_job_log(huge_line).lines[0]) <= MAX_LINE


# -- the fake instance's own logs, end to end ----------------------------------------------------


def site_archive(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


CATALOG = f"""<catalog xmlns="{CATALOG_NS}" catalog-id="c">
<product product-id="ok-1"/><product product-id="ABC-1"/><product product-id="W-1"/>
<product product-id="O'Neil"/><product product-id="ABC-1"/>
<category-assignment category-id="shoes" product-id="ABC-1"/>
</catalog>"""


def test_the_fake_instances_log_read_end_to_end():
    if not DEFAULT_XSD_DIR.is_dir():
        pytest.skip(f"SFCC schemas not found at {DEFAULT_XSD_DIR}")
    with FakeSfcc(polls_until_finished=0) as sfcc:
        scope = f"{sfcc.tenant_scope} sfcc.jobs.rw"
        token = requests.post(
            f"{sfcc.account_manager_url}/dwsso/oauth2/access_token",
            data={"grant_type": "client_credentials", "scope": scope},
            auth=(sfcc.client_id, sfcc.client_secret),
            timeout=TIMEOUT,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        sfcc.put_file("Impex/src/instance/site.zip", site_archive({"site/catalogs/c/catalog.xml": CATALOG}))
        sfcc.skip_products({"ABC-1": "the variation master 'M' is missing", "O'Neil": "invalid id"})
        sfcc.warn_products({"W-1": "attribute 'color' is not defined"})
        base = sfcc.scapi_url_template.format(short_code=sfcc.short_code)
        url = f"{base}/operation/jobs/v1/organizations/{sfcc.organization_id}/jobs/{IMPORT_JOB}/executions"

        started = requests.post(
            url,
            json={"parameters": [{"name": "ImportFile", "value": "site.zip"}]},
            headers=headers,
            timeout=10,
        ).json()
        finished = requests.get(f"{url}/{started['id']}", headers=headers, timeout=TIMEOUT).json()
        webdav = f"{sfcc.instance_url}/on/demandware.servlet/webdav{finished['logFilePath']}"
        text = requests.get(webdav, headers=headers, timeout=TIMEOUT).text
        failed = requests.post(
            url,
            json={"parameters": [{"name": "ImportFile", "value": "nope.zip"}]},
            headers=headers,
            timeout=10,
        ).json()
        failed_text = sfcc.job_log(failed["id"])
        [record, _] = sfcc.imports

    summary = parse_job_log(text)

    assert finished["exitStatus"]["code"] == "OK"  # SFCC ends OK although it skipped products
    assert summary.errors == {"product": 3}
    assert summary.warnings == {"product": 1}
    assert summary.skipped == {"product": ("ABC-1", "O'Neil")}
    assert summary.skipped_count == 2
    assert summary.lines == (
        "ERROR Product 'ABC-1' skipped: the variation master 'M' is missing",
        "WARN Product 'W-1' imported with warning: attribute 'color' is not defined",
        'ERROR Product "O\'Neil" skipped: invalid id',
        "ERROR Product 'ABC-1' skipped: the variation master 'M' is missing",
    )
    assert [(kind, object_id) for kind, object_id in record.skipped] == [
        ("product", "ABC-1"),
        ("product", "O'Neil"),
        ("product", "ABC-1"),
    ]
    assert parse_job_log(failed_text).as_dict() == {
        "errors": {"other": 1},
        "warnings": {},
        "lines": [],
        "skipped": {},
        "error_count": 1,
        "warning_count": 0,
    }
