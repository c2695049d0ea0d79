"""A real server process for the browser tests: ``flask run`` on a free port with a fresh
SQLite database of its own, migrated with ``flask db upgrade``.

The browser talks to it over HTTP exactly as a person's browser would; nothing here goes
through Flask's test client. The tests reach the same database directly only where the
brief allows it (reading a letter's code is done through the mail-merge download instead).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from flask import Flask

from assembly import create_app

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


def free_port() -> int:
    """A port nobody listens on now (the OS picks it, so parallel workers never collide)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerFailed(RuntimeError):
    pass


class Server:
    """``flask --app app run`` in a folder of its own: database, job queue, uploads, log."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = f"sqlite:///{folder / 'burgerberaad.db'}"
        self.log_path = folder / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._app: Flask | None = None

    @property
    def env(self) -> dict[str, str]:
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("BURGERBERAAD_") and name not in ("DATABASE_URL", "FLASK_APP")
        }
        env.update(
            BURGERBERAAD_ENV="development",
            BURGERBERAAD_SECRET_KEY=secrets.token_hex(16),
            BURGERBERAAD_DATABASE_URL=self.database_url,
            BURGERBERAAD_HUEY_PATH=str(self.folder / "jobs.db"),
            BURGERBERAAD_IMPORT_FOLDER=str(self.folder / "imports"),
            BURGERBERAAD_JOBS_IN_PROCESS="true",
            BURGERBERAAD_DEV_OUTBOX="true",
            BURGERBERAAD_BASE_URL=self.url,
            # A person takes longer than this to fill in the form; the bot check itself is
            # tested in tests/registration, and the journey should not wait seconds for it.
            BURGERBERAAD_REGISTRATION_MIN_FILL_SECONDS="0.5",
            PYTHONUNBUFFERED="1",
        )
        return env

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a ``flask --app app`` command against this server's database."""
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        if check and done.returncode != 0:
            raise ServerFailed(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.flask("db", "upgrade")
        self._log = self.log_path.open("ab")
        for attempt in range(3):
            try:
                self._start()
                return
            except ServerFailed:
                # Another process may have taken the free port between asking and binding.
                if attempt == 2 or "Address already in use" not in self.log_tail():
                    raise
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"

    def _start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "run",
             "--host", "127.0.0.1", "--port", str(self.port), "--no-reload", "--no-debugger"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise ServerFailed(f"the server exited at start:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise ServerFailed(f"the server did not answer in {STARTUP_SECONDS} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
        if self._app is not None:
            from assembly.db import get_engine

            get_engine(self._app).dispose()

    @contextmanager
    def app_context(self) -> Iterator[Flask]:
        """The application on this server's database, in this (the test's) process: for the
        few things the journey cannot do through a page yet (see ``make_staff``)."""
        if self._app is None:
            self._app = create_app(
                {"ENV": "development", "DATABASE_URL": self.database_url, "TESTING": True}
            )
        with self._app.app_context():
            yield self._app
