"""Every API error has one shape: {"detail": "...", "errors"?: {field: [messages]}}, in JSON,
404s of unknown URLs included."""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.views.defaults import bad_request as django_bad_request
from django.views.defaults import page_not_found
from django.views.defaults import server_error as django_server_error
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.views import exception_handler


def _flatten(errors, prefix: str = "") -> list[str]:
    if isinstance(errors, dict):
        return [line for key, value in errors.items() for line in _flatten(value, f"{prefix}{key}: ")]
    if isinstance(errors, list):
        return [line for value in errors for line in _flatten(value, prefix)]
    return [f"{prefix}{errors}"]


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = NotFound("Not found.")  # the same answer whether a job does not exist or is someone else's
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        details = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"detail": "Invalid input: " + "; ".join(_flatten(details)), "errors": details}
    return response


def not_found(request, exception=None):
    """handler404: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def bad_request(request, exception=None):
    """handler400: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return django_bad_request(request, exception)


def server_error(request):
    """handler500: with DEBUG off, a crash under /api/ still answers in the API's error shape."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Internal error: the failure is logged; please try again later."}, status=500
        )
    return django_server_error(request)
