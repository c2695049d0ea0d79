"""Load test: the public pages and the registration POST under gunicorn (4 workers).

Builds the demo on a fresh database (SQLite file, or a PostgreSQL database that is dropped
and created), starts ``gunicorn -w 4`` on it, then

- hits each public page with 20 concurrent clients (``wrk`` when installed, Python threads
  otherwise) and reports requests per second, p50 and p99;
- registers people with unused letter codes from 20 concurrent clients through the real
  form (code page, form page, CSRF token, timing token, POST) and reports the server time of
  the POST (gunicorn's access log, ``%(D)s``) and the client's latency.

Usage::

    .venv/bin/python benchmarks/load.py --database sqlite
    .venv/bin/python benchmarks/load.py --database postgresql
    .venv/bin/python benchmarks/load.py --database sqlite --seconds 5 --registrations 100

The last line of output is JSON with every figure. Needs gunicorn (the ``production``
extra); ``wrk`` (Debian package) is used for the GET load when it is on the PATH.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SLUG = "zorg-zeeland-demo"
PUBLIC_PAGES = (
    f"/a/{SLUG}/",
    f"/a/{SLUG}/loting",
    f"/a/{SLUG}/loting/mensen.csv",
    f"/a/{SLUG}/loting/report.json",
)
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "burgerberaad_load"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(database_url: str, folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BURGERBERAAD_ENV="development",
        BURGERBERAAD_SECRET_KEY="load-test-" + "x" * 40,
        BURGERBERAAD_DATABASE_URL=database_url,
        BURGERBERAAD_HUEY_PATH=str(folder / "jobs.db"),
        BURGERBERAAD_IMPORT_FOLDER=str(folder / "imports"),
        # A load test sends forms at once; bots are recognised by the other means.
        BURGERBERAAD_REGISTRATION_MIN_FILL_SECONDS="0",
        # Many registrations come from one address here.
        BURGERBERAAD_OPEN_REGISTRATIONS_PER_IP="1000000",
        BURGERBERAAD_CODE_MAX_FAILURES_PER_IP="1000000",
    )
    return env


def prepare_database(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'load.db'}"
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DATABASE


def flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def unused_codes(database_url: str, count: int) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    query = text(
        "SELECT i.code FROM invitation i "
        "JOIN invitation_batch b ON b.id = i.batch_id "
        "JOIN assembly a ON a.id = b.assembly_id "
        "LEFT JOIN registration r ON r.invitation_id = i.id "
        "WHERE a.slug = :slug AND r.id IS NULL ORDER BY i.id LIMIT :n"
    )
    with engine.connect() as connection:
        codes = [row[0] for row in connection.execute(query, {"slug": SLUG, "n": count})]
    engine.dispose()
    return codes


class Server:
    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.port = free_port()
        self.log = folder / "access.log"
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w",
                "4",
                "-b",
                f"127.0.0.1:{self.port}",
                "--access-logfile",
                str(self.log),
                "--access-logformat",
                "%(m)s %(U)s %(s)s %(D)s",
                "app:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(folder / "gunicorn.log").open("w"),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _body, _headers = request(self.port, "GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)

    def server_times(self, method: str, path_pattern: str) -> list[float]:
        """Milliseconds the server spent on matching requests (from the access log)."""
        pattern = re.compile(rf"^{method} {path_pattern} (\d+) (\d+)$")
        times = []
        for line in self.log.read_text().splitlines():
            found = pattern.match(line)
            if found:
                times.append(int(found.group(2)) / 1000)
        return times


def request(
    port: int,
    method: str,
    path: str,
    body: str | None = None,
    cookies: dict[str, str] | None = None,
) -> tuple[int, str, http.client.HTTPMessage]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Accept-Language": "nl"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    connection.close()
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _sep, rest = header.partition("=")
        if cookies is not None:
            cookies[name] = rest.split(";", 1)[0]
    return response.status, text, response.headers


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


# --- the public pages ---------------------------------------------------------------------


def wrk_load(port: int, path: str, seconds: int, clients: int) -> dict[str, Any]:
    done = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "--timeout", "10s",
         f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    out = done.stdout

    def latency(label: str) -> float:
        found = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not found:
            return float("nan")
        value, unit = float(found.group(1)), found.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": float(rate.group(1)) if rate else 0.0,
        "p50_ms": latency("50%"),
        "p99_ms": latency("99%"),
        "errors": int(errors.group(1)) if errors else 0,
        "tool": "wrk",
    }


def thread_load(port: int, path: str, seconds: int, clients: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        while time.monotonic() < stop:
            began = time.perf_counter()
            status, _body, _headers = request(port, "GET", path)
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(elapsed)
                errors += status != 200

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "requests_per_s": len(latencies) / seconds,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "errors": errors,
        "tool": "python threads",
    }


# --- registrations ---------------------------------------------------------------------------


class FormReader(HTMLParser):
    """The registration form's fields: hidden values, the first choice of every radio group."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.checkboxes: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "input":
            return
        found = {k: v or "" for k, v in attrs}
        name, kind = found.get("name", ""), found.get("type", "text")
        if not name:
            return
        if kind == "hidden":
            self.fields[name] = found.get("value", "")
        elif kind == "radio":
            self.fields.setdefault(name, found.get("value", ""))
        elif kind == "checkbox":
            self.checkboxes.setdefault(name, found.get("value", "y"))


