"""Process caches that stay fresh: one cache type, one shared generation per cache,
one hook that says which caches a change makes stale.

Each app process keeps a few caches of values derived from the database: rendered
pages (`shop.page_cache`), what a cart needs of a variant (`shop.catalog.snapshot`)
and the promotions with their gift stock (`shop.promotions.loader`). Each is a
`ContentCache`, a bounded cachetools TTL cache named for what it holds, registered on
the app with the model classes whose rows it is made from (`Caches.watch`).

Freshness, across every process on every server: when a flush inserts, changes or
deletes a row of a watched model class, or a bulk UPDATE/DELETE runs on one, the
caches that watch that class are emptied in this process at once (and again when the
transaction commits, in case another thread cached the old rows meanwhile), and their
row in `cache_generation` is bumped in the same transaction. Every process reads the
generations at most once per `GENERATION_CHECK_SECONDS` and empties a cache whose
generation moved. A bulk statement that changes nothing a cache holds (stock moving
at checkout) says so with the `CACHES_STAY_FRESH` execution option.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from cachetools import TTLCache
from flask import Flask, current_app, has_app_context
from sqlalchemy import String, event, select, update
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from shop.extensions import db

GENERATION_CHECK_SECONDS = 1.0
# The rendered pages (`shop.page_cache`): each feature whose rows show on the store's
# pages declares them with `caches(app).watch(PAGES, ...)`.
PAGES = "pages"
EXTENSION_KEY = "caches"
# `update(...).execution_options(**CACHES_STAY_FRESH)`: the statement changes no value
# any cache holds, so it bumps nothing.
_STAYS_FRESH_OPTION = "caches_stay_fresh"
CACHES_STAY_FRESH = {_STAYS_FRESH_OPTION: True}
_STALE_IN_TRANSACTION = "caches_made_stale"


class CacheGeneration(db.Model):
    """One row per cache, bumped whenever what that cache holds may have changed."""

    __tablename__ = "cache_generation"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    generation: Mapped[int] = mapped_column(default=0)


class ContentCache:
    """A bounded cache with a time limit per entry (cachetools' TTLCache), safe across
    threads, emptied whole when what it was made from changes.

    `epoch` moves on every `clear`: a value read from the database before a clear may
    be stale, so `put` keeps it only if no clear happened since the read began.
    """

    def __init__(self, name: str, *, maxsize: int, ttl: float) -> None:
        self.name = name
        self._entries: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl)
        self._lock = threading.Lock()
        self.epoch = 0
        # The shared generation the entries belong to; None until first read.
        self.generation: int | None = None

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            return self._entries.get(key)

    def get_many(self, keys: Iterable[Hashable]) -> dict:
        with self._lock:
            entries = self._entries
            return {key: entries[key] for key in keys if key in entries}

    def put(self, key: Hashable, value: Any, *, read_in_epoch: int) -> None:
        self.put_many({key: value}, read_in_epoch=read_in_epoch)

    def put_many(self, values: Mapping[Hashable, Any], *, read_in_epoch: int) -> None:
        with self._lock:
            if read_in_epoch != self.epoch:
                return
            for key, value in values.items():
                self._entries[key] = value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.epoch += 1

    def get_or_read(self, key: Hashable, read: Callable[[], Any]) -> Any:
        """The entry, or what `read` returns (kept unless a clear came meanwhile)."""
        epoch = self.epoch
        value = self.get(key)
        if value is None:
            value = read()
            self.put(key, value, read_in_epoch=epoch)
        return value

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._entries


class Caches:
    """The app's caches by name, which model classes each is made from, and the
    shared generations they are checked against."""

    def __init__(self) -> None:
        self._caches: dict[str, ContentCache] = {}
        self._watched: dict[str, set[type]] = {}
        self._checked_at = float("-inf")

    def add(self, cache: ContentCache, watches: Iterable[type] = ()) -> ContentCache:
        self._caches[cache.name] = cache
        self.watch(cache.name, *watches)
        return cache

    def watch(self, name: str, *model_classes: type) -> None:
        """Make changes to rows of `model_classes` empty the cache called `name` (on
        every server: a feature declares this when the app is built, before any
        request)."""
        self._watched.setdefault(name, set()).update(model_classes)

    def __getitem__(self, name: str) -> ContentCache:
        return self._caches[name]

    def names_watching(self, model_classes: Iterable[type]) -> set[str]:
        changed = set(model_classes)
        return {name for name, watched in self._watched.items() if watched & changed}

    def generations_due(self) -> bool:
        return time.monotonic() - self._checked_at >= GENERATION_CHECK_SECONDS

    def refresh(self) -> None:
        """Empty every cache whose shared generation moved since it was filled; reads
        the generations from the database at most once per GENERATION_CHECK_SECONDS."""
        if not self.generations_due():
            return
        rows = db.session.execute(select(CacheGeneration.name, CacheGeneration.generation))
        generations = dict(rows.all())
        self._checked_at = time.monotonic()
        for cache in self._caches.values():
            generation = generations.get(cache.name, 0)
            if cache.generation != generation:
                cache.clear()
                cache.generation = generation

    def fresh(self, name: str) -> ContentCache:
        """The cache called `name`, emptied first if another process changed what
        it holds."""
        self.refresh()
        return self._caches[name]

    def check_generations_now(self) -> None:
        """Read the generations on next use instead of within the usual second."""
        self._checked_at = float("-inf")

    def clear(self, names: Iterable[str]) -> None:
        for name in names:
            if name in self._caches:
                self._caches[name].clear()


def caches(app: Flask | None = None) -> Caches:
    return (app or current_app).extensions[EXTENSION_KEY]


def _app_caches() -> Caches | None:
    return current_app.extensions.get(EXTENSION_KEY) if has_app_context() else None


def _bump(session: Session, names: set[str]) -> None:
    """Move the shared generation of each named cache, in the caller's transaction."""
    by_name = CacheGeneration.name.in_(names)
    bumped = session.execute(
        update(CacheGeneration).where(by_name).values(generation=CacheGeneration.generation + 1)
    )
    if bumped.rowcount == len(names):
        return
    existing = set(session.scalars(select(CacheGeneration.name).where(by_name)))
    for name in sorted(names - existing):
        session.add(CacheGeneration(name=name, generation=1))


def _mark_stale(session: Session, registry: Caches, names: set[str]) -> None:
    _bump(session, names)
    registry.clear(names)
    session.info.setdefault(_STALE_IN_TRANSACTION, set()).update(names)


def _changed_model_classes(session: Session) -> set[type]:
    changed = {type(instance) for instance in (*session.new, *session.deleted)}
    changed.update(type(instance) for instance in session.dirty if session.is_modified(instance))
    return changed


def _before_flush(session: Session, _flush_context, _instances) -> None:
    registry = _app_caches()
    if registry is None:
        return
    names = registry.names_watching(_changed_model_classes(session))
    if names:
        _mark_stale(session, registry, names)


def _on_bulk_statement(state: ORMExecuteState) -> None:
    """Bulk UPDATE and DELETE statements bypass the flush."""
    if not (state.is_update or state.is_delete):
        return
    if state.execution_options.get(_STAYS_FRESH_OPTION):
        return
    registry = _app_caches()
    if registry is None:
        return
    names = registry.names_watching(mapper.class_ for mapper in state.all_mappers)
    if names:
        _mark_stale(state.session, registry, names)


def _after_commit(session: Session) -> None:
    names = session.info.pop(_STALE_IN_TRANSACTION, None)
    registry = _app_caches()
    if names and registry is not None:
        registry.clear(names)
        registry.check_generations_now()


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    # A savepoint rolled back inside a transaction that still commits keeps the mark.
    if previous_transaction.parent is None:
        session.info.pop(_STALE_IN_TRANSACTION, None)


_SESSION_HOOKS = (
    ("before_flush", _before_flush),
    ("do_orm_execute", _on_bulk_statement),
    ("after_commit", _after_commit),
    ("after_soft_rollback", _after_soft_rollback),
)


def init_app(app: Flask) -> Caches:
    """Give the app its cache registry and hook it to the app's database sessions
    (Flask-SQLAlchemy's sessions; hooked once per process, whatever the apps)."""
    registry = app.extensions[EXTENSION_KEY] = Caches()
    for name, hook in _SESSION_HOOKS:
        if not event.contains(db.session, name, hook):
            event.listen(db.session, name, hook)
    return registry
