"""Benchmark recruitment: the address import, the invitation lottery and the letters PDF.

Generates a synthetic registry extract (Zeeland municipalities, as in the demo) and then,
per run, on a fresh database and with the application's own service functions:

a. imports the addresses synchronously (``addresses.import_addresses``, one transaction):
   wall time and the peak memory of the process (``ru_maxrss``);
a'. imports them as the web application does, through the background job
   (``import_job.start`` + ``import_job.run``: short transactions into a staging table,
   then one copy inside the database): wall time, peak memory and the longest transaction,
   which on SQLite is how long other requests may have to wait for the write lock;
b. draws an invitation lottery of 10,000 letters from the imported list;
c. renders the PDF of 1,000 of those letters (one file, as the download gives it).

Every step runs in a fresh child process (this script with ``--child``), so its peak
memory is its own. Medians over ``--runs`` runs are printed and written, with every
measurement, to ``benchmarks/out/recruitment-<time>.json``.

Usage::

    .venv/bin/python benchmarks/recruitment_bench.py [--runs 3] [--rows 500000]
    .venv/bin/python benchmarks/recruitment_bench.py --database-url \\
        postgresql+psycopg://postgres@127.0.0.1:5432/burgerberaad_bench

With ``--database-url`` the database is emptied before every run (its ``public`` schema is
dropped): use a database of its own. See benchmarks/RECRUITMENT.md for measured figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
SLUG = "bench"
# The targets.
TARGETS = {
    "import_seconds": 60.0,
    "import_peak_mb": 300.0,
    "job_import_seconds": 60.0,
    "job_import_peak_mb": 300.0,
    "draw_seconds": 5.0,
    "pdf_seconds": 60.0,
}


# --- the synthetic registry extract ---------------------------------------------------------


def write_registry(path: Path, rows: int, seed: int = 2025) -> None:
    """``rows`` addresses over the 13 Zeeland municipalities in proportion to population,
    written row by row (the file, not the generator, is what gets big)."""
    sys.path.insert(0, str(REPO))
    from assembly.demo.recruitment import STREETS, ZEELAND
    from assembly.recruitment.lottery import largest_remainder

    population = {name: float(people) for name, people, _pc in ZEELAND}
    counts = largest_remainder(rows, population, {name: rows for name in population})
    rng = random.Random(seed)
    letters = "ABCDEGHJKLMNPRST"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(
            "address_id,street,house_number,postcode,city,municipality,district,"
            "residents_16plus\r\n"
        )
        n = 0
        for name, _people, postcode in ZEELAND:
            for i in range(counts[name]):
                n += 1
                number = f"{rng.randint(1, 250)}{rng.choice(('', '', '', 'a', 'b', '-2'))}"
                code = f"{postcode + rng.randint(0, 9)} {rng.choice(letters)}{rng.choice(letters)}"
                district = f"{name} {('Noord', 'Zuid', 'Oost', 'West')[i % 4]}"
                adults = rng.choice((1, 1, 2, 2, 2, 3, 4))
                out.write(
                    f"BRP{n:09d},{rng.choice(STREETS)},{number},{code},{name},{name},"
                    f"{district},{adults}\r\n"
                )


# --- the child processes ---------------------------------------------------------------------


def _peak_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def _app(database_url: str, work: Path) -> Any:
    sys.path.insert(0, str(REPO))
    from assembly import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "benchmark",
            "DATABASE_URL": database_url,
            "JOBS_IMMEDIATE": True,
            "IMPORT_FOLDER": str(work / "imports"),
            "BASE_URL": "https://burgerberaad.example.nl",
        }
    )


class _TransactionClock:
    """The longest transaction on an engine (on SQLite: the longest hold of the write lock,
    since every transaction there begins with BEGIN IMMEDIATE)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.longest = 0.0
        self.count = 0
        self._started: dict[int, float] = {}
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _begin(self, connection: Any) -> None:
        self._started[id(connection)] = time.perf_counter()

    def _end(self, connection: Any) -> None:
        started = self._started.pop(id(connection), None)
        if started is not None:
            self.count += 1
            self.longest = max(self.longest, time.perf_counter() - started)


def _fresh_schema(app: Any) -> None:
    from sqlalchemy import text

    from assembly.db import get_engine, upgrade

    engine = get_engine(app)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)


