"""PIM events: how fast the receiver takes them, and what a near-real-time cycle costs.

1. ``--events`` signed CloudEvents posted one after the other (a bounded loop, one keep-alive
   connection) to the receiver served by Django's threaded WSGI server on 127.0.0.1: median and
   p99 time per event, and events per second.
2. ``--changed`` products renamed in the sandbox PIM (one batch PATCH), their events delivered by
   the sandbox's Event Platform to the same receiver, then one near-real-time run timed: read the
   products by uuid, write the catalogs, record the ledger (folder delivery, no SFCC).

    .venv/bin/python bench/events.py --events 10000 --changed 1000
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import bench_sfcc_export, django_on_throwaway_db  # noqa: E402


def serve_django():
    """The whole Django application over a real socket, in a thread; returns (server, base URL)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args) -> None:  # one line per event would be the benchmark's cost
            pass

    class NoDelay(ThreadedWSGIServer):
        """As production servers do (gunicorn): without TCP_NODELAY, the answer's headers and body
        go in two packets and the client's delayed ACK adds 40 ms to every event."""

        def get_request(self):
            connection, address = super().get_request()
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return connection, address

    server = NoDelay(("127.0.0.1", 0), Quiet, allow_reuse_address=True)
    server.set_app(WSGIHandler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def receive(base_url: str, subscription, count: int) -> dict:
    import requests

    from connector.event_receiver import signature

    url = f"{base_url}/events/akeneo/{subscription.token}/"
    bodies = [
        json.dumps(
            {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "source": "akeneo-event-platform",
                "type": "com.akeneo.pim.v1.product.updated",
                "subject": "bench",
                "time": "2026-12-02T10:00:00Z",
                "data": {
                    "product": {"uuid": str(uuid.uuid4())},
                    "author": {"identifier": "x", "type": "api"},
                },
            }
        ).encode()
        for _ in range(count)
    ]
    session = requests.Session()
    times = []
    started = time.perf_counter()
    for body in bodies:
        headers = {
            "Content-Type": "application/json",
            "X-AKENEO-SIGNATURE-PRIMARY": signature(subscription.signing_secret, body),
        }
        before = time.perf_counter()
        answer = session.post(url, data=body, headers=headers, timeout=10)
        times.append(time.perf_counter() - before)
        if answer.status_code != 200:
            raise SystemExit(f"the receiver answered {answer.status_code}: {answer.text}")
    total = time.perf_counter() - started
    times.sort()
    return {
        "events": count,
        "median_ms": round(statistics.median(times) * 1000, 2),
        "p99_ms": round(times[int(len(times) * 0.99) - 1] * 1000, 2),
        "events_per_s": round(count / total, 1),
    }


def near_real_time(base_url: str, changed: int, workdir: Path) -> dict:
    from connector.event_subscriptions import subscribe
    from connector.models import EventSubscription, PimEvent, RunStatus
    from connector.runs import start_run
    from connector.sandbox import FakeAkeneo, build_demo_catalog
    from sfcc_export.tasks import EXPORT

    helpers = bench_sfcc_export()
    with FakeAkeneo(build_demo_catalog(products=int(changed * 1.5))) as pim:
        profile = helpers.synced_profile(pim.base_url, workdir / "exports")
        subscription = EventSubscription.objects.create(
            connection=profile.connection,
            technical_email="bench@example.com",
            platform_url=f"{pim.base_url}/event-platform/api/v1",
        )
        subscribe(subscription)
        profile.near_real_time = True
        profile.save()
        full = start_run(EXPORT, profile, params={"job": "all", "mode": "full"}, inline=True)
        if full.status != RunStatus.DONE:
            raise SystemExit(f"full export: {full.error}")
        products = pim.catalog.products
        chosen = [key for key in sorted(products) if not products.raw(key).get("parent")][:changed]
        before_events = PimEvent.objects.count()
        with profile.connection.client() as client:
            results = list(
                client.patch_batch(
                    "products-uuid",
                    (
                        {
                            "uuid": key,
                            "values": {"name": [{"locale": "en_US", "scope": None, "data": f"Bench {key}"}]},
                        }
                        for key in chosen
                    ),
                )
            )
        delivered_started = time.perf_counter()
        report = pim.events.deliver()
        delivery = time.perf_counter() - delivered_started
        stored = PimEvent.objects.count() - before_events
        started = time.perf_counter()
        run = start_run(EXPORT, profile, params={"job": "events"}, inline=True)
        elapsed = time.perf_counter() - started
        if run.status != RunStatus.DONE:
            raise SystemExit(f"near-real-time run: {run.error}")
        result = run.typed_result
        return {
            "changed": len(results),
            "events_delivered": len(report.sent),
            "events_stored": stored,
            "sandbox_delivery_s": round(delivery, 2),
            "run_s": round(elapsed, 2),
            "products_exported": result.counts.get("products", 0) + result.counts.get("variants", 0),
            "pim_calls": run.counters.get("pim_calls") if isinstance(run.counters, dict) else None,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=1_000)
    args = parser.parse_args()
    workdir = django_on_throwaway_db("bench-events-")
    import os

    os.environ.setdefault("AKENEO_EVENT_SETTLE_SECONDS", "0")
    from django.conf import settings

    from connector.models import AkeneoConnection, EventSubscription

    settings.AKENEO_EVENT_SETTLE_SECONDS = 0  # the run follows the delivery at once
    server, base_url = serve_django()
    settings.SITE_URL = base_url
    connection = AkeneoConnection.objects.create(
        name="receiver",
        base_url="https://pim.example.com",
        client_id="c",
        secret="s",  # noqa: S106 - a receiver-only connection, never called
        username="u",
        password="p",  # noqa: S106 - never used either
    )
    subscription = EventSubscription.objects.create(
        connection=connection, technical_email="bench@example.com"
    )
    figures = {"receive": receive(base_url, subscription, args.events)}
    figures["near_real_time"] = near_real_time(base_url, args.changed, workdir)
    server.shutdown()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
