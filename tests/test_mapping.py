"""The column mapping shared by the CSV, SQL and JSON importers (curate.mapping)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from curate.errors import ConfigError
from curate.mapping import ColumnMapping, parse_template
from curate.options import describe_options, parse_options
from curate.registry import get_registry

MAPPING_OPTIONS = ["text_column", "input_column", "output_column", "system_column", "template"]


@dataclass(frozen=True)
class KeyMapping(ColumnMapping):
    noun: ClassVar[str] = "key"

    extra: int = 0


@dataclass(frozen=True)
class GuessingMapping(ColumnMapping):
    guesses_output: ClassVar[bool] = True


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"text_column": "a", "output_column": "b"}, "text_column excludes input_column, output_column and template"),
        ({"text_column": "a", "template": "{b}"}, "text_column excludes"),
        ({"input_column": "a"}, "input_column needs output_column (the column holding the answer)"),
        ({"template": "{a}", "input_column": "b", "output_column": "c"}, "template builds the prompt itself"),
        ({"system_column": "s"}, "system_column needs output_column"),
        ({"template": "{a}", "system_column": "s"}, "system_column needs output_column"),
        ({"template": "{unclosed"}, "template '{unclosed' is not a valid format string"),
        ({"template": "{0}"}, "use column names in braces, like {title}, not {0}"),
        ({"template": "{}"}, "use column names in braces"),
    ],
)
def test_invalid_mappings(options: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError) as info:
        ColumnMapping(**options)
    assert words in str(info.value)
    with pytest.raises(ConfigError, match=r"^demo: "):  # parse_options names the plugin
        parse_options(ColumnMapping, options, owner="demo")


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"text_column": "a"},
        {"input_column": "a", "output_column": "b", "system_column": "s"},
        {"template": "{a}: {b}", "output_column": "c", "system_column": "s"},
        {"output_column": "b"},
        {"template": "{title}\n\n{{literal}} {body[0]}"},
    ],
)
def test_valid_mappings(options: dict[str, Any]) -> None:
    assert ColumnMapping(**options) == ColumnMapping(**options)


def test_noun_names_what_rows_are_made_of() -> None:
    with pytest.raises(ValueError, match=r"the key holding the answer"):
        KeyMapping(input_column="a")
    with pytest.raises(ValueError, match="use key names in braces"):
        KeyMapping(template="{1}")


def test_an_importer_that_guesses_the_answer_column_lets_input_and_system_come_alone() -> None:
    GuessingMapping(input_column="q")
    GuessingMapping(system_column="s")
    GuessingMapping(input_column="q", system_column="s")
    for options in ({"text_column": "a", "system_column": "s"}, {"template": "{a}", "system_column": "s"}):
        with pytest.raises(ValueError, match="system_column needs output_column"):
            GuessingMapping(**options)
    with pytest.raises(ValueError, match="template builds the prompt"):
        GuessingMapping(template="{a}", input_column="b")


@pytest.mark.parametrize(
    ("options", "mapped"),
    [
        ({}, False),
        ({"input_column": "a", "output_column": "b"}, True),
        ({"text_column": "a"}, True),
        ({"template": ""}, True),
        ({"output_column": "b"}, True),
    ],
)
def test_mapped(options: dict[str, Any], mapped: bool) -> None:
    assert ColumnMapping(**options).mapped is mapped


def test_template_fields_are_top_level_names_in_order_once() -> None:
    assert ColumnMapping().template_fields() == ()
    assert ColumnMapping(template="no fields").template_fields() == ()
    assert ColumnMapping(template="{b} {a.x} {b:>4} {a[0]!r}").template_fields() == ("b", "a")


def test_parse_template() -> None:
    assert parse_template("x{a:>3}{{y}}") == [("x", "a", ">3", None), ("{", None, "", None), ("y}", None, "", None)]
    with pytest.raises(ValueError, match="not a valid format string"):
        parse_template("}")


def test_subclass_fields_follow_the_mapping() -> None:
    names = [f.name for f in dataclasses.fields(KeyMapping)]
    assert names == [*MAPPING_OPTIONS, "extra"]
    assert all(row["help"] for row in describe_options(ColumnMapping))


def test_the_importers_with_column_options_are_exactly_the_column_mappings() -> None:
    """The CLI's --text-column/--input-column/--output-column reach every importer that has them."""
    importers = get_registry().importers
    for name, importer in importers.items():
        has_columns = "text_column" in {f.name for f in dataclasses.fields(importer.Options)}
        assert has_columns == issubclass(importer.Options, ColumnMapping), name
    assert all(issubclass(importers[name].Options, ColumnMapping) for name in ("csv", "sql", "json"))


@pytest.mark.parametrize(
    ("importer", "options", "words"),
    [
        ("csv", {"text_column": "a", "output_column": "b"}, "importer 'csv': text_column excludes"),
        ("csv", {"template": "{}"}, "importer 'csv': template '{}' has an empty {}"),
        ("csv", {"template": "{a:d}"}, "importer 'csv': template field {a} has a format"),
        ("sql", {"input_column": "a"}, "importer 'sql': input_column needs output_column (the column"),
        ("json", {"input_column": "a"}, "importer 'json': input_column needs output_column (the key"),
        ("json", {"template": "{0}"}, "importer 'json': template '{0}' is not a valid format string: use key names"),
    ],
)
def test_importers_share_the_checks(importer: str, options: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError) as info:
        get_registry().importer(importer).from_options(options)
    assert words in str(info.value)


def test_csv_guesses_the_answer_column_the_others_need_it() -> None:
    get_registry().importer("csv").from_options({"input_column": "q", "system_column": "s"})
    for name in ("sql", "json"):
        with pytest.raises(ConfigError, match="needs output_column"):
            get_registry().importer(name).from_options({"input_column": "q"})
