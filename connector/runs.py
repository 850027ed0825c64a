"""Starting, executing and reporting runs: the one pattern behind syncs, pushes and exports.

- ``register_kind`` declares what a kind of run does; apps register theirs in ``AppConfig.ready``
  (so ``connector`` never imports ``sdm`` or ``sfcc_export``).
- ``start_run`` creates the row (the database refuses a second active run per kind and target)
  and hands it to django-q once committed, or executes it inline for commands.
- ``execute_run`` claims the row (queued → in progress, a conditional UPDATE, so a re-delivered
  task exits), calls the handler with a ``RunContext`` and records the outcome.
- ``RunContext`` is what a handler sees: progress, counters, log, cancellation. It writes to the
  row with queryset updates in short transactions between network calls, never around them.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, IntegrityError, connections, models, transaction
from django.utils import timezone

from .models import TERMINAL_STATUSES, Run, RunLogEntry, RunStatus, RunTrigger
from .results import RunResult
from .scrub import scrub

logger = logging.getLogger(__name__)

Handler = Callable[["RunContext"], None]


@dataclass(frozen=True)
class KindView:
    """How a kind's numbers read on the run pages and the dashboard: what its progress counts and
    which counters it always shows (zeros included, in this order); any other counter it writes is
    shown when not zero."""

    unit: tuple[str, str] = ("", "")  # singular, plural
    counters: tuple[str, ...] = ()


DEFAULT_VIEW = KindView()
SYNC_COUNTERS = ("created", "updated", "unchanged", "deleted")


def _no_lock_key(params: dict[str, Any]) -> str:
    return ""


@dataclass(frozen=True)
class RunKind:
    """What one kind of run is, for everything that is not its own app: runs, the dashboard, the
    status pages and the schedules read it here instead of importing the app."""

    code: str
    label: str
    handler: Handler
    # "app_label.Model" of the targets; empty for kinds nobody lists (tests' own kinds).
    target_model: str = ""
    # For a target that is another target's business (a supplier job is its workflow's): the
    # owner's model and the field of the target that points to it.
    owner: tuple[str, str] | None = None
    # The django-q schedule names that start runs of this kind on a target (its id).
    schedules: Callable[[int], list[str]] | None = None
    # What of the target a run holds, from its params: runs with different keys run side by side.
    lock_key: Callable[[dict[str, Any]], str] = _no_lock_key
    view: KindView = DEFAULT_VIEW
    # Called once the run has ended, with its status and the exception that ended it (if any), to
    # note whether the systems it called answered (connector.health.pim_health).
    health: Callable[[Run, str, BaseException | None], None] | None = None
    # For the run page: what the run could not do, named ({"failed", "listed", "pushed_again",
    # "rows": [{"line", "identifier", "message"}], "url"}), given the run, the admin site and the user.
    failures: Callable[[Run, str, Any], dict[str, Any] | None] | None = None
    # What its runs record in Run.result (connector.results): written and read through it.
    result_type: type[RunResult] | None = None


_KINDS: dict[str, RunKind] = {}


def register_kind(code: str, label: str, handler: Handler, **options: Any) -> RunKind:
    kind = RunKind(code, label, handler, **options)
    _KINDS[code] = kind
    return kind


def registered_kinds() -> list[RunKind]:
    """Every kind, in the order the apps registered them (INSTALLED_APPS order)."""
    return list(_KINDS.values())


def get_kind(code: str) -> RunKind:
    try:
        return _KINDS[code]
    except KeyError:
        raise LookupError(f"No run kind '{code}' is registered.") from None


def kind_label(code: str) -> str:
    return _KINDS[code].label if code in _KINDS else code


class RunAlreadyActive(Exception):
    """Another run holds the same work (``run``, when it could be read); ``skipped`` is the row
    recorded for the refused start."""

    def __init__(self, run: Run | None, skipped: Run | None = None):
        self.run = run
        self.skipped = skipped
        where = f" (run #{run.pk}, {run.get_status_display().lower()})" if run else ""
        super().__init__(f"This is already running{where}.")


class RunFailed(Exception):
    """Raised by a handler that decided it cannot succeed; the message goes on the run as is."""


class RunCancelled(Exception):
    pass


def start_run(
    kind: str,
    target: models.Model,
    *,
    user=None,
    trigger: str = RunTrigger.MANUAL,
    params: dict[str, Any] | None = None,
    inline: bool = False,
) -> Run:
    """Create a queued run and execute it (inline) or enqueue it (after commit).

    When another active run holds the same kind, target and lock key, the database refuses the
    row; the refusal is recorded as a skipped run naming the holder, and RunAlreadyActive raised."""
    run_kind = get_kind(kind)
    params = params or {}
    lock_key = run_kind.lock_key(params)[:100]
    fields = {
        "kind": kind,
        "target_type": ContentType.objects.get_for_model(target),
        "target_id": target.pk,
        "target_label": str(target)[:200],
        "trigger": trigger,
        "requested_by": user if user is not None and user.is_authenticated else None,
        "params": params,
        "lock_key": lock_key,
    }
    try:
        with transaction.atomic():
            run = Run.objects.create(**fields)
    except IntegrityError:
        holder = Run.objects.for_target(target, kind).active().filter(lock_key=lock_key).first()
        raise RunAlreadyActive(holder, _record_skipped(fields, holder)) from None
    if inline:
        execute_run(run.pk)
        run.refresh_from_db()
    else:
        transaction.on_commit(lambda: _enqueue(run))
    return run


def _record_skipped(fields: dict[str, Any], holder: Run | None) -> Run:
    held = f"run #{holder.pk} ({holder.get_status_display().lower()})" if holder else "another run"
    now = timezone.now()
    return Run.objects.create(
        **fields,
        status=RunStatus.SKIPPED,
        held_by=holder,
        started_at=None,
        finished_at=now,
        error=f"Not started: {held} was already doing this work.",
    )


def run_nested(
    kind: str, target: models.Model, context: RunContext, params: dict[str, Any] | None = None
) -> Run:
    """The run of ``kind`` that ``context``'s run needs first, ended: started inline (same trigger
    and user), or, when one is already running, that one, waited for (NESTED_RUN_WAIT_SECONDS at
    the most, said on the log). The caller reads its status."""
    parent = context.run

    def start() -> Run:
        return start_run(
            kind, target, user=parent.requested_by, trigger=parent.trigger, params=params, inline=True
        )

    try:
        return start()
    except RunAlreadyActive as exc:
        if exc.run is None:  # it ended between the refusal and the look-up: start ours after all
            return start()
        return wait_for_run(exc.run, context)


def wait_for_run(run: Run, context: RunContext) -> Run:
    """``run``, once ended, while ``context``'s run keeps beating and can be cancelled."""
    timeout = settings.NESTED_RUN_WAIT_SECONDS
    context.info(
        f"{kind_label(run.kind)} of '{run.target_label}' is already running (run #{run.pk}): "
        f"waiting for it to end (at most {_minutes(timeout)}) and using its outcome."
    )
    deadline = time.monotonic() + timeout
    while True:
        run.refresh_from_db(fields=["status", "error", "result", "finished_at"])
        if run.status in TERMINAL_STATUSES:
            context.info(f"Run #{run.pk} ended: {run.get_status_display().lower()}.")
            return run
        if time.monotonic() >= deadline:
            raise RunFailed(
                f"Waited {_minutes(timeout)} for run #{run.pk} ({kind_label(run.kind)} of "
                f"'{run.target_label}'), which is still {run.get_status_display().lower()}. Try again "
                "when it has ended."
            )
        context.checkpoint()
        time.sleep(settings.NESTED_RUN_POLL_SECONDS)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def start_scheduled_run(kind: str, target: models.Model | None, params: dict[str, Any] | None = None) -> str:
    """Entry point body of a cron schedule: runs inline in the worker that picked the schedule up."""
    if target is None:
        return "target gone"
    try:
        run = start_run(kind, target, trigger=RunTrigger.SCHEDULE, params=params, inline=True)
    except RunAlreadyActive as exc:
        logger.warning("Scheduled %s of %s skipped (run #%s): %s", kind, target, exc.skipped.pk, exc)
        return RunStatus.SKIPPED
    return run.status


