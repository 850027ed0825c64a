"""The sandbox PIM honours the Akeneo REST API contract, checked with plain ``requests`` over real sockets."""

from __future__ import annotations

import http.client
import json
import math
import uuid
from datetime import UTC, datetime
from io import StringIO
from urllib.parse import urlsplit

import pytest
import requests

from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo, add_table_attribute, build_demo_catalog
from connector.sandbox.media import png_bytes

API = "/api/rest/v1"
TOKEN = "/api/oauth/v1/token"
NDJSON = "application/vnd.akeneo.collection+json"
INVALID_CLIENT = 'Parameter "client_id" is missing or does not match any client, or secret is invalid'
NO_USER = "No user found for the given username and password"


def token(pim: FakeAkeneo, **overrides) -> requests.Response:
    credentials = {**SANDBOX_CREDENTIALS, **overrides}
    return requests.post(
        f"{pim.base_url}{TOKEN}",
        auth=(credentials["client_id"], credentials["secret"]),
        json={
            "grant_type": "password",
            "username": credentials["username"],
            "password": credentials["password"],
        },
        timeout=5,
    )


def refresh(pim: FakeAkeneo, refresh_token: str) -> requests.Response:
    return requests.post(
        f"{pim.base_url}{TOKEN}",
        auth=(SANDBOX_CREDENTIALS["client_id"], SANDBOX_CREDENTIALS["secret"]),
        json={"grant_type": "refresh_token", "refresh_token": refresh_token},
        timeout=5,
    )


class Api(requests.Session):
    """A session on the sandbox's REST API: relative paths, bearer token set."""

    def __init__(self, pim: FakeAkeneo):
        super().__init__()
        self.pim = pim
        answer = token(pim).json()
        self.headers["Authorization"] = f"Bearer {answer['access_token']}"
        self.refresh_token = answer["refresh_token"]

    def request(self, method, url, *args, **kwargs):
        if url.startswith("/"):
            url = self.pim.base_url + (url if url.startswith("/api/") else API + url)
        kwargs.setdefault("timeout", 5)
        return super().request(method, url, *args, **kwargs)

    def all_pages(self, url: str, **params) -> tuple[list[dict], int]:
        """Every item, following ``next`` links; and how many requests that took."""
        items, calls = [], 0
        answer = self.get(url, params=params)
        while True:
            calls += 1
            assert answer.status_code == 200, answer.text
            page = answer.json()
            items.extend(page["_embedded"]["items"])
            if "next" not in page["_links"]:
                return items, calls
            answer = self.get(page["_links"]["next"]["href"])

    def batch(self, path: str, lines: list) -> requests.Response:
        body = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
        return self.patch(path, data=body.encode(), headers={"Content-Type": NDJSON})


@pytest.fixture
def api(fake_akeneo):
    with Api(fake_akeneo) as session:
        yield session


def lines_of(response: requests.Response) -> list[dict]:
    return [json.loads(line) for line in response.text.splitlines()]


def search(**filters) -> dict[str, str]:
    return {"search": json.dumps(filters)}


# ----------------------------------------------------------------------------- authentication


def test_the_token_answer_has_the_documented_fields(fake_akeneo):
    answer = token(fake_akeneo)

    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"access_token", "expires_in", "token_type", "scope", "refresh_token"}
    assert (body["expires_in"], body["token_type"], body["scope"]) == (3600, "bearer", None)
    assert fake_akeneo.count(method="POST", path_prefix=TOKEN, status=200) == 1


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"secret": "bad"}, INVALID_CLIENT),
        ({"client_id": "someone_else"}, INVALID_CLIENT),
        ({"password": "bad"}, NO_USER),
        ({"username": "nobody"}, NO_USER),
    ],
)
def test_bad_credentials_are_a_422_with_the_pims_message(fake_akeneo, override, message):
    answer = token(fake_akeneo, **override)

    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {"code": 422, "message": message}


def test_malformed_token_requests(fake_akeneo):
    url = f"{fake_akeneo.base_url}{TOKEN}"
    auth = (SANDBOX_CREDENTIALS["client_id"], SANDBOX_CREDENTIALS["secret"])

    no_grant = requests.post(url, auth=auth, json={"username": "sandbox", "password": "sandbox"}, timeout=5)
    bad_json = requests.post(
        url, auth=auth, data=b"{nope", headers={"Content-Type": "application/json"}, timeout=5
    )
    xml = requests.post(url, auth=auth, data=b"<a/>", headers={"Content-Type": "application/xml"}, timeout=5)
    unknown_refresh = refresh(fake_akeneo, "no-such-refresh-token")
    form = requests.post(
        url,
        auth=auth,
        data={"grant_type": "password", "username": "sandbox", "password": "sandbox"},
        timeout=5,
    )

    assert (no_grant.status_code, no_grant.json()["message"]) == (
        422,
        'Parameter "grant_type", "username" or "password" is missing, empty or invalid',
    )
    assert (bad_json.status_code, bad_json.json()["message"]) == (400, "Invalid json message received")
    assert xml.status_code == 415
    assert unknown_refresh.json() == {"code": 422, "message": "Refresh token is invalid or has expired"}
    assert form.status_code == 200  # application/x-www-form-urlencoded is accepted too


def test_the_api_needs_a_valid_token(fake_akeneo):
    url = f"{fake_akeneo.base_url}{API}/channels"

    missing = requests.get(url, timeout=5)
    invalid = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=5)

    assert missing.status_code == invalid.status_code == 401
    assert missing.json() == {"code": 401, "message": "Authentication is required"}
    assert invalid.json() == {"code": 401, "message": "The access token provided is invalid."}
    # Only the endpoint list and the system information are public.
    assert requests.get(f"{fake_akeneo.base_url}{API}", timeout=5).json()["routes"]
    assert requests.get(f"{fake_akeneo.base_url}{API}/system-information", timeout=5).json()["version"]


