"""A parallel export writes byte for byte the files a sequential one writes.

The same 2500-product sandbox catalog (more than 1000 products: the product listing is cut into
creation-date pieces read side by side) is exported by two profiles on two connections, one with
one call in flight at most, the other with four. Each connection has its own media cache, so both
runs download every image themselves (in parallel for the second). Every file of both site
folders must be the same, full and then differential after a few changes in the PIM.
"""

from __future__ import annotations

import difflib
import re
from itertools import islice
from pathlib import Path

import pytest

from connector.akeneo import AkeneoClient
from connector.akeneo.search import Search
from connector.models import AkeneoConnection, RunStatus
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo, build_demo_catalog
from connector.tasks import STRUCTURE_SYNC
from sfcc_export.models import ExportProfile
from sfcc_export.tasks import EXPORT
from tests.sfcc_helpers import LOCALES

pytestmark = pytest.mark.django_db
PRODUCTS = 2500
PRODUCTS_PATH = "/api/rest/v1/products-uuid"
MEDIA_PATHS = ("/api/rest/v1/media-files", "/api/rest/v1/asset-media-files")
ID = re.compile(r'^<[a-z-]+ [^>]*(product-id|category-id|pricebook-id)="')
XMLNS = re.compile(r' xmlns="[^"]*"')
VIEW_TYPES = {"large": ["main_image", "packshots"], "small": ["thumbnail"]}


@pytest.fixture(autouse=True)
def media_cache(settings, tmp_path):
    settings.MEDIA_CACHE_ROOT = tmp_path / "media-cache"


@pytest.fixture
def pim():
    # A little latency per call, so the parallel run's calls overlap whatever the scheduling.
    with FakeAkeneo(build_demo_catalog(products=PRODUCTS), latency=0.005) as server:
        yield server


def shop(pim: FakeAkeneo, output: Path, concurrency: int) -> ExportProfile:
    """A profile on its own connection (so its own media cache) with this call budget."""
    connection = AkeneoConnection.objects.create(
        name=f"sandbox-{concurrency}",
        base_url=pim.base_url,
        max_requests_per_second=1000,
        max_concurrency=concurrency,
        **SANDBOX_CREDENTIALS,
    )
    assert start_run(STRUCTURE_SYNC, connection, inline=True).status == RunStatus.DONE
    return ExportProfile.objects.create(
        name=f"shop-{concurrency}",
        connection=connection,
        channel="ecommerce",
        master_catalog_id="akeneo-master",
        storefront_catalog_id="akeneo-storefront",
        locale_mapping=LOCALES,
        attribute_mapping={"name": "name", "ean": "ean", "description": "long-description", "brand": "brand"},
        image_view_types=VIEW_TYPES,
        output_dir=str(output),
    )


def export(pim: FakeAkeneo, profile: ExportProfile, mode: str) -> tuple[dict, dict]:
    """Runs the `all` job; returns the run result and what the PIM saw of it."""
    pim.clear_requests()
    run = start_run(EXPORT, profile, params={"job": "all", "mode": mode}, inline=True)
    assert run.status == RunStatus.DONE, run.error
    assert run.result["mode"] == mode
    listings = [
        r
        for r in pim.requests
        if r.method == "GET" and r.path == PRODUCTS_PATH and r.query.get("with_count") != "true"
    ]
    seen = {
        "pieces": {r.query["search"] for r in listings if '"created"' in r.query.get("search", "")},
        "media": sum(pim.count("GET", path) for path in MEDIA_PATHS),
        "peak": pim.peak_in_flight,
    }
    return run.result, seen


def files_of(result: dict) -> dict[str, bytes]:
    folder = Path(result["folder"])
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def element_lines(content: bytes) -> list[str]:
    """The XML files are written on one line: a tag a line, for a readable diff."""
    return content.decode(errors="replace").replace("><", ">\n<").splitlines()


def first_difference(one: bytes, four: bytes) -> str:
    """Where the order of the identified elements (products, assignments, prices) first differs,
    then the first lines of the diff."""
    ids_one, ids_four = (
        [XMLNS.sub("", line) for line in element_lines(b) if ID.search(line)] for b in (one, four)
    )
    at = next((i for i, pair in enumerate(zip(ids_one, ids_four, strict=False)) if pair[0] != pair[1]), None)
    order = ""
    if at is not None:
        order = (
            f"identified elements differ from #{at}:\n  max_concurrency=1: {ids_one[at : at + 3]}"
            f"\n  max_concurrency=4: {ids_four[at : at + 3]}\n"
        )
    diff = difflib.unified_diff(
        element_lines(one), element_lines(four), "max_concurrency=1", "max_concurrency=4", lineterm="", n=1
    )
    return order + "\n".join(islice(diff, 40))


