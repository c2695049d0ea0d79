from __future__ import annotations

import pytest

from assembly.db import get_session
from assembly.draw import ceremony, runs

from ..conftest import login
from .helpers import Person, assembly, make_pool


@pytest.fixture
def pool(app, world) -> list[Person]:
    return make_pool(app)


@pytest.fixture
def organiser(client, world):
    login(client, world.emails["organiser"])
    return client


def compute(app, slug: str = "beraad-a") -> None:
    """Start the lottery; the test configuration runs the job at once."""
    with app.test_request_context():
        session = get_session()
        runs.start_draw(session, "test", assembly(slug))
        session.commit()


def draw(app, slug: str = "beraad-a", seed: str = "07 12 19 33 41") -> None:
    """Compute, publish and enter the seed."""
    compute(app, slug)
    with app.test_request_context():
        session = get_session()
        ceremony.publish(session, "test", assembly(slug), "Vijf getallen, live getrokken.")
        session.commit()
        ceremony.enter_seed(session, "test", assembly(slug), seed)
        session.commit()
