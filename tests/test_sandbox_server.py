"""The sandbox PIM honours the parts of the Akeneo contract our client relies on (plain requests)."""

from __future__ import annotations

import json

import pytest
import requests

from connector.sandbox import SANDBOX_CREDENTIALS

API = "/api/rest/v1"


def token(pim, **overrides) -> requests.Response:
    credentials = {**SANDBOX_CREDENTIALS, **overrides}
    return requests.post(
        f"{pim.base_url}/api/oauth/v1/token",
        auth=(credentials["client_id"], credentials["secret"]),
        json={
            "grant_type": "password",
            "username": credentials["username"],
            "password": credentials["password"],
        },
        timeout=5,
    )


@pytest.fixture
def session(fake_akeneo):
    answer = token(fake_akeneo).json()
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {answer['access_token']}"
    http.refresh_token = answer["refresh_token"]
    yield http
    http.close()


def test_the_token_answer_has_the_documented_fields(fake_akeneo):
    answer = token(fake_akeneo)
    assert answer.status_code == 200
    assert set(answer.json()) >= {"access_token", "expires_in", "token_type", "refresh_token"}
    assert answer.json()["expires_in"] == 3600


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            {"secret": "bad"},
            'Parameter "client_id" is missing or does not match any client, or secret is invalid',
        ),
        ({"password": "bad"}, "No user found for the given username and password"),
    ],
)
def test_bad_credentials_are_a_422_with_the_pims_message(fake_akeneo, override, message):
    answer = token(fake_akeneo, **override)
    assert answer.status_code == 422
    assert answer.json() == {"code": 422, "message": message}


def test_the_api_needs_a_valid_token(fake_akeneo):
    assert requests.get(f"{fake_akeneo.base_url}{API}/channels", timeout=5).status_code == 401
    invalid = requests.get(
        f"{fake_akeneo.base_url}{API}/channels", headers={"Authorization": "Bearer nope"}, timeout=5
    )
    assert invalid.json() == {"code": 401, "message": "The access token provided is invalid."}


def test_an_expired_token_is_refused_and_the_refresh_token_still_works(fake_akeneo, session):
    fake_akeneo.faults.expire_tokens()
    expired = session.get(f"{fake_akeneo.base_url}{API}/channels")
    assert expired.json()["message"] == "The access token provided has expired."

    refreshed = requests.post(
        f"{fake_akeneo.base_url}/api/oauth/v1/token",
        auth=(SANDBOX_CREDENTIALS["client_id"], SANDBOX_CREDENTIALS["secret"]),
        json={"grant_type": "refresh_token", "refresh_token": session.refresh_token},
        timeout=5,
    )
    assert refreshed.status_code == 200
    session.headers["Authorization"] = f"Bearer {refreshed.json()['access_token']}"
    assert session.get(f"{fake_akeneo.base_url}{API}/channels").status_code == 200


def test_a_limit_over_100_is_refused(fake_akeneo, session):
    answer = session.get(f"{fake_akeneo.base_url}{API}/products-uuid", params={"limit": 101})
    assert answer.status_code == 422
    assert answer.json()["message"] == "You cannot request more than 100 items."


def test_page_links_are_absolute_and_cover_the_collection(fake_akeneo, session):
    url = f"{fake_akeneo.base_url}{API}/attributes?limit=10&with_count=true"
    codes, first = [], None
    while url:
        page = session.get(url).json()
        first = first or page
        assert page["_links"]["self"]["href"].startswith(fake_akeneo.base_url)
        for item in page["_embedded"]["items"]:
            assert item["_links"]["self"]["href"] == f"{fake_akeneo.base_url}{API}/attributes/{item['code']}"
            codes.append(item["code"])
        url = page["_links"].get("next", {}).get("href")
    assert len(codes) == len(set(codes)) == first["items_count"] == len(fake_akeneo.catalog.attributes)


