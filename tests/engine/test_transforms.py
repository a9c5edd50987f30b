from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from engine.transforms import (
    AbsoluteUrl,
    Date,
    Default,
    Lower,
    Number,
    Regex,
    Replace,
    Transform,
    TransformSpec,
    Trim,
    Upper,
    apply,
)

SPECS = TypeAdapter(list[TransformSpec])


def run(spec: list[Any], value: Any, base_url: str | None = None) -> Any:
    return apply(SPECS.validate_python(spec), value, base_url)


# --- shorthand and validation --------------------------------------------------------------


def test_shorthand_strings_become_models_with_defaults() -> None:
    specs = SPECS.validate_python(["trim", "number", "absolute_url", "date", "lower", "upper"])
    assert specs == [Trim(), Number(), AbsoluteUrl(), Date(), Lower(), Upper()]


def test_objects_and_shorthand_mix() -> None:
    specs = SPECS.validate_python(["trim", {"op": "regex", "pattern": r"(\d+)"}])
    assert specs == [Trim(), Regex(pattern=r"(\d+)")]


def test_transforms_round_trip_through_json() -> None:
    specs: list[Transform] = [
        Number(decimal=",", integer=True),
        Default(value=0),
        Regex(pattern="x", group=0),
        Replace(pattern=r"\s+", replacement=" "),
    ]
    assert SPECS.validate_json(SPECS.dump_json(specs)) == specs


def test_unknown_shorthand_is_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown transform 'strip'"):
        SPECS.validate_python(["strip"])


def test_shorthand_for_a_transform_that_needs_parameters_is_rejected() -> None:
    with pytest.raises(ValidationError, match="'regex' needs parameters"):
        SPECS.validate_python(["regex"])


def test_unknown_op_is_rejected() -> None:
    with pytest.raises(ValidationError):
        SPECS.validate_python([{"op": "reverse"}])


def test_extra_keys_are_rejected() -> None:
    with pytest.raises(ValidationError):
        SPECS.validate_python([{"op": "trim", "chars": " "}])


def test_invalid_regex_names_the_pattern() -> None:
    with pytest.raises(ValidationError, match=r"invalid regular expression '\(\\d\+': missing \)"):
        Regex(pattern=r"(\d+")
    with pytest.raises(ValidationError, match=r"invalid regular expression '\[a-'"):
        SPECS.validate_python([{"op": "replace", "pattern": "[a-"}])


def test_replacement_must_refer_to_existing_groups() -> None:
    with pytest.raises(ValidationError, match=r"invalid replacement '\\2' for pattern '\(a\)'"):
        Replace(pattern="(a)", replacement=r"\2")
    with pytest.raises(ValidationError, match="invalid replacement"):
        Replace(pattern="(?P<x>a)", replacement=r"\g<y>")
    assert Replace(pattern="(?P<x>a)(b)", replacement=r"\g<x>-\2").replacement == r"\g<x>-\2"


def test_regex_group_must_exist() -> None:
    with pytest.raises(ValidationError, match="has no group 2"):
        Regex(pattern=r"(\d+)", group=2)
    with pytest.raises(ValidationError, match="has no group named 'cents'"):
        Regex(pattern=r"(?P<dollars>\d+)", group="cents")


def test_models_are_frozen() -> None:
    number = Number()
    with pytest.raises(ValidationError):
        number.decimal = ","


def test_json_schema_describes_every_property_and_the_shorthands() -> None:
    schema = TypeAdapter(Transform).json_schema()
    for definition in schema["$defs"].values():
        for name, prop in definition["properties"].items():
            assert prop.get("description"), f"{definition['title']}.{name}"
    assert schema["discriminator"]["propertyName"] == "op"
    input_schema = SPECS.json_schema()
    assert "trim" in str(input_schema)


# --- trim, lower, upper, replace --------------------------------------------------------------


def test_trim_lower_upper() -> None:
    assert run(["trim"], "  Hello \n") == "Hello"
    assert run(["lower"], "HeLLo") == "hello"
    assert run(["upper"], "HeLLo") == "HELLO"