def queue_run_from_admin(
    request,
    kind: str,
    target: models.Model,
    params: dict[str, Any] | None = None,
    *,
    history: str = "",
) -> Run | None:
    """What every admin run button does: queue it and say so, or say which run is already active;
    either way the target's admin history says who asked (``history`` words it, else the kind)."""
    from django.contrib import messages

    from .admin_history import record

    what = history or f"{kind_label(kind)}{_params_text(params)}"
    try:
        run = start_run(kind, target, user=request.user, params=params)
    except RunAlreadyActive as exc:
        messages.warning(request, f"Not started: {exc}")
        holder = f"run #{exc.run.pk}" if exc.run else "another run"
        record(request, target, f"Not started: {what}; {holder} was already doing it.")
        return None
    messages.success(request, f"{kind_label(kind)} queued (run #{run.pk}).")
    record(request, target, f"Started: {what} (run #{run.pk}).")
    return run


def _params_text(params: dict[str, Any] | None) -> str:
    shown = {name: value for name, value in (params or {}).items() if name in ("job", "mode")}
    return "".join(f", {name} {value}" for name, value in shown.items())


def _enqueue(run: Run) -> None:
    from django_q.tasks import async_task

    async_task("connector.runs.execute_run", run.pk, task_name=f"run-{run.pk}-{run.kind}"[:100])