def test_an_expired_token_is_refused_and_the_refresh_token_still_works_once(fake_akeneo, api):
    fake_akeneo.faults.expire_tokens()

    expired = api.get("/channels")
    renewed = refresh(fake_akeneo, api.refresh_token)
    reused = refresh(fake_akeneo, api.refresh_token)

    assert expired.status_code == 401
    assert expired.json()["message"] == "The access token provided has expired."
    assert renewed.status_code == 200
    assert reused.status_code == 422  # a refresh token is used once, as on the PIM
    api.headers["Authorization"] = f"Bearer {renewed.json()['access_token']}"
    assert api.get("/channels").status_code == 200


def test_tokens_really_expire_after_their_lifetime(sandbox_catalog_factory):
    with FakeAkeneo(sandbox_catalog_factory(products=1), token_ttl=0) as pim:
        answer = token(pim).json()
        refused = requests.get(
            f"{pim.base_url}{API}/channels",
            headers={"Authorization": f"Bearer {answer['access_token']}"},
            timeout=5,
        )

    assert answer["expires_in"] == 0
    assert refused.json()["message"] == "The access token provided has expired."


def test_every_request_is_logged_with_the_status_answered(fake_akeneo, api):
    fake_akeneo.faults.burst(1, status=503)
    api.get("/channels", params={"limit": 2})
    api.get("/channels")

    token_call, faulted, served = fake_akeneo.requests[-3:]
    assert (token_call.method, token_call.path, token_call.status) == ("POST", TOKEN, 200)
    assert (faulted.path, faulted.query, faulted.status) == (f"{API}/channels", {"limit": "2"}, 503)
    assert served.status == 200
    assert fake_akeneo.count(path_prefix=f"{API}/channels") == 2
    fake_akeneo.clear_requests()
    assert fake_akeneo.count() == 0


# ----------------------------------------------------------------------------- errors and HTTP


def test_unknown_things_are_404_and_wrong_methods_405(api):
    unknown_product = api.get(f"/products-uuid/{uuid.uuid4()}")
    unknown_category = api.get("/categories/no_such_category")
    unknown_route = api.get("/no-such-resource")
    wrong_method = api.post("/categories/master", json={})

    assert unknown_product.status_code == unknown_category.status_code == unknown_route.status_code == 404
    assert unknown_category.json() == {"code": 404, "message": 'Category "no_such_category" does not exist.'}
    assert "does not exist" in unknown_product.json()["message"]
    assert wrong_method.status_code == 405
    assert "GET" in wrong_method.headers["Allow"]


def test_a_session_keeps_its_connection_alive(fake_akeneo):
    """HTTP/1.1 with a Content-Length on every answer: several requests on one connection."""
    address = urlsplit(fake_akeneo.base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=5)
    try:
        statuses = []
        for _ in range(3):
            connection.request("GET", f"{API}/channels")  # 401 without a token, body and all
            answer = connection.getresponse()
            answer.read()
            statuses.append((answer.status, answer.getheader("Content-Length") is not None))
        connection.request("POST", TOKEN, body=b"{broken", headers={"Content-Type": "application/json"})
        answer = connection.getresponse()
        answer.read()
        statuses.append((answer.status, answer.will_close))
    finally:
        connection.close()

    assert statuses == [(401, True), (401, True), (401, True), (400, False)]


# ----------------------------------------------------------------------------- pagination


def test_limit_and_pagination_parameters_are_checked(api):
    over = api.get("/products-uuid", params={"limit": 101})
    zero = api.get("/attributes", params={"limit": 0})
    kind = api.get("/products-uuid", params={"pagination_type": "cursor"})
    unsupported = api.get("/attributes", params={"pagination_type": "search_after"})

    assert over.status_code == 422
    assert over.json() == {"code": 422, "message": "You cannot request more than 100 items."}
    assert zero.json()["message"] == '"0" is not a valid limit number.'
    assert (kind.status_code, kind.json()["message"]) == (422, "Pagination type does not exist.")
    assert (unsupported.status_code, unsupported.json()["message"]) == (
        422,
        "Pagination type is not supported.",
    )


def test_page_links_are_absolute_and_cover_the_collection(fake_akeneo, api):
    first = api.get("/attributes", params={"limit": 10, "with_count": "true"}).json()
    codes, calls = api.all_pages("/attributes", limit=10, with_count="true")

    assert first["current_page"] == 1
    assert first["items_count"] == len(fake_akeneo.catalog.attributes)
    assert set(first["_links"]) == {"self", "first", "next"}
    assert all(
        link["href"].startswith(f"{fake_akeneo.base_url}{API}/attributes?")
        for link in first["_links"].values()
    )
    assert [item["code"] for item in codes] == list(fake_akeneo.catalog.attributes)
    assert calls == math.ceil(len(fake_akeneo.catalog.attributes) / 10)
    second = api.get(first["_links"]["next"]["href"]).json()
    assert second["current_page"] == 2 and "previous" in second["_links"]
    item = codes[0]
    assert item["_links"]["self"]["href"] == f"{fake_akeneo.base_url}{API}/attributes/{item['code']}"


@pytest.mark.parametrize("products", [1, 250])
def test_search_after_returns_every_product_once_in_one_request_per_hundred(
    sandbox_catalog_factory, products
):
    with FakeAkeneo(sandbox_catalog_factory(products=products)) as pim, Api(pim) as api:
        pim.clear_requests()
        items, calls = api.all_pages("/products-uuid", limit=100, pagination_type="search_after")
        uuids = [item["uuid"] for item in items]

        assert sorted(uuids) == sorted(pim.catalog.products)
        assert len(set(uuids)) == products
        assert (
            calls == pim.count(method="GET", path_prefix=f"{API}/products-uuid") == math.ceil(products / 100)
        )


