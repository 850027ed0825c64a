"""Benchmark: list every product of a sandbox PIM through the client.

Usage: .venv/bin/python bench/akeneo_listing.py [--products 10000] [--rate-limit 0]
Prints products listed, HTTP requests made, wall time and throughput. The fake PIM runs in the
same process, so this measures the client plus a local server, not a real network.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connector.akeneo import AkeneoClient  # noqa: E402
from connector.sandbox import SANDBOX_CREDENTIALS, FakeAkeneo, build_demo_catalog  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--rate-limit", type=float, default=0, help="requests/second cap (0 = none)")
    args = parser.parse_args()

    started = time.perf_counter()
    catalog = build_demo_catalog(products=args.products)
    built = time.perf_counter() - started
    with FakeAkeneo(catalog) as pim:
        creds = SANDBOX_CREDENTIALS
        client = AkeneoClient(
            pim.base_url,
            creds["client_id"],
            creds["secret"],
            creds["username"],
            creds["password"],
            max_requests_per_second=args.rate_limit or None,
        )
        started = time.perf_counter()
        count = sum(1 for _ in client.iter_products())
        elapsed = time.perf_counter() - started
        requests_made = pim.count(path_prefix="/api/rest/v1/products-uuid")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"catalog built: {args.products} products in {built:.2f} s")
    print(f"listed: {count} products, {requests_made} product requests (limit 100, search_after)")
    print(f"time: {elapsed:.2f} s, {count / elapsed:.0f} products/s")
    print(f"peak RSS (fake PIM + client, one process): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
