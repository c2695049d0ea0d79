"""The quota editor: shares, tolerances, computed and edited bounds, population figures."""

from __future__ import annotations

import io

from sqlmodel import select

from assembly.db import get_session
from assembly.draw import engine
from assembly.models import AuditEntry

from ..conftest import login
from .helpers import assembly

URL = "/beheer/a/beraad-a/loting/quota"


def _lines(app) -> dict[str, engine.QuotaLine]:
    with app.app_context():
        return {
            f"{line.category}:{line.value}": line
            for line in engine.quota_lines(get_session(), assembly())
        }


def _form(lines: dict[str, engine.QuotaLine], **changes: str) -> dict[str, str]:
    data = {}
    for line in lines.values():
        data[f"share_{line.option_id}"] = "" if line.share is None else f"{line.share * 100:g}"
        data[f"tolerance_{line.option_id}"] = f"{line.tolerance * 100:g}"
        data[f"min_{line.option_id}"] = str(line.min)
        data[f"max_{line.option_id}"] = str(line.max)
        for field, value in changes.items():
            name, _, wanted = field.partition("__")
            if wanted.replace("_", "-") == line.value.replace("+", "plus").lower():
                data[f"{name}_{line.option_id}"] = value
    return data


def test_editor_shows_targets_bounds_and_pool(organiser, app, pool) -> None:
    page = organiser.get(URL).text
    lines = _lines(app)
    vrouw = lines["geslacht:vrouw"]
    # panel 8, share 50 % ± 15 points: 8 × 0.35 = 2.8 → 2 and 8 × 0.65 = 5.2 → 6
    assert (vrouw.min, vrouw.max) == (2, 6)
    assert f'name="min_{vrouw.option_id}"' in page and 'value="2"' in page
    assert f'for="share_{vrouw.option_id}"' in page  # every input has a label
    assert "Walcheren" in page and "Zeeuws-Vlaanderen" in page
    assert "geen doel" in page or "no target" in page  # "prefer not to say"


def test_changing_a_share_recomputes_min_and_max(organiser, app, pool) -> None:
    lines = _lines(app)
    data = _form(lines, share__vrouw="60")
    response = organiser.post(URL, data=data)
    assert response.status_code == 303
    after = _lines(app)["geslacht:vrouw"]
    assert after.share == 0.6 and (after.min, after.max) == (3, 6)  # 3.6 → 3, 6.0 → 6
    assert not after.edited
    with app.app_context():
        entry = (
            get_session().exec(select(AuditEntry).where(AuditEntry.action == "draw.quotas")).one()
        )
        assert '"value": "vrouw"' in entry.payload


def test_edited_bounds_stay_until_the_share_changes(organiser, app, pool) -> None:
    organiser.post(URL, data=_form(_lines(app), min__man="1"))
    man = _lines(app)["geslacht:man"]
    assert man.min == 1 and man.edited and man.computed_min == 2
    assert "berekend: 2" in organiser.get(URL).text or "computed: 2" in organiser.get(URL).text
    organiser.post(URL, data=_form(_lines(app), tolerance__man="10"))
    man = _lines(app)["geslacht:man"]
    assert (man.min, man.max) == (3, 5) and not man.edited


def test_min_above_max_is_refused_and_marked(organiser, app, pool) -> None:
    lines = _lines(app)
    page = organiser.post(URL, data=_form(lines, min__vrouw="7", max__vrouw="5"))
    assert page.status_code == 200
    option = lines["geslacht:vrouw"].option_id
    assert f'aria-describedby="min_{option}-error"' in page.text
    assert _lines(app)["geslacht:vrouw"].min == 2  # nothing saved


def test_population_figures_from_csv(organiser, app, pool) -> None:
    data = "category;value;share\r\nleeftijd;16-34;25%\r\nleeftijd;35-64;50\r\nleeftijd;65+;25\r\n"
    response = organiser.post(
        URL + "/import", data={"file": (io.BytesIO(data.encode()), "cbs.csv")}
    )
    assert response.status_code == 303
    lines = _lines(app)
    assert lines["leeftijd:16-34"].share == 0.25
    assert lines["leeftijd:35-64"].share == 0.5
    assert lines["leeftijd:65+"].share == 0.25


def test_population_figures_with_errors_change_nothing(organiser, app, pool) -> None:
    data = "category,value,share\nleeftijd,16-34,25\nleeftijd,12-15,0.1\nregio,Walcheren,veel\n"
    response = organiser.post(
        URL + "/import",
        data={"file": (io.BytesIO(data.encode()), "cbs.csv")},
        follow_redirects=True,
    )
    assert _lines(app)["leeftijd:16-34"].share == 0.3
    assert "Rij 3" in response.text or "Row 3" in response.text
    assert "Rij 4" in response.text or "Row 4" in response.text


def test_population_figures_without_a_file_show_the_error_at_the_field(
    organiser, app, pool
) -> None:
    response = organiser.post(URL + "/import", data={})
    assert response.status_code == 200
    page = response.text
    assert '<p class="error" id="file-error">Kies een CSV-bestand. </p>' in page
    assert 'aria-describedby="file-hint file-error"' in page


def test_observer_reads_the_quotas_without_fields(client, world, app, pool) -> None:
    login(client, world.emails["observer"])
    page = client.get(URL).text
    assert "Walcheren" in page
    assert 'name="min_' not in page and 'name="share_' not in page


def _import(organiser, data: str):
    return organiser.post(
        URL + "/import",
        data={"file": (io.BytesIO(data.encode()), "cbs.csv")},
        follow_redirects=True,
    )


def test_population_figures_with_a_duplicate_row_are_refused_with_the_row(
    organiser, app, pool
) -> None:
    """#12.8: a value twice in the file (the last one used to win) is refused by its row."""
    data = "category,value,share\nleeftijd,16-34,25\nleeftijd,35-64,50\nleeftijd,16-34,20\n"
    page = _import(organiser, data).text
    assert "Rij 4, kolom “value”: Deze waarde komt twee keer voor." in page
    assert _lines(app)["leeftijd:16-34"].share == 0.3  # nothing changed


def test_population_figures_above_a_hundred_percent_are_refused_with_the_row(
    organiser, app, pool
) -> None:
    """#12.8: shares of one category adding to 140% are refused by the row that tips it."""
    data = "category,value,share\nleeftijd,16-34,40\nleeftijd,35-64,60\nleeftijd,65+,40\n"
    page = _import(organiser, data).text
    assert "Rij 4, kolom “share”" in page and "140" in page
    assert _lines(app)["leeftijd:16-34"].share == 0.3