def test_the_search_after_cursor_is_opaque_and_links_keep_the_query(fake_akeneo, api):
    page = api.get("/products-uuid", params={"limit": 100, "pagination_type": "search_after"}).json()
    following = urlsplit(page["_links"]["next"]["href"])

    assert following.query.startswith("limit=100&pagination_type=search_after&search_after=")
    assert (
        page["_links"]["first"]["href"]
        == f"{fake_akeneo.base_url}{API}/products-uuid?limit=100&pagination_type=search_after"
    )
    items, calls = api.all_pages("/products", limit=100, pagination_type="search_after")
    assert calls == 3
    assert {item["identifier"] for item in items} == {
        p["identifier"] for p in fake_akeneo.catalog.products.values()
    }


# ----------------------------------------------------------------------------- filters


def test_the_updated_filter_returns_exactly_the_products_changed_since(fake_akeneo, api):
    catalog = fake_akeneo.catalog
    models = {code: catalog.product_models[code] for code in catalog.product_models}
    stamps = sorted(datetime.fromisoformat(p["updated"]) for p in catalog.products.values())
    since = stamps[len(stamps) // 2].astimezone(UTC)

    def last_change(product: dict) -> datetime:
        moments, parent = [datetime.fromisoformat(product["updated"])], product["parent"]
        while parent:  # a variant counts as changed when one of its models changed
            moments.append(datetime.fromisoformat(models[parent]["updated"]))
            parent = models[parent]["parent"]
        return max(moments)

    expected = {u for u, p in catalog.products.items() if last_change(p) > since}
    value = since.strftime("%Y-%m-%d %H:%M:%S")
    items, _ = api.all_pages(
        "/products-uuid",
        limit=100,
        pagination_type="search_after",
        **search(updated=[{"operator": ">", "value": value}]),
    )

    assert {item["uuid"] for item in items} == expected
    assert 0 < len(expected) < len(catalog.products)
    assert any(
        last_change(p) != datetime.fromisoformat(p["updated"])
        for u, p in catalog.products.items()
        if u in expected
    )


def test_product_filters(fake_akeneo, api):
    catalog = fake_akeneo.catalog
    products = {u: catalog.products[u] for u in catalog.products}

    def found(**filters) -> set[str]:
        items, _ = api.all_pages("/products-uuid", limit=100, **search(**filters))
        return {item["uuid"] for item in items}

    disabled = found(enabled=[{"operator": "=", "value": False}])
    shoes = found(family=[{"operator": "IN", "value": ["shoes"]}])
    complete = found(completeness=[{"operator": "=", "value": 100, "scope": "print"}])
    root = next(code for code in catalog.product_models if code.startswith("clothing_model_"))
    below_root = found(parent=[{"operator": "=", "value": root}])
    some = sorted(products)[:3]

    assert disabled == {u for u, p in products.items() if not p["enabled"]}
    assert shoes == {u for u, p in products.items() if p["family"] == "shoes"}
    assert complete == {u for u in products if catalog.completeness[u]["print"] == 100}
    assert len(below_root) == 4  # two colours × two sizes, through the sub models
    assert found(uuid=[{"operator": "IN", "value": some}]) == set(some)
    # Variants are classified through their models: a category filter finds them.
    clothing = found(categories=[{"operator": "IN CHILDREN", "value": ["clothing"]}])
    assert below_root <= clothing


def test_bad_searches_are_refused(api):
    not_json = api.get("/products-uuid", params={"search": "{nope"})
    unknown = api.get(
        "/products-uuid", **{"params": search(colour_of_the_sky=[{"operator": "=", "value": "blue"}])}
    )
    bad_date = api.get("/products-uuid", params=search(updated=[{"operator": ">", "value": "2024-01-01"}]))
    unknown_category = api.get(
        "/products-uuid", params=search(categories=[{"operator": "IN", "value": ["nope"]}])
    )

    assert not_json.json() == {"code": 400, "message": "Search query parameter should be valid JSON."}
    assert unknown.status_code == 422
    assert unknown.json()["message"] == (
        'Filter on property "colour_of_the_sky" is not supported or does not support operator "="'
    )
    assert bad_date.status_code == 422
    assert unknown_category.json()["message"] == 'Category "nope" does not exist.'


def test_structure_searches(fake_akeneo, api):
    selects, _ = api.all_pages(
        "/attributes", limit=100, **search(type=[{"operator": "IN", "value": ["pim_catalog_simpleselect"]}])
    )
    children, _ = api.all_pages(
        "/categories", limit=100, **search(parent=[{"operator": "=", "value": "clothing"}])
    )
    families, _ = api.all_pages(
        "/families", **search(code=[{"operator": "IN", "value": ["shoes", "furniture"]}])
    )
    enabled, _ = api.all_pages("/locales", **search(enabled=[{"operator": "=", "value": True}]))

    catalog = fake_akeneo.catalog
    assert {a["code"] for a in selects} == {
        c for c, a in catalog.attributes.items() if a["type"] == "pim_catalog_simpleselect"
    }
    assert {c["code"] for c in children} == {"men", "women", "kids"}
    assert {f["code"] for f in families} == {"shoes", "furniture"}
    assert {loc["code"] for loc in enabled} == {"en_US", "fr_FR", "de_DE"}
    assert len(catalog.locales) >= 8


def test_scope_locales_and_attributes_slim_the_values(api):
    page = api.get(
        "/products-uuid",
        params={"limit": 20, "scope": "print", "locales": "de_DE", "attributes": "name,description,sku"},
    ).json()
    values = [item["values"] for item in page["_embedded"]["items"]]

    assert values and all(set(v) <= {"name", "description", "sku"} for v in values)
    entries = [entry for v in values for entries in v.values() for entry in entries]
    assert {entry["locale"] for entry in entries} <= {None, "de_DE"}
    assert {entry["scope"] for entry in entries} <= {None, "print"}
    assert api.get("/products-uuid", params={"locales": "xx_XX"}).status_code == 422


# ----------------------------------------------------------------------------- writes


def test_a_batch_of_100_with_one_rejected_product_answers_every_line(fake_akeneo, api):
    existing = sorted(fake_akeneo.catalog.products)[:95]
    new = [str(uuid.uuid4()) for _ in range(5)]
    rejected = existing[41]
    fake_akeneo.faults.reject_product(rejected, message="The sku must not contain spaces.", property="values")
    lines = [{"uuid": u, "enabled": True} for u in existing] + [
        {
            "uuid": u,
            "family": "shoes",
            "values": {"sku": [{"locale": None, "scope": None, "data": f"NEW-{n}"}]},
        }
        for n, u in enumerate(new)
    ]

    answer = api.batch("/products-uuid", lines)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == NDJSON
    results = lines_of(answer)
    assert [r["line"] for r in results] == list(range(1, 101))
    assert [r["uuid"] for r in results] == existing + new
    failed = [r for r in results if r["status_code"] == 422]
    assert [r["uuid"] for r in failed] == [rejected]
    assert failed[0]["errors"] == [{"property": "values", "message": "The sku must not contain spaces."}]
    assert sorted(r["status_code"] for r in results if r["status_code"] != 422) == [201] * 5 + [204] * 94
    assert fake_akeneo.requests[-1].body_lines == 100
    assert api.get("/products/NEW-0").json()["uuid"] == new[0]


def test_a_batch_over_100_lines_is_a_413(fake_akeneo, api):
    answer = api.batch("/products-uuid", [{"uuid": u} for u in list(fake_akeneo.catalog.products)[:101]])

    assert answer.status_code == 413
    assert answer.json() == {
        "code": 413,
        "message": "Too many resources to process, 100 is the maximum allowed.",
    }


def test_batch_lines_fail_one_by_one(fake_akeneo, api):
    product = next(iter(fake_akeneo.catalog.products))
    answer = api.batch(
        "/products-uuid",
        [
            "{not json",
            {
                "uuid": product,
                "values": {"no_such_attribute": [{"locale": None, "scope": None, "data": "x"}]},
            },
            {"uuid": product, "values": {"color": [{"locale": None, "scope": None, "data": "plaid"}]}},
            {"uuid": product, "family": "no_such_family"},
        ],
    )
    bad_json, unknown_attribute, unknown_option, unknown_family = lines_of(answer)

    assert bad_json == {"line": 1, "status_code": 400, "message": "Invalid json message received"}
    assert unknown_attribute["status_code"] == 422
    assert unknown_attribute["message"].startswith('Attribute "no_such_attribute" does not exist.')
    assert unknown_attribute["_links"]["documentation"]["href"].startswith("http://api.akeneo.com/")
    assert unknown_option["message"] == "Validation failed."
    assert unknown_option["errors"][0]["attribute"] == "color"
    assert "family" in unknown_family["message"]
    wrong_type = api.patch("/products-uuid", data="{}", headers={"Content-Type": "application/json"})
    assert wrong_type.status_code == 415


def test_single_writes_merge_values_and_null_erases(fake_akeneo, api):
    product_uuid = next(
        u for u in fake_akeneo.catalog.products if fake_akeneo.catalog.products[u]["parent"] is None
    )
    before = api.get(f"/products-uuid/{product_uuid}").json()

    answer = api.patch(
        f"/products-uuid/{product_uuid}",
        json={
            "values": {
                "name": [{"locale": "en_US", "scope": None, "data": "Renamed"}],
                "ean": [{"locale": None, "scope": None, "data": None}],
            },
            "categories": ["men"],
        },
    )
    after = api.get(f"/products-uuid/{product_uuid}").json()

    assert answer.status_code == 204
    assert answer.headers["Location"] == f"{fake_akeneo.base_url}{API}/products-uuid/{product_uuid}"
    names = {v["locale"]: v["data"] for v in after["values"]["name"]}
    assert names["en_US"] == "Renamed"
    assert names["fr_FR"] == {v["locale"]: v["data"] for v in before["values"]["name"]}["fr_FR"]
    assert "ean" not in after["values"] and "ean" in before["values"]
    assert after["categories"] == ["men"]
    assert after["updated"] > before["updated"]


def test_single_writes_create_and_validate(fake_akeneo, api):
    created = api.post(
        "/products-uuid",
        json={
            "family": "accessories",
            "values": {"sku": [{"locale": None, "scope": None, "data": "BRAND-NEW"}]},
        },
    )
    missing_locale = api.patch(
        "/products/BRAND-NEW", json={"values": {"name": [{"locale": None, "scope": None, "data": "x"}]}}
    )
    not_a_number = api.patch(
        "/products/BRAND-NEW", json={"values": {"rating": [{"locale": None, "scope": None, "data": "lots"}]}}
    )
    new_category = api.patch("/categories/sale", json={"parent": "master", "labels": {"en_US": "Sale"}})
    again = api.patch("/categories/sale", json={"labels": {"fr_FR": "Soldes"}})

    assert created.status_code == 201
    location = created.headers["Location"]
    assert location.startswith(f"{fake_akeneo.base_url}{API}/products-uuid/")
    assert api.get(location).json()["values"]["sku"][0]["data"] == "BRAND-NEW"
    assert missing_locale.status_code == 422
    assert missing_locale.json()["message"].startswith('Attribute "name" expects a locale, none given.')
    assert "documentation" in missing_locale.json()["_links"]
    assert not_a_number.status_code == 422
    assert (new_category.status_code, again.status_code) == (201, 204)
    assert api.get("/categories/sale").json()["labels"] == {"en_US": "Sale", "fr_FR": "Soldes"}


def test_reject_product_also_rejects_single_writes_by_identifier(fake_akeneo, api):
    product = next(iter(fake_akeneo.catalog.products.values()))
    fake_akeneo.faults.reject_product(product["identifier"], message="Nope.", property="identifier")

    answer = api.patch(f"/products-uuid/{product['uuid']}", json={"enabled": False})

    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"property": "identifier", "message": "Nope."}]


