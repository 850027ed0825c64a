"""Benchmark: what hostile files cost the process that reads them, before and after the reading limits.

Usage: .venv/bin/python bench/hostile_files.py [--refinements-mib 500] [--old-timeout 120] [--only rows,...]
Each case runs in a fresh process and prints the time to an answer and that process's peak RSS:
- the three XLSX bomb shapes of the red-team pass (one 200 MiB shared string in 204 KB; 2,000,000
  rows in a few hundred KB; a 300 MiB zero-filled part), read the old way (openpyxl's read-only
  mode over every row, what the import did) and the new way (``open_supplier_file``, refused);
- a storefront catalog export of ``--refinements-mib`` MiB, read the old way (the whole file in
  memory, then parsed) and the new way (``read_refinements`` streaming from the file).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.xlsx_files import MiB, handmade_xlsx  # noqa: E402

NS = "http://www.demandware.com/xml/impex/catalog/2006-10-31"


def make_files(folder: Path, refinements_mib: int) -> dict[str, Path]:
    files = {
        "shared-string": handmade_xlsx(
            folder / "shared.xlsx",
            sheet_rows=[b'<row r="2"><c r="A2" t="inlineStr"><is><t>X-1</t></is></c></row>'],
            shared_string_chunks=(b"A" * MiB for _ in range(200)),
        ),
        "rows": handmade_xlsx(
            folder / "rows.xlsx", sheet_rows=(b"<row><c><v>1</v></c></row>" for _ in range(2_000_000))
        ),
        "zeros-part": handmade_xlsx(
            folder / "zeros.xlsx",
            sheet_rows=[b'<row r="2"><c r="A2" t="inlineStr"><is><t>X-1</t></is></c></row>'],
            extra=("xl/media/a.png", 300 * MiB),
        ),
    }
    catalog = folder / "storefront-export.xml"
    definitions = (
        "<refinement-definitions>"
        + '<refinement-definition type="attribute" bucket-type="none" attribute-id="akeneo_color">'
        '<display-name xml:lang="x-default">Colour</display-name><value-set>search-result</value-set>'
        "<sort-mode>value-name</sort-mode><sort-direction>ascending</sort-direction>"
        "<cutoff-threshold>5</cutoff-threshold></refinement-definition>" * 3 + "</refinement-definitions>"
    )
    # One category in a hundred has hand-made refinements, as on a real storefront; the rest of the
    # file is categories and their product assignments.
    assignments = "".join(
        f'<category-assignment category-id="c{{n}}" product-id="p{{n}}-{i}">'
        "<primary-flag>false</primary-flag></category-assignment>"
        for i in range(5)
    )
    with catalog.open("w") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<catalog xmlns="{NS}" catalog-id="s">\n')
        n = 0
        while out.tell() < refinements_mib * MiB:
            out.write(
                "".join(
                    f'<category category-id="c{m}">'
                    f'<display-name xml:lang="x-default">Category {m}</display-name>'
                    + (definitions if m % 100 == 0 else "")
                    + "</category>\n"
                    + assignments.format(n=m)
                    for m in range(n, n + 1000)
                )
            )
            n += 1000
        out.write("</catalog>\n")
    files["refinements"] = catalog
    return files


def run_case(case: str, way: str, path: str) -> dict:
    """In this (fresh) process: read ``path`` the ``way`` asked; return what happened."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    import django

    django.setup()
    started = time.monotonic()
    outcome = ""
    if case == "refinements":
        if way == "old":
            import io

            from lxml import etree

            data = Path(path).read_bytes()
            found = 0
            for _, element in etree.iterparse(io.BytesIO(data), events=("end",), tag=f"{{{NS}}}category"):
                found += 1
                element.clear()
            outcome = f"{found:,} categories parsed"
        else:
            from sfcc_export.refinements import read_refinements

            outcome = f"{len(read_refinements(Path(path))):,} categories with definitions saved"
    elif way == "old":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
        outcome = f"read {rows:,} rows"
    else:
        from sdm.supplier_files import SupplierFileError, open_supplier_file

        try:
            supplier_file = open_supplier_file(path)
            rows = sum(1 for _ in supplier_file.rows)
            outcome = f"read {rows:,} rows"
        except SupplierFileError as exc:
            outcome = f"refused: {str(exc)[:90]}"
    return {
        "seconds": round(time.monotonic() - started, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "outcome": outcome,
    }


def measure(case: str, way: str, path: Path, timeout: float) -> dict:
    command = [sys.executable, __file__, "--case", case, "--way", way, "--path", str(path)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"seconds": f"> {timeout:g}", "peak_rss_mib": "?", "outcome": "still reading: stopped"}
    if done.returncode != 0:
        return {"seconds": "?", "peak_rss_mib": "?", "outcome": f"crashed: {done.stderr.strip()[-120:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--refinements-mib", type=int, default=500)
    parser.add_argument("--old-timeout", type=float, default=120)
    parser.add_argument("--only", help="comma-separated cases (default: all)")
    parser.add_argument("--case")
    parser.add_argument("--way")
    parser.add_argument("--path")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.way, args.path)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as scratch:
        files = make_files(Path(scratch), args.refinements_mib)
        print("| file | size | read | time | peak RSS | outcome |")
        print("|---|---|---|---|---|---|")
        only = set(args.only.split(",")) if args.only else set(files)
        for case, path in files.items():
            if case not in only:
                continue
            size = path.stat().st_size
            shown = f"{size / MiB:,.1f} MiB" if size > MiB else f"{size / 1024:,.0f} KiB"
            for way in ("old", "new"):
                result = measure(case, way, path, args.old_timeout if way == "old" else 600)
                print(
                    f"| {case} | {shown} | {way} | {result['seconds']} s | {result['peak_rss_mib']} MiB "
                    f"| {result['outcome']} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