def _new_assembly(app: Any) -> None:
    from assembly.dashboard.service import AssemblyData, create_assembly
    from assembly.db import new_session

    session = new_session(app)
    create_assembly(
        session, None, AssemblyData(name="Benchmark Zeeland", slug=SLUG, panel_size=150)
    )
    session.commit()
    session.close()


def _assembly(session: Any) -> Any:
    from sqlmodel import select

    from assembly.models import Assembly

    return session.exec(select(Assembly).where(Assembly.slug == SLUG)).one()


def child_import(database_url: str, csv_path: Path, work: Path, job: bool) -> dict[str, Any]:
    from assembly.db import get_engine, new_session
    from assembly.recruitment import addresses, import_job

    app = _app(database_url, work)
    with app.app_context():
        _fresh_schema(app)
        _new_assembly(app)
        clock = _TransactionClock(get_engine(app))
        baseline = _peak_mb()
        session = new_session(app)
        item = _assembly(session)
        started = time.perf_counter()
        if job:
            with csv_path.open("rb") as upload:
                record = import_job.start(session, None, item, upload)
            session.commit()
            saved = time.perf_counter() - started
            import_job.run(record.id, app)  # type: ignore[arg-type]
            session.expire_all()
            record = import_job.latest(session, item)
            assert record is not None and record.status == "done", record
            imported, rows = record.imported, record.rows_read
        else:
            saved = 0.0
            with csv_path.open("rb") as upload:
                report = addresses.import_addresses(session, "benchmark", item, upload)
            session.commit()
            imported, rows = report.imported, report.rows
        seconds = time.perf_counter() - started
        session.close()
    return {
        "seconds": seconds,
        "upload_save_seconds": saved,
        "rows": rows,
        "imported": imported,
        "peak_mb": _peak_mb(),
        "baseline_mb": baseline,
        "longest_transaction_seconds": clock.longest,
        "transactions": clock.count,
    }


def child_draw(database_url: str, work: Path, letters: int) -> dict[str, Any]:
    from assembly.db import new_session
    from assembly.recruitment import lottery

    app = _app(database_url, work)
    with app.app_context():
        session = new_session(app)
        item = _assembly(session)
        started = time.perf_counter()
        batch = lottery.draw_batch(
            session, "benchmark", item, lottery.DrawRequest(letters=letters, seed="benchmark")
        )
        session.commit()
        seconds = time.perf_counter() - started
        session.close()
    return {"seconds": seconds, "letters": batch.letters, "peak_mb": _peak_mb()}


def child_pdf(database_url: str, work: Path, letters: int) -> dict[str, Any]:
    from assembly.db import new_session
    from assembly.recruitment import letters as letters_module
    from assembly.recruitment import mail_merge

    app = _app(database_url, work)
    with app.app_context():
        session = new_session(app)
        item = _assembly(session)
        started = time.perf_counter()
        # As the download does: the rows of one file, then the pages.
        query = mail_merge.letter_rows_query(item, 1).limit(letters)
        rows = letters_module.letters_from_rows(session.execute(query))
        session.commit()
        with tempfile.TemporaryFile() as out:
            pages = letters_module.write_pdf(out, item, rows, app.config["BASE_URL"])
            size = out.tell()
        seconds = time.perf_counter() - started
        session.close()
    return {"seconds": seconds, "pages": pages, "bytes": size, "peak_mb": _peak_mb()}