def assert_same_files(sequential: dict, parallel: dict) -> None:
    one, four = files_of(sequential), files_of(parallel)
    assert sorted(one) == sorted(four)
    differing = sorted(name for name in one if one[name] != four[name])
    if differing:
        name = differing[0]
        pytest.fail(f"Files differ: {differing}; first ({name}): {first_difference(one[name], four[name])}")
    assert sequential["files"] == parallel["files"]
    assert sequential["counts"] == parallel["counts"]


def change_a_few_things(pim: FakeAkeneo) -> None:
    """Names of simple products and variants, one disabled, one deleted, a root model, an asset."""
    with AkeneoClient(pim.base_url, **SANDBOX_CREDENTIALS) as client:
        enabled = list(islice(client.iter_products(Search().where("enabled", "=", True)), 300))
        simple = [p for p in enabled if not p["parent"]][:5]
        variants = [p for p in enabled if p["parent"]][:3]
        assert len(simple) == 5 and len(variants) == 3
        for product in simple[:3] + variants:
            sku = product["values"]["sku"][0]["data"]
            client.patch(
                f"products-uuid/{product['uuid']}",
                {"values": {"name": [{"locale": "en_US", "scope": None, "data": f"Changed {sku}"}]}},
            )
        client.patch(f"products-uuid/{simple[3]['uuid']}", {"enabled": False})
        client.delete(f"products-uuid/{simple[4]['uuid']}")
        root = next(m for m in client.iter_product_models() if not m["parent"])
        client.patch(
            f"product-models/{root['code']}",
            {"values": {"name": [{"locale": "en_US", "scope": None, "data": "A changed master"}]}},
        )
        shown = next(p for p in enabled if (p["values"].get("packshots") or [{}])[0].get("data"))
        asset = shown["values"]["packshots"][0]["data"][0]
        client.patch(
            f"asset-families/packshots/assets/{asset}",
            {"values": {"alt_text": [{"locale": "en_US", "channel": None, "data": "A new alt text"}]}},
        )


def test_full_and_differential_exports_write_the_same_files_whatever_the_call_budget(pim, tmp_path):
    sequential_profile = shop(pim, tmp_path / "sequential", 1)
    parallel_profile = shop(pim, tmp_path / "parallel", 4)
    for profile, budget in ((sequential_profile, 1), (parallel_profile, 4)):
        with profile.connection.client() as client:
            assert client.concurrency == budget

    sequential, seen_one = export(pim, sequential_profile, "full")
    parallel, seen_four = export(pim, parallel_profile, "full")

    # At budget 4 the listing really is read in creation-date pieces; at budget 1 in one: the files
    # do not depend on the cut.
    assert not seen_one["pieces"] and len(seen_four["pieces"]) >= 3
    assert seen_one["peak"] == 1 and seen_four["peak"] > 1  # one call at a time, then several
    # Each connection has its own media cache: both runs download every image, the second in parallel.
    assert seen_one["media"] == seen_four["media"] == sequential["counts"]["media_downloaded"] > 0
    assert sequential["counts"]["images"] > 0 and sequential["counts"]["masters"] > 0
    full = sequential["counts"]["products"] + sequential["counts"]["variants"]
    assert full > 1000
    assert_same_files(sequential, parallel)

    change_a_few_things(pim)
    sequential, seen_one = export(pim, sequential_profile, "differential")
    parallel, seen_four = export(pim, parallel_profile, "differential")

    # The changes only (the changed asset brings the products showing it), and the removals:
    # every id still in scope is listed again, in creation-date pieces too at budget 4.
    assert not seen_one["pieces"] and len(seen_four["pieces"]) >= 3
    counts = sequential["counts"]
    assert 0 < counts["products"] + counts["variants"] < full / 5 and counts["offline"] == 2
    assert seen_one["media"] == seen_four["media"] == 0  # nothing new to download
    assert_same_files(sequential, parallel)
