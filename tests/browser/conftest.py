"""Fixtures of the browser tests: a real server process, Debian's Chromium driven by
Playwright, and the journey walked once per test process.

Chromium comes from the distribution (``apt-get install chromium``, as ``.ci/run`` does);
Playwright's own browser download is never used. Without ``/usr/bin/chromium`` these tests
are skipped with the reason, except under CI, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from .harness import Journey
from .journey import JOURNEY
from .server import ROOT, Server

CHROMIUM = Path(os.environ.get("BROWSER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def artifacts_root() -> Path:
    """Where screenshots and downloads go: ``BROWSER_ARTIFACTS`` or test-artifacts/browser."""
    return Path(os.environ.get("BROWSER_ARTIFACTS") or ROOT / "test-artifacts" / "browser")


def fresh_folder(name: str) -> Path:
    """A folder of the artifacts, emptied: it holds the last run only.

    ``make test`` runs the browser tests in one process. Run with pytest-xdist, each process
    walks the journey itself (a session fixture is per process), into a folder of its own.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    folder = artifacts_root() / (f"{name}-{worker}" if worker else name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per test process, on a free port, with a database folder of its own."""
    running = Server(tmp_path_factory.mktemp("browser-server"))
    try:
        running.start()
        yield running
    finally:
        running.stop()
        if running.log_path.exists():
            artifacts_root().mkdir(parents=True, exist_ok=True)
            worker = os.environ.get("PYTEST_XDIST_WORKER")
            name = f"server-{worker}.log" if worker else "server.log"
            shutil.copy(running.log_path, artifacts_root() / name)


@pytest.fixture(scope="session")
def walked(server: Server, browser: Browser) -> Iterator[Journey]:
    """The journey, walked once: the journey test checks it went all the way, the
    accessibility test checks the pages it audited on the way."""
    journey = Journey(server, browser, fresh_folder("journey"))
    journey.walk(JOURNEY)
    (journey.artifacts / "summary.txt").write_text(journey.summary() + "\n" + journey.trace)
    yield journey
    journey.close()