def test_records_and_assets_take_json_arrays(fake_akeneo, api):
    records = api.patch(
        "/reference-entities/brand/records",
        json=[
            {"code": "acme", "values": {"country": [{"locale": None, "channel": None, "data": "italy"}]}},
            {"code": "newco", "values": {"label": [{"locale": "en_US", "channel": None, "data": "NewCo"}]}},
            {"code": "bad", "values": {"no_such": [{"locale": None, "channel": None, "data": "x"}]}},
        ],
    )
    assets = api.patch("/asset-families/packshots/assets", json=[{"code": "packshot_000", "values": {}}])

    assert records.status_code == 200
    assert [(r["code"], r["status_code"]) for r in records.json()] == [
        ("acme", 204),
        ("newco", 201),
        ("bad", 422),
    ]
    assert assets.json() == [{"code": "packshot_000", "status_code": 204}]
    too_many = api.patch("/asset-families/packshots/assets", json=[{"code": f"a{n}"} for n in range(101)])
    assert too_many.status_code == 413


# ----------------------------------------------------------------------------- attribute options


def test_posting_a_new_option_creates_it_and_answers_its_location(fake_akeneo, api):
    answer = api.post(
        "/attributes/color/options",
        json={"code": "pink", "attribute": "color", "sort_order": 7, "labels": {"en_US": "Pink"}},
    )

    assert answer.status_code == 201
    assert answer.headers["Location"] == f"{fake_akeneo.base_url}{API}/attributes/color/options/pink"
    assert api.get(answer.headers["Location"]).json() == {
        "code": "pink",
        "attribute": "color",
        "sort_order": 7,
        "labels": {"en_US": "Pink"},
    }
    assert fake_akeneo.count(method="POST", path_prefix=f"{API}/attributes/color/options", status=201) == 1


