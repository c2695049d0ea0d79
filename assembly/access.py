"""Who may see what. Organisers and observers only see their own assemblies."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required
from sqlmodel import Session, select

from .db import get_session
from .models import Assembly, Membership, Role, User

ALL_STAFF = (Role.ADMIN, Role.ORGANISER, Role.OBSERVER)
EDITORS = (Role.ADMIN, Role.ORGANISER)


def current_staff() -> User | None:
    user = current_user._get_current_object()  # noqa: SLF001 - unwrap the proxy
    return user if isinstance(user, User) else None


def has_role(*roles: Role) -> bool:
    """Whether the logged-in staff user has one of ``roles`` (for what a page offers)."""
    user = current_staff()
    return user is not None and user.role in roles


def staff_role_check(roles: Iterable[Role]) -> User:
    """The logged-in staff user; 404 for anyone else, 403 for staff in another role."""
    user = current_staff()
    if user is None:
        abort(404)
    if user.role not in {r.value for r in roles}:
        abort(403)
    return user


def staff_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Logged in as staff with one of ``roles`` (all staff roles when none are given)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            staff_role_check(roles or ALL_STAFF)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_member(session: Session, user: User, assembly: Assembly) -> bool:
    query = select(Membership).where(
        Membership.user_id == user.id, Membership.assembly_id == assembly.id
    )
    return session.exec(query).first() is not None


def assembly_by_slug(slug: str) -> Assembly | None:
    """The assembly at ``/a/<slug>/`` or ``/beheer/a/<slug>/``, if there is one."""
    return get_session().exec(select(Assembly).where(Assembly.slug == slug)).first()


def public_assembly(slug: str) -> Assembly:
    """The assembly of a public page; 404 when there is none."""
    item = assembly_by_slug(slug)
    if item is None:
        abort(404)
    return item


def require_assembly_access(
    assembly: Assembly | None, roles: Iterable[Role] = ALL_STAFF
) -> Assembly:
    """Abort unless the current staff user works on ``assembly`` in one of ``roles``.

    Another assembly's pages answer 404, not 403: staff must not even learn which
    assemblies exist elsewhere in the installation.
    """
    user = current_staff()
    if assembly is None or user is None:
        abort(404)
    if user.role != Role.ADMIN and not is_member(get_session(), user, assembly):
        abort(404)
    if user.role not in {r.value for r in roles}:
        abort(403)
    return assembly


def visible_assemblies(session: Session, user: User) -> list[Assembly]:
    query = select(Assembly).order_by(Assembly.name)
    if user.role != Role.ADMIN:
        query = query.join(Membership, Membership.assembly_id == Assembly.id).where(  # type: ignore[arg-type]
            Membership.user_id == user.id
        )
    return list(session.exec(query))
