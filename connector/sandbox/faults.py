"""Fault injection for the fake PIM: throttling, error bursts, slowness, token expiry, rejections."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
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
        self.rejections: dict[str, tuple[str, str]] = {}
        self.tokens_expired_before = 0.0  # access tokens issued before this monotonic time are expired

    def every_nth(
        self, n: int, status: int = 429, retry_after: int | None = 1, path_prefix: str = "/api/rest/"
    ):
        with self._lock:
            self._every.append(_EveryNth(n, status, retry_after if status == 429 else None, path_prefix))

    def burst(self, count: int, status: int = 500, path_prefix: str = "/api/rest/"):
        with self._lock:
            self._bursts.append(_Burst(count, status, path_prefix))

    def delay(self, seconds: float, count: int | None = None, path_prefix: str = "/api/rest/"):
        with self._lock:
            self._delays.append(_Delay(seconds, count, path_prefix))

    def expire_tokens(self) -> None:
        import time

        with self._lock:
            self.tokens_expired_before = time.monotonic()

    def reject_product(self, key: str, message: str = "Rejected by the sandbox.", property: str = "values"):
        with self._lock:
            self.rejections[key] = (message, property)

    def clear(self) -> None:
        with self._lock:
            self._every.clear()
            self._bursts.clear()
            self._delays.clear()
            self.rejections.clear()
            self.tokens_expired_before = 0.0

    def delay_for(self, path: str) -> float:
        with self._lock:
            for delay in self._delays:
                if path.startswith(delay.path_prefix) and (delay.remaining is None or delay.remaining > 0):
                    if delay.remaining is not None:
                        delay.remaining -= 1
                    return delay.seconds
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
                if key and key in self.rejections:
                    return self.rejections[key]
        return None