def test_posting_an_existing_option_is_a_422_and_leaves_it_unchanged(fake_akeneo, api):
    before = api.get("/attributes/color/options/red").json()

    answer = api.post(
        "/attributes/color/options",
        json={"code": "red", "sort_order": 99, "labels": {"en_US": "Scarlet", "fr_FR": "Écarlate"}},
    )

    assert answer.status_code == 422
    assert answer.json() == {
        "code": 422,
        "message": "Validation failed.",
        "errors": [{"property": "code", "message": "This value is already used."}],
    }
    after = api.get("/attributes/color/options/red").json()
    assert after == before
    assert after["labels"] == {"en_US": "Red", "fr_FR": "Red (fr)", "de_DE": "Red (de)"}
    assert fake_akeneo.requests[-2].method == "POST" and fake_akeneo.requests[-2].status == 422


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"code": "pink", "attribute": "size"},
            'The attribute "size" provided in the request body must match',
        ),
        ({"code": "pink", "colour": "pink"}, 'Property "colour" does not exist.'),
        ({"code": "pink", "labels": "Pink"}, 'Property "labels" expects an array as data, "string" given.'),
        ({"labels": {"en_US": "Pink"}}, 'Property "code" is required.'),
    ],
)
def test_posting_an_option_is_validated_like_patching_one(api, body, message):
    answer = api.post("/attributes/color/options", json=body)

    assert answer.status_code == 422
    assert answer.json()["message"].startswith(message)
    assert api.get("/attributes/color/options/pink").status_code == 404


@pytest.mark.parametrize("attribute", ["no_such_attribute", "name"])
def test_posting_an_option_to_an_attribute_without_options_is_the_same_404_as_reading_them(api, attribute):
    answer = api.post(f"/attributes/{attribute}/options", json={"code": "pink"})

    assert answer.status_code == 404
    assert answer.json() == api.get(f"/attributes/{attribute}/options").json()


# ----------------------------------------------------------------------------- table attributes


@pytest.fixture
def table_pim(sandbox_catalog_factory):
    catalog = sandbox_catalog_factory(products=20)
    add_table_attribute(catalog)
    with FakeAkeneo(catalog) as pim:
        yield pim


@pytest.fixture
def table_api(table_pim):
    with Api(table_pim) as session:
        yield session


def table_value(rows) -> dict:
    return {"values": {"nutrition": [{"locale": None, "scope": None, "data": rows}]}}


def accessory(pim: FakeAkeneo) -> str:
    products = pim.catalog.products
    return next(u for u in products if products[u]["family"] == "accessories" and not products[u]["parent"])


def option_codes(column: dict) -> list[str]:
    return [option["code"] for option in column["options"]]


def test_the_table_builder_is_opt_in():
    catalog = build_demo_catalog(products=5)
    attributes = len(catalog.attributes)

    nutrition = add_table_attribute(catalog)

    assert "nutrition" not in build_demo_catalog(products=5).attributes
    assert len(catalog.attributes) == attributes + 1
    assert (nutrition["type"], nutrition["group"]) == ("pim_catalog_table", "technical")
    assert nutrition["labels"] == {
        "en_US": "Nutrition facts",
        "fr_FR": "Valeurs nutritionnelles",
        "de_DE": "Nährwerte",
    }
    assert [(c["code"], c["data_type"]) for c in nutrition["table_configuration"]] == [
        ("nutrient", "select"),
        ("quantity", "number"),
        ("note", "text"),
    ]
    assert "nutrition" in catalog.families["accessories"]["attributes"]
    assert "nutrition" in catalog.attribute_groups["technical"]["attributes"]


def test_select_options_of_a_table_are_served_only_when_asked_for(table_api):
    plain = table_api.get("/attributes/nutrition").json()["table_configuration"]
    full = table_api.get("/attributes/nutrition", params={"with_table_select_options": "true"}).json()
    listed, _ = table_api.all_pages("/attributes", limit=100, with_table_select_options="true")
    listed_plain, _ = table_api.all_pages("/attributes", limit=100)

    assert [column["code"] for column in plain] == ["nutrient", "quantity", "note"]
    assert all("options" not in column for column in plain)
    nutrient = full["table_configuration"][0]
    assert option_codes(nutrient) == ["sugar", "salt", "fat", "protein"]
    assert nutrient["options"][0]["labels"] == {"en_US": "Sugar", "fr_FR": "Sucre", "de_DE": "Zucker"}
    by_code = {a["code"]: a for a in listed}
    assert option_codes(by_code["nutrition"]["table_configuration"][0]) == ["sugar", "salt", "fat", "protein"]
    assert (
        "options" not in next(a for a in listed_plain if a["code"] == "nutrition")["table_configuration"][0]
    )
    assert "table_configuration" not in by_code["color"]


