"""Fault injection for the sandbox PIM: throttling, error bursts, slowness, token expiry, rejections.

Rules match on a path prefix (``/api/rest/`` by default, so the token endpoint is left alone unless
asked). Every rule is thread-safe; ``clear()`` removes them all.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Fault:
    status: int
    retry_after: int | None = None


@dataclass
class _EveryNth:
    n: int
    status: int
    retry_after: int | None
    path_prefix: str
    seen: int = 0


@dataclass
class _Burst:
    remaining: int
    status: int
    path_prefix: str


@dataclass
class _Delay:
    seconds: float
    remaining: int | None
    path_prefix: str


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._every: list[_EveryNth] = []
        self._bursts: list[_Burst] = []
        self._delays: list[_Delay] = []
        self._rejections: dict[str, tuple[str, str]] = {}
        self.tokens_expired_before = float("-inf")  # access tokens issued before (monotonic) are expired

    # rules --------------------------------------------------------------------------------

    def every_nth(
        self, n: int, status: int = 429, retry_after: int | None = 1, path_prefix: str = "/api/rest/"
    ):
        """Every ``n``-th matching request is answered ``status`` (a 429 carries ``Retry-After``)."""
        if int(n) < 1:
            raise ValueError("n must be at least 1")
        with self._lock:
            self._every.append(
                _EveryNth(int(n), int(status), retry_after if int(status) == 429 else None, path_prefix)
            )

    def burst(self, count: int, status: int = 500, path_prefix: str = "/api/rest/"):
        """The next ``count`` matching requests are answered ``status``."""
        with self._lock:
            self._bursts.append(_Burst(int(count), int(status), path_prefix))

    def delay(self, seconds: float, count: int | None = None, path_prefix: str = "/api/rest/"):
        """The next ``count`` matching requests (all when ``None``) wait ``seconds`` before the answer."""
        with self._lock:
            self._delays.append(_Delay(float(seconds), None if count is None else int(count), path_prefix))

    def expire_tokens(self) -> None:
        """Every access token issued so far is expired; refresh tokens stay valid."""
        with self._lock:
            self.tokens_expired_before = time.monotonic()

    def reject_product(self, key: str, message: str = "Rejected by the sandbox.", property: str = "values"):  # noqa: A002
        """Any write of this product uuid, identifier or product model code answers 422 with ``message``."""
        with self._lock:
            self._rejections[str(key)] = (message, property)

    def clear(self) -> None:
        with self._lock:
            self._every.clear()
            self._bursts.clear()
            self._delays.clear()
            self._rejections.clear()
            self.tokens_expired_before = float("-inf")

    def configure(self, spec: dict[str, Any]) -> None:
        """Rules from JSON (the ``/_sandbox/faults`` control endpoint)."""
        if spec.get("clear"):
            self.clear()
        for name in ("every_nth", "burst", "delay", "reject_product"):
            if name in spec:
                for arguments in spec[name] if isinstance(spec[name], list) else [spec[name]]:
                    getattr(self, name)(**arguments)
        if spec.get("expire_tokens"):
            self.expire_tokens()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "every_nth": [vars(rule).copy() for rule in self._every],
                "burst": [vars(rule).copy() for rule in self._bursts if rule.remaining > 0],
                "delay": [vars(rule).copy() for rule in self._delays if rule.remaining != 0],
                "reject_product": {
                    key: {"message": m, "property": p} for key, (m, p) in self._rejections.items()
                },
            }

    # the server's questions -----------------------------------------------------------------

    def delay_for(self, path: str) -> float:
        with self._lock:
            for rule in self._delays:
                if path.startswith(rule.path_prefix) and (rule.remaining is None or rule.remaining > 0):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return rule.seconds
        return 0.0

    def fault_for(self, path: str) -> Fault | None:
        with self._lock:
            for burst in self._bursts:
                if burst.remaining > 0 and path.startswith(burst.path_prefix):
                    burst.remaining -= 1
                    return Fault(burst.status)
            for rule in self._every:
                if path.startswith(rule.path_prefix):
                    rule.seen += 1
                    if rule.seen % rule.n == 0:
                        return Fault(rule.status, rule.retry_after)
        return None

    def rejection(self, *keys: str | None) -> tuple[str, str] | None:
        with self._lock:
            for key in keys:
                if key and key in self._rejections:
                    return self._rejections[key]
        return None

    def token_expired(self, issued_at: float) -> bool:
        return issued_at <= self.tokens_expired_before
