"""A bot's extraction schema, the pydantic model it becomes at run time for the model to fill,
and the rows the model's answers become (merged across chunks, each row once).

Field names are any text (a column name such as "Unit price" is fine): the model sees them as
they are, through aliases, and the row keeps them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import pydantic
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    create_model,
    field_validator,
    model_validator,
)

from engine.extract import Field as ExtractField
from engine.extract import unique_names
from engine.selectors import SelectorType

FieldType = Literal["string", "number", "integer", "boolean", "date", "url", "object"]


def _absolute(value: str) -> str:
    if not re.match(r"(?i)^(https?:)?//|^/|^[\w.-]+/", value.strip()):
        raise ValueError(f"{value!r} is not a URL")
    return value.strip()


_TYPES: dict[str, Any] = {
    "string": str,
    "number": float,
    "integer": int,
    "boolean": bool,
    "date": dt.date,
    "url": Annotated[str, AfterValidator(_absolute)],
}


class SchemaField(BaseModel):
    """One value the model (or a selector) fills in each row."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = pydantic.Field(min_length=1, max_length=100, description="Column name.")
    type: FieldType = pydantic.Field("string", description="What the value is.")
    many: bool = pydantic.Field(False, description="A list of values of this type.")
    description: str = pydantic.Field("", max_length=1000, description="Told to the model.")
    required: bool = pydantic.Field(
        False, description="The model must give it; an answer without it is re-asked."
    )
    fields: list[SchemaField] = pydantic.Field(
        default_factory=list, description="For type object: its fields."
    )
    selector: str | None = pydantic.Field(
        None,
        description="Hybrid: read this field by CSS or XPath instead of asking the model.",
    )
    selector_type: SelectorType | None = None
    value: str = pydantic.Field(
        "text", description='With a selector: "text", "html", "inner_html" or "attr:NAME".'
    )

    @field_validator("selector", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("fields")
    @classmethod
    def _unique(cls, fields: list[SchemaField]) -> list[SchemaField]:
        return unique_names(fields)

    @model_validator(mode="after")
    def _object_has_fields(self) -> SchemaField:
        if self.type == "object" and not self.fields:
            raise ValueError(f"field {self.name!r} is an object, so needs fields")
        if self.type != "object" and self.fields:
            raise ValueError(f"field {self.name!r} has fields, so must be of type object")
        return self


def build_model(name: str, fields: list[SchemaField]) -> type[BaseModel]:
    """The pydantic model of one row; fields with a selector are left to the selector."""
    definitions: dict[str, Any] = {}
    for index, field in enumerate(fields):
        if field.selector:
            continue
        kind: Any = (
            build_model(f"{name}_{index}", field.fields)
            if field.type == "object"
            else _TYPES[field.type]
        )
        if field.many:
            kind = list[kind]
        info = (
            pydantic.Field(alias=field.name, description=field.description or None)
            if field.required
            else pydantic.Field(
                [] if field.many else None,
                alias=field.name,
                description=field.description or None,
            )
        )
        definitions[f"f{index}"] = (kind if field.required else kind | None, info)
    config = ConfigDict(populate_by_name=False, extra="ignore")
    return create_model(name, __config__=config, **definitions)


def rows_model(row: type[BaseModel]) -> type[BaseModel]:
    """Many rows per page: the model answers with a list of rows."""
    return create_model(
        "Rows",
        rows=(list[row], pydantic.Field(description="Every item found, in page order.")),  # type: ignore[valid-type]
    )


_TRANSFORMS = {"number": "number", "integer": "number", "date": "date", "url": "absolute_url"}


def typed(field: SchemaField) -> list[str]:
    """The transforms that make a selector's text the field's type (a price's "$5.00" a number,
    a link's href an absolute URL)."""
    op = _TRANSFORMS.get(field.type)
    return [op] if op else []


def extract_field(
    field: SchemaField, selector: str | None = None, value: str | None = None
) -> ExtractField:
    """The field as an extract node reads it: by its selector (or the one given), typed."""
    return ExtractField(
        name=field.name,
        selector=selector or field.selector,
        selector_type=None if selector else field.selector_type,
        value=value or field.value,
        many=field.many,
        transforms=typed(field),
    )


# --- answers into rows ---------------------------------------------------------------------


def dump(answer: BaseModel) -> dict[str, Any]:
    return answer.model_dump(mode="json", by_alias=True)


def row_key(row: dict[str, Any]) -> str:
    def norm(value: Any) -> Any:
        return " ".join(value.split()).casefold() if isinstance(value, str) else value

    return json.dumps({k: norm(v) for k, v in row.items()}, sort_keys=True, default=str)


def unique_rows(rows: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in order, each once: a row repeated across chunks (or by the model) is dropped."""
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(row_key(row), row)
    return list(seen.values())


def merged(answers: list[BaseModel]) -> dict[str, Any]:
    """One record from the chunks' answers: the first value given wins; lists are joined."""
    record: dict[str, Any] = {}
    for answer in answers:
        for name, value in dump(answer).items():
            if isinstance(value, list):
                known = record.setdefault(name, [])
                known.extend(v for v in value if v not in known)
            elif record.get(name) is None:
                record[name] = value
    return record


def in_order(rows: list[dict[str, Any]], fields: list[SchemaField]) -> list[dict[str, Any]]:
    names = [f.name for f in fields]
    return [{name: row.get(name) for name in names} for row in rows]
