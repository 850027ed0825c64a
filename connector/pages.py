"""Reading a large table a page at a time while writing as we go.

A streaming cursor (``QuerySet.iterator()``) keeps a read open for the whole loop. On SQLite that
read pins a snapshot: the first write the loop makes after another process has written fails at
once with "database is locked", whatever the busy timeout. Each page here is one query read to the
end, so nothing is held between pages.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet


def in_pages(queryset: QuerySet, size: int) -> Iterator[list]:
    """The queryset's model instances in primary-key order, as lists of at most ``size``."""
    last = None
    ordered = queryset.order_by("pk")
    while True:
        page = list((ordered if last is None else ordered.filter(pk__gt=last))[:size])
        if not page:
            return
        yield page
        last = page[-1].pk