def test_replace_substitutes_every_match_with_groups() -> None:
    assert run([{"op": "replace", "pattern": r"\s+"}], "a  b \n c") == "abc"
    spec = [{"op": "replace", "pattern": r"(\d+)x(\d+)", "replacement": r"\2 by \1"}]
    assert run(spec, "size 3x4") == "size 4 by 3"


# --- regex ------------------------------------------------------------------------------------


def test_regex_first_group_by_default() -> None:
    assert run([{"op": "regex", "pattern": r"SKU: (\w+)"}], "Item SKU: AB12 x") == "AB12"


def test_regex_without_groups_returns_the_whole_match() -> None:
    assert run([{"op": "regex", "pattern": r"\d+ reviews"}], "Rated 4.5 (120 reviews)") == (
        "120 reviews"
    )


def test_regex_named_and_numbered_groups() -> None:
    pattern = r"(?P<w>\d+)x(?P<h>\d+)"
    assert run([{"op": "regex", "pattern": pattern, "group": "h"}], "10x20") == "20"
    assert run([{"op": "regex", "pattern": pattern, "group": 0}], "a 10x20 b") == "10x20"
    assert run([{"op": "regex", "pattern": pattern, "group": 2}], "10x20") == "20"


def test_regex_no_match_is_none_and_none_passes_along() -> None:
    assert run([{"op": "regex", "pattern": r"\d+"}, "number"], "none here") is None


def test_regex_optional_group_that_did_not_take_part_is_none() -> None:
    assert run([{"op": "regex", "pattern": r"a(b)?"}], "a") is None


# --- number -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1,234.50", 1234.5),
        ("1234.5", 1234.5),
        ("Price: 24.99 USD", 24.99),
        ("-$5.00", -5.0),
        ("$-5.00", -5.0),
        ("\u22123.5", -3.5),
        ("(12.00)", -12.0),
        ("SKU-123", 123.0),
        ("1 234 567 items", 1234567.0),
        ("1\u00a0234.5", 1234.5),
        (".5", 0.5),
        ("Showing 10 of 1,024 products", 10.0),
        ("4.5 out of 5", 4.5),
    ],
)
def test_number_with_dot_decimal(text: str, expected: float) -> None:
    assert run(["number"], text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,50 €", 1234.5),
        ("€ 12,50", 12.5),
        ("1 234,50", 1234.5),
        ("\u221218 %", -18.0),
        ("-0,75", -0.75),
        ("1,6 kg", 1.6),
        ("1.000.000", 1000000.0),
    ],
)
def test_number_with_comma_decimal(text: str, expected: float) -> None:
    assert run([{"op": "number", "decimal": ","}], text) == expected


def test_number_integer() -> None:
    spec = [{"op": "number", "integer": True}]
    assert run(spec, "1,024 products") == 1024
    assert isinstance(run(spec, "1,024 products"), int)
    assert run(spec, "$1,234.99") == 1234
    assert run(spec, "-7.9") == -7


@pytest.mark.parametrize("text", ["", "free", "N/A", "-", "."])
def test_number_without_digits_is_none(text: str) -> None:
    assert run(["number"], text) is None


def test_number_keeps_numbers() -> None:
    assert apply([Number()], 3.5, None) == 3.5
    assert apply([Number(integer=True)], 3.5, None) == 3


# --- date -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-15", "2026-01-15"),
        ("January 15, 2026", "2026-01-15"),
        ("15 Jan 2026", "2026-01-15"),
        ("Jan. 15th, 2026", "2026-01-15"),
        ("01/15/2026", "2026-01-15"),
        ("2026-01-15T10:30:00", "2026-01-15T10:30:00"),
        ("2026-01-15T10:30:00Z", "2026-01-15T10:30:00+00:00"),
        ("Jan 15, 2026 3pm", "2026-01-15T15:00:00"),
        ("2026-01-15 00:00", "2026-01-15T00:00:00"),
        ("March 2026", "2026-03-01"),
        ("Posted on 15 January 2026 by Ann", "2026-01-15"),
        ("Updated: 2026-01-15, 09:00", "2026-01-15T09:00:00"),
    ],
)
def test_date_recognises_common_forms(text: str, expected: str) -> None:
    assert run(["date"], text) == expected


