"""Typed Akeneo errors.

Every failure the client raises is an ``AkeneoError`` with a human-readable message that quotes
the PIM, an HTTP status when there was one, and a ``permanent`` flag: permanent errors will fail
the same way on a retry (bad credentials, 403, 404, 422); transient ones may succeed later
(timeouts, 408, 429, 5xx, dropped connections).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class AkeneoError(Exception):
    permanent = True

    def __init__(self, message: str, *, status: int | None = None, method: str = "", path: str = ""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.path = path

    def __str__(self) -> str:
        return self.message


class AkeneoAuthError(AkeneoError):
    """The PIM refused the credentials or the token (after one re-authentication)."""


class AkeneoForbidden(AkeneoError):
    """The API user lacks the permission (ACL) for this call."""


class AkeneoNotFound(AkeneoError):
    pass


@dataclass
class FieldError:
    property: str | None
    message: str
    extra: dict[str, Any] = field(default_factory=dict)


class AkeneoValidationError(AkeneoError):
    """422: the PIM rejected the payload; ``errors`` holds the PIM's per-field messages."""

    def __init__(self, message: str, *, errors: list[FieldError] | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.errors = errors or []


class AkeneoTransientError(AkeneoError):
    """Worth retrying: the PIM or the network may recover."""

    permanent = False
    # True when the PIM cannot have processed the request (429, 503, no connection made), so
    # even a non-idempotent call (an upload) may be sent again.
    safe_to_repeat = False

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class AkeneoRateLimited(AkeneoTransientError):
    """429: over the PIM's fair-usage limits."""


class AkeneoUnavailable(AkeneoTransientError):
    """Connection errors, timeouts, 408 and 5xx; also raised when the retry budget ran out."""