def execute_run(run_id: int) -> str:
    """The django-q entry point. Returns the final status."""
    now = timezone.now()
    claimed = Run.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.IN_PROGRESS, started_at=now, heartbeat_at=now
    )
    if not claimed:
        status = Run.objects.filter(pk=run_id).values_list("status", flat=True).first()
        logger.info("Run #%s not claimed (status %s): another worker has it or it ended.", run_id, status)
        return status or "missing"
    status = _run_handler(Run.objects.get(pk=run_id))
    if status == RunStatus.FAILED or (status == RunStatus.WARNINGS and alert_wanted(run_id)):
        from .alerts import notify_failed_run

        notify_failed_run(run_id)
    return status


class _Heartbeat(threading.Thread):
    """Beats for the run while its handler works, so a handler that waits a long time in one call
    (an SFCC import, a slow PIM answer) is never taken for a dead worker. A killed worker stops
    beating with its process, which is exactly what the stuck-run check looks for."""

    def __init__(self, run_id: int):
        super().__init__(name=f"heartbeat-run-{run_id}", daemon=True)
        self.run_id = run_id
        self.every = settings.RUN_HEARTBEAT_SECONDS
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                try:
                    Run.objects.filter(pk=self.run_id, status=RunStatus.IN_PROGRESS).update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError as exc:  # a missed beat is not worth failing the run for
                    logger.warning("Run #%s: heartbeat not written (%s).", self.run_id, exc)
        finally:
            connections.close_all()  # this thread's own connections only

    def stop(self) -> None:
        self.stopped.set()
        self.join()


def _run_handler(run: Run) -> str:
    heartbeat = _Heartbeat(run.pk)
    heartbeat.start()
    try:
        return _handle(run)
    finally:
        heartbeat.stop()


def _handle(run: Run) -> str:
    context = RunContext(run)
    ended: BaseException | None = None
    try:
        get_kind(run.kind).handler(context)
    except RunCancelled:
        status = context.finish(RunStatus.CANCELLED, "Cancelled on request.")
    except RunFailed as exc:
        ended = exc
        context.log(logging.ERROR, str(exc))
        status = context.finish(RunStatus.FAILED, str(exc))
    except Exception as exc:  # noqa: BLE001 - any crash must end the run, not leave it in progress
        ended = exc
        logger.exception("Run #%s crashed", run.pk)
        context.log(logging.ERROR, f"Unexpected error: {exc!r}\n{_short_traceback()}")
        status = context.finish(RunStatus.FAILED, f"Unexpected error: {exc}")
    else:
        if context.cancel_seen:
            status = context.finish(RunStatus.CANCELLED, "Cancelled on request.")
        elif context.warnings_outcome is not None:
            status = context.finish(RunStatus.WARNINGS, context.warnings_outcome)
        else:
            status = context.finish(RunStatus.DONE)
    _record_health(run, status, ended)
    return status


def _record_health(run: Run, status: str, ended: BaseException | None) -> None:
    """The kind's health hook (connector.health): what the run learnt of the systems it called."""
    health = get_kind(run.kind).health
    if health is None:
        return
    try:
        health(run, status, ended)
    except DatabaseError as exc:  # the run's outcome is recorded; a missed health note is not worth more
        logger.warning("Run #%s: health not recorded (%s).", run.pk, exc)


