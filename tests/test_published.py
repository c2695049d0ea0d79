"""Published pages come from a cache until what they show changes."""

from __future__ import annotations

from flask import template_rendered
from sqlmodel import select

from assembly.db import get_session
from assembly.models import Assembly, Milestone

from .conftest import login


def renders(app, client, path: str, **kwargs) -> tuple[int, str]:
    seen: list[str] = []

    def record(_sender, template, **_extra) -> None:
        seen.append(template.name)

    with template_rendered.connected_to(record, app):
        page = client.get(path, **kwargs).text
    return len(seen), page


def test_a_public_page_is_rendered_once_until_it_changes(app, client, world) -> None:
    path = f"/a/{world.slug_a}/"
    first, page = renders(app, client, path)
    assert first == 1 and "Beraad A" in page
    again, same = renders(app, client, path)
    assert again == 0 and same == page
    # English readers get their own copy
    english, page_en = renders(app, client, path, headers={"Accept-Language": "en"})
    assert english == 1 and page_en != page

    with app.app_context():
        session = get_session()
        item = session.exec(select(Assembly).where(Assembly.slug == world.slug_a)).one()
        session.add(Milestone(assembly_id=item.id, stage="draw", period="12 maart 2027"))
        session.commit()
    changed, page = renders(app, client, path)
    assert changed == 1 and "12 maart 2027" in page


def test_staff_always_see_the_page_afresh(app, client, world) -> None:
    path = f"/a/{world.slug_a}/"
    renders(app, client, path)
    login(client, world.emails["organiser"])
    count, _page = renders(app, client, path)
    assert count == 1


def test_without_a_cache_every_request_renders(make_app, world) -> None:
    app = make_app(PUBLIC_CACHE_PAGES=0)
    client = app.test_client()
    path = f"/a/{world.slug_a}/"
    assert renders(app, client, path)[0] == 1
    assert renders(app, client, path)[0] == 1
