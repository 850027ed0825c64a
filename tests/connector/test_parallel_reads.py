"""Reading the PIM several calls at a time gives what one call at a time gives, in the same order.

Real sockets to the sandbox PIM; the budget is the client's own (threads of this process).
"""

from __future__ import annotations

import threading

import pytest

from connector.akeneo import AkeneoClient, Search
from connector.akeneo.parallel import (
    MIN_PIECE_ITEMS,
    PIECE_ITEMS,
    created_pieces,
    ordered_map,
    pages_of_searches,
)
from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo, build_demo_catalog

PRODUCTS = "products-uuid"


def client_for(pim: FakeAkeneo, concurrency: int) -> AkeneoClient:
    return AkeneoClient(pim.base_url, **SANDBOX_CREDENTIALS, max_concurrency=concurrency)


@pytest.fixture(scope="module")
def pim_2500():
    with FakeAkeneo(build_demo_catalog(products=2500)) as pim:
        yield pim


def uuids(pages) -> list[str]:
    return [item["uuid"] for page in pages for item in page]


def test_ordered_map_keeps_the_order_of_its_items_whatever_finishes_first():
    release_first = threading.Event()

    def work(n: int) -> int:
        if n == 0:
            release_first.wait(5)  # the first item finishes last
        elif n == 5:
            release_first.set()
        return n * n

    assert list(ordered_map(work, range(12), 4)) == [n * n for n in range(12)]


def test_ordered_map_raises_an_item_error_where_its_result_would_be():
    def work(n: int) -> int:
        if n == 3:
            raise ValueError("three")
        return n

    seen = []
    with pytest.raises(ValueError, match="three"):
        for value in ordered_map(work, range(8), 4):
            seen.append(value)
    assert seen == [0, 1, 2]


def test_creation_date_pieces_are_disjoint_and_cover_the_whole_search(pim_2500):
    search = Search().where("enabled", "=", True)
    with client_for(pim_2500, 4) as client:
        whole = uuids(pages_of_searches(client, PRODUCTS, [search]))
        pieces = created_pieces(client, PRODUCTS, search, client.count(PRODUCTS, search=search))
        per_piece = [uuids(pages_of_searches(client, PRODUCTS, [piece])) for piece in pieces]
    assert len(pieces) >= 3, "2,500 products are read in several pieces"
    assert all(len(found) <= PIECE_ITEMS for found in per_piece)
    flat = [uuid for found in per_piece for uuid in found]
    assert len(flat) == len(set(flat)), "no product is in two pieces"
    assert sorted(flat) == sorted(whole), "together the pieces are the whole search"


def test_the_pieces_read_at_budget_1_and_4_hold_the_same_products(pim_2500):
    search = Search()
    found = []
    for concurrency in (1, 4):
        with client_for(pim_2500, concurrency) as client:
            pieces = created_pieces(client, PRODUCTS, search, client.count(PRODUCTS, search=search))
            found.append(sorted(uuids(pages_of_searches(client, PRODUCTS, pieces))))
    assert found[0] == found[1]
    assert len(found[0]) == 2500


def test_no_count_is_spent_on_cuts_that_would_not_pay(pim_2500):
    search = Search()
    with client_for(pim_2500, 1) as client:
        total = client.count(PRODUCTS, search=search)
        pim_2500.clear_requests()
        assert created_pieces(client, PRODUCTS, search, total) == [search], "one call at a time: no cut"
    small = Search().where("identifier", "IN", [f"SHO-{n:06d}" for n in range(1, 200)])
    with client_for(pim_2500, 4) as client:
        total = client.count(PRODUCTS, search=small)
        assert total is not None and total <= MIN_PIECE_ITEMS
        pim_2500.clear_requests()
        assert created_pieces(client, PRODUCTS, small, total) == [small], "too small to cut"
    assert pim_2500.count() == 0


def test_several_searches_are_read_side_by_side_within_the_budget(pim_2500):
    searches = [Search().where("family", "IN", [family]) for family in sorted(pim_2500.catalog.families)]
    pim_2500.latency = 0.02  # long enough for the reads to overlap
    try:
        with client_for(pim_2500, 3) as client:
            client.count(PRODUCTS)  # the token, outside the window measured
            pim_2500.clear_requests()
            parallel = uuids(pages_of_searches(client, PRODUCTS, searches))
        peak = pim_2500.peak_in_flight
    finally:
        pim_2500.latency = 0.0
    with client_for(pim_2500, 1) as client:
        sequential = uuids(pages_of_searches(client, PRODUCTS, searches))
    assert parallel == sequential
    assert 2 <= peak <= 3


def test_batch_writes_keep_one_answer_per_line_in_order_when_sent_side_by_side(pim_2500):
    with client_for(pim_2500, 4) as client:
        products = [p for _, p in zip(range(250), client.iter_products(), strict=False)]
        payloads = [{"uuid": p["uuid"], "values": {}} for p in products]
        results = list(client.patch_batch(PRODUCTS, payloads))
    assert [r.line for r in results] == list(range(1, 251))
    assert [r.key for r in results] == [p["uuid"] for p in products]
    assert all(r.ok for r in results)


def test_a_429_met_while_reading_side_by_side_is_retried_after_its_retry_after(pim_2500):
    searches = [Search().where("family", "IN", [family]) for family in sorted(pim_2500.catalog.families)]
    with client_for(pim_2500, 1) as client:
        expected = uuids(pages_of_searches(client, PRODUCTS, searches))
    pim_2500.faults.every_nth(4, 429, retry_after=0, path_prefix="/api/rest/v1/products-uuid")
    try:
        pim_2500.clear_requests()
        with client_for(pim_2500, 4) as client:
            assert uuids(pages_of_searches(client, PRODUCTS, searches)) == expected
        assert pim_2500.count(status=429) >= 3
    finally:
        pim_2500.faults.clear()


def test_reads_in_flight_stop_at_their_next_page_when_the_reader_stops(pim_2500):
    small = Search().where("identifier", "IN", ["SHO-000001"])
    whole = Search()  # 25 pages each
    with client_for(pim_2500, 4) as client:
        client.count(PRODUCTS)  # the token
        pim_2500.clear_requests()
        pages = pages_of_searches(client, PRODUCTS, [small, whole, whole, whole])
        next(pages)  # the small search is in; the three whole ones are under way
        pages.close()
        read = pim_2500.count("GET", "/api/rest/v1/products-uuid")
    assert read < 1 + 3 * 25 / 2, "the whole searches did not read on to their end"
