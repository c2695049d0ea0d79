"""The CSV loaders: accepted formats and a located error for every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from sortition_helpers import write

from sortition import InputError
from sortition.io import load_people, load_quotas

QUOTAS = "feature,value,min,max\ngender,female,1,2\ngender,male,1,2\nage,young,0,3\nage,old,0,3\n"
PEOPLE = (
    "id,gender,age,street\np1,female,young,A\np2,male,old,B\np3,female,old,A\np4,male,young,C\n"
)


def error_of(call, *args, **kwargs) -> InputError:  # noqa: ANN001 - any loader
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    return info.value


@pytest.fixture
def quotas_file(tmp_path: Path) -> Path:
    return write(tmp_path / "categories.csv", QUOTAS)


# --- quotas -------------------------------------------------------------------------


def test_quotas_new_header(quotas_file: Path) -> None:
    quotas = load_quotas(quotas_file)
    assert quotas.categories == ("gender", "age")
    assert quotas.values == (("female", "male"), ("young", "old"))
    assert list(quotas.lower) == [1, 1, 0, 0]
    assert list(quotas.upper) == [2, 2, 3, 3]
    assert quotas.ordered[0].row == 2


def test_quotas_flex_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.csv",
        "feature,value,min,max,min_flex,max_flex\ng,a,1,2,0,4\ng,b,1,2,,\n",
    )
    a, b = load_quotas(path).ordered
    assert (a.min_flex, a.max_flex) == (0, 4)
    assert (b.min_flex, b.max_flex) == (None, None)


def test_quotas_old_header(tmp_path: Path) -> None:
    text = "category,feature,min,max\ngender,female,9,20\ngender,male,9,20\n"
    path = write(tmp_path / "c.csv", text)
    quotas = load_quotas(path)
    assert quotas.categories == ("gender",)
    assert quotas.values == (("female", "male"),)


def test_quotas_header_case_and_spaces(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", " Feature , VALUE ,Min, MAX \n Gender , Female ,1,2\n")
    quota = load_quotas(path).ordered[0]
    assert (quota.category, quota.value, quota.min, quota.max) == ("Gender", "Female", 1, 2)


def test_quotas_bom_and_semicolons(tmp_path: Path) -> None:
    data = "\ufefffeature;value;min;max\r\ngender;female;1;2\r\ngender;male;1;2\r\n"
    quotas = load_quotas(write(tmp_path / "c.csv", data.encode("utf-8")))
    assert quotas.categories == ("gender",)
    assert list(quotas.upper) == [2, 2]


def test_quotas_tabs(tmp_path: Path) -> None:
    quotas = load_quotas(write(tmp_path / "c.tsv", "feature\tvalue\tmin\tmax\ng\ta\t0\t1\n"))
    assert quotas.values == (("a",),)


@pytest.mark.parametrize("bad", ["3.5", "", "abc", " "])
@pytest.mark.parametrize("column", ["min", "max"])
def test_quota_not_integer(tmp_path: Path, bad: str, column: str) -> None:
    row = {"min": "1", "max": "2", column: bad}
    text = f"feature,value,min,max\ng,a,0,1\ng,b,{row['min']},{row['max']}\n"
    path = write(tmp_path / "c.csv", text)
    error = error_of(load_quotas, path)
    assert (error.code, error.file, error.row) == ("not_integer", str(path), 3)
    assert error.column == column


def test_quota_flex_not_integer(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "feature,value,min,max,min_flex\ng,a,0,1,x\n")
    error = error_of(load_quotas, path)
    assert (error.code, error.row, error.column) == ("not_integer", 2, "min_flex")


def test_quota_negative(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "feature,value,min,max\ng,a,-1,1\n")
    error = error_of(load_quotas, path)
    assert (error.code, error.row, error.column) == ("negative_quota", 2, "min")


def test_quota_min_above_max(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "feature,value,min,max\ng,a,0,1\ng,b,5,2\n")
    error = error_of(load_quotas, path)
    assert (error.code, error.file, error.row) == ("min_above_max", str(path), 3)
    assert str(path) in str(error) and "row 3" in str(error)


def test_quota_duplicate(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "feature,value,min,max\ng,a,0,1\nG, A ,0,1\n")
    error = error_of(load_quotas, path)
    assert (error.code, error.file, error.row) == ("duplicate_quota", str(path), 3)


def test_quota_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "feature,value,min\ng,a,0\n")
    error = error_of(load_quotas, path)
    assert (error.code, error.row, error.column) == ("missing_column", 1, "max")


def test_quota_unrecognised_header(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "name,option,min,max\ng,a,0,1\n")
    error = error_of(load_quotas, path)
    assert (error.code, error.row) == ("missing_column", 1)


def test_quota_empty_value(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "feature,value,min,max\ng,,0,1\n")
    error = error_of(load_quotas, path)
    assert (error.code, error.row, error.column) == ("empty_value", 2, "value")


@pytest.mark.parametrize("content", ["", "\n\n", "\ufeff"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    path = write(tmp_path / "c.csv", content)
    error = error_of(load_quotas, path)
    assert (error.code, error.file) == ("empty_file", str(path))


def test_header_only(tmp_path: Path, quotas_file: Path) -> None:
    path = write(tmp_path / "c.csv", "feature,value,min,max\n")
    assert error_of(load_quotas, path).code == "no_rows"
    people = write(tmp_path / "p.csv", "id,gender,age\n")
    error = error_of(load_people, people, load_quotas(quotas_file))
    assert (error.code, error.file) == ("no_rows", str(people))


def test_file_not_found(tmp_path: Path) -> None:
    error = error_of(load_quotas, tmp_path / "nope.csv")
    assert error.code == "file_not_found"
    assert "nope.csv" in str(error)


def test_not_utf8(tmp_path: Path) -> None:
    text = "feature,value,min,max\nregio,Zeeland,0,1\nregio,Fryslân,0,1\n"
    path = write(tmp_path / "c.csv", text.encode("cp1252"))
    error = error_of(load_quotas, path)
    assert (error.code, error.file, error.row) == ("not_utf8", str(path), 3)


def test_wrong_field_count(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "feature,value,min,max\ng,a,0,1\ng,b,0\n")
    error = error_of(load_quotas, path)
    assert (error.code, error.row) == ("wrong_field_count", 3)
    assert error.params == {"expected": 4, "found": 3}


def test_trailing_empty_fields_and_blank_lines_are_ignored(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "feature,value,min,max,,\ng,a,0,1,,\n,,,,,\n\ng,b,7,1\n")
    error = error_of(load_quotas, path)
    # the blank rows are skipped, but counted as a spreadsheet counts them
    assert (error.code, error.row) == ("min_above_max", 5)


def test_duplicate_column(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "feature,value,min,Min,max\ng,a,0,1,1\n")
    error = error_of(load_quotas, path)
    assert (error.code, error.row, error.column) == ("duplicate_column", 1, "Min")


# --- people -------------------------------------------------------------------------


def test_people(tmp_path: Path, quotas_file: Path) -> None:
    quotas = load_quotas(quotas_file)
    table = load_people(write(tmp_path / "p.csv", PEOPLE), quotas)
    assert table.header == ("id", "gender", "age", "street")
    assert table.rows[1] == ("p2", "male", "old", "B")
    assert table.pool.ids == ("p1", "p2", "p3", "p4")
    assert table.pool.features.tolist() == [[0, 0], [1, 1], [0, 1], [1, 0]]
    assert table.pool.households is None
    assert not table.generated_ids and table.id_column == "id"
    assert table.row_numbers == (2, 3, 4, 5)
    assert table.index("p3") == 2


def test_people_values_case_and_space_insensitive(tmp_path: Path, quotas_file: Path) -> None:
    path = write(tmp_path / "p.csv", "id, GENDER ,Age\np1,  Female ,YOUNG\np2,MALE,old \n")
    table = load_people(path, load_quotas(quotas_file))
    assert table.pool.features.tolist() == [[0, 0], [1, 1]]
    assert table.header == ("id", "GENDER", "Age")


def test_people_bom_semicolons_crlf(tmp_path: Path, quotas_file: Path) -> None:
    data = (
        '\ufeffnummer;gender;age;adres\r\n1;female;young;"Kerkstraat 1; Goes"\r\n2;male;old;X\r\n'
    )
    table = load_people(write(tmp_path / "p.csv", data.encode("utf-8")), load_quotas(quotas_file))
    assert table.delimiter == ";"
    assert table.header[0] == "nummer"
    assert table.pool.ids == ("1", "2")
    assert table.rows[0][3] == "Kerkstraat 1; Goes"


def test_generated_ids(tmp_path: Path, quotas_file: Path) -> None:
    path = write(tmp_path / "respondents.csv", "gender,age\nfemale,young\n\nmale,old\nmale,old\n")
    table = load_people(path, load_quotas(quotas_file))
    assert table.generated_ids and table.id_column is None
    assert table.pool.ids == ("1", "2", "3")
    assert table.row_numbers == (2, 4, 5)


def test_id_column_option(tmp_path: Path, quotas_file: Path) -> None:
    path = write(tmp_path / "p.csv", "gender,age,code\nfemale,young,x1\nmale,old,x2\n")
    table = load_people(path, load_quotas(quotas_file), id_column="CODE")
    assert table.pool.ids == ("x1", "x2") and not table.generated_ids


def test_households(tmp_path: Path, quotas_file: Path) -> None:
    path = write(
        tmp_path / "p.csv",
        "id,gender,age,street,zip\n"
        "p1,female,young,Dorpsstraat 1,4331 AB\n"
        "p2,male,old,dorpsstraat  1 ,4331 ab\n"
        "p3,male,old,Dorpsstraat 1,4332 AB\n"
        "p4,female,old,,\n"
        "p5,female,old,,\n",
    )
    table = load_people(path, load_quotas(quotas_file), address_columns=["street", "ZIP"])
    households = table.pool.households.tolist()
    assert households[0] == households[1]
    assert len(set(households)) == 4  # people without an address live alone


@pytest.mark.parametrize(
    ("options", "column"),
    [({}, "age"), ({"id_column": "nr"}, "nr"), ({"address_columns": ["street", "zip"]}, "zip")],
)
def test_people_missing_column(
    tmp_path: Path, quotas_file: Path, options: dict[str, object], column: str
) -> None:
    path = write(tmp_path / "p.csv", "id,gender,street\np1,female,A\n")
    quotas = load_quotas(quotas_file)
    if column != "age":
        path = write(tmp_path / "p.csv", "id,gender,age,street\np1,female,old,A\n")
    error = error_of(load_people, path, quotas, **options)
    assert (error.code, error.file, error.row, error.column) == (
        "missing_column",
        str(path),
        1,
        column,
    )


def test_people_unknown_value(tmp_path: Path, quotas_file: Path) -> None:
    path = write(tmp_path / "p.csv", "id,Gender,age\np1,female,young\n\np2,x,old\n")
    error = error_of(load_people, path, load_quotas(quotas_file))
    assert (error.code, error.file, error.row, error.column) == (
        "unknown_value",
        str(path),
        4,
        "Gender",
    )
    assert error.params["allowed"] == ["female", "male"]
    assert error.params["value"] == "x"
    assert "female, male" in str(error)


def test_people_duplicate_id(tmp_path: Path, quotas_file: Path) -> None:
    path = write(tmp_path / "p.csv", "id,gender,age\np1,female,young\np2,male,old\n p1 ,male,old\n")
    error = error_of(load_people, path, load_quotas(quotas_file))
    assert (error.code, error.row, error.column) == ("duplicate_id", 4, "id")
    assert error.params["first_row"] == 2


def test_people_empty_id(tmp_path: Path, quotas_file: Path) -> None:
    path = write(tmp_path / "p.csv", "id,gender,age\np1,female,young\n,male,old\n")
    error = error_of(load_people, path, load_quotas(quotas_file))
    assert (error.code, error.row, error.column) == ("empty_id", 3, "id")


def test_people_wrong_field_count(tmp_path: Path, quotas_file: Path) -> None:
    path = write(tmp_path / "p.csv", "id,gender,age\np1,female,young\np2,male,old,extra\n")
    error = error_of(load_people, path, load_quotas(quotas_file))
    assert (error.code, error.file, error.row) == ("wrong_field_count", str(path), 3)


def test_unknown_id(tmp_path: Path, quotas_file: Path) -> None:
    table = load_people(write(tmp_path / "p.csv", PEOPLE), load_quotas(quotas_file))
    assert error_of(table.index, "p9").code == "unknown_id"
