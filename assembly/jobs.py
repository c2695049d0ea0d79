"""Background jobs on huey: survive restarts, run in a separate worker process.

Job functions are plain functions registered with :func:`job` (or :func:`periodic`) at
import time; each application registers them on its own huey instance in ``init_app``, so
no queue or app exists at import. Storage: SQLite under ``instance/`` by default, Redis when
``BURGERBERAAD_REDIS_URL`` is set (needed when workers run on several machines).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from .settings import settings

log = logging.getLogger(__name__)

HUEY_EXT = "burgerberaad.huey"
TASKS_EXT = "burgerberaad.tasks"


@dataclass
class _JobSpec:
    func: Callable[..., Any]
    retries: int = 0
    retry_delay: int = 0
    schedule: dict[str, str] | None = None
    options: dict[str, Any] = field(default_factory=dict)


_registry: dict[str, _JobSpec] = {}


def job(*, retries: int = 0, retry_delay: int = 0) -> Callable[[Callable[..., Any]], Any]:
    """Register a background job; enqueue it with ``enqueue(func, *args)``."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        _registry[_name(func)] = _JobSpec(func, retries, retry_delay)
        return func

    return decorator


def periodic(**cron: str) -> Callable[[Callable[..., Any]], Any]:
    """Register a job that the worker runs on a schedule (huey ``crontab`` arguments)."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        _registry[_name(func)] = _JobSpec(func, schedule=cron)
        return func

    return decorator


def _name(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def make_huey(app: Flask) -> Huey:
    config = settings(app)
    common: dict[str, Any] = {"results": False, "utc": True}
    if config.jobs_immediate:
        return Huey("burgerberaad", immediate=True, **common)
    if config.redis_url:
        return RedisHuey("burgerberaad", url=config.redis_url, **common)
    path = Path(config.huey_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("burgerberaad", filename=str(path), **common)


def init_app(app: Flask) -> None:
    huey = make_huey(app)
    tasks: dict[str, Any] = {}
    for name, spec in _registry.items():
        wrapped = _with_app_context(app, spec.func)
        if spec.schedule is not None:
            tasks[name] = huey.periodic_task(crontab(**spec.schedule), name=name)(wrapped)
        else:
            tasks[name] = huey.task(retries=spec.retries, retry_delay=spec.retry_delay, name=name)(
                wrapped
            )
    app.extensions[HUEY_EXT] = huey
    app.extensions[TASKS_EXT] = tasks
    app.cli.add_command(worker_command)
    if settings(app).jobs_in_process and not huey.immediate:
        _start_in_process_consumer_on_first_request(app, huey)


def _with_app_context(app: Flask, func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        with app.app_context():
            return func(*args, **kwargs)

    return run


def enqueue(func: Callable[..., Any] | str, *args: Any, **kwargs: Any) -> None:
    """Queue a registered job; runs at once when the queue is in immediate mode."""
    name = func if isinstance(func, str) else _name(func)
    current_app.extensions[TASKS_EXT][name](*args, **kwargs)


def get_huey(app: Flask | None = None) -> Huey:
    return (app or current_app).extensions[HUEY_EXT]


class _ThreadConsumer(Consumer):
    # The server owns the process's signals (Ctrl-C must stop `flask run`), so the
    # in-process consumer must not install its own handlers.
    def _set_signal_handlers(self) -> None:
        pass


def _start_in_process_consumer_on_first_request(app: Flask, huey: Huey) -> None:
    """For `make demo`: run the jobs in threads of the web server, no extra service.

    Started on the first request rather than at creation, so CLI commands and the
    reloader's parent process never start one.
    """
    lock = threading.Lock()
    state = {"started": False}

    @app.before_request
    def _start_consumer() -> None:
        if state["started"]:
            return
        with lock:
            if not state["started"]:
                consumer = _ThreadConsumer(huey, workers=1, periodic=True, worker_type="thread")
                consumer.start()
                state["started"] = True
                log.info("In-process job consumer started")


@click.command("worker", help="Run the background job worker (mail, draws, imports).")
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
@with_appcontext
def worker_command(workers: int) -> None:
    huey = get_huey()
    if huey.immediate:
        raise click.ClickException("Jobs run immediately in this configuration; no worker needed.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    Consumer(huey, workers=workers, periodic=True, worker_type="thread").run()
