"""Ctrl-C on `bin/demo` stops everything it started: the sandbox PIM, qcluster with its worker and
monitor processes, and the web server.

`bin/demo` runs for real (set-up, sample push and export included) in a process group of its own, as
a terminal's foreground job; the SIGINT goes to that whole group, as the terminal sends it. Every
process the demo started carries a marker in its environment, so none can hide from the check, not
even one that moved to a session of its own.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.helpers.processes import ROOT, free_port, wait_until

DEMO = ROOT / "bin" / "demo"
MARKER = "DEMO_STOP_TEST_MARKER"
# What the demo needs from this environment (tools, pip's index and certificates); nothing a Django
# setting reads, so that the test run's own settings (config.test_settings) do not leak into it.
PASSED_ON = {"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "USER"}


@dataclass
class Proc:
    pid: int
    ppid: int
    pgid: int
    sid: int
    command: str
    marked: bool


def live_processes(marker: str) -> list[Proc]:
    """Every process on the machine that has not ended (zombies have ended: only their exit status
    is left for a parent to collect)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            environ = Path(entry.path, "environ").read_bytes()
            command = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile, or another user's
            continue
        # The command name in parentheses may hold spaces and parentheses: the fields follow the last ")".
        state, ppid, pgid, sid = stat.rsplit(")", 1)[1].split()[:4]
        if state == "Z":
            continue
        marked = f"{MARKER}={marker}".encode() in environ.split(b"\0")
        found.append(Proc(int(entry.name), int(ppid), int(pgid), int(sid), command, marked))
    return found


def demo_environment(tmp_path: Path, marker: str, sandbox_port: int, web_port: int) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key in PASSED_ON or key.startswith("PIP_") or key.lower().endswith("_proxy")
    }
    env.update(
        {
            # Everything the demo writes goes under tmp_path; with SECRET_KEY given no .env is written.
            "DEMO_VAR": str(tmp_path / "var"),
            "SECRET_KEY": "demo-stop-test-only-not-a-secret",
            "DEBUG": "True",
            "SANDBOX_PORT": str(sandbox_port),
            "WEB_PORT": str(web_port),
            MARKER: marker,
        }
    )
    return env


def checkout_state() -> dict[str, tuple[int, int] | None]:
    """What the demo writes by default in the checkout, which this run must leave as it is."""
    state = {}
    for name in (".env", "var/db.sqlite3", "var/exports", "var/sandbox_pim.log", "var/qcluster.log"):
        path = ROOT / name
        state[name] = (path.stat().st_mtime_ns, path.stat().st_size) if path.exists() else None
    return state


@pytest.fixture
def ports():
    if not Path("/proc/self/environ").exists():
        pytest.skip("needs /proc to find the demo's processes")
    if shutil.which("bash") is None:
        pytest.skip("bin/demo is a bash script and bash is not installed")
    try:
        return free_port(), free_port()
    except OSError as error:
        pytest.skip(f"no free local port for the demo's servers: {error}")


def test_ctrl_c_stops_the_sandbox_the_workers_and_the_web_server(tmp_path, ports):
    sandbox_port, web_port = ports
    marker = uuid.uuid4().hex
    before = checkout_state()
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        demo = subprocess.Popen(
            [str(DEMO)],
            cwd=ROOT,
            env=demo_environment(tmp_path, marker, sandbox_port, web_port),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )
    demo.log = log

    def marked() -> list[Proc]:
        return [p for p in live_processes(marker) if p.marked]

    try:

        def web_answers() -> bool:
            try:
                return requests.get(f"http://127.0.0.1:{web_port}/admin/login/", timeout=5).status_code == 200
            except requests.RequestException:
                return False

        # The set-up (pip, migrations, a structure sync, the sample push, a full export) comes first.
        wait_until(web_answers, "the demo's web server", (demo,), seconds=900)

        def qcluster_family() -> set[int]:
            processes = marked()
            family = {p.pid for p in processes if "qcluster" in p.command}
            while new := {p.pid for p in processes if p.ppid in family} - family:
                family |= new
            return family

        # The cluster, its sentinel and at least two workers up, so that the check covers the child
        # processes a stop of the qcluster pid alone would leave behind.
        wait_until(lambda: len(qcluster_family()) >= 4, "qcluster's worker processes", (demo,), seconds=120)
        running = marked()
        commands = " | ".join(p.command for p in running)
        for server in ("sandbox_pim", "qcluster", "runserver"):
            assert server in commands, f"{server} is not running: {commands}"
        sessions = {p.sid for p in running}

        os.killpg(demo.pid, signal.SIGINT)

        assert demo.wait(timeout=60) == 130, log.read_text()[-3000:]

        def leftovers() -> list[Proc]:
            return [p for p in live_processes(marker) if p.marked or p.sid in sessions]

        wait_until(lambda: not leftovers(), "every process of the demo to end", seconds=30)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        for process in marked():
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)

    # One stop request reached qcluster: the terminal's SIGINT and then a TERM made it stop twice,
    # and hang at times.
    qcluster_log = (tmp_path / "var" / "qcluster.log").read_text()
    assert len(re.findall(r"Q Cluster \S+ stopping\.", qcluster_log)) == 1, qcluster_log[-3000:]
    assert "Stopped." in log.read_text()
    assert (tmp_path / "var" / "db.sqlite3").exists()
    assert checkout_state() == before, "the demo wrote into the checkout"
