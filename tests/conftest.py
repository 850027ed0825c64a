from __future__ import annotations

import copy
from functools import lru_cache

import pytest

from connector.sandbox import FakeAkeneo, build_demo_catalog

pytest_plugins = ["tests.browser"]


@pytest.fixture(scope="session", autouse=True)
def _call_slot_connections_closed(django_db_setup):
    """On PostgreSQL the call budget keeps its own database connection per process: closed before
    the test database is dropped (this fixture is set up after it, so it is torn down first)."""
    yield
    from connector.call_budget import close_all

    close_all()


# ---------------------------------------------------------------------------------------------
# Sandbox PIM fixtures (connector.sandbox): a fake Akeneo server over real sockets.
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _cached_catalog(products: int, seed: int):
    return build_demo_catalog(products=products, seed=seed)


@pytest.fixture
def sandbox_catalog_factory():
    """``make(products=300, seed=42)``: a fresh demo catalog (a deep copy); tests may change it freely."""

    def make(products: int = 300, seed: int = 42):
        return copy.deepcopy(_cached_catalog(products, seed))

    return make


@pytest.fixture
def fake_akeneo(sandbox_catalog_factory):
    """A started sandbox PIM over a fresh 300-product demo catalog, stopped after the test."""
    with FakeAkeneo(sandbox_catalog_factory()) as pim:
        yield pim


# ---------------------------------------------------------------------------------------------
# End of the sandbox PIM fixtures.
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# What most tests need: a synced workflow on the sandbox, the fake SFCC. (A staff user of a role:
# tests/users.staff_user, a function, since tests make several of them.)
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def synced_workflow(fake_akeneo):
    """A workflow on the sandbox PIM (tests/sdm_helpers.make_workflow), synced once."""
    from connector.models import RunStatus
    from tests.sdm_helpers import make_workflow, sync_workflow

    workflow = make_workflow(fake_akeneo)
    assert sync_workflow(workflow).status == RunStatus.DONE
    return workflow


@pytest.fixture
def sfcc(settings):
    """The fake SFCC instance (tests/fake_sfcc.py) on a real socket, its SCAPI routes included; the
    test fails if the fake saw a request it could not serve. Needs the SFCC schemas (its imports
    validate what they receive)."""
    from tests.fake_sfcc import FakeSfcc
    from tests.sfcc_xsd import require_xsds

    require_xsds()
    with FakeSfcc() as server:
        settings.SFCC_SCAPI_URL = server.scapi_url_template
        yield server
        assert server.errors == []


# ---------------------------------------------------------------------------------------------
# The schema tests skipped for want of SFCC's XSDs (tests/sfcc_xsd.py): one line in the summary.
# ---------------------------------------------------------------------------------------------


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr or "")
    return str(reason).removeprefix("Skipped: ")


def pytest_terminal_summary(terminalreporter):
    from collections import Counter

    from tests.sfcc_xsd import SKIP_REASON

    reasons = [
        reason
        for reason in map(_skip_reason, terminalreporter.stats.get("skipped", []))
        if reason.startswith(SKIP_REASON)
    ]
    if reasons:
        reason = Counter(reasons).most_common(1)[0][0]
        terminalreporter.write_line(f"{len(reasons)} SFCC schema tests skipped: {reason.rstrip('.')}.")
