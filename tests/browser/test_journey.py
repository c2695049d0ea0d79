"""The journey of one assembly in a real browser, against a real server process."""

from __future__ import annotations

import pytest

from .harness import Journey
from .journey import JOURNEY

pytestmark = pytest.mark.browser

# Issue #13: the journey stays under a minute. Measured without the evidence taken on the
# way (the screenshots and axe, shown apart in summary.txt): with them it took 55-60 s on
# the 2-core machine shared with four other developers' benchmarks, the walk 35-40 s.
MAX_SECONDS = 60


def test_the_journey_goes_all_the_way(walked: Journey) -> None:
    if walked.failure is not None:
        pytest.fail(
            f"the journey stopped at “{walked.failed_step}” (screenshots in "
            f"{walked.artifacts}):\n{walked.trace}\nserver log:\n{walked.server.log_tail()}",
            pytrace=False,
        )
    assert [r.name for r in walked.done] == [s.name for s in JOURNEY]
    assert walked.walk_seconds < MAX_SECONDS, walked.summary()
