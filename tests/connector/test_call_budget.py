"""The call budget: at most ``max_concurrency`` calls to one PIM connection in flight, whoever makes them.

Four layers, all over real sockets and real locks:

- the sandbox PIM's own instruments: ``latency`` keeps calls in flight, ``peak_in_flight`` counts
  them, and both are reachable over ``/_sandbox/``;
- the budget primitives (``LocalBudget``, ``FileSlots``, ``PostgresSlots`` on PostgreSQL): many
  threads, several budget objects and another process never hold more than ``size`` slots;
- a structure sync and an SFCC export against a slow sandbox never have more calls in flight than
  the connection allows, and do use the slots they have;
- on PostgreSQL, a sync and an export of the same connection in two worker processes at once share
  the connection's slots.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from django.db import connection as db_connection

from connector import call_budget
from connector.akeneo.budget import MAX_CONCURRENCY, LocalBudget, clamp, holding
from connector.call_budget import FileSlots, PostgresSlots, budget_for
from connector.models import AkeneoConnection, RunStatus
from connector.runs import start_run
from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo
from connector.tasks import STRUCTURE_SYNC
from sfcc_export.models import ExportProfile
from sfcc_export.tasks import EXPORT
from tests.helpers.race import BARRIER_LOCK
from tests.paths import ROOT
from tests.sfcc_helpers import LOCALES

API = "/api/rest/v1"
TOKEN = "/api/oauth/v1/token"
ON_POSTGRES = db_connection.vendor == "postgresql"
needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="needs PostgreSQL: advisory-lock slots and a second process sharing the DB"
)
STRUCTURE_PATHS = (
    f"{API}/channels",
    f"{API}/locales",
    f"{API}/currencies",
    f"{API}/measurement-families",
    f"{API}/attribute-groups",
    f"{API}/attributes",
    f"{API}/families",
    f"{API}/categories",
    f"{API}/association-types",
    f"{API}/reference-entities",
    f"{API}/asset-families",
)
EXPORT_PATHS = (f"{API}/products-uuid", f"{API}/product-models")


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    """Wait for a state (not a duration): fails only if it never comes."""
    deadline = time.monotonic() + seconds
    pause = threading.Event()
    while not condition():
        assert time.monotonic() < deadline, f"never saw {what}"
        pause.wait(0.002)


@pytest.fixture
def slots_dir(settings, tmp_path):
    """A private lock-file folder, and no budget handle left over from another test (or for the next)."""
    call_budget.close_all()
    settings.CALL_SLOTS_DIR = tmp_path / "call-slots"
    yield settings.CALL_SLOTS_DIR
    call_budget.close_all()


# ============================================================================ the sandbox's instruments


def access_token(pim: FakeAkeneo) -> str:
    answer = requests.post(
        f"{pim.base_url}{TOKEN}",
        auth=(SANDBOX_CREDENTIALS["client_id"], SANDBOX_CREDENTIALS["secret"]),
        json={
            "grant_type": "password",
            "username": SANDBOX_CREDENTIALS["username"],
            "password": SANDBOX_CREDENTIALS["password"],
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def control(pim: FakeAkeneo, method: str, what: str, body: object = None) -> requests.Response:
    kwargs = (
        {} if body is None else {"data": json.dumps(body), "headers": {"Content-Type": "application/json"}}
    )
    return requests.request(method, f"{pim.base_url}/_sandbox/{what}", timeout=10, **kwargs)


def calls_in_threads(pim: FakeAkeneo, token: str, how_many: int) -> tuple[list[threading.Thread], list]:
    """``how_many`` GET /channels, each in its own thread and connection, all let go at once."""
    go, answers = threading.Event(), []

    def call() -> None:
        go.wait()
        answer = requests.get(
            f"{pim.base_url}{API}/channels", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        answers.append(answer.status_code)

    threads = [threading.Thread(target=call, daemon=True) for _ in range(how_many)]
    for thread in threads:
        thread.start()
    go.set()
    return threads, answers


def answered(log: dict, path: str = f"{API}/channels") -> int:
    return log["by_path"].get(path, 0)


def test_latency_keeps_calls_in_flight_and_the_peak_counts_them(sandbox_catalog_factory):
    with FakeAkeneo(sandbox_catalog_factory(), latency=1.0) as pim:
        assert control(pim, "GET", "latency").json() == {"seconds": 1.0}
        token = access_token(pim)

        threads, answers = calls_in_threads(pim, token, 4)
        # All four are being worked on and none is answered yet: the latency holds them.
        wait_for(lambda: pim.in_flight == 4, "4 calls in flight")
        log = control(pim, "GET", "requests").json()
        assert (log["peak_in_flight"], answered(log)) == (4, 0)

        for thread in threads:
            thread.join(timeout=30)
        assert answers == [200] * 4
        wait_for(lambda: pim.in_flight == 0, "every call ended")
        log = control(pim, "GET", "requests").json()
        assert (log["peak_in_flight"], answered(log)) == (4, 4)  # the peak outlives the calls
        assert pim.peak_in_flight == 4

        assert control(pim, "DELETE", "requests").json() == {"total": 0}
        log = control(pim, "GET", "requests").json()
        assert (log["peak_in_flight"], answered(log), answered(log, TOKEN)) == (0, 0, 0)
        assert pim.peak_in_flight == 0


def test_latency_is_set_over_http_and_a_reset_keeps_the_calls_still_in_flight(fake_akeneo):
    token = access_token(fake_akeneo)
    assert control(fake_akeneo, "GET", "latency").json() == {"seconds": 0.0}

    for refused in (61, -0.5, "1", True, None, [1]):
        answer = control(fake_akeneo, "POST", "latency", {"seconds": refused})
        assert answer.status_code == 422, (refused, answer.text)
    for body in ({}, {"secs": 1}, [1], 1):
        answer = control(fake_akeneo, "POST", "latency", body)
        assert answer.status_code == 422, (body, answer.text)
    assert fake_akeneo.latency == 0.0  # nothing refused was applied

    for accepted in (60, 0):
        answer = control(fake_akeneo, "POST", "latency", {"seconds": accepted})
        assert (answer.status_code, answer.json()) == (200, {"seconds": float(accepted)})
    answer = control(fake_akeneo, "POST", "latency", {"seconds": 1.5})
    assert (answer.status_code, answer.json()) == (200, {"seconds": 1.5})
    assert fake_akeneo.latency == 1.5
    assert control(fake_akeneo, "GET", "latency").json() == {"seconds": 1.5}
    wait_for(lambda: fake_akeneo.in_flight == 0, "the token call ended")
    assert fake_akeneo.peak_in_flight == 1  # the token call; control calls are not PIM calls

    threads, answers = calls_in_threads(fake_akeneo, token, 2)
    wait_for(lambda: fake_akeneo.in_flight == 2, "2 calls held by the latency")
    # A reset while calls are in flight starts the peak from them, not from zero.
    assert control(fake_akeneo, "DELETE", "requests").json() == {"total": 0}
    assert control(fake_akeneo, "GET", "requests").json()["peak_in_flight"] == 2
    control(fake_akeneo, "POST", "latency", {"seconds": 0})
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [200, 200]
    log = control(fake_akeneo, "GET", "requests").json()
    assert (answered(log), log["peak_in_flight"]) == (2, 2)


# ============================================================================ the budget primitives


def most_at_once(budgets: list, capacity: int, threads: int = 12, rounds: int = 3) -> tuple[int, int]:
    """``threads`` threads (spread over ``budgets``) each take a slot ``rounds`` times.

    Holders count themselves under a lock (after taking, before giving back, so the count never
    exceeds the real holders). Whoever gets a slot before ``capacity`` holders are counted keeps
    it until they are, so the peak reaches ``capacity`` whenever the budget allows it; then each
    hold does a little "work" so a budget that hands out too many is caught in the act.
    Returns (most holders at once, holds done).
    """
    lock, go, full = threading.Lock(), threading.Event(), threading.Event()
    state = {"now": 0, "peak": 0, "holds": 0}
    errors: list[BaseException] = []

    def worker(budget) -> None:
        go.wait()
        try:
            for _ in range(rounds):
                with holding(budget):
                    with lock:
                        state["now"] += 1
                        state["holds"] += 1
                        state["peak"] = max(state["peak"], state["now"])
                        if state["now"] >= capacity:
                            full.set()
                    full.wait(10)
                    threading.Event().wait(0.01)  # work, not a measurement
                    with lock:
                        state["now"] -= 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    pool = [
        threading.Thread(target=worker, args=(budgets[i % len(budgets)],), daemon=True)
        for i in range(threads)
    ]
    for thread in pool:
        thread.start()
    go.set()
    for thread in pool:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in pool), "a thread never got a slot"
    assert errors == []
    return state["peak"], state["holds"]


def make_budget(kind: str, folder: Path, size: int, connection_id: int = 7):
    if kind == "local":
        return LocalBudget(size)
    if kind == "file":
        return FileSlots(connection_id, size, folder)
    if not ON_POSTGRES:
        pytest.skip("needs PostgreSQL: advisory-lock slots")
    return PostgresSlots(connection_id, size)


def close(budget) -> None:
    if isinstance(budget, PostgresSlots) and budget._db is not None:
        budget._db.close()


@pytest.fixture
def budgets(tmp_path):
    """``make(kind, size, connection_id=7)``; PostgreSQL ones close their session afterwards."""
    made = []

    def make(kind: str, size: int, connection_id: int = 7):
        budget = make_budget(kind, tmp_path / "slots", size, connection_id)
        made.append(budget)
        return budget

    yield make
    for budget in made:
        close(budget)


def test_clamp_keeps_the_size_within_akeneos_limit():
    assert [clamp(n) for n in (1, 2, 3, 4)] == [1, 2, 3, 4]
    assert (clamp(None), clamp(9), clamp(-3)) == (MAX_CONCURRENCY, MAX_CONCURRENCY, 1)
    assert MAX_CONCURRENCY == 4


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["local", "file", "postgres"])
@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_many_threads_never_hold_more_than_size_slots(budgets, kind, size):
    budget = budgets(kind, size)

    peak, holds = most_at_once([budget], capacity=size)

    assert (peak, holds) == (size, 12 * 3)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["local", "file", "postgres"])
def test_a_budget_asked_for_more_than_akeneo_allows_has_four_slots(budgets, kind):
    budget = budgets(kind, 9)

    assert budget.size == MAX_CONCURRENCY
    assert most_at_once([budget], capacity=MAX_CONCURRENCY)[0] == MAX_CONCURRENCY


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["local", "file", "postgres"])
def test_a_slot_given_back_twice_is_given_back_once(budgets, kind):
    budget = budgets(kind, 3)
    first, second = budget.acquire(), budget.acquire()
    first()
    third = budget.acquire()  # most likely the very slot ``first`` held
    first()  # harmless: it must not free the slot ``third`` holds now

    assert most_at_once([budget], capacity=1)[0] == 1  # second and third still hold theirs

    second()
    second()
    assert most_at_once([budget], capacity=2)[0] == 2
    third()
    assert most_at_once([budget], capacity=3)[0] == 3


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["local", "file", "postgres"])
def test_holding_gives_the_slot_back_when_the_work_fails(budgets, kind):
    budget = budgets(kind, 1)
    with pytest.raises(RuntimeError), holding(budget):
        raise RuntimeError("the call failed")

    assert most_at_once([budget], capacity=1) == (1, 36)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["file", "postgres"])
def test_two_handles_on_one_connection_share_its_slots(budgets, kind):
    # Two objects with their own locks (and, on PostgreSQL, their own database session): what two
    # worker processes have.
    one, other = budgets(kind, 2), budgets(kind, 2)

    assert most_at_once([one, other], capacity=2)[0] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["file", "postgres"])
def test_two_connections_do_not_share_slots(budgets, kind):
    one, other = budgets(kind, 2, connection_id=7), budgets(kind, 2, connection_id=8)

    assert most_at_once([one, other], capacity=4)[0] == 4


HOLD_ONE_SLOT = """
import os, sys
from pathlib import Path
kind, connection_id, size, folder = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
if kind == "postgres":
    import django
    django.setup()
