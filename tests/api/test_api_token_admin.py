"""API tokens issued in the admin: the key is shown once, on the page answering the form, and works
against the API; no later page, message, session, log or admin history holds it. Superusers issue
tokens for any account, SDM admins for suppliers' accounts only, other roles not at all."""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User

from connector.roles import BUSINESS_CONSULTANT, OPERATOR, SDM_ADMIN
from connector.users import create_user
from sdm.feeds import hash_key
from sdm.models import ApiToken
from tests.sdm_helpers import make_workflow
from tests.users import staff_user

pytestmark = pytest.mark.django_db
ADD = "/admin/sdm/apitoken/add/"
LIST = "/admin/sdm/apitoken/"
SHOWN_ONCE = "Copy it now: it will not be shown again."


@pytest.fixture
def supplier(fake_akeneo):
    workflow = make_workflow(fake_akeneo, name="spring-collection")
    user, _ = create_user("acme", "supplier", projects=[workflow.name])
    return user


def staff_with(client, role: str, name: str) -> User:
    return staff_user(role, name, client=client)


def key_on(page: str) -> str:
    found = re.search(r'id="api-key" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_a_superuser_issues_a_token_whose_key_is_shown_once_and_works(client, admin_client, supplier, caplog):
    form = admin_client.get(ADD).content.decode()
    assert "acme (Supplier)" in form

    with caplog.at_level(logging.DEBUG):
        answer = admin_client.post(ADD, {"user": supplier.pk, "name": "acme ERP"})

    assert answer.status_code == 200
    page = answer.content.decode()
    key = key_on(page)
    assert SHOWN_ONCE in page and page.count(key) == 1
    assert "no-store" in answer["Cache-Control"]  # neither the browser nor a proxy keeps the page
    token = ApiToken.objects.get()
    assert (token.user, token.name) == (supplier, "acme ERP")
    assert (token.prefix, token.key_hash) == (key[:8], hash_key(key))

    projects = client.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {key}")
    assert projects.status_code == 200, projects.content
    assert [project["name"] for project in projects.json()["results"]] == ["spring-collection"]

    for url in (LIST, f"{LIST}{token.pk}/change/", ADD, f"{LIST}{token.pk}/history/", "/admin/"):
        shown = admin_client.get(url)
        assert shown.status_code == 200, url
        assert key not in shown.content.decode(), f"{url} shows the key"
    assert token.name in admin_client.get(LIST).content.decode()
    assert key not in str(dict(admin_client.session.items()))  # no message waiting with it either
    assert key not in caplog.text
    entry = LogEntry.objects.get(object_id=str(token.pk))
    assert entry.is_addition() and key not in entry.change_message + entry.object_repr


def test_an_sdm_admin_issues_and_revokes_tokens_of_suppliers_only(client, supplier):
    superuser = User.objects.create_superuser("root", password="pw-root")
    colleague = User.objects.create_user("ops", password="pw-ops", is_staff=True)
    sdm_admin = staff_with(client, SDM_ADMIN, "sdm-admin")

    assert ADD in client.get(LIST).content.decode()
    form = client.get(ADD).content.decode()
    assert "acme (Supplier)" in form
    for other in (superuser, colleague, sdm_admin):
        assert f'value="{other.pk}"' not in form

    refused = client.post(ADD, {"user": superuser.pk, "name": "escalation"})
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert not ApiToken.objects.exists()

    key = key_on(client.post(ADD, {"user": supplier.pk, "name": "acme ERP"}).content.decode())
    assert client.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    issued = ApiToken.objects.get(user=supplier)
    root_token = ApiToken.objects.create(user=superuser, name="root's", key_hash="0" * 64, prefix="00000000")

    assert client.get(f"{LIST}{root_token.pk}/delete/").status_code == 403
    revoked = client.post(
        LIST, {"action": "revoke", "_selected_action": [issued.pk, root_token.pk]}, follow=True
    ).content.decode()
    assert "1 tokens revoked." in revoked and "only a superuser revokes those" in revoked
    assert list(ApiToken.objects.all()) == [root_token]
    assert client.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


@pytest.mark.parametrize("role", [OPERATOR, BUSINESS_CONSULTANT])
def test_roles_without_the_add_permission_get_403(client, supplier, role):
    staff_with(client, role, "someone")

    assert client.get(ADD).status_code == 403
    assert client.post(ADD, {"user": supplier.pk, "name": "sneaky"}).status_code == 403
    assert not ApiToken.objects.exists()
    listing = client.get(LIST)
    assert listing.status_code == 200 and ADD not in listing.content.decode()