def test_patching_a_table_adds_a_select_option_and_keeps_the_others(table_api):
    def configuration() -> list[dict]:
        answer = table_api.get("/attributes/nutrition", params={"with_table_select_options": "true"})
        return answer.json()["table_configuration"]

    before = configuration()

    answer = table_api.patch(
        "/attributes/nutrition",
        json={
            "table_configuration": [
                {
                    "code": "nutrient",
                    "options": [
                        {"code": "fiber", "labels": {"en_US": "Fiber"}},
                        {"code": "salt", "labels": {"fr_FR": "Sel marin"}},
                    ],
                }
            ]
        },
    )

    assert answer.status_code == 204
    after = configuration()
    nutrient = after[0]
    assert option_codes(nutrient) == ["sugar", "salt", "fat", "protein", "fiber"]
    options = {option["code"]: option for option in nutrient["options"]}
    assert options["fiber"] == {"code": "fiber", "labels": {"en_US": "Fiber"}}
    assert options["salt"]["labels"] == {"en_US": "Salt", "fr_FR": "Sel marin", "de_DE": "Salz"}
    unchanged = [o for o in before[0]["options"] if o["code"] != "salt"]
    assert [options[o["code"]] for o in unchanged] == unchanged
    assert after[1:] == before[1:]
    assert {k: v for k, v in nutrient.items() if k != "options"} == {
        k: v for k, v in before[0].items() if k != "options"
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"table_configuration": [{"code": "quantity", "data_type": "text"}]},
            'The data type of the "quantity" column cannot be changed.',
        ),
        (
            {"table_configuration": [{"code": "quantity", "options": [{"code": "x"}]}]},
            'The "quantity" column is not a select column: it has no options.',
        ),
        (
            {"table_configuration": [{"code": "nutrient", "options": [{"labels": {}}]}]},
            'Every option of the "nutrient" column needs a code.',
        ),
        (
            {"table_configuration": [{"code": "origin", "data_type": "hologram"}]},
            'The "origin" column has an unknown data type.',
        ),
    ],
)
def test_a_table_configuration_patch_that_breaks_a_rule_is_refused_whole(table_api, body, message):
    before = table_api.get("/attributes/nutrition", params={"with_table_select_options": "true"}).json()

    answer = table_api.patch("/attributes/nutrition", json=body)

    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"property": "table_configuration", "message": message}]
    assert (
        table_api.get("/attributes/nutrition", params={"with_table_select_options": "true"}).json() == before
    )


def test_only_table_attributes_take_a_table_configuration_and_a_new_one_starts_with_a_select(table_api):
    on_text = table_api.patch(
        "/attributes/name", json={"table_configuration": [{"code": "a", "data_type": "select"}]}
    )
    text_first = table_api.patch(
        "/attributes/specs",
        json={
            "type": "pim_catalog_table",
            "group": "technical",
            "table_configuration": [{"code": "label", "data_type": "text"}],
        },
    )
    missing = table_api.patch("/attributes/specs", json={"type": "pim_catalog_table", "group": "technical"})

    assert on_text.status_code == text_first.status_code == missing.status_code == 422
    assert "table_configuration" not in table_api.get("/attributes/name").json()
    assert text_first.json()["errors"][0]["message"] == "The first column of a table must be a select column."
    assert table_api.get("/attributes/specs").status_code == 404


def test_a_table_value_is_written_read_back_and_replaced_whole(table_pim, table_api):
    product = accessory(table_pim)
    rows = [
        {"nutrient": "sugar", "quantity": 12, "note": "per 100 g"},
        {"nutrient": "salt", "quantity": 0.25},
        {"nutrient": "fat", "quantity": "3.5000"},
    ]

    written = table_api.patch(f"/products-uuid/{product}", json=table_value(rows))
    served = table_api.get(f"/products-uuid/{product}").json()["values"]["nutrition"]
    replaced = table_api.patch(f"/products-uuid/{product}", json=table_value([{"nutrient": "protein"}]))
    again = table_api.get(f"/products-uuid/{product}").json()["values"]["nutrition"]

    assert written.status_code == replaced.status_code == 204
    assert served == [{"locale": None, "scope": None, "data": rows}]
    assert again == [{"locale": None, "scope": None, "data": [{"nutrient": "protein"}]}]


def test_a_product_model_table_value_is_validated_too(table_pim, table_api):
    model = next(iter(table_pim.catalog.product_models))

    bad = table_api.patch(f"/product-models/{model}", json=table_value([{"nutrient": "plutonium"}]))
    good = table_api.patch(f"/product-models/{model}", json=table_value([{"nutrient": "salt"}]))

    assert bad.status_code == 422
    assert bad.json()["errors"][0]["attribute"] == "nutrition"
    assert good.status_code == 204
    assert table_api.get(f"/product-models/{model}").json()["values"]["nutrition"][0]["data"] == [
        {"nutrient": "salt"}
    ]


BAD_TABLES = [
    ([{"nutrient": f"n{n}"} for n in range(101)], "A table cannot have more than 100 rows."),
    (["sugar"], "Each row of a table must be a non-empty object of cells keyed by column code."),
    ([{}], "Each row of a table must be a non-empty object of cells keyed by column code."),
    ([{"nutrient": "sugar", "colour": "red"}], 'The "colour" column does not exist.'),
    ([{"quantity": 2}], 'The "nutrient" column must be filled in every row.'),
    ([{"nutrient": "plutonium"}], 'The "plutonium" option does not exist in the "nutrient" column.'),
    ([{"nutrient": "sugar", "quantity": "lots"}], 'The "quantity" column expects a number, "lots" given.'),
    ([{"nutrient": "sugar", "quantity": True}], 'The "quantity" column expects a number, "True" given.'),
    ([{"nutrient": "sugar", "note": 7}], 'The "note" column expects a text, "integer" given.'),
    (
        [{"nutrient": "sugar", "note": "x" * 101}],
        'The "note" column is too long. It should have 100 characters or less.',
    ),
    (
        [{"nutrient": "salt"}, {"nutrient": "salt"}],
        'The "salt" value is used in more than one row of the "nutrient" column.',
    ),
]


