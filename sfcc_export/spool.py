"""A disk-backed scratch store for one catalog export (stdlib sqlite3 in a temporary folder).

A master can only be written once all its variants have gone by, and items gone from the PIM are
found by comparing sets the size of the catalog. Keeping these in a file instead of in Python
objects is what keeps an export's memory flat from 10,000 to 250,000 products.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

SCHEMA = """
CREATE TABLE models (code TEXT PRIMARY KEY, parent TEXT, family_variant TEXT, doc TEXT, changed INTEGER);
CREATE TABLE variants (
    id TEXT PRIMARY KEY, parent TEXT, root TEXT, axes TEXT, categories TEXT, written INTEGER
);
CREATE INDEX variants_root ON variants (root, id);
CREATE TABLE written (id TEXT PRIMARY KEY, kind TEXT, online INTEGER, uuid TEXT, updated TEXT);
CREATE TABLE listed (id TEXT PRIMARY KEY);
CREATE TABLE previous (id TEXT PRIMARY KEY, kind TEXT, online INTEGER);
CREATE TABLE gone (id TEXT PRIMARY KEY, kind TEXT);
CREATE TABLE model_parents (code TEXT PRIMARY KEY, parent TEXT);
CREATE TABLE uuids (uuid TEXT PRIMARY KEY, id TEXT);
CREATE TABLE pending_uuids (uuid TEXT PRIMARY KEY);
CREATE TABLE deferred (doc TEXT);
CREATE TABLE assets (family TEXT, code TEXT, media TEXT, PRIMARY KEY (family, code));
CREATE INDEX models_parent ON models (parent, code);
CREATE TABLE incoming (uuid TEXT PRIMARY KEY, doc TEXT);
"""


class Spool:
    def __init__(self, folder: Path):
        self.path = folder / "export-spool.sqlite3"
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-4000;")
        self.db.executescript(SCHEMA)
        self.db.execute("BEGIN")

    def close(self) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)

    # ---------------------------------------------------------- the main read
    def add_incoming(self, products: Iterable[dict]) -> None:
        """Products read in pieces, in whatever order the pieces came back."""
        self.db.executemany(
            "INSERT OR REPLACE INTO incoming VALUES (?, ?)",
            ((p.get("uuid") or p.get("identifier"), json.dumps(p)) for p in products),
        )

    def incoming_pages(self, size: int) -> Iterator[list[dict]]:
        """Them again, in uuid order (a single listing's order), ``size`` at a time; then forgotten."""
        last = ""
        while True:
            rows = self.db.execute(
                "SELECT uuid, doc FROM incoming WHERE uuid > ? ORDER BY uuid LIMIT ?", (last, size)
            ).fetchall()
            if not rows:
                break
            last = rows[-1][0]
            yield [json.loads(doc) for _, doc in rows]
        self.db.execute("DELETE FROM incoming")

    # ------------------------------------------------------------------ models
    def add_models(self, models: Iterable[dict], *, changed: bool) -> None:
        self.db.executemany(
            "INSERT INTO models VALUES (?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET changed = "
            "max(changed, excluded.changed)",
            (
                (m["code"], m.get("parent"), m.get("family_variant"), json.dumps(m), int(changed))
                for m in models
            ),
        )

    def model(self, code: str) -> dict | None:
        row = self.db.execute("SELECT doc FROM models WHERE code = ?", (code,)).fetchone()
        return json.loads(row[0]) if row else None

    def missing_parents(self) -> list[str]:
        """Parents named by a model or variant that are not in the spool yet."""
        rows = self.db.execute(
            "SELECT DISTINCT parent FROM variants WHERE parent NOT IN (SELECT code FROM models) "
            "UNION SELECT DISTINCT parent FROM models WHERE parent IS NOT NULL "
            "AND parent NOT IN (SELECT code FROM models)"
        )
        return sorted(row[0] for row in rows)

    def roots(self, *, changed_only: bool) -> list[str]:
        """Root models to write as masters: all of them, or those with a changed model or variant below."""
        if not changed_only:
            return [
                r[0] for r in self.db.execute("SELECT code FROM models WHERE parent IS NULL ORDER BY code")
            ]
        rows = self.db.execute(
            "SELECT coalesce(parent, code) FROM models WHERE changed = 1 "
            "UNION SELECT root FROM variants WHERE written = 1 AND root IS NOT NULL"
        )
        return sorted({r[0] for r in rows if r[0]})

    def sub_models(self, root: str) -> list[dict]:
        rows = self.db.execute("SELECT doc FROM models WHERE parent = ? ORDER BY code", (root,))
        return [json.loads(doc) for (doc,) in rows]

    # -------------------------------------------------- links to products by uuid
    def add_uuids(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO uuids VALUES (?, ?)", pairs)

    def identifier_of_uuid(self, uuid: str) -> str | None:
        row = self.db.execute("SELECT id FROM uuids WHERE uuid = ?", (uuid,)).fetchone()
        return row[0] if row else None

    def unknown_uuids(self, uuids: Iterable[str]) -> list[str]:
        return [uuid for uuid in uuids if self.identifier_of_uuid(uuid) is None]

    def add_pending_uuids(self, uuids: Iterable[str]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO pending_uuids VALUES (?)", ((u,) for u in uuids))

    def pending_uuids(self) -> list[str]:
        rows = self.db.execute("SELECT uuid FROM pending_uuids WHERE uuid NOT IN (SELECT uuid FROM uuids)")
        return [row[0] for row in rows]

    def defer(self, document: dict) -> None:
        self.db.execute("INSERT INTO deferred VALUES (?)", (json.dumps(document),))

    def deferred(self) -> Iterator[dict]:
        for (doc,) in self.db.execute("SELECT doc FROM deferred ORDER BY rowid"):
            yield json.loads(doc)

    # ------------------------------------------------------------------- assets
    def add_assets(self, rows: Iterable[tuple[str, str, str | None]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO assets VALUES (?, ?, ?)", rows)

    def asset_media(self, family: str, code: str) -> str | None:
        row = self.db.execute(
            "SELECT media FROM assets WHERE family = ? AND code = ?", (family, code)
        ).fetchone()
        return row[0] if row else None

    # ---------------------------------------------------------------- variants
    def add_variant(self, product_id: str, parent: str, axes: dict, categories: list[str], *, written: bool):
        self.db.execute(
            "INSERT INTO variants VALUES (?, ?, NULL, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "written = max(written, excluded.written)",
            (product_id, parent, json.dumps(axes), json.dumps(categories), int(written)),
        )

    def resolve_roots(self) -> None:
        self.db.execute(
            "UPDATE variants SET root = "
            "coalesce((SELECT m.parent FROM models m WHERE m.code = variants.parent), parent)"
        )

    def variants_of(self, root: str) -> list[tuple[str, dict, list[str]]]:
        """(variant id, axis values, categories) of every variant below a root model."""
        rows = self.db.execute(
            "SELECT id, axes, categories FROM variants WHERE root = ? ORDER BY id", (root,)
        )
        return [
            (product_id, json.loads(axes), json.loads(categories)) for product_id, axes, categories in rows
        ]

    # ------------------------------------------------------ written, listed, gone
    def mark_written(
        self, product_id: str, kind: str, online: bool, *, uuid: str | None = None, updated: str | None = None
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO written VALUES (?, ?, ?, ?, ?)",
            (product_id, kind, int(online), uuid, updated),
        )

    def was_written(self, product_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM written WHERE id = ?", (product_id,)).fetchone() is not None

    def add_listed(self, ids: Iterable[str]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO listed VALUES (?)", ((i,) for i in ids))

    def add_model_parents(self, rows: Iterable[tuple[str, str | None]]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO model_parents VALUES (?, ?)", rows)

    def list_roots_of_listed_groups(self) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO listed SELECT parent FROM model_parents "
            "WHERE parent IS NOT NULL AND code IN (SELECT id FROM listed)"
        )

    def add_previous(self, rows: Iterable[tuple[str, str, bool]]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO previous VALUES (?, ?, ?)", rows)

    def collect_gone(self, *, compare_with_written: bool) -> int:
        """Note the items online in SFCC that the PIM no longer lists and this run did not write."""
        source = "written" if compare_with_written else "listed"
        return self.db.execute(
            f"INSERT INTO gone SELECT id, kind FROM previous WHERE online = 1 "  # noqa: S608
            f"AND id NOT IN (SELECT id FROM {source}) AND id NOT IN (SELECT id FROM written)"
        ).rowcount

    def gone(self) -> Iterator[tuple[str, str]]:
        yield from self.db.execute("SELECT id, kind FROM gone ORDER BY id")

    def written(self) -> Iterator[tuple[str, str, bool, str | None, str | None]]:
        """(id, kind, online, PIM uuid, PIM update date) of everything this run wrote."""
        rows = self.db.execute("SELECT id, kind, online, uuid, updated FROM written ORDER BY id")
        for product_id, kind, online, uuid, updated in rows:
            yield product_id, kind, bool(online), uuid, updated