def test_search_after_returns_every_product_once(fake_akeneo, session):
    url = f"{fake_akeneo.base_url}{API}/products-uuid?limit=100&pagination_type=search_after"
    uuids, requests_made = [], 0
    while url:
        page = session.get(url).json()
        requests_made += 1
        uuids.extend(item["uuid"] for item in page["_embedded"]["items"])
        url = page["_links"].get("next", {}).get("href")
    assert sorted(uuids) == sorted(fake_akeneo.catalog.products)
    assert requests_made == 3


def test_a_search_that_is_not_json_is_a_400(fake_akeneo, session):
    answer = session.get(f"{fake_akeneo.base_url}{API}/products-uuid", params={"search": "{nope"})
    assert answer.status_code == 400


def test_an_unknown_filter_is_a_422(fake_akeneo, session):
    search = json.dumps({"colour_of_the_sky": [{"operator": "=", "value": "blue"}]})
    answer = session.get(f"{fake_akeneo.base_url}{API}/products-uuid", params={"search": search})
    assert answer.status_code == 422


def test_a_batch_over_100_lines_is_a_413(fake_akeneo, session):
    body = "\n".join(json.dumps({"uuid": u}) for u in list(fake_akeneo.catalog.products)[:101])
    answer = session.patch(
        f"{fake_akeneo.base_url}{API}/products-uuid",
        data=body,
        headers={"Content-Type": "application/vnd.akeneo.collection+json"},
    )
    assert answer.status_code == 413
    assert answer.json()["message"] == "Too many resources to process, 100 is the maximum allowed."


def test_writes_merge_values_and_null_erases(fake_akeneo, session):
    product_uuid = next(u for u, p in fake_akeneo.catalog.products.items() if p["parent"] is None)
    url = f"{fake_akeneo.base_url}{API}/products-uuid/{product_uuid}"
    before = session.get(url).json()["values"]
    assert "name" in before and "ean" in before

    answer = session.patch(
        url,
        json={
            "values": {
                "name": [{"locale": "en_US", "scope": None, "data": "Renamed"}],
                "ean": [{"locale": None, "scope": None, "data": None}],
            }
        },
    )

    assert answer.status_code == 204
    after = session.get(url).json()["values"]
    names = {v["locale"]: v["data"] for v in after["name"]}
    assert names["en_US"] == "Renamed"
    assert names["fr_FR"] == {v["locale"]: v["data"] for v in before["name"]}["fr_FR"]
    assert "ean" not in after


def test_a_value_with_a_missing_locale_is_a_422_with_field_errors(fake_akeneo, session):
    product_uuid = next(iter(fake_akeneo.catalog.products))
    answer = session.patch(
        f"{fake_akeneo.base_url}{API}/products-uuid/{product_uuid}",
        json={"values": {"name": [{"locale": None, "scope": None, "data": "x"}]}},
    )
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["property"] == "values"
    assert error["attribute"] == "name"


def test_throttling_answers_429_with_retry_after(fake_akeneo, session):
    fake_akeneo.faults.every_nth(2, status=429, retry_after=7)
    statuses = [session.get(f"{fake_akeneo.base_url}{API}/channels") for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 429, 200, 429]
    assert statuses[1].headers["Retry-After"] == "7"


def test_faults_can_be_set_over_http_for_the_demo(fake_akeneo, session):
    requests.post(
        f"{fake_akeneo.base_url}/_sandbox/faults", json={"burst": {"count": 1, "status": 503}}, timeout=5
    )
    assert session.get(f"{fake_akeneo.base_url}{API}/channels").status_code == 503
    assert session.get(f"{fake_akeneo.base_url}{API}/channels").status_code == 200


def test_measurement_families_are_a_plain_list(fake_akeneo, session):
    answer = session.get(f"{fake_akeneo.base_url}{API}/measurement-families").json()
    assert isinstance(answer, list)
    assert {"Weight", "Length"} <= {family["code"] for family in answer}