def _run_child(args: list[str]) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"child {args[:2]} failed with exit code {result.returncode}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the parent --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=500_000, help="addresses in the extract")
    parser.add_argument("--letters", type=int, default=10_000, help="letters in the lottery")
    parser.add_argument("--pdf-letters", type=int, default=1000, help="letters in the PDF")
    parser.add_argument(
        "--database-url",
        default="",
        help="SQLAlchemy URL of an empty database to use (emptied every run); "
        "default: a fresh SQLite file per run",
    )
    parser.add_argument("--skip-job", action="store_true", help="skip the background import")
    parser.add_argument("--out", type=Path, default=OUT)
    # Internal: one measurement in a child process.
    parser.add_argument("--child", choices=["import", "job", "draw", "pdf"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        if args.child in ("import", "job"):
            result = child_import(args.database_url, args.csv, args.work, args.child == "job")
        elif args.child == "draw":
            result = child_draw(args.database_url, args.work, args.letters)
        else:
            result = child_pdf(args.database_url, args.work, args.pdf_letters)
        print(json.dumps(result))
        return 0

    args.out.mkdir(parents=True, exist_ok=True)
    backend = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="recruitment-bench-") as tmp:
        work = Path(tmp)
        csv_path = work / f"registry-{args.rows}.csv"
        started = time.perf_counter()
        write_registry(csv_path, args.rows)
        print(
            f"registry extract: {args.rows} rows, {csv_path.stat().st_size / 1e6:.1f} MB "
            f"({time.perf_counter() - started:.1f} s); database: {backend}\n",
            flush=True,
        )
        for run in range(1, args.runs + 1):
            url = args.database_url or f"sqlite:///{work / f'run-{run}.db'}"
            common = ["--database-url", url, "--work", str(work)]
            measured: dict[str, Any] = {"run": run}
            if not args.skip_job:
                job_url = args.database_url or f"sqlite:///{work / f'run-{run}-job.db'}"
                measured["job_import"] = _run_child(
                    ["--child", "job", "--csv", str(csv_path), "--database-url", job_url]
                    + ["--work", str(work)]
                )
            # The synchronous import last, so the draw and the PDF use its list.
            measured["import"] = _run_child(["--child", "import", "--csv", str(csv_path), *common])
            measured["draw"] = _run_child(
                ["--child", "draw", "--letters", str(args.letters), *common]
            )
            measured["pdf"] = _run_child(
                ["--child", "pdf", "--pdf-letters", str(args.pdf_letters), *common]
            )
            runs.append(measured)
            print(_run_line(measured), flush=True)
            for name in (f"run-{run}.db", f"run-{run}-job.db"):
                for suffix in ("", "-wal", "-shm"):
                    (work / f"{name}{suffix}").unlink(missing_ok=True)

    summary = _summary(runs)
    print()
    for name, value in summary.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else ("  ok" if value < target else f"  OVER {target}")
        print(f"{name:<36} {value:10.2f}{verdict}")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.out / f"recruitment-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "when": stamp,
                "machine": {
                    "platform": platform.platform(),
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                },
                "database": backend,
                "rows": args.rows,
                "letters": args.letters,
                "pdf_letters": args.pdf_letters,
                "targets": TARGETS,
                "median": summary,
                "runs": runs,
            },
            indent=2,
        )
    )
    print(f"\nwritten: {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    over = [name for name, target in TARGETS.items() if summary.get(name, 0) >= target]
    return 1 if over else 0


def _run_line(m: dict[str, Any]) -> str:
    parts = [f"run {m['run']}:"]
    if "job_import" in m:
        job = m["job_import"]
        parts.append(
            f"job import {job['seconds']:.1f} s / {job['peak_mb']:.0f} MB "
            f"(longest transaction {job['longest_transaction_seconds']:.2f} s);"
        )
    imp = m["import"]
    parts.append(
        f"import {imp['seconds']:.1f} s / {imp['peak_mb']:.0f} MB "
        f"(one transaction of {imp['longest_transaction_seconds']:.1f} s);"
    )
    parts.append(f"draw {m['draw']['seconds']:.2f} s;")
    parts.append(f"PDF {m['pdf']['pages']} letters {m['pdf']['seconds']:.1f} s")
    return " ".join(parts)


def _summary(runs: list[dict[str, Any]]) -> dict[str, float]:
    def median(step: str, key: str) -> float:
        return statistics.median(r[step][key] for r in runs if step in r)

    summary = {
        "import_seconds": median("import", "seconds"),
        "import_peak_mb": median("import", "peak_mb"),
        "import_baseline_mb": median("import", "baseline_mb"),
        "import_longest_transaction_seconds": median("import", "longest_transaction_seconds"),
    }
    if any("job_import" in r for r in runs):
        summary.update(
            {
                "job_import_seconds": median("job_import", "seconds"),
                "job_import_upload_save_seconds": median("job_import", "upload_save_seconds"),
                "job_import_peak_mb": median("job_import", "peak_mb"),
                "job_import_longest_transaction_seconds": median(
                    "job_import", "longest_transaction_seconds"
                ),
            }
        )
    summary.update(
        {
            "draw_seconds": median("draw", "seconds"),
            "draw_peak_mb": median("draw", "peak_mb"),
            "pdf_seconds": median("pdf", "seconds"),
            "pdf_peak_mb": median("pdf", "peak_mb"),
            "pdf_mb": median("pdf", "bytes") / 1e6,
        }
    )
    return summary


if __name__ == "__main__":
    sys.exit(main())
