"""What is published is served from a cache: the public pages and downloads of an assembly.

Every assembly has a ``public_version``. Stages declare which of their tables feed the
public pages (:func:`feeds_public_pages`); whenever a flush inserts, changes or deletes a
row of such a table, the version of its assembly goes up in the same transaction. A public
view decorated with :func:`cached` is then stored per process under its URL, the reader's
language and that version, and served from there until the version changes: a cache hit
costs the lookup of the assembly (which the blueprint does anyway) and no rendering.

Only anonymous visitors without a session are served from the cache (the press and
residents opening the lottery's page); anyone with a session (staff, someone with a flash
message) gets the page rendered afresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import UOWTransaction
from sqlmodel import SQLModel, col
from werkzeug.wrappers import Response

from .access import public_assembly
from .models import Assembly
from .settings import settings

View = TypeVar("View", bound=Callable[..., Any])
AssemblyOf = Callable[[Any, Any], "int | None"]

# Which tables feed public pages, and how to find a row's assembly (given the row and
# the flush's connection, for rows that reach their assembly through another table).
_PUBLIC: dict[type[SQLModel], AssemblyOf] = {}


def feeds_public_pages(model: type[SQLModel], assembly_of: AssemblyOf | None = None) -> None:
    """Changes to ``model`` change what an assembly's public pages show.

    ``assembly_of(row, connection)`` finds the row's assembly id; by default the row's
    ``assembly_id`` (or its ``id`` for the assembly itself).
    """
    _PUBLIC[model] = assembly_of or _own_assembly


def _own_assembly(row: Any, _connection: Any) -> int | None:
    if isinstance(row, Assembly):
        return row.id
    value = getattr(row, "assembly_id", None)
    return value if isinstance(value, int) else None


def through(parent: type[SQLModel], key: str) -> AssemblyOf:
    """For a row that reaches its assembly through ``parent`` (e.g. a run's id)."""

    def assembly_of(row: Any, connection: Any) -> int | None:
        parent_id = getattr(row, key, None)
        if parent_id is None:
            return None
        parent_table: Any = parent
        found = connection.execute(
            select(parent_table.assembly_id).where(parent_table.id == parent_id)
        ).first()
        return None if found is None else int(found[0])

    return assembly_of


@event.listens_for(OrmSession, "after_flush")
def _bump_versions(session: OrmSession, _flush: UOWTransaction) -> None:
    changed = [
        row
        for row in (*session.new, *session.dirty, *session.deleted)
        if type(row) in _PUBLIC and (row not in session.dirty or session.is_modified(row))
    ]
    if not changed:
        return
    connection = session.connection()
    ids: set[int] = set()
    everyone = False
    for row in changed:
        found = _PUBLIC[type(row)](row, connection)
        if found is None:
            everyone = True
        else:
            ids.add(found)
    if not ids and not everyone:
        return
    statement = update(Assembly).values(public_version=col(Assembly.public_version) + 1)
    if not everyone:
        statement = statement.where(col(Assembly.id).in_(sorted(ids)))
    connection.execute(statement)


feeds_public_pages(Assembly)


# --- the cache ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Page:
    body: bytes
    status: int
    headers: tuple[tuple[str, str], ...]


class PageCache:
    """A bounded least-recently-used store of rendered pages, per process."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, _Page] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> _Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, page: _Page) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


_KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Content-Language", "Cache-Control")


def page_cache() -> PageCache | None:
    app = current_app
    cache: PageCache | None = app.extensions.get("burgerberaad.page_cache")
    size = settings().public_cache_pages
    if size <= 0:
        return None
    if cache is None or cache.size != size:
        cache = app.extensions["burgerberaad.page_cache"] = PageCache(size)
    return cache


def _cacheable_request() -> bool:
    return (
        request.method == "GET"
        and settings().session_cookie_name not in request.cookies
        and not current_user.is_authenticated
    )


def cached(
    view: View | None = None, *, depends_on: Callable[[Assembly], Hashable] | None = None
) -> Any:
    """Serve this public view of an assembly from the cache (see the module's docstring).

    ``depends_on(assembly)`` adds what else the page depends on that no table change
    marks, such as whether registration has closed by now.
    """

    def decorator(inner: View) -> View:
        @wraps(inner)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            cache = page_cache()
            if cache is None or not _cacheable_request():
                return inner(*args, **kwargs)
            item = g.get("assembly") or public_assembly(kwargs.get("slug", ""))
            key = (
                request.full_path,
                str(get_locale()),
                item.id,
                item.public_version,
                depends_on(item) if depends_on is not None else None,
            )
            page = cache.get(key)
            if page is None:
                response = make_response(inner(*args, **kwargs))
                if (
                    response.status_code != 200
                    or response.direct_passthrough
                    or session.modified
                    or response.headers.getlist("Set-Cookie")
                ):
                    # Personal after all (a session, a cookie): not for everyone's eyes.
                    return response
                page = _Page(
                    response.get_data(),
                    response.status_code,
                    tuple((h, v) for h, v in response.headers.items() if h in _KEPT_HEADERS),
                )
                cache.put(key, page)
            return Response(page.body, status=page.status, headers=list(page.headers))

        return wrapped  # type: ignore[return-value]

    return decorator(view) if view is not None else decorator