from connector.call_budget import FileSlots, PostgresSlots
slots = PostgresSlots(connection_id, size) if kind == "postgres" else FileSlots(connection_id, size, folder)
release = slots.acquire()
print("held", flush=True)
if sys.stdin.readline().strip() == "release":
    release()
    print("released", flush=True)
sys.stdin.readline()
"""


@pytest.mark.django_db
def test_a_slot_taken_before_the_slot_connection_dropped_cannot_free_a_slot_taken_after(budgets):
    budget = budgets("postgres", 2)
    other = budgets("postgres", 2)  # another process's handle on the same slots
    stale = budget.acquire()
    budget._db.close()  # the session and its lock are gone (database restart, idle timeout)
    first, second = budget.acquire(), budget.acquire()  # a new session takes both slots

    stale()  # the old holder gives back what it no longer holds

    assert other._try_take(0) is None and other._try_take(1) is None, "both slots still held"
    first()
    second()
    assert other._try_take(0) is not None


def holder_process(kind: str, size: int, folder: Path) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"}
    if kind == "postgres":
        env["DATABASE_URL"] = database_url()
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_ONE_SLOT, kind, "7", str(size), str(folder)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "held"
    return process


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["file", "postgres"])
def test_a_slot_held_by_another_process_is_not_handed_out_and_comes_back_when_it_dies(
    budgets, kind, tmp_path
):
    budget = budgets(kind, 3)
    holder = holder_process(kind, 3, tmp_path / "slots")
    try:
        assert most_at_once([budget], capacity=2)[0] == 2

        holder.stdin.write("release\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        assert most_at_once([budget], capacity=3)[0] == 3
    finally:
        holder.kill()
        holder.wait()

    second = holder_process(kind, 3, tmp_path / "slots")
    assert most_at_once([budget], capacity=2)[0] == 2
    second.send_signal(signal.SIGKILL)  # a crashed worker: the kernel (or PostgreSQL) drops its lock
    second.wait()
    assert most_at_once([budget], capacity=3)[0] == 3


@pytest.mark.django_db
def test_budget_for_hands_out_one_shared_handle_per_connection_and_size(slots_dir):
    handle = budget_for(5, 2)

    assert budget_for(5, 2) is handle
    assert budget_for(6, 2) is not handle
    assert (handle.size, budget_for(5, 9).size) == (2, MAX_CONCURRENCY)
    assert isinstance(handle, PostgresSlots if ON_POSTGRES else FileSlots)
    assert most_at_once([handle, budget_for(5, 2)], capacity=2)[0] == 2


# ============================================================================ runs through real sockets


def connect(pim: FakeAkeneo, max_concurrency: int, name: str = "sandbox") -> AkeneoConnection:
    return AkeneoConnection.objects.create(
        name=name,
        base_url=pim.base_url,
        max_requests_per_second=1000,
        max_concurrency=max_concurrency,
        **SANDBOX_CREDENTIALS,
    )


def shop(connection: AkeneoConnection, output: Path) -> ExportProfile:
    return ExportProfile.objects.create(
        name="shop",
        connection=connection,
        channel="ecommerce",
        master_catalog_id="akeneo-master",
        storefront_catalog_id="akeneo-storefront",
        locale_mapping=LOCALES,
        attribute_mapping={"name": "name", "ean": "ean", "description": "long-description", "brand": "brand"},
        output_dir=str(output),
    )


@pytest.mark.django_db
def test_a_structure_sync_keeps_exactly_its_connections_calls_in_flight(sandbox_catalog_factory, slots_dir):
    with FakeAkeneo(sandbox_catalog_factory(), latency=0.05) as pim:
        connection = connect(pim, max_concurrency=2)

        run = start_run(STRUCTURE_SYNC, connection, inline=True)

        assert run.status == RunStatus.DONE, run.error
        assert len(pim.requests) > 20  # many listings: room to overlap
        assert pim.peak_in_flight <= 2
        assert pim.peak_in_flight == 2  # it does read in parallel


@pytest.mark.django_db
def test_a_sync_and_another_client_of_the_same_connection_share_its_slots(sandbox_catalog_factory, slots_dir):
    """In one process: the sync's two reader threads plus a third client reading alongside."""
    with FakeAkeneo(sandbox_catalog_factory(), latency=0.05) as pim:
        connection = connect(pim, max_concurrency=2)
        done, neighbour_calls, errors = threading.Event(), [], []

        def neighbour() -> None:
            try:
                with connection.client() as client:
                    while not done.is_set():
                        client.get("channels")
                        neighbour_calls.append(1)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        reader = threading.Thread(target=neighbour, daemon=True)
        reader.start()
        wait_for(lambda: neighbour_calls, "the neighbour's first call")
        try:
            run = start_run(STRUCTURE_SYNC, connection, inline=True)
        finally:
            done.set()
            reader.join(timeout=30)

        assert run.status == RunStatus.DONE, run.error
        assert errors == []
        assert len(neighbour_calls) > 2  # it kept asking while the sync ran
        assert pim.peak_in_flight == 2  # three want to call; two may


