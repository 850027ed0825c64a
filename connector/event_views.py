"""The Event Platform's two addresses: thin views over connector.event_receiver."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .event_receiver import Answer, receive_event, receive_notification


def _body(request) -> bytes | None:
    """The raw body, or None when it announces more than an event can be (never read then)."""
    try:
        announced = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        announced = 0
    if announced > settings.AKENEO_EVENT_MAX_BYTES:
        return None
    return request.read(settings.AKENEO_EVENT_MAX_BYTES + 1)


def _reply(answer: Answer) -> JsonResponse:
    return JsonResponse({"message": answer.message}, status=answer.status)


def _too_large() -> JsonResponse:
    return _reply(Answer(413, f"An event is at most {settings.AKENEO_EVENT_MAX_BYTES} bytes."))


@csrf_exempt
@require_POST
def akeneo_event(request, token: str):
    body = _body(request)
    return _too_large() if body is None else _reply(receive_event(token, body, request.headers))


@csrf_exempt
@require_POST
def akeneo_notification(request, token: str):
    body = _body(request)
    return _too_large() if body is None else _reply(receive_notification(token, body, request.headers))
