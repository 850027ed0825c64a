"""Whether a connection's PIM answers, learnt from every run and not only from Test connection.

A run that fails because the PIM refused the credentials or could not be reached marks its
connection unhealthy with the reason; a later run that succeeds marks it healthy again. A run that
fails for another reason (a 422, an SFCC refusal, a bad file) got answers from the PIM, so it says
nothing against it, and is not taken as proof of health either.

Apps say which connection a run of their kinds uses (``pim_health``, given to register_kind);
``problem_in`` reads the cause out of the exception that ended the run, through RunFailed's
``raise ... from None`` too (the original stays in ``__context__``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.utils import timezone

from .akeneo import AkeneoAuthError, AkeneoUnavailable
from .models import AkeneoConnection, Run
from .models.run import SUCCEEDED_STATUSES


def causes(exc: BaseException | None) -> Iterator[BaseException]:
    """``exc`` and what it was raised from or during, oldest last, each once."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def problem_in(exc: BaseException | None) -> str | None:
    """Why the PIM did not serve the run, when that is what ended it: refused credentials, or no
    answer at all (a connection error or timeout, not an HTTP error status)."""
    for cause in causes(exc):
        if isinstance(cause, AkeneoAuthError):
            return f"The PIM refused the credentials: {cause.message}"
        if isinstance(cause, AkeneoUnavailable) and cause.status is None:
            return f"The PIM could not be reached: {cause.message}"
    return None


def verdict(run: Run, problem: str | None, answered: bool, answered_text: str) -> tuple[bool, str] | None:
    """What a run says of a system it called: not answering (``problem``), answering (it did its
    work with it: ``answered``), or nothing (None). The message names the run."""
    if problem is not None:
        return False, f"Run #{run.pk}: {problem}"[:5000]
    if answered:
        return True, f"Run #{run.pk} {answered_text}."
    return None


def record(connection_id: int | None, run: Run, status: str, problem: str | None) -> None:
    said = verdict(run, problem, status in SUCCEEDED_STATUSES, "reached the PIM")
    if connection_id is None or said is None:
        return
    ok, message = said
    AkeneoConnection.objects.filter(pk=connection_id).update(
        last_check_at=timezone.now(), last_check_ok=ok, last_check_message=message
    )


def pim_health(
    connection_of: Callable[[Run], int | None],
) -> Callable[[Run, str, BaseException | None], None]:
    """A kind's health hook: ``connection_of`` gives the id of the connection its run used."""

    def after_run(run: Run, status: str, exc: BaseException | None) -> None:
        record(connection_of(run), run, status, problem_in(exc))

    return after_run


def own_connection(run: Run) -> int:
    return run.target_id
