"""The Akeneo client against the fake PIM, through real sockets on 127.0.0.1.

Waits are recorded instead of slept (the client takes a ``sleep`` callable), so the tests prove
that backoff and ``Retry-After`` are honoured without spending the time.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta

import pytest

from connector.akeneo import (
    AkeneoAuthError,
    AkeneoClient,
    AkeneoRateLimited,
    AkeneoUnavailable,
    Search,
)
from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo, build_demo_catalog

PRODUCTS_PATH = "/api/rest/v1/products-uuid"
TOKEN_PATH = "/api/oauth/v1/token"


class RecordedSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_client(pim: FakeAkeneo, **overrides) -> AkeneoClient:
    credentials = {**SANDBOX_CREDENTIALS, **overrides.pop("credentials", {})}
    overrides.setdefault("sleep", RecordedSleep())
    return AkeneoClient(
        pim.base_url,
        credentials["client_id"],
        credentials["secret"],
        credentials["username"],
        credentials["password"],
        **overrides,
    )


@pytest.fixture(scope="module")
def pim_250():
    with FakeAkeneo(build_demo_catalog(products=250)) as pim:
        yield pim


@pytest.fixture
def pim(pim_250):
    pim_250.faults.clear()
    pim_250.clear_requests()
    yield pim_250
    pim_250.faults.clear()


def product_uuids(client: AkeneoClient) -> list[str]:
    return [product["uuid"] for product in client.iter_products()]


@pytest.mark.parametrize("count", [37, 250])
def test_it_lists_n_products_with_one_request_per_hundred_plus_one_token(count):
    with FakeAkeneo(build_demo_catalog(products=count)) as pim, make_client(pim) as client:
        uuids = product_uuids(client)

        assert len(uuids) == count
        assert len(set(uuids)) == count
        assert pim.count(method="GET", path_prefix=PRODUCTS_PATH) == math.ceil(count / 100)
        assert pim.count(path_prefix=TOKEN_PATH) == 1


def test_it_gives_the_same_result_when_every_third_request_is_answered_429(pim):
    with make_client(pim) as client:
        expected = list(client.iter_products())
    pim.clear_requests()
    pim.faults.every_nth(3, status=429, retry_after=1)
    sleep = RecordedSleep()

    with make_client(pim, sleep=sleep) as client:
        assert list(client.iter_products()) == expected

    throttled = pim.count(status=429)
    assert throttled >= 1
    # Every 429 was followed by a wait of exactly the Retry-After the PIM asked for.
    assert sleep.waits.count(1.0) == throttled


def test_it_renews_an_expired_token_once_and_transparently_mid_listing(pim):
    with make_client(pim) as client:
        expected = product_uuids(client)
    pim.clear_requests()

    with make_client(pim) as client:
        pages = client.pages("products-uuid")
        seen = [item["uuid"] for item in next(pages)["_embedded"]["items"]]
        pim.faults.expire_tokens()
        for page in pages:
            seen.extend(item["uuid"] for item in page["_embedded"]["items"])
        grants = client._tokens.grants

    assert seen == expected
    assert grants == ["password", "refresh_token"]
    assert pim.count(path_prefix=TOKEN_PATH) == 2
    assert pim.count(path_prefix=PRODUCTS_PATH, status=401) == 1


def test_it_survives_a_500_burst_shorter_than_the_retry_budget(pim):
    pim.faults.burst(3, status=500, path_prefix=PRODUCTS_PATH)
    sleep = RecordedSleep()

    with make_client(pim, sleep=sleep, max_attempts=6, backoff_initial=0.5) as client:
        assert len(product_uuids(client)) == 250

    assert pim.count(path_prefix=PRODUCTS_PATH, status=500) == 3
    # Exponential backoff with jitter: attempt n waits between half and all of 0.5 * 2**(n-1).
    assert len(sleep.waits) == 3
    for attempt, wait in enumerate(sleep.waits, start=1):
        ceiling = 0.5 * 2 ** (attempt - 1)
        assert ceiling / 2 <= wait <= ceiling


def test_it_fails_with_a_clear_transient_error_when_the_500_burst_outlasts_the_budget(pim):
    pim.faults.burst(50, status=500, path_prefix=PRODUCTS_PATH)

    with make_client(pim, max_attempts=4) as client, pytest.raises(AkeneoUnavailable) as caught:
        product_uuids(client)

    error = caught.value
    assert error.permanent is False
    assert error.status == 500
    assert "HTTP 500" in str(error)
    assert "Gave up after 4 attempts" in str(error)
    assert pim.count(path_prefix=PRODUCTS_PATH, status=500) == 4


def test_it_stops_retrying_when_retry_after_exceeds_the_budget(pim):
    pim.faults.every_nth(1, status=429, retry_after=3600, path_prefix=PRODUCTS_PATH)
    sleep = RecordedSleep()

    with make_client(pim, sleep=sleep, retry_budget=60) as client, pytest.raises(AkeneoRateLimited) as caught:
        product_uuids(client)

    assert sleep.waits == []
    assert caught.value.retry_after == 3600
    assert "Gave up after 1 attempts" in str(caught.value)


def test_a_batch_patch_with_one_invalid_line_returns_99_successes_and_the_pims_message(pim):
    with make_client(pim) as client:
        products = [p for p, _ in zip(client.iter_products(), range(100), strict=False)]
        rejected = products[41]["uuid"]
        pim.faults.reject_product(rejected, message="The sku must not contain spaces.", property="values")
        pim.clear_requests()

        results = list(
            client.patch_batch("products-uuid", ({"uuid": p["uuid"], "enabled": True} for p in products))
        )

    assert pim.count(method="PATCH", path_prefix=PRODUCTS_PATH) == 1
    assert len(results) == 100
    assert [r.line for r in results] == list(range(1, 101))
    failures = [r for r in results if not r.ok]
    assert len(failures) == 1
    failure = failures[0]
    assert (failure.line, failure.key, failure.status_code) == (42, rejected, 422)
    assert "The sku must not contain spaces." in failure.describe()
    assert all(r.status_code == 204 for r in results if r.ok)


def test_a_batch_patch_splits_into_requests_of_at_most_100_lines(pim):
    with make_client(pim) as client:
        products = list(client.iter_products())[:230]
        pim.clear_requests()
        results = list(client.patch_batch("products-uuid", ({"uuid": p["uuid"]} for p in products)))

    assert [r.line for r in results] == list(range(1, 231))
    assert all(r.ok for r in results)
    patches = [r for r in pim.requests if r.method == "PATCH"]
    # The chunks go out side by side, so the PIM may see them in any order; the answers keep it.
    assert sorted(r.body_lines for r in patches) == [30, 100, 100]


def test_a_naturally_invalid_line_carries_the_pims_field_errors(pim):
    with make_client(pim) as client:
        product = next(client.iter_products())
        payload = {
            "uuid": product["uuid"],
            "values": {"no_such_attribute": [{"locale": None, "scope": None, "data": "x"}]},
        }
        [result] = client.patch_batch("products-uuid", [payload])

    assert result.status_code == 422
    assert "no_such_attribute" in result.describe()


def test_a_bad_secret_gives_a_permanent_error_that_does_not_contain_the_secret(pim, caplog):
    secret = "wrong-secret-9f8e7d6c"
    caplog.set_level(logging.DEBUG)

    with make_client(pim, credentials={"secret": secret}) as client, pytest.raises(AkeneoAuthError) as caught:
        client.get("channels")

    error = caught.value
    assert error.permanent is True
    assert "refused the API credentials" in str(error)
    assert secret not in str(error)
    assert secret not in repr(error)
    assert secret not in repr(client)
    assert secret not in caplog.text
    assert pim.count(path_prefix=TOKEN_PATH) == 1  # a permanent error is not retried


def test_a_bad_password_is_a_permanent_auth_error(pim):
    with make_client(pim, credentials={"password": "nope-nope"}) as client, pytest.raises(AkeneoAuthError):
        client.get("channels")


def test_an_unreachable_pim_is_a_clear_transient_error():
    with FakeAkeneo(build_demo_catalog(products=1)) as pim:
        url = pim.base_url
    client = AkeneoClient(url, "id", "secret", "user", "pass", max_attempts=2, sleep=RecordedSleep())

    with pytest.raises(AkeneoUnavailable) as caught:
        client.get("channels")

    assert "could not reach the PIM" in str(caught.value)
    assert caught.value.permanent is False


def test_the_updated_filter_returns_exactly_the_products_changed_since(fake_akeneo):
    with make_client(fake_akeneo) as client:
        everything = list(client.iter_products())
        models = {m["code"]: m for m in client.iter_product_models()}
        stamps = sorted(datetime.fromisoformat(p["updated"]) for p in everything)
        since = stamps[len(stamps) // 2].astimezone(UTC).replace(microsecond=0)

        changed = list(client.iter_products(search=Search().updated_since(since)))

    def last_change(item: dict) -> datetime:
        # A variant counts as changed when its parent or grandparent model changed (API behaviour).
        moments = [datetime.fromisoformat(item["updated"])]
        parent = item.get("parent")
        while parent:
            moments.append(datetime.fromisoformat(models[parent]["updated"]))
            parent = models[parent].get("parent")
        return max(moments)

    expected = {p["uuid"] for p in everything if last_change(p) > since}
    assert {p["uuid"] for p in changed} == expected
    assert 0 < len(expected) < len(everything)


def test_it_follows_page_mode_links_for_collections_without_search_after(pim):
    with make_client(pim) as client:
        attributes = list(client.paginate("attributes", {"limit": 7}))
        first_page = client.get("attributes", {"limit": 100})

    assert len(attributes) == len(first_page["_embedded"]["items"])
    assert len({a["code"] for a in attributes}) == len(attributes)
    assert pim.count(path_prefix="/api/rest/v1/attributes") == math.ceil(len(attributes) / 7) + 1


def test_media_files_round_trip_through_disk(pim, tmp_path):
    source = tmp_path / "packshot.png"
    source.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 400)
    image_attribute = next(
        a["code"]
        for a in pim_attributes(pim)
        if a["type"] == "pim_catalog_image" and not a["localizable"] and not a["scopable"]
    )

    with make_client(pim) as client:
        product = next(client.iter_products())
        code = client.upload_media_file(
            source,
            product={"uuid": product["uuid"], "attribute": image_attribute, "scope": None, "locale": None},
        )
        result = client.download_media_file(code, tmp_path / "out" / "copy.png")
        updated = client.get(f"products-uuid/{product['uuid']}")

    assert result.path.read_bytes() == source.read_bytes()
    assert result.size == source.stat().st_size
    assert not (tmp_path / "out" / "copy.png.part").exists()
    assert updated["values"][image_attribute][0]["data"] == code


def test_an_upload_is_not_repeated_after_a_500(pim, tmp_path):
    source = tmp_path / "a.png"
    source.write_bytes(b"\x89PNG\r\n\x1a\n0000")
    pim.faults.burst(1, status=500, path_prefix="/api/rest/v1/media-files")

    with make_client(pim) as client:
        product = next(client.iter_products())
        attribute = next(a["code"] for a in pim_attributes(pim) if a["type"] == "pim_catalog_image")
        with pytest.raises(AkeneoUnavailable):
            client.upload_media_file(source, product={"uuid": product["uuid"], "attribute": attribute})

    assert pim.count(method="POST", path_prefix="/api/rest/v1/media-files") == 1


def test_asset_media_files_upload_and_download(pim, tmp_path):
    source = tmp_path / "asset.png"
    source.write_bytes(b"\x89PNG\r\n\x1a\n" + b"asset" * 1000)

    with make_client(pim) as client:
        code = client.upload_asset_media_file(source)
        result = client.download_asset_media_file(code, tmp_path / "asset-copy.png")

    assert code
    assert result.path.read_bytes() == source.read_bytes()


def test_slow_answers_beyond_the_timeout_are_retried_then_succeed(pim):
    # The answer comes 10x later than the client's timeout, so the outcome does not hinge on timing.
    pim.faults.delay(3.0, count=1, path_prefix="/api/rest/v1/channels")
    sleep = RecordedSleep()

    with make_client(pim, timeout=0.3, sleep=sleep) as client:
        channels = list(client.paginate("channels"))

    assert channels
    assert len(sleep.waits) == 1


def pim_attributes(pim: FakeAkeneo) -> list[dict]:
    with make_client(pim) as client:
        return list(client.paginate("attributes"))


def test_a_product_date_is_sent_in_the_pims_format():
    since = datetime(2026, 3, 1, 14, 30, 5, tzinfo=UTC) + timedelta(hours=1)
    search = (
        Search().updated_since(since).where("family", "IN", {"shoes", "bags"}).where("enabled", "=", True)
    )

    assert search.as_dict() == {
        "updated": [{"operator": ">", "value": "2026-03-01 15:30:05"}],
        "family": [{"operator": "IN", "value": ["bags", "shoes"]}],
        "enabled": [{"operator": "=", "value": True}],
    }


def test_it_refreshes_the_token_before_it_expires_without_waiting_for_a_401(pim):
    clock = [1000.0]
    with make_client(pim, clock=lambda: clock[0]) as client:
        client.get("channels")
        clock[0] += 3600  # the announced lifetime has passed on the client's clock
        client.get("channels")
        grants = client._tokens.grants

    assert grants == ["password", "refresh_token"]
    assert pim.count(status=401) == 0
