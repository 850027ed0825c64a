"""The connection admin: write-only secrets, and the Test connection button against the fake PIM."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from connector.models import AkeneoConnection
from connector.sandbox import SANDBOX_CREDENTIALS

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-client-value"
PASSWORD = "p4ssw0rd-user-value"


def make_connection(base_url="http://127.0.0.1:9", **overrides) -> AkeneoConnection:
    values = {
        "name": "main",
        "base_url": base_url,
        "client_id": "client",
        "secret": SECRET,
        "username": "api",
        "password": PASSWORD,
    }
    values.update(overrides)
    return AkeneoConnection.objects.create(**values)


def sandbox_connection(fake_akeneo) -> AkeneoConnection:
    return make_connection(
        base_url=fake_akeneo.base_url,
        client_id=SANDBOX_CREDENTIALS["client_id"],
        secret=SANDBOX_CREDENTIALS["secret"],
        username=SANDBOX_CREDENTIALS["username"],
        password=SANDBOX_CREDENTIALS["password"],
    )


def test_it_answers_every_admin_page(admin_client):
    connection = make_connection()
    for url in (
        reverse("admin:connector_akeneoconnection_changelist"),
        reverse("admin:connector_akeneoconnection_add"),
        reverse("admin:connector_akeneoconnection_change", args=[connection.pk]),
        reverse("admin:connector_akeneoconnection_history", args=[connection.pk]),
    ):
        assert admin_client.get(url).status_code == 200, url


def test_secrets_are_never_rendered_back(admin_client):
    connection = make_connection()
    pages = [
        admin_client.get(reverse("admin:connector_akeneoconnection_changelist")),
        admin_client.get(reverse("admin:connector_akeneoconnection_change", args=[connection.pk])),
    ]
    for page in pages:
        html = page.content.decode()
        assert SECRET not in html
        assert PASSWORD not in html
    assert 'name="secret"' in pages[1].content.decode()


def test_a_blank_secret_keeps_the_stored_one_and_a_new_one_replaces_it(admin_client):
    connection = make_connection()
    url = reverse("admin:connector_akeneoconnection_change", args=[connection.pk])
    form = {
        "name": "main",
        "base_url": "https://pim.example.com/",
        "client_id": "client",
        "secret": "",
        "username": "api",
        "password": "",
        "timeout": "30",
        "max_requests_per_second": "20",
        "max_concurrency": "4",
    }

    assert admin_client.post(url, form).status_code == 302
    connection.refresh_from_db()
    assert (connection.secret, connection.password) == (SECRET, PASSWORD)
    assert connection.base_url == "https://pim.example.com"

    assert admin_client.post(url, {**form, "secret": "rotated-secret"}).status_code == 302
    connection.refresh_from_db()
    assert connection.secret == "rotated-secret"
    assert connection.password == PASSWORD


def test_adding_a_connection_requires_the_secrets_and_an_http_url(admin_client):
    response = admin_client.post(
        reverse("admin:connector_akeneoconnection_add"),
        {
            "name": "new",
            "base_url": "ftp://pim.example.com",
            "client_id": "c",
            "secret": "",
            "username": "u",
            "password": "",
            "timeout": "30",
            "max_requests_per_second": "20",
            "max_concurrency": "4",
        },
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"base_url", "secret", "password"}
    assert not AkeneoConnection.objects.exists()


def test_the_test_button_reports_success_and_what_the_pim_says(admin_client, fake_akeneo):
    connection = sandbox_connection(fake_akeneo)
    change_url = reverse("admin:connector_akeneoconnection_change", args=[connection.pk])
    assert 'id="test-connection"' in admin_client.get(change_url).content.decode()

    response = admin_client.post(
        reverse("admin:connector_akeneoconnection_test", args=[connection.pk]), follow=True
    )

    assert response.redirect_chain[-1][0] == change_url
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith(f"Connected to the PIM at {fake_akeneo.base_url}")
    assert "ecommerce" in message
    connection.refresh_from_db()
    assert connection.last_check_ok is True


def test_the_test_button_shows_the_pims_error_in_plain_words_without_the_secret(admin_client, fake_akeneo):
    connection = sandbox_connection(fake_akeneo)
    AkeneoConnection.objects.filter(pk=connection.pk).update(secret=SECRET)

    response = admin_client.post(
        reverse("admin:connector_akeneoconnection_test", args=[connection.pk]), follow=True
    )

    [message] = [str(m) for m in response.context["messages"]]
    assert "refused the API credentials" in message
    assert SECRET not in response.content.decode()
    connection.refresh_from_db()
    assert connection.last_check_ok is False
    assert SECRET not in connection.last_check_message


def test_the_test_button_is_post_only_and_needs_the_permission(client, fake_akeneo):
    connection = sandbox_connection(fake_akeneo)
    url = reverse("admin:connector_akeneoconnection_test", args=[connection.pk])
    viewer = User.objects.create_user("viewer", password="pw-viewer-123", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_akeneoconnection"))
    client.force_login(viewer)

    assert client.post(url).status_code == 403
    assert (
        'id="test-connection"'
        not in client.get(
            reverse("admin:connector_akeneoconnection_change", args=[connection.pk])
        ).content.decode()
    )

    viewer.user_permissions.add(Permission.objects.get(codename="test_akeneoconnection"))
    viewer = User.objects.get(pk=viewer.pk)  # drop the cached permissions
    client.force_login(viewer)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert fake_akeneo.count(path_prefix="/api/oauth/v1/token") == 1


def test_the_call_budget_is_set_on_the_form_and_never_above_what_akeneo_allows(admin_client):
    connection = make_connection()
    url = reverse("admin:connector_akeneoconnection_change", args=[connection.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="max_concurrency"' in page
    assert "4 concurrent calls per API connection" in page
    form = {
        "name": "main",
        "base_url": "https://pim.example.com",
        "client_id": "client",
        "secret": "",
        "username": "api",
        "password": "",
        "timeout": "30",
        "max_requests_per_second": "20",
    }

    refused = admin_client.post(url, {**form, "max_concurrency": "5"})
    assert refused.status_code == 200
    assert "max_concurrency" in refused.context["adminform"].form.errors

    assert admin_client.post(url, {**form, "max_concurrency": "2"}).status_code == 302
    connection.refresh_from_db()
    assert connection.max_concurrency == 2
