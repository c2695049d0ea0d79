"""One way to reach an assembly's pages and one way to act on them.

Every page of an assembly lives on a blueprint made by :func:`staff_blueprint` (the
organisers' and observers' pages under ``/beheer/a/<slug>``) or :func:`public_blueprint`
(the public's and participants' pages under ``/a/<slug>``). The blueprint loads the
assembly once, before the view runs, and checks who may see it; views read it with
:func:`current_assembly` and never take ``slug`` as an argument. ``url_for`` fills in the
current assembly's slug by itself.

A POST that changes something goes through :func:`act`: validate the form, call the
service, commit on success and show the success message; on a
:class:`~assembly.errors.ServiceError` roll back and show the error's own message. Then
redirect (Post/Redirect/Get).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeAlias, TypeVar

from flask import Blueprint, abort, current_app, flash, g, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import LazyString
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from .access import ALL_STAFF, assembly_by_slug, require_assembly_access, staff_role_check
from .db import get_session
from .errors import ServiceError
from .flashing import flash_form_errors
from .models import Assembly, Role

T = TypeVar("T")
View = TypeVar("View", bound=Callable[..., Any])
Message: TypeAlias = "str | LazyString | Callable[[Any], str | LazyString] | None"
Target: TypeAlias = "str | Callable[[Any], str]"

_ASSEMBLY = "assembly"


def current_assembly() -> Assembly:
    """The assembly of the page being shown (loaded by the blueprint)."""
    item: Assembly | None = g.get(_ASSEMBLY)
    if item is None:  # pragma: no cover - a view outside an assembly blueprint
        raise RuntimeError("current_assembly() outside an assembly's blueprint")
    return item


def _pull_slug(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.assembly_slug = (values or {}).pop("slug", None)


def staff_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    """A blueprint of staff pages of one assembly, at ``/beheer/a/<slug><url_prefix>``.

    Before any of its views: anonymous visitors are sent to the login page, a logged-in
    person who is not staff gets 404, and staff who do not work on this assembly get 404
    (they must not even learn which assemblies exist). Views narrow the roles further
    with :func:`requires`.
    """
    bp = Blueprint(name, import_name, url_prefix=f"/beheer/a/<slug>{url_prefix}")
    bp.url_value_preprocessor(_pull_slug)

    @bp.before_request
    def _load_assembly() -> Response | None:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined,no-any-return]
        staff_role_check(ALL_STAFF)
        g.assembly = require_assembly_access(assembly_by_slug(g.assembly_slug))
        return None

    return bp


def public_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    """A blueprint of public (and participant) pages of one assembly, at ``/a/<slug>…``."""
    bp = Blueprint(name, import_name, url_prefix=f"/a/<slug>{url_prefix}")
    bp.url_value_preprocessor(_pull_slug)

    @bp.before_request
    def _load_assembly() -> None:
        item = assembly_by_slug(g.assembly_slug)
        if item is None:
            abort(404)
        g.assembly = item

    return bp


def requires(*roles: Role) -> Callable[[View], View]:
    """Only staff in ``roles`` may use this view of the current assembly (403 otherwise)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            require_assembly_access(current_assembly(), roles)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def fill_slug(endpoint: str, values: dict[str, Any]) -> None:
    """``url_for`` on a page of an assembly: the slug of that assembly, unless given."""
    item = g.get(_ASSEMBLY)
    if (
        item is not None
        and "slug" not in values
        and current_app.url_map.is_endpoint_expecting(endpoint, "slug")
    ):
        values["slug"] = item.slug


def see_other(target: str) -> Response:
    """Redirect after a POST: the browser fetches ``target`` with GET (303)."""
    return redirect(target, code=303)


def back_to(endpoint: str, **values: Any) -> Response:
    return see_other(url_for(endpoint, **values))


def act(
    form: FlaskForm | None,
    call: Callable[[], T],
    *,
    success: Message = None,
    to: Target,
    failed: str | None = None,
    on_invalid: Callable[[], ResponseReturnValue] | None = None,
    on_error: Callable[[ServiceError], ResponseReturnValue] | None = None,
) -> ResponseReturnValue:
    """Run one POST action: validate ``form``, ``call()`` the service, commit, redirect.

    Parameters
    ----------
    form : validated first (CSRF included); when invalid its errors are flashed, or
        ``on_invalid()`` is returned (to show the form again with its errors).
    call : the service call; its result is passed to ``success`` and ``to`` when they
        are callables.
    success : the message flashed after the commit.
    to : where to go after success (a URL, or a function of the result).
    failed : where to go when the form is invalid or the service refuses; required when
        ``to`` is a function, else ``to``.
    on_error : instead of flashing and redirecting, answer a refusal with this (the
        session is rolled back first).
    """
    session = get_session()
    if failed is None and callable(to):
        raise TypeError("act(): give failed= when to= is a function")
    fallback = failed if failed is not None else str(to)
    if form is not None and not form.validate_on_submit():
        if on_invalid is not None:
            return on_invalid()
        flash_form_errors(form)
        return see_other(fallback)
    try:
        result = call()
        session.commit()
    except ServiceError as error:
        session.rollback()
        if on_error is not None:
            return on_error(error)
        flash(error.text(), "error")
        return see_other(fallback)
    if success is not None:
        message = success(result) if callable(success) else success
        flash(str(message), "success")
    return see_other(_target(to, result))


def _target(target: Target, result: Any) -> str:
    return target(result) if callable(target) else target

