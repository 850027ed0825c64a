"""Hostile supplier files: decompression bombs, oversized cells and files, and files that would be
read wrongly. Each is refused with the limit or the line named (413 for a limit, 400 otherwise),
through the API and the admin alike, and nothing is left on disk.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.cache import cache
from openpyxl import Workbook

from connector.roles import SDM_ADMIN
from sdm.models import JobRow, SupplierJob, SupplierUpload
from sdm.supplier_files import SupplierFileError, open_supplier_file
from tests.api.test_supplier_api import named, project, token_via_client, user_with  # noqa: F401 (fixture)
from tests.helpers.xlsx_files import MiB, handmade_xlsx

pytestmark = pytest.mark.django_db


def data_rows(count: int, formula: bool = False):
    for n in range(2, count + 2):
        if formula:
            yield f'<row r="{n}"><c r="A{n}"><f>1+1</f></c></row>'.encode()
        else:
            yield f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>X-{n}</t></is></c></row>'.encode()


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    return {
        "shared-string": handmade_xlsx(
            folder / "shared.xlsx",
            sheet_rows=data_rows(1),
            shared_string_chunks=(b"A" * MiB for _ in range(200)),
        ),
        "rows": handmade_xlsx(
            folder / "rows.xlsx",
            sheet_rows=(b"<row><c><v>1</v></c></row>" for _ in range(2_000_000)),
        ),
        "zeros-part": handmade_xlsx(
            folder / "zeros.xlsx", sheet_rows=data_rows(1), extra=("xl/media/a.png", 300 * MiB)
        ),
    }


@pytest.fixture
def api(client, project, settings, tmp_path):  # noqa: F811
    cache.clear()
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    user_with(SDM_ADMIN)
    auth = {"HTTP_AUTHORIZATION": f"Token {token_via_client(client, 'supplier-bot')}"}

    def upload(data: bytes, name: str):
        return client.post("/api/v1/files/", {"file": named(data, name)}, **auth)

    upload.auth = auth
    return upload


def left_on_disk(settings) -> list[Path]:
    root = Path(settings.UPLOAD_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize(
    ("bomb", "message"),
    [
        ("shared-string", "text table is 209,715,"),
        ("rows", "unpacks"),
        ("zeros-part", "xl/media/a.png unpacks"),
    ],
)
def test_decompression_bombs_are_refused_with_413_and_leave_nothing(api, bombs, bomb, message, settings):
    data = bombs[bomb].read_bytes()
    assert len(data) < 2 * MiB  # small on the wire, that is the point

    answer = api(data, "feed.xlsx")

    assert answer.status_code == 413, answer.content
    assert message in answer.json()["detail"] and "SDM_XLSX_MAX_" in answer.json()["detail"]
    assert left_on_disk(settings) == [] and not SupplierUpload.objects.exists()


def test_a_sheet_with_more_rows_than_allowed_is_refused_while_streaming(api, settings, tmp_path):
    settings.SDM_FILE_MAX_ROWS = 50
    xlsx = handmade_xlsx(tmp_path / "many.xlsx", sheet_rows=data_rows(51))
    csv_data = "sku\n" + "".join(f"R-{n}\n" for n in range(51))

    for answer in (api(xlsx.read_bytes(), "many.xlsx"), api(csv_data.encode(), "many.csv")):
        assert answer.status_code == 413
        assert (
            "more than 50 data rows" in answer.json()["detail"]
            and "SDM_FILE_MAX_ROWS" in answer.json()["detail"]
        )
    assert left_on_disk(settings) == []


def test_an_oversized_cell_is_refused_with_400_in_the_api_and_the_admin_and_leaves_nothing(
    api,
    admin_client,
    project,  # noqa: F811
    settings,
):
    huge = "sku,name-en_US\nBIG-1," + "x" * (130 * 1024) + "\n"
    long = "sku,name-en_US\nBIG-2," + "y" * 40_000 + "\n"

    for data in (huge, long):
        answer = api(data.encode(), "feed.csv")
        assert answer.status_code == 400, answer.content
        assert "32,767" in answer.json()["detail"] and "SDM_FILE_MAX_CELL_CHARS" in answer.json()["detail"]

    page = admin_client.post(
        "/admin/sdm/supplierjob/add/",
        {"workflow": project.pk, "file": named(huge.encode(), "feed.csv"), "name": ""},
    )
    assert page.status_code == 200 and "32,767 characters" in page.content.decode()
    assert left_on_disk(settings) == [] and not SupplierJob.objects.exists() and not JobRow.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(api, settings):
    settings.SDM_FILE_MAX_BYTES = 1000
    answer = api(b"sku\n" + b"ROW-1234\n" * 200, "feed.csv")
    assert answer.status_code == 413 and "SDM_FILE_MAX_BYTES" in answer.json()["detail"]
    assert left_on_disk(settings) == []


def csv_file(tmp_path, data: bytes, name="feed.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(path: Path) -> list[list[str]]:
    supplier_file = open_supplier_file(path)
    return [supplier_file.headers, *supplier_file.rows]


def test_a_bad_byte_after_the_first_64_kib_of_a_utf8_file_is_refused_with_its_line(tmp_path):
    lines = ["sku,name-en_US"] + [f"U-{n},Café {n}" for n in range(5000)]
    data = ("\n".join(lines) + "\n").encode() + b"U-bad,Caf\xe9\n"
    assert len(data) > 64 * 1024

    with pytest.raises(SupplierFileError, match="Line 5002 holds bytes that are not UTF-8"):
        read_all(csv_file(tmp_path, data))


def test_a_latin1_file_is_still_read_whole_as_windows_1252(tmp_path):
    data = (
        "sku;name-en_US\n" + "".join(f"L-{n};plain {n}\n" for n in range(5000))
    ).encode() + "L-x;Été\n".encode("cp1252")
    rows = read_all(csv_file(tmp_path, data))
    assert rows[-1] == ["L-x", "Été"]


def test_an_unclosed_quote_is_refused_instead_of_swallowing_rows(tmp_path):
    data = b'sku,family,name-en_US\nQ-1,bags,"Bag one\nQ-2,bags,Bag two\nQ-3,bags,Bag three\n'
    with pytest.raises(SupplierFileError, match="quote"):
        read_all(csv_file(tmp_path, data))


def test_a_quoted_description_with_line_breaks_is_still_read(tmp_path):
    data = b'sku,family,name-en_US\nQ-1,bags,"Line one\nline two"\nQ-2,bags,Two\n'
    assert read_all(csv_file(tmp_path, data))[1:] == [
        ["Q-1", "bags", "Line one\nline two"],
        ["Q-2", "bags", "Two"],
    ]


def test_rows_split_by_another_delimiter_than_the_first_row_are_refused(tmp_path):
    data = b"sku;family;name-en_US\nD-1,bags,Bag\nD-2,bags,Bag\n"
    with pytest.raises(SupplierFileError, match="Line 2 is separated by ',' but the first row by ';'"):
        read_all(csv_file(tmp_path, data))


def test_a_row_with_more_cells_than_columns_is_refused(tmp_path):
    data = b"sku,family\nE-1,bags,extra\n"
    with pytest.raises(SupplierFileError, match="Line 2 has 3 cells"):
        read_all(csv_file(tmp_path, data))


def test_an_xlsx_formula_without_a_saved_value_is_refused(tmp_path):
    path = handmade_xlsx(tmp_path / "formulas.xlsx", sheet_rows=data_rows(2, formula=True))
    with pytest.raises(SupplierFileError, match="Cell A2 holds a formula without a saved value"):
        read_all(path)


def test_an_ordinary_xlsx_from_openpyxl_is_read(tmp_path):
    book = Workbook()
    book.active.append(["sku", "name-en_US"])
    book.active.append(["X-1", "=not a formula but text"])
    book.active["B2"].data_type = "s"
    out = io.BytesIO()
    book.save(out)
    assert read_all(csv_file(tmp_path, out.getvalue(), "ok.xlsx"))[1] == ["X-1", "=not a formula but text"]


@pytest.mark.parametrize(
    "value",
    [{"nested": "object"}, [["nested", "list"]]],
    ids=["object", "nested-list"],
)
def test_json_feed_values_that_are_not_plain_are_refused(client, api, value):
    answer = client.post(
        "/api/v1/files/",
        {"data": [{"sku": "J-1", "name-en_US": value}]},
        content_type="application/json",
        **api.auth,
    )
    assert answer.status_code == 400, answer.content
    assert "Product 1, 'name-en_US'" in answer.json()["detail"]


def test_a_nul_character_in_a_json_feed_is_a_400(client, api):
    answer = client.post(
        "/api/v1/files/",
        {"data": [{"sku": "J-1", "name-en_US": "a\u0000b"}]},
        content_type="application/json",
        **api.auth,
    )
    assert answer.status_code == 400 and "NUL" in answer.json()["detail"]


def test_bom_less_utf16_and_a_late_nul_character_are_400s_not_database_errors(api, settings):
    utf16 = "sku,name-en_US\nU-1,Bag\n".encode("utf-16-le")  # no BOM: every other byte is NUL
    late_nul = (
        "sku,name-en_US\n" + "".join(f"N-{n},Bag {n}\n" for n in range(5000)) + "N-x,a\x00b\n"
    ).encode()

    for data, reason in (
        (utf16, "holds binary data"),
        (late_nul, "Line 5002, name-en_US: the cell holds a NUL"),
    ):
        answer = api(data, "feed.csv")
        assert answer.status_code == 400, answer.content
        assert reason in answer.json()["detail"]
    assert left_on_disk(settings) == []