def register(port: int, code: str, number: int) -> tuple[float, int]:
    cookies: dict[str, str] = {}
    status, _body, headers = request(
        port, "GET", f"/a/{SLUG}/aanmelden?code={urllib.parse.quote(code)}", cookies=cookies
    )
    location = headers.get("Location", f"/a/{SLUG}/aanmelden/formulier")
    path = urllib.parse.urlsplit(location).path or f"/a/{SLUG}/aanmelden/formulier"
    status, page, _headers = request(port, "GET", path, cookies=cookies)
    reader = FormReader()
    reader.feed(page)
    data = dict(reader.fields)
    for name, value in reader.checkboxes.items():
        if name.startswith("consent") or name == "availability":
            data[name] = value
    data.update(
        name=f"Load Test {number}",
        email=f"load{number}@example.org",
        phone="06 12345678",
        website="",
    )
    body = urllib.parse.urlencode(data)
    began = time.perf_counter()
    status, _page, _headers = request(port, "POST", path, body=body, cookies=cookies)
    return (time.perf_counter() - began) * 1000, status


def registration_load(port: int, codes: list[str], clients: int) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    queue = list(enumerate(codes))

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                number, code = queue.pop()
            elapsed, status = register(port, code, number)
            with lock:
                latencies.append(elapsed)
                statuses.append(status)

    began = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "registrations": len(codes),
        "accepted": sum(1 for s in statuses if s == 303),
        "seconds": round(time.monotonic() - began, 2),
        "client_p50_ms": round(percentile(latencies, 0.5), 1),
        "client_p99_ms": round(percentile(latencies, 0.99), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seconds", type=int, default=10, help="per public page")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--registrations", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="burgerberaad-load-"))
    database_url = prepare_database(args.database, folder)
    env = environment(database_url, folder)
    print(f"Building the demo on {args.database} in {folder} …", flush=True)
    flask(env, "db", "upgrade")
    flask(env, "demo", "--password", "load-test-password")
    codes = unused_codes(database_url, args.registrations)
    server = Server(env, folder)
    results: dict[str, Any] = {"database": args.database, "clients": args.clients, "pages": {}}
    try:
        use_wrk = shutil.which("wrk") is not None
        for path in PUBLIC_PAGES:
            request(server.port, "GET", path)  # warm the workers' caches
            load = wrk_load if use_wrk else thread_load
            results["pages"][path] = found = load(server.port, path, args.seconds, args.clients)
            print(
                f"GET {path}: {found['requests_per_s']:.0f}/s, p50 {found['p50_ms']:.1f} ms, "
                f"p99 {found['p99_ms']:.1f} ms, errors {found['errors']}",
                flush=True,
            )
        found = registration_load(server.port, codes, args.clients)
        server_times = server.server_times("POST", rf"/a/{SLUG}/aanmelden/formulier")
        found["server_p50_ms"] = round(percentile(server_times, 0.5), 1)
        found["server_p99_ms"] = round(percentile(server_times, 0.99), 1)
        found["server_mean_ms"] = round(statistics.fmean(server_times), 1) if server_times else None
        results["registration"] = found
        print(
            f"POST registration: {found['accepted']}/{found['registrations']} accepted in "
            f"{found['seconds']} s; server p50 {found['server_p50_ms']} ms, "
            f"p99 {found['server_p99_ms']} ms; client p50 {found['client_p50_ms']} ms, "
            f"p99 {found['client_p99_ms']} ms",
            flush=True,
        )
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
