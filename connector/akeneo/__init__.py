"""Akeneo PIM REST API client. Plain Python: nothing here imports Django."""

from .client import BATCH_LIMIT, PAGE_LIMIT, AkeneoClient, BatchResult, DownloadResult
from .errors import (
    AkeneoAuthError,
    AkeneoError,
    AkeneoForbidden,
    AkeneoNotFound,
    AkeneoRateLimited,
    AkeneoTransientError,
    AkeneoUnavailable,
    AkeneoValidationError,
    FieldError,
)
from .search import Search, format_product_date

__all__ = [
    "BATCH_LIMIT",
    "PAGE_LIMIT",
    "AkeneoAuthError",
    "AkeneoClient",
    "AkeneoError",
    "AkeneoForbidden",
    "AkeneoNotFound",
    "AkeneoRateLimited",
    "AkeneoTransientError",
    "AkeneoUnavailable",
    "AkeneoValidationError",
    "BatchResult",
    "DownloadResult",
    "FieldError",
    "Search",
    "format_product_date",
]