@pytest.mark.django_db
def test_an_sfcc_export_reads_its_pieces_side_by_side_within_the_budget(
    sandbox_catalog_factory, slots_dir, settings, tmp_path
):
    settings.MEDIA_CACHE_ROOT = tmp_path / "media-cache"
    with FakeAkeneo(sandbox_catalog_factory(products=1500)) as pim:
        connection = connect(pim, max_concurrency=3)
        assert start_run(STRUCTURE_SYNC, connection, inline=True).status == RunStatus.DONE
        profile = shop(connection, tmp_path / "exports")
        pim.latency = 0.02  # long enough for the reads to overlap
        pim.clear_requests()

        run = start_run(EXPORT, profile, params={"job": "all", "mode": "full"}, inline=True)

        assert run.status == RunStatus.DONE, run.error
        pieces = {
            r.query["search"]
            for r in pim.requests
            if r.path == f"{API}/products-uuid" and '"created"' in r.query.get("search", "")
        }
        assert len(pieces) > 1  # more than 1000 products: cut by creation date
        assert 2 <= pim.peak_in_flight <= 3


# ============================================================================ two worker processes


def database_url() -> str:
    settings = db_connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"postgres://{settings['USER']}@{host}:{port}/{settings['NAME']}"


class MeetingPim(FakeAkeneo):
    """Once armed, the first call of each group waits (in flight, a minute at most) until the
    other group's first call has come in: the two runs are then certainly at the PIM at the same
    time, however long either takes to get there. Each holds at most one slot waiting."""

    def __init__(self, *args, groups: dict[str, tuple[str, ...]], **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = groups
        self.arrived = {name: threading.Event() for name in groups}
        self.met: dict[str, bool] = {}
        self.armed = False
        self._gate = threading.Lock()

    def arm(self) -> None:
        self.armed = True

    def respond(self, method, path, *args):
        for name, prefixes in self.groups.items():
            if self.armed and path.startswith(prefixes):
                with self._gate:
                    first = not self.arrived[name].is_set()
                    self.arrived[name].set()
                if first:
                    others = [event for other, event in self.arrived.items() if other != name]
                    self.met[name] = all(event.wait(60) for event in others)
        return super().respond(method, path, *args)


def execute_together(run_ids: list[int], env: dict) -> list[dict]:
    """Each run in its own worker process (tests.helpers.race), all let go at the same instant."""
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [BARRIER_LOCK])
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.helpers.race", "execute", str(run_id)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            for run_id in run_ids
        ]
        try:
            for worker in workers:
                assert "ready" in json.loads(worker.stdout.readline())
            waiting = (
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND NOT granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
            deadline = time.monotonic() + 60
            while True:
                cursor.execute(waiting, [BARRIER_LOCK])
                if cursor.fetchone()[0] == len(workers):
                    break
                assert time.monotonic() < deadline, "the workers never reached the barrier"
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [BARRIER_LOCK])
        outcomes = []
        for worker in workers:
            out, _ = worker.communicate(timeout=300)
            assert worker.returncode == 0
            outcomes.append(json.loads(out.strip().splitlines()[-1]))
    return outcomes


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_sync_and_an_export_of_one_connection_in_two_processes_share_its_slots(
    sandbox_catalog_factory, monkeypatch, settings, tmp_path
):
    from django_q.conf import Conf

    settings.MEDIA_CACHE_ROOT = tmp_path / "media-cache"
    groups = {"sync": STRUCTURE_PATHS, "export": EXPORT_PATHS}
    with MeetingPim(sandbox_catalog_factory(products=1500), groups=groups) as pim:
        connection = connect(pim, max_concurrency=3)
        assert start_run(STRUCTURE_SYNC, connection, inline=True).status == RunStatus.DONE
        profile = shop(connection, tmp_path / "exports")
        call_budget.close_all()  # this process is done with the PIM: only the workers call now
        # Queued, not executed here: each goes to its own worker process.
        monkeypatch.setattr(Conf, "SYNC", False)
        sync = start_run(STRUCTURE_SYNC, connection)
        export = start_run(EXPORT, profile, params={"job": "all", "mode": "full"})
        pim.latency = 0.05  # long enough for every reader of both runs to want a slot at once
        pim.arm()
        pim.clear_requests()
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "MEDIA_CACHE_ROOT": str(settings.MEDIA_CACHE_ROOT),
        }

        outcomes = execute_together([sync.pk, export.pk], env)

        assert outcomes == [{"status": RunStatus.DONE}, {"status": RunStatus.DONE}]
        for run in (sync, export):
            run.refresh_from_db()
            assert run.status == RunStatus.DONE, run.error
        # They were at the PIM at the same time: each one's first call waited there, in flight,
        # until the other's came in.
        assert pim.met == {"sync": True, "export": True}
        assert pim.count(path_prefix=STRUCTURE_PATHS[0]) and pim.count(path_prefix=EXPORT_PATHS[0])
        # Six readers, three slots.
        assert pim.peak_in_flight == 3