def test_date_dayfirst() -> None:
    assert run([{"op": "date", "dayfirst": True}], "03.02.2025") == "2025-02-03"
    assert run([{"op": "date"}], "03/02/2025") == "2025-03-02"
    assert run([{"op": "date", "dayfirst": True}], "Erschienen am 03.02.2025") == "2025-02-03"


def test_date_with_format() -> None:
    assert run([{"op": "date", "format": "%d.%m.%Y"}], " 03.02.2025 ") == "2025-02-03"
    spec = [{"op": "date", "format": "%d/%m/%Y %H:%M"}]
    assert run(spec, "03/02/2025 14:05") == "2025-02-03T14:05:00"
    assert run([{"op": "date", "format": "%d.%m.%Y"}], "2025-02-03") is None


def test_date_without_year_takes_the_current_year() -> None:
    assert run(["date"], "15 March") == f"{date.today().year}-03-15"


@pytest.mark.parametrize("text", ["", "soon", "3 days ago", "n/a", "31 February 2026"])
def test_unparsable_date_is_none(text: str) -> None:
    assert run(["date"], text) is None


# --- absolute_url, default --------------------------------------------------------------------


def test_absolute_url() -> None:
    base = "https://shop.example/products/list?page=2"
    assert run(["absolute_url"], "/p/1", base) == "https://shop.example/p/1"
    assert (
        run(["absolute_url"], " item-7.html ", base) == "https://shop.example/products/item-7.html"
    )
    assert run(["absolute_url"], "?page=3", base) == "https://shop.example/products/list?page=3"
    assert run(["absolute_url"], "//cdn.example/a.jpg", base) == "https://cdn.example/a.jpg"
    assert run(["absolute_url"], "https://other.example/x", base) == "https://other.example/x"


def test_absolute_url_without_page_url_leaves_the_value() -> None:
    assert run(["absolute_url"], "/p/1", None) == "/p/1"


def test_default_replaces_none_and_empty_only() -> None:
    spec: list[Any] = [{"op": "default", "value": "n/a"}]
    assert run(spec, None) == "n/a"
    assert run(spec, "") == "n/a"
    assert run(spec, "x") == "x"
    assert run([{"op": "default", "value": 0}], None) == 0
    assert run([{"op": "default", "value": False}], None) is False


def test_default_after_a_failed_transform() -> None:
    spec: list[Any] = ["number", {"op": "default", "value": 0}]
    assert run(spec, "free") == 0
    assert run(spec, "$3") == 3.0


def test_none_skips_every_transform_but_default() -> None:
    spec: list[Any] = ["trim", "upper", {"op": "default", "value": "x"}, "upper"]
    assert run(spec, None) == "X"


# --- pipelines and lists ----------------------------------------------------------------------


def test_pipeline_runs_in_order() -> None:
    spec: list[Any] = [
        "trim",
        {"op": "regex", "pattern": r"Price:\s*(.+)"},
        {"op": "replace", "pattern": "EUR", "replacement": ""},
        {"op": "number", "decimal": ","},
    ]
    assert run(spec, "  Price: 1.299,00 EUR ") == 1299.0


def test_lists_are_transformed_element_wise() -> None:
    spec: list[Any] = ["number", {"op": "default", "value": -1}]
    assert run(spec, ["$1", "free", None, "2.5"]) == [1.0, -1, -1, 2.5]
    assert run(["number"], []) == []


def test_string_transforms_accept_numbers() -> None:
    assert run(["number", {"op": "regex", "pattern": r"^\d+"}], "12.5 kg") == "12"


def test_empty_pipeline_returns_the_value() -> None:
    assert apply([], " x ", None) == " x "