@pytest.mark.parametrize(("rows", "message"), BAD_TABLES)
def test_a_bad_table_value_is_a_422_naming_the_attribute(table_pim, table_api, rows, message):
    product = accessory(table_pim)
    table_api.patch(f"/products-uuid/{product}", json=table_value([{"nutrient": "fat"}]))

    answer = table_api.patch(f"/products-uuid/{product}", json=table_value(rows))

    assert answer.status_code == 422
    body = answer.json()
    assert body["message"] == "Validation failed."
    assert body["errors"] == [
        {"property": "values", "message": message, "attribute": "nutrition", "locale": None, "scope": None}
    ]
    served = table_api.get(f"/products-uuid/{product}").json()["values"]["nutrition"]
    assert served[0]["data"] == [{"nutrient": "fat"}]


def test_a_table_value_that_is_not_a_list_is_a_422(table_pim, table_api):
    answer = table_api.patch(f"/products-uuid/{accessory(table_pim)}", json=table_value("sugar"))

    assert answer.status_code == 422
    assert answer.json()["message"].startswith(
        'Property "nutrition" expects an array as data, "sugar" given.'
    )


def every_type_table() -> dict:
    return {
        "type": "pim_catalog_table",
        "group": "technical",
        "labels": {"en_US": "Specs"},
        "table_configuration": [
            {"code": "part", "data_type": "select", "options": [{"code": "lid"}, {"code": "base"}]},
            {"code": "removable", "data_type": "boolean"},
            {"code": "weight", "data_type": "measurement", "measurement_family_code": "Weight"},
            {"code": "maker", "data_type": "reference_entity", "reference_entity_identifier": "brand"},
            {"code": "since", "data_type": "date"},
            {"code": "count", "data_type": "number", "validations": {"min": 0, "decimals_allowed": False}},
        ],
    }


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ({"removable": "yes"}, 'The "removable" column expects a boolean, "yes" given.'),
        ({"weight": 3}, 'The "weight" column expects an object with a numeric "amount" and a "unit".'),
        (
            {"weight": {"amount": 3, "unit": "LITER"}},
            'The "LITER" unit does not exist in the "Weight" measurement family.',
        ),
        ({"maker": "nobody"}, 'The "nobody" record does not exist in the "brand" reference entity.'),
        (
            {"since": "31/12/2024"},
            'The "since" column expects a date in the format "yyyy-mm-dd", "31/12/2024" given.',
        ),
        (
            {"since": "2024-02-30"},
            'The "since" column expects a date in the format "yyyy-mm-dd", "2024-02-30" given.',
        ),
        ({"count": 1.5}, 'The "count" column does not accept decimals.'),
        ({"count": -1}, 'The "count" column expects a number greater than or equal to 0.'),
    ],
)
def test_every_column_type_checks_its_cells(table_pim, table_api, cell, message):
    created = table_api.patch("/attributes/specs", json=every_type_table())
    values = {"values": {"specs": [{"locale": None, "scope": None, "data": [{"part": "lid", **cell}]}]}}

    answer = table_api.patch(f"/products-uuid/{accessory(table_pim)}", json=values)

    assert created.status_code == 201
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["message"] == message
    assert answer.json()["errors"][0]["attribute"] == "specs"


def test_every_column_type_accepts_good_cells(table_pim, table_api):
    table_api.patch("/attributes/specs", json=every_type_table())
    row = {
        "part": "base",
        "removable": False,
        "weight": {"amount": "1.5", "unit": "GRAM"},
        "maker": "acme",
        "since": "2024-02-29",
        "count": "4",
    }
    product = accessory(table_pim)

    answer = table_api.patch(
        f"/products-uuid/{product}",
        json={"values": {"specs": [{"locale": None, "scope": None, "data": [row]}]}},
    )

    assert answer.status_code == 204, answer.text
    assert table_api.get(f"/products-uuid/{product}").json()["values"]["specs"][0]["data"] == [row]


# ----------------------------------------------------------------------------- faults


def test_throttling_answers_429_with_retry_after(fake_akeneo, api):
    fake_akeneo.faults.every_nth(2, status=429, retry_after=7)

    answers = [api.get("/channels") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 429, 200, 429]
    assert answers[1].headers["Retry-After"] == "7"
    assert answers[1].json()["code"] == 429
    assert fake_akeneo.count(status=429) == 2


def test_a_burst_of_500s_then_normal_service(fake_akeneo, api):
    fake_akeneo.faults.burst(2, status=500, path_prefix=f"{API}/products-uuid")

    statuses = [api.get("/products-uuid").status_code for _ in range(3)]

    assert statuses == [500, 500, 200]
    assert api.get("/channels").status_code == 200
    fake_akeneo.faults.delay(0.001, count=1)
    assert api.get("/channels").status_code == 200  # slowed down, still answered


def test_faults_can_be_set_over_http_for_the_demo(fake_akeneo, api):
    base = fake_akeneo.base_url
    set_up = requests.post(f"{base}/_sandbox/faults", json={"burst": {"count": 1, "status": 503}}, timeout=5)

    assert set_up.status_code == 200
    assert api.get("/channels").status_code == 503
    assert api.get("/channels").status_code == 200
    counts = requests.get(f"{base}/_sandbox/requests", timeout=5).json()
    assert counts["by_method_and_status"]["GET 503"] == 1
    requests.post(f"{base}/_sandbox/faults", json={"expire_tokens": True}, timeout=5)
    assert api.get("/channels").json()["message"] == "The access token provided has expired."


