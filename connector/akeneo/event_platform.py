"""Akeneo's Event Platform management API: subscribers and subscriptions (no Django here).

It authenticates with the PIM's own access token, sent with the PIM's address and the client id
(``X-PIM-URL``, ``X-PIM-TOKEN``, ``X-PIM-CLIENT-ID``). Secrets are never returned by it, and never
put in our messages either.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from .errors import AkeneoError


class EventPlatformError(AkeneoError):
    """The platform refused a call or did not answer; ``message`` says why in its words."""


class EventPlatformClient:
    def __init__(
        self,
        base_url: str,
        *,
        pim_url: str,
        client_id: str,
        access_token: Callable[[], str],
        timeout: float = 15.0,
    ):
        self.base_url = base_url.rstrip("/")
        self.pim_url = pim_url.rstrip("/")
        self.client_id = client_id
        self._access_token = access_token
        self.timeout = timeout
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> EventPlatformClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        headers = {
            "X-PIM-URL": self.pim_url,
            "X-PIM-TOKEN": self._access_token(),
            "X-PIM-CLIENT-ID": self.client_id,
            "Accept": "application/json",
        }
        try:
            answer = self._session.request(
                method,
                f"{self.base_url}{path}",
                json=body,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise EventPlatformError(
                f"The Event Platform did not answer ({type(exc).__name__}).", method=method, path=path
            ) from None
        if answer.status_code >= 300:
            raise EventPlatformError(
                f"The Event Platform answered {answer.status_code}: {_reason(answer)}",
                status=answer.status_code,
                method=method,
                path=path,
            )
        if answer.status_code == 204 or not answer.content:
            return None
        try:
            return answer.json()
        except ValueError:
            raise EventPlatformError("The Event Platform answered something that is not JSON.") from None

    # subscribers ----------------------------------------------------------------------------
    def subscriber(self, subscriber_id: str) -> dict:
        return self._call("GET", f"/subscribers/{subscriber_id}")

    def create_subscriber(self, body: dict) -> dict:
        return self._call("POST", "/subscribers", body)

    def update_subscriber(self, subscriber_id: str, body: dict) -> dict:
        return self._call("PATCH", f"/subscribers/{subscriber_id}", body)

    # subscriptions --------------------------------------------------------------------------
    def subscription(self, subscriber_id: str, subscription_id: str) -> dict:
        return self._call("GET", f"/subscribers/{subscriber_id}/subscriptions/{subscription_id}")

    def create_subscription(self, subscriber_id: str, body: dict) -> dict:
        return self._call("POST", f"/subscribers/{subscriber_id}/subscriptions", body)

    def update_subscription(self, subscriber_id: str, subscription_id: str, body: dict) -> dict:
        return self._call("PATCH", f"/subscribers/{subscriber_id}/subscriptions/{subscription_id}", body)

    def resume(self, subscriber_id: str, subscription_id: str) -> dict:
        return self._call("POST", f"/subscribers/{subscriber_id}/subscriptions/{subscription_id}/resume")


def _reason(answer: requests.Response) -> str:
    try:
        payload = answer.json()
    except ValueError:
        return answer.reason or "no reason given"
    if isinstance(payload, dict):
        for key in ("message", "detail", "title", "error"):
            if isinstance(payload.get(key), str):
                return payload[key][:500]
    return answer.reason or "no reason given"