def alert_wanted(run_id: int) -> bool:
    """A run done with warnings is mailed when its handler said the warnings deserve it."""
    run = Run.objects.filter(pk=run_id).only("kind", "result").first()
    return bool(run and run.typed_result.alert_wanted())


def _short_traceback() -> str:
    return "".join(traceback.format_exc(limit=8))[-4000:]


def abandon_run(run: Run, reason: str) -> bool:
    """Close a run whose worker died (killed, crashed host): it failed, and the target is free again.

    Handlers that resume (pushes, exports) pick up where it stopped on the next run.
    """
    return bool(
        Run.objects.filter(pk=run.pk, status__in=[RunStatus.QUEUED, RunStatus.IN_PROGRESS]).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=reason[:5000]
        )
    )


def request_cancel(run: Run) -> bool:
    """Ask an active run to stop: a queued one ends at once, a running one at its next flush."""
    if Run.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
        status=RunStatus.CANCELLED, finished_at=timezone.now(), error="Cancelled before it started."
    ):
        return True
    return bool(Run.objects.filter(pk=run.pk, status=RunStatus.IN_PROGRESS).update(cancel_requested=True))


class RunContext:
    """The handler's view of its run. Buffers progress and log lines; flushes every second or so."""

    FLUSH_SECONDS = 1.0
    MAX_BUFFERED_LOG = 200

    def __init__(self, run: Run):
        self.run = run
        self.params: dict[str, Any] = run.params
        self.counters: Counter[str] = Counter(run.counters)
        self.done = run.progress_done
        self.total = run.progress_total
        self.cancel_seen = False
        self.warnings_outcome: str | None = None  # set by done_with_warnings
        self._log_buffer: list[RunLogEntry] = []
        self._last_flush = time.monotonic()

    @property
    def target(self) -> models.Model:
        return self.run.target

    def log(self, level: int, message: str) -> None:
        message = scrub(message)
        logger.log(level, "Run #%s: %s", self.run.pk, message)
        self._log_buffer.append(RunLogEntry(run_id=self.run.pk, level=level, message=message[:10000]))
        if len(self._log_buffer) >= self.MAX_BUFFERED_LOG:
            self.flush()

    def info(self, message: str) -> None:
        self.log(logging.INFO, message)

    def warning(self, message: str) -> None:
        self.log(logging.WARNING, message)

    def error(self, message: str) -> None:
        self.log(logging.ERROR, message)

    def count(self, name: str, n: int = 1) -> None:
        if n:
            self.counters[name] += n

    def done_with_warnings(self, summary: str) -> None:
        """The run did its work but the outcome needs a look: it ends "done with warnings" and
        ``summary`` is shown where a failure's reason would be."""
        self.warnings_outcome = summary

    def set_result(self, result: dict[str, Any] | RunResult) -> None:
        """Record the run's result; a dict is checked against the kind's result type, if it has one
        (a key the type does not know raises: it would be written and never read)."""
        if not isinstance(result, RunResult):
            result_type = get_kind(self.run.kind).result_type
            result = result_type.checked(result) if result_type else result
        stored = result.to_json() if isinstance(result, RunResult) else result
        Run.objects.filter(pk=self.run.pk).update(result=stored)

    def set_total(self, total: int | None) -> None:
        self.total = total
        self.flush()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if time.monotonic() - self._last_flush >= self.FLUSH_SECONDS:
            self.flush()

    def checkpoint(self) -> None:
        """Flush and stop here if someone asked to cancel. Call it between pages or batches."""
        self.flush()
        if self.cancel_seen:
            raise RunCancelled

    def flush(self) -> None:
        with transaction.atomic():
            if self._log_buffer:
                RunLogEntry.objects.bulk_create(self._log_buffer)
                self._log_buffer = []
            Run.objects.filter(pk=self.run.pk).update(
                progress_done=self.done,
                progress_total=self.total,
                counters=dict(self.counters),
                heartbeat_at=timezone.now(),
            )
            self.cancel_seen = Run.objects.filter(pk=self.run.pk, cancel_requested=True).exists()
        self._last_flush = time.monotonic()

    def finish(self, status: str, error: str = "") -> str:
        self.flush()
        Run.objects.filter(pk=self.run.pk, status=RunStatus.IN_PROGRESS).update(
            status=status, finished_at=timezone.now(), error=error[:5000]
        )
        return status
