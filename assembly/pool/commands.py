"""``flask --app app purge-expired``: remove the personal data whose retention has passed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlmodel import select

from ..db import get_session
from ..models import Assembly
from ..timeutil import utcnow
from . import privacy

ACTOR = "cli:purge-expired"


def _references(path: Path) -> list[str]:
    """The ids in a sortition file (selected.csv, reserves.csv): the ``id`` column or the first."""
    # Imported here: the engine pulls in SciPy, which the web app need not load at start-up.
    from sortition.errors import SortitionError
    from sortition.io import read_csv

    try:
        table = read_csv(path)
    except SortitionError as error:
        raise click.ClickException(f"{path}: {error.message}") from None
    lowered = [h.strip().lower() for h in table.header]
    column = lowered.index("id") if "id" in lowered else 0
    return [row[column].strip() for row in table.rows if row[column].strip()]


@click.command(
    "purge-expired",
    help=(
        "Remove the personal data of people who were not selected, in every assembly whose "
        "panel is final and whose retention period has passed. The panel draw says which "
        "panels are final; for a panel drawn elsewhere, name the assembly, the day the "
        "panel became final and the files with the ids to keep (the sortition engine's "
        "selected.csv and reserves.csv)."
    ),
)
@click.option("--assembly", "slug", help="Only this assembly (its web address).")
@click.option(
    "--panel-final-on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="With --assembly: the day its panel became final.",
)
@click.option(
    "--keep",
    "keep_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="With --panel-final-on: a CSV whose id column lists people to keep (repeatable).",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Pretend it is this day (to see what a later run will do).",
)
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@with_appcontext
def purge_expired(
    slug: str | None,
    panel_final_on: datetime | None,
    keep_files: tuple[Path, ...],
    today: datetime | None,
    dry_run: bool,
) -> None:
    session = get_session()
    query = select(Assembly).order_by(Assembly.slug)
    if slug:
        query = query.where(Assembly.slug == slug)
    assemblies = list(session.exec(query))
    if slug and not assemblies:
        raise click.ClickException(f"There is no assembly {slug!r}.")
    if panel_final_on is not None and not slug:
        raise click.ClickException("--panel-final-on needs --assembly.")
    if panel_final_on is not None and not keep_files:
        # Without the panel's ids everyone would be removed, the panel too.
        raise click.ClickException("--panel-final-on needs at least one --keep file.")

    panels: dict[int, privacy.FinalPanel] = {}
    for assembly in assemblies:
        assert assembly.id is not None
        if panel_final_on is not None:
            references = [r for path in keep_files for r in _references(path)]
            try:
                keep = privacy.ids_for_references(session, assembly, references)
            except KeyError as unknown:
                raise click.ClickException(
                    f"{unknown.args[0]!r} is not a registration of {assembly.slug}."
                ) from None
            final_at = panel_final_on.replace(tzinfo=UTC)
            panels[assembly.id] = privacy.FinalPanel(final_at, frozenset(keep))
            continue
        panel = privacy.final_panel(session, assembly)
        if panel is None:
            click.echo(f"{assembly.slug}: no final panel known; nothing removed.")
        else:
            panels[assembly.id] = panel

    day: date = today.date() if today is not None else utcnow().date()
    outcome = privacy.purge_expired(session, panels, today=day, actor=ACTOR, dry_run=dry_run)
    if not dry_run:
        session.commit()
    for item in outcome:
        if item.result is None:
            click.echo(
                f"{item.assembly.slug}: retention runs until {item.due_on}; nothing removed."
            )
        elif dry_run:
            click.echo(f"{item.assembly.slug}: would remove {item.result.purged} people's data.")
        else:
            click.echo(
                f"{item.assembly.slug}: removed the personal data of {item.result.purged} "
                f"people; kept {item.result.kept}."
            )
