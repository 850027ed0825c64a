"""Work on the PIM several calls at a time, with results in a fixed order.

Everything here returns what a sequential loop would, in the same order, whatever the number of
threads: output files must not depend on the call budget, or diffs between runs become noise.
Worker threads only talk HTTP; the caller's thread keeps the database, the files and the progress.
"""

from __future__ import annotations

import json
import math
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import IO, Any, TypeVar

from .search import Search

T = TypeVar("T")
R = TypeVar("R")

# Creation-date pieces hold at most this many items (ten pages), so a 250,000-product listing
# becomes a few hundred searches that 4 slots keep busy; a smaller listing is cut into about three
# pieces per slot, but never below MIN_PIECE_ITEMS: each cut costs a count.
PIECE_ITEMS = 1000
MIN_PIECE_ITEMS = 300
PIECES_PER_SLOT = 3
# First cuts, in days before the PIM's "now": catalogs grow over months and years, so a log scale
# finds the crowded stretch in one round of counts; crowded pieces are then cut evenly.
FIRST_CUTS_DAYS = (7, 30, 90, 180, 365, 730, 1460, 2920)
OLDEST_GUESS = timedelta(days=365 * 30)
MAX_SLICES = 8
MAX_ROUNDS = 12


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``fn(item)`` for every item on up to ``workers`` threads, yielded in the items' order.

    At most ``2 × workers`` results wait to be taken, so a slow consumer bounds memory and disk.
    ``items`` is read in the caller's thread (it may query the database); an exception from
    ``fn`` is raised where its result would have been yielded.
    """
    if workers <= 1:
        for item in items:
            yield fn(item)
        return
    window = workers * 2
    with ThreadPoolExecutor(workers, thread_name_prefix="pim-call") as pool:
        pending: deque[Future[R]] = deque()
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def pages_of_searches(
    client, path: str, searches: list[Search], params: dict[str, Any] | None = None
) -> Iterator[list[dict]]:
    """The items of every search, a page at a time: all of the first search's pages, then the next.

    Searches are read ``client.concurrency`` at a time; each one read ahead waits in a temporary
    file (one JSON line per page), so memory does not grow with the catalog.
    """
    if client.concurrency <= 1 or len(searches) <= 1:
        for search in searches:
            for page in client.pages(path, params, search=search):
                yield _items(page)
        return

    stop = threading.Event()  # the caller stopped reading (a cancelled run, a failure): no next page

    def spool(search: Search) -> IO[str]:
        handle = tempfile.TemporaryFile("w+", encoding="utf-8", prefix="pim-pages-")  # noqa: SIM115 - closed below
        try:
            for page in client.pages(path, params, search=search):
                handle.write(json.dumps(_items(page), separators=(",", ":")) + "\n")
                if stop.is_set():
                    break
        except BaseException:
            handle.close()
            raise
        handle.seek(0)
        return handle

    reads = ordered_map(spool, searches, client.concurrency)
    try:
        for handle in reads:
            with handle:
                for line in handle:
                    yield json.loads(line)
    finally:
        stop.set()  # before the reads are closed: closing waits for the ones in flight
        reads.close()


def _items(page: dict) -> list[dict]:
    return (page.get("_embedded") or {}).get("items", [])


# ------------------------------------------------------------------ creation-date pieces


class _Piece:
    """Items created in [start, end) (``None``: open), of which the PIM counted ``count``."""

    __slots__ = ("count", "end", "start")

    def __init__(self, start: datetime | None, end: datetime | None, count: int):
        self.start, self.end, self.count = start, end, count

    def search(self, base: Search) -> Search:
        search = base.copy()
        if self.start is not None:
            # Dates are whole seconds: "after start minus one second" is "from start on".
            search.where("created", ">", self.start - timedelta(seconds=1))
        if self.end is not None:
            search.where("created", "<", self.end)
        return search


def piece_size(total: int, concurrency: int) -> int | None:
    """How many items a piece should hold, or None when cutting would not pay for its counts."""
    if concurrency <= 1:
        return None  # one call at a time: pieces would only add counts
    size = max(MIN_PIECE_ITEMS, min(PIECE_ITEMS, math.ceil(total / (PIECES_PER_SLOT * concurrency))))
    return size if total > size else None


def created_pieces(
    client, path: str, base: Search, total: int | None, *, piece_items: int | None = None
) -> list[Search]:
    """Disjoint searches that together return what ``base`` returns, cut by creation date.

    Oldest first, each holding about ``piece_items`` at most (by default sized for the client's
    budget, and no cut at all at a budget of 1), found with the PIM's own counts
    (``with_count``, in parallel). The cuts move with the PIM's clock, so a caller that needs a
    stable order sorts what it read (the export spools the pieces and writes in uuid order).
    Pieces the PIM counted empty are left out, except the newest, where anything created
    meanwhile would land.
    """
    if total is None:
        return [base]
    piece_items = piece_items or piece_size(total, client.concurrency)
    if piece_items is None or total <= piece_items:
        return [base]
    now = (client.last_server_date or datetime.now(UTC)).replace(microsecond=0)
    first = [now - timedelta(days=days) for days in reversed(FIRST_CUTS_DAYS)]
    pieces = _cut(client, path, base, {0: (_Piece(None, None, total), first)})[0]
    for _ in range(MAX_ROUNDS):
        crowded = {
            index: (piece, _even_cuts(piece, now, piece_items))
            for index, piece in enumerate(pieces)
            if piece.count > piece_items and _span(piece, now) >= timedelta(seconds=2)
        }
        if not crowded:
            break
        refined = _cut(client, path, base, crowded)
        pieces = [part for index, piece in enumerate(pieces) for part in refined.get(index, [piece])]
    newest = pieces[-1]
    return [p.search(base) for p in pieces if p.count > 0 or p is newest]


def _cut(
    client, path: str, base: Search, plans: dict[int, tuple[_Piece, list[datetime]]]
) -> dict[int, list[_Piece]]:
    """Each piece split at its cuts (inside it, ascending), all counted in one parallel round:
    one count per part but the last, which is the piece's count minus the others."""
    parts = {}
    for index, (piece, cuts) in plans.items():
        bounds = [piece.start, *cuts, piece.end]
        parts[index] = [_Piece(bounds[i], bounds[i + 1], 0) for i in range(len(bounds) - 1)]
    to_count = [part for ranges in parts.values() for part in ranges[:-1]]

    def count(part: _Piece) -> int:
        return client.count(path, search=part.search(base)) or 0

    for part, n in zip(to_count, ordered_map(count, to_count, client.concurrency), strict=True):
        part.count = n
    for index, ranges in parts.items():
        ranges[-1].count = max(0, plans[index][0].count - sum(p.count for p in ranges[:-1]))
    return parts


def _span(piece: _Piece, now: datetime) -> timedelta:
    start = piece.start or now - OLDEST_GUESS
    end = piece.end or now + timedelta(days=1)
    return end - start


def _even_cuts(piece: _Piece, now: datetime, piece_items: int) -> list[datetime]:
    start = piece.start or now - OLDEST_GUESS
    end = piece.end or now + timedelta(days=1)
    slices = min(MAX_SLICES, math.ceil(piece.count / piece_items))
    step = (end - start) / slices
    cuts = sorted({(start + step * i).replace(microsecond=0) for i in range(1, slices)})
    return [cut for cut in cuts if start < cut < end]
