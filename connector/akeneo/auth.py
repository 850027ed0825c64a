"""OAuth2 tokens for the Akeneo API: password grant, refresh before expiry, re-auth on demand."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import AkeneoAuthError, AkeneoError

TokenRequest = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class _Token:
    access: str
    refresh: str | None
    expires_at: float


class TokenManager:
    """Holds one access token and renews it.

    ``request_token`` posts a grant to ``/api/oauth/v1/token`` and returns the decoded answer; the
    client supplies it so token calls share its retries, rate cap and error classification.
    """

    # Renew this long before the announced expiry, so a token never dies mid-request.
    EXPIRY_MARGIN_SECONDS = 60.0

    def __init__(
        self,
        request_token: TokenRequest,
        username: str,
        password: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._request_token = request_token
        self._username = username
        self._password = password
        self._clock = clock
        self._lock = threading.Lock()
        self._token: _Token | None = None
        self.grants: list[str] = []  # grant types used, oldest first; handy for diagnostics

    def access_token(self) -> str:
        with self._lock:
            token = self._token
            if token is None:
                token = self._password_grant()
            elif self._clock() >= token.expires_at:
                token = self._renew(token)
            self._token = token
            return token.access

    def invalidate(self, access_token: str) -> None:
        """The PIM refused ``access_token`` (401): the next call renews it, unless another thread did."""
        with self._lock:
            if self._token is not None and self._token.access == access_token:
                self._token = _Token(self._token.access, self._token.refresh, expires_at=float("-inf"))

    def _renew(self, token: _Token) -> _Token:
        if token.refresh:
            try:
                return self._grant({"grant_type": "refresh_token", "refresh_token": token.refresh})
            except AkeneoError as exc:
                if not exc.permanent:
                    raise
                # A revoked or expired refresh token: start over with the password grant.
        return self._password_grant()

    def _password_grant(self) -> _Token:
        return self._grant({"grant_type": "password", "username": self._username, "password": self._password})

    def _grant(self, payload: dict[str, Any]) -> _Token:
        self.grants.append(payload["grant_type"])
        answer = self._request_token(payload)
        access = answer.get("access_token")
        if not access:
            raise AkeneoAuthError("The PIM answered the token request without an access token.")
        lifetime = float(answer.get("expires_in") or 3600)
        margin = min(self.EXPIRY_MARGIN_SECONDS, lifetime / 10)
        return _Token(access, answer.get("refresh_token"), self._clock() + lifetime - margin)
