"""Rows that rarely change and every submission reads (a team's compliance rules, the catalog's switches, datasets,
submission blocks), kept in each process between requests and dropped in every process as soon as one changes.

Every process keeps its own copies, each tagged with the shared generation (a value in the cache, Redis) read before
the copy was loaded; a copy is used only while the generation is still the one it was loaded under. Whatever changes
one of these rows calls `changed()` (post_save and post_delete receivers do; code using QuerySet.update() must): this
process drops its copies at once, and once the change commits the generation is replaced, so every other process
loads afresh at its next read. A read costs one cache GET, or none inside `one_generation()`, which reads the
generation once for a whole submission."""

import uuid
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "process-cache:generation"
V = TypeVar("V")

_pinned: ContextVar[str | None] = ContextVar("process_cache_generation", default=None)
_caches: list["ProcessCache"] = []


def generation() -> str:
    """The shared generation: the one `one_generation()` read, else the cache's (created when missing)."""
    pinned = _pinned.get()
    if pinned is not None:
        return pinned
    current = cache.get(GENERATION_KEY)
    if current is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        current = cache.get(GENERATION_KEY) or ""
    return current


@contextmanager
def one_generation() -> Iterator[None]:
    """Read the shared generation once for every ProcessCache read in the block (one submission)."""
    token = _pinned.set(generation())
    try:
        yield
    finally:
        _pinned.reset(token)


def changed() -> None:
    """A kept row changed: drop this process's copies now (the change's own transaction then reads it), and every
    other process's once the change commits."""
    for kept in _caches:
        kept.clear()
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None))


class ProcessCache(Generic[V]):
    """One kind of kept value, by key. `max_items` bounds it (keys can come from requests, e.g. date ranges)."""

    def __init__(self, name: str, *, max_items: int = 10_000):
        self.name = name
        self.max_items = max_items
        self._items: dict[Hashable, tuple[str, V]] = {}
        _caches.append(self)

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        """The value kept for `key` under the current generation, else `load()` (then kept)."""
        current = generation()
        kept = self._items.get(key)
        if kept is not None and kept[0] == current:
            return kept[1]
        value = load()
        if len(self._items) >= self.max_items:
            self._items.clear()
        self._items[key] = (current, value)
        return value

    def clear(self) -> None:
        self._items.clear()