# ----------------------------------------------------------------------------- media


def test_a_media_upload_sets_the_value_and_downloads_the_same_bytes(fake_akeneo, api):
    product = next(iter(fake_akeneo.catalog.products.values()))
    content = png_bytes("upload") + bytes(range(256)) * 40  # binary, with CR/LF inside

    uploaded = api.post(
        "/media-files",
        data={
            "product": json.dumps(
                {
                    "identifier": product["identifier"],
                    "attribute": "main_image",
                    "scope": None,
                    "locale": None,
                }
            )
        },
        files={"file": ("my packshot.png", content, "image/png")},
    )
    location = uploaded.headers["Location"]
    code = location.split("/media-files/", 1)[1]
    info = api.get(location).json()
    download = api.get(info["_links"]["download"]["href"])
    value = api.get(f"/products-uuid/{product['uuid']}").json()["values"]["main_image"][0]

    assert uploaded.status_code == 201
    assert (info["code"], info["size"], info["mime_type"], info["extension"]) == (
        code,
        len(content),
        "image/png",
        "png",
    )
    assert download.content == content
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["Content-Length"] == str(len(content))
    assert value["data"] == code


def test_demo_media_exist_and_are_pngs(fake_akeneo, api):
    with_images = [p for p in fake_akeneo.catalog.products.values() if "main_image" in p["values"]]
    code = with_images[0]["values"]["main_image"][0]["data"]

    download = api.get(f"/media-files/{code}/download")

    assert download.status_code == 200
    assert download.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_an_asset_media_upload_answers_its_code_and_downloads(fake_akeneo, api):
    content = png_bytes("asset") * 3

    uploaded = api.post("/asset-media-files", files={"file": ("front.png", content, "image/png")})
    code = uploaded.headers["Asset-media-file-code"]
    download = api.get(uploaded.headers["Location"])
    asset = api.patch(
        "/asset-families/packshots/assets/new_asset",
        json={"code": "new_asset", "values": {"media": [{"locale": None, "channel": None, "data": code}]}},
    )

    assert uploaded.status_code == 201
    assert uploaded.headers["Location"] == f"{fake_akeneo.base_url}{API}/asset-media-files/{code}"
    assert download.content == content
    assert asset.status_code == 201
    served = api.get("/asset-families/packshots/assets/new_asset").json()
    assert served["values"]["media"][0]["_links"]["download"]["href"] == uploaded.headers["Location"]


# ----------------------------------------------------------------------------- resources


def test_every_collection_answers_in_its_documented_shape(fake_akeneo, api):
    catalog = fake_akeneo.catalog
    measurement = api.get("/measurement-families").json()
    entities = api.get("/reference-entities").json()
    records = api.get("/reference-entities/brand/records").json()
    options = api.get("/reference-entities/brand/attributes/country/options").json()
    assets = api.get("/asset-families/packshots/assets").json()
    variants = api.get("/families/clothing/variants").json()
    models, _ = api.all_pages("/product-models", limit=100)

    assert isinstance(measurement, list) and {"Weight", "Length"} <= {m["code"] for m in measurement}
    assert "current_page" not in entities and {e["code"] for e in entities["_embedded"]["items"]} == {
        "brand",
        "designer",
    }
    assert len(records["_embedded"]["items"]) == len(catalog.records["brand"])
    assert isinstance(options, list) and options
    assert len(assets["_embedded"]["items"]) == len(catalog.assets["packshots"])
    assert {v["code"] for v in variants["_embedded"]["items"]} >= {"clothing_color_size"}
    sub_model = next(m for m in models if m["parent"])
    assert "name" in sub_model["values"]  # inherited from its root model
    for path in (
        "/channels",
        "/locales",
        "/currencies",
        "/attribute-groups",
        "/families",
        "/categories",
        "/association-types",
        "/media-files",
        "/asset-families",
        "/attributes/color/options",
    ):
        answer = api.get(path)
        assert answer.status_code == 200, path
        assert answer.json()["_embedded"]["items"], path


def test_a_variant_product_carries_its_inherited_values(fake_akeneo, api):
    variant = next(p for p in fake_akeneo.catalog.products.values() if p["parent"])

    served = api.get(f"/products/{variant['identifier']}").json()

    assert served["identifier"] == variant["identifier"]
    assert "name" in served["values"] and "size" in served["values"]
    assert served["categories"]  # from its root model
    assert "identifier" not in api.get(f"/products-uuid/{variant['uuid']}").json()


def test_the_demo_catalog_is_deterministic_and_scales():
    anchor = datetime(2026, 1, 1, tzinfo=UTC)
    first = build_demo_catalog(products=120, seed=7, anchor=anchor)
    second = build_demo_catalog(products=120, seed=7, anchor=anchor)
    other = build_demo_catalog(products=120, seed=8, anchor=anchor)

    assert [first.products[u] for u in first.products] == [second.products[u] for u in second.products]
    assert list(first.products) != list(other.products)
    assert len(first.products) == 120
    assert 20 <= sum(1 for p in first.products.values() if p["parent"]) <= 40
    levels = {m["parent"] is None for m in first.product_models.values()}
    assert levels == {True, False}  # root and sub models


def test_the_command_prints_the_url_and_the_credentials(monkeypatch):
    from django.core.management import call_command

    served = []

    def serve_forever(self, ready=None):
        self._bind()
        ready(self.base_url)
        served.append(len(self.catalog.products))
        self._close()

    monkeypatch.setattr(FakeAkeneo, "serve_forever", serve_forever)
    out = StringIO()

    call_command("sandbox_pim", "--port", "0", "--products", "12", "--seed", "3", stdout=out)

    line = out.getvalue().strip()
    assert line.startswith("Sandbox PIM on http://127.0.0.1:")
    for value in SANDBOX_CREDENTIALS.values():
        assert value in line
    assert served == [12]
