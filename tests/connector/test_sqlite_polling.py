"""The embedded default, SQLite, under the documented use: a supplier polls its job's status through
the API while the push runs in another process. Nothing may answer "database is locked": not the
polls, not the push.

Real processes on one SQLite file (the suite's own database is not used): a web server, the push
command, and this test polling over HTTP from two threads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.helpers.processes import ROOT, background, free_port, stop, wait_for_port
from tests.sdm.test_sdm_push import write_csv

ROWS = 400


class Install:
    """A product install on its own SQLite file, driven by its management commands."""

    def __init__(self, folder: Path):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
            "Q_SYNC": "True",
            "API_RATE": "100000/second",
            "UPLOAD_ROOT": str(folder / "uploads"),
        }

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)}: {done.stderr[-3000:]}"
        return done.stdout

    def connect(self, pim) -> None:
        """A connection named "pim" to the sandbox PIM ``pim``."""
        self.manage(
            "akeneo_connect",
            "--name=pim",
            f"--url={pim.base_url}",
            "--client-id=sandbox_client",
            "--secret=sandbox_secret",
            "--username=sandbox",
            "--password=sandbox",
        )

    def start(self, log: Path, *args: str) -> subprocess.Popen:
        return background([sys.executable, "manage.py", *args], self.env, log)


def poller_key(base: str) -> str:
    answer = requests.post(
        f"{base}/auth/token/",
        json={"username": "poller", "password": "poller-pw-1234", "name": "poll"},
        timeout=30,
    )
    return answer.json()["key"]


@pytest.fixture
def install(tmp_path, fake_akeneo):
    install = Install(tmp_path)
    install.manage("migrate", "--noinput")
    install.connect(fake_akeneo)
    install.manage("akeneo_sync", "--connection=pim")
    install.manage(
        "sdm_workflow", "--name=demo", "--connection=pim", "--channels=ecommerce", "--locales=en_US"
    )
    install.manage("sdm_sync", "--workflow=demo")
    install.manage("create_user", "--username=poller", "--role=sdm-admin", "--password=poller-pw-1234")
    return install


@contextmanager
def web_api(install: Install, tmp_path: Path):
    """The install's web server (runserver, threaded) while the block runs: its API URL and a key."""
    port = free_port()
    web = install.start(tmp_path / "web.log", "runserver", f"127.0.0.1:{port}", "--noreload")
    try:
        wait_for_port(port, web)
        base = f"http://127.0.0.1:{port}/api/v1"
        yield base, poller_key(base)
    finally:
        stop(web)


def test_polling_the_job_status_during_a_push_never_locks_the_database(install, fake_akeneo, tmp_path):
    rows = [{"sku": f"POLL-{n:04d}", "family": "accessories", "name-en_US": f"Bag {n}"} for n in range(ROWS)]
    feed = write_csv(tmp_path / "feed.csv", rows, headers=["sku", "family", "name-en_US"])
    job = json.loads(install.manage("sdm_job_import", "--workflow=demo", f"--file={feed}", "--json"))["job"]

    with web_api(install, tmp_path) as (base, key):
        session = requests.Session()
        session.headers["Authorization"] = f"Token {key}"
        [listed] = session.get(f"{base}/jobs/", timeout=30).json()["results"]

        # Each product batch takes a moment in the PIM, so the polls overlap the push's writes.
        fake_akeneo.faults.delay(0.3, path_prefix="/api/rest/v1/products")
        push = subprocess.Popen(
            [sys.executable, "manage.py", "sdm_job_finalize", f"--job={job}", "--json"],
            cwd=ROOT,
            env=install.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        answers: list[int] = []
        errors: list[str] = []

        def poll():
            with requests.Session() as mine:
                mine.headers["Authorization"] = f"Token {key}"
                while push.poll() is None:
                    answer = mine.get(f"{base}/jobs/{listed['id']}/", timeout=60)
                    answers.append(answer.status_code)
                    if answer.status_code != 200:
                        errors.append(answer.text[:500])

        pollers = [threading.Thread(target=poll) for _ in range(2)]
        for poller in pollers:
            poller.start()
        out, err = push.communicate(timeout=600)
        for poller in pollers:
            poller.join()

    assert push.returncode == 0, err[-3000:]
    result = json.loads(out)
    assert (result["status"], result["created"], result["failed"]) == ("done", ROWS, 0), result
    assert len(answers) > 20  # the polls really overlapped the push
    assert errors == [] and set(answers) == {200}


def test_the_api_answers_while_a_large_file_is_imported(install, tmp_path):
    headers = ["sku", "family", "name-en_US", "description-ecommerce-en_US"]
    description = "A sturdy bag. " * 20
    rows = [
        {"sku": f"BIG-{n:06d}", "family": "accessories", "name-en_US": f"Bag {n}", headers[3]: description}
        for n in range(60_000)
    ]
    feed = write_csv(tmp_path / "large.csv", rows, headers=headers)
    with web_api(install, tmp_path) as (base, key):
        # The import writes its rows a batch per transaction: the API's own writes (the token's
        # last use) and reads go on between them.
        importing = subprocess.Popen(
            [sys.executable, "manage.py", "sdm_job_import", "--workflow=demo", f"--file={feed}", "--json"],
            cwd=ROOT,
            env=install.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        answers = []
        with requests.Session() as session:
            session.headers["Authorization"] = f"Token {key}"
            while importing.poll() is None:
                answers.append(session.get(f"{base}/jobs/", timeout=60).status_code)
        out, err = importing.communicate(timeout=600)

    assert importing.returncode == 0, err[-3000:]
    assert json.loads(out)["rows"] == 60_000
    assert len(answers) > 5 and set(answers) == {200}
