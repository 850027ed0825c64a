"""The run pattern: one active run per kind and target, claiming, outcomes, progress, cancellation."""

from __future__ import annotations

import logging

import pytest

from connector.models import AkeneoConnection, Run, RunStatus, RunTrigger
from connector.runs import (
    RunAlreadyActive,
    RunFailed,
    execute_run,
    register_kind,
    request_cancel,
    start_run,
)

pytestmark = pytest.mark.django_db

calls: list[str] = []


def counting_handler(context):
    calls.append(context.run.kind)
    context.set_total(3)
    for _ in range(3):
        context.count("created")
        context.advance()
    context.info("three things created")


def failing_handler(context):
    context.info("about to fail")
    raise RunFailed("The PIM said no.")


def crashing_handler(context):
    raise ZeroDivisionError("boom")


def cancelling_handler(context):
    Run.objects.filter(pk=context.run.pk).update(cancel_requested=True)
    context.advance()
    context.checkpoint()
    calls.append("not reached")


register_kind("test_count", "Counting test", counting_handler)
register_kind("test_fail", "Failing test", failing_handler)
register_kind("test_crash", "Crashing test", crashing_handler)
register_kind("test_cancel", "Cancelling test", cancelling_handler)


@pytest.fixture
def target():
    calls.clear()
    return AkeneoConnection.objects.create(
        name="t", base_url="http://127.0.0.1:9", client_id="c", secret="s", username="u", password="p"
    )


def test_an_inline_run_records_progress_counters_and_log(target):
    run = start_run("test_count", target, trigger=RunTrigger.COMMAND, inline=True)

    assert run.status == RunStatus.DONE
    assert (run.progress_done, run.progress_total, run.progress_percent) == (3, 3, 100)
    assert run.counters == {"created": 3}
    assert [e.message for e in run.log_entries.all()] == ["three things created"]
    assert run.started_at <= run.finished_at
    assert run.target == target
    assert calls == ["test_count"]


def test_a_second_start_while_one_is_active_is_refused_by_the_database(target):
    first = start_run("test_count", target)  # queued: nothing executes it in this test

    with pytest.raises(RunAlreadyActive) as caught:
        start_run("test_count", target)

    assert caught.value.run == first
    assert f"run #{first.pk}" in str(caught.value)
    assert Run.objects.active().get() == first
    # The refusal leaves a trace: a skipped run naming the one that held the work.
    skipped = Run.objects.exclude(pk=first.pk).get()
    assert (skipped.status, skipped.held_by, skipped.kind) == (RunStatus.SKIPPED, first, "test_count")
    # Another kind on the same target is independent.
    assert start_run("test_fail", target).pk != first.pk


def test_a_finished_run_frees_the_target(target):
    start_run("test_count", target, inline=True)
    second = start_run("test_count", target, inline=True)
    assert second.status == RunStatus.DONE
    assert Run.objects.filter(kind="test_count").count() == 2


def test_a_run_is_claimed_once_so_a_redelivered_task_does_nothing(target):
    run = start_run("test_count", target)

    assert execute_run(run.pk) == RunStatus.DONE
    assert execute_run(run.pk) == RunStatus.DONE  # re-delivery: not claimed again
    assert calls == ["test_count"]


def test_an_expected_failure_keeps_its_message(target):
    run = start_run("test_fail", target, inline=True)

    assert run.status == RunStatus.FAILED
    assert run.error == "The PIM said no."
    assert [e.get_level_display() for e in run.log_entries.all()] == ["info", "error"]


def test_a_crash_ends_the_run_failed_with_the_traceback_in_the_log(target, caplog):
    caplog.set_level(logging.CRITICAL)
    run = start_run("test_crash", target, inline=True)

    assert run.status == RunStatus.FAILED
    assert "boom" in run.error
    assert "ZeroDivisionError" in run.log_entries.get().message


def test_cancelling_stops_a_running_run_at_its_next_checkpoint(target):
    run = start_run("test_cancel", target, inline=True)

    assert run.status == RunStatus.CANCELLED
    assert calls == []


def test_cancelling_a_queued_run_ends_it_at_once(target):
    run = start_run("test_count", target)

    assert request_cancel(run)
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert execute_run(run.pk) == RunStatus.CANCELLED
    assert calls == []


def test_a_queued_run_is_handed_to_django_q_only_after_commit(target, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = start_run("test_count", target)
        assert Run.objects.get(pk=run.pk).status == RunStatus.QUEUED

    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.status == RunStatus.DONE  # Q_SYNC: the django-q task really ran
