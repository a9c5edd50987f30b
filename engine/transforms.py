"""Value transforms applied to extracted text: a pure pipeline from a string to clean data.

A field's `transforms` run in order. Once a value is `None` the rest pass it along, except
`default`, which replaces it. A list (a `many` field) is transformed element by element.
`regex` and `replace` run the bot's pattern with a time limit (`engine.patterns`): past it they
raise `PatternTooSlow`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urljoin, urlsplit

from dateutil import parser as dateparser
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from engine import patterns

_FROZEN = ConfigDict(frozen=True, extra="forbid")


def _text(value: Any) -> str:
    """A non-None value as text, so string transforms also accept numbers."""
    return value if isinstance(value, str) else str(value)


def _compile(pattern: str) -> patterns.Pattern:
    if problem := patterns.problem(pattern):
        raise ValueError(problem)
    return patterns.compiled(pattern)


class Trim(BaseModel):
    """Strip leading and trailing whitespace."""

    model_config = _FROZEN
    op: Literal["trim"] = Field("trim", description="Transform kind.")

    def run(self, value: Any, base_url: str | None) -> Any:
        """Apply to one non-None value."""
        return _text(value).strip()


class Lower(BaseModel):
    """Lower-case the text."""

    model_config = _FROZEN
    op: Literal["lower"] = Field("lower", description="Transform kind.")

    def run(self, value: Any, base_url: str | None) -> Any:
        """Apply to one non-None value."""
        return _text(value).lower()


class Upper(BaseModel):
    """Upper-case the text."""

    model_config = _FROZEN
    op: Literal["upper"] = Field("upper", description="Transform kind.")

    def run(self, value: Any, base_url: str | None) -> Any:
        """Apply to one non-None value."""
        return _text(value).upper()


class Regex(BaseModel):
    """Keep one group of the first regular-expression match; no match gives `None`."""

    model_config = _FROZEN
    op: Literal["regex"] = Field("regex", description="Transform kind.")
    pattern: str = Field(
        description="Regular expression (Python syntax), searched anywhere in the text.",
    )
    group: int | str = Field(
        1, description="Group number or name to keep; the whole match if the pattern has no groups."
    )

    @field_validator("pattern")
    @classmethod
    def _valid_pattern(cls, pattern: str) -> str:
        _compile(pattern)
        return pattern

    @model_validator(mode="after")
    def _valid_group(self) -> Regex:
        compiled = _compile(self.pattern)
        if isinstance(self.group, str):
            if self.group not in compiled.groupindex:
                raise ValueError(f"pattern '{self.pattern}' has no group named {self.group!r}")
        elif self.group < 0 or (self.group > compiled.groups and self.group != 1):
            raise ValueError(f"pattern '{self.pattern}' has no group {self.group}")
        return self

    def run(self, value: Any, base_url: str | None) -> Any:
        """Apply to one non-None value."""
        match = patterns.search(self.pattern, _text(value))
        if match is None:
            return None
        group = 0 if self.group == 1 and match.re.groups == 0 else self.group
        return match.group(group)


class Replace(BaseModel):
    """Replace every regular-expression match."""

    model_config = _FROZEN
    op: Literal["replace"] = Field("replace", description="Transform kind.")
    pattern: str = Field(description="Regular expression (Python syntax) to replace.")
    replacement: str = Field("", description=r"Replacement text; `\1` or `\g<name>` insert groups.")

    @field_validator("pattern")
    @classmethod
    def _valid_pattern(cls, pattern: str) -> str:
        _compile(pattern)
        return pattern

    @model_validator(mode="after")
    def _valid_replacement(self) -> Replace:
        # Expand the replacement against an always-matching pattern with the same groups, so a
        # bad group reference fails here rather than in the middle of a run.
        compiled = _compile(self.pattern)
        names = {index: name for name, index in compiled.groupindex.items()}
        same_groups = "".join(
            f"(?P<{names[i]}>)" if i in names else "()" for i in range(1, compiled.groups + 1)
        )
        match = patterns.compiled(same_groups).match("")
        assert match is not None
        try:
            match.expand(self.replacement)
        except (patterns.Error, IndexError) as e:
            raise ValueError(
                f"invalid replacement '{self.replacement}' for pattern '{self.pattern}': {e}"
            ) from None
        return self

    def run(self, value: Any, base_url: str | None) -> Any:
        """Apply to one non-None value."""
        return patterns.sub(self.pattern, self.replacement, _text(value))


# Digit groups separated by thousands separators, or plain digits, each with an optional decimal
# part. Groups must be exactly three digits so "12 items 5" does not read as 125.
_GROUPED = r"\d{{1,3}}(?:[{sep}]\d{{3}})+(?!\d)(?:{dec}\d+)?|\d+(?:{dec}\d+)?|{dec}\d+"
_NUMBER = {
    ".": re.compile(_GROUPED.format(sep=",'\u2019 \u00a0\u202f\u2009", dec=r"\.")),
    ",": re.compile(_GROUPED.format(sep=".'\u2019 \u00a0\u202f\u2009", dec=",")),
}
_NOT_NUMBER = {".": re.compile(r"[^\d.]"), ",": re.compile(r"[^\d,]")}
_MINUS = ("-", "\u2212", "\u2012", "\u2013")


def _is_filler(ch: str) -> bool:
    """Whitespace or a currency symbol, which may sit between a sign and its number."""
    return ch.isspace() or unicodedata.category(ch) == "Sc"


def _strip_filler_right(text: str) -> str:
    i = len(text)
    while i and _is_filler(text[i - 1]):
        i -= 1
    return text[:i]


def _strip_filler_left(text: str) -> str:
    i = 0
    while i < len(text) and _is_filler(text[i]):
        i += 1
    return text[i:]


class Number(BaseModel):
    """Read the first number in the text: "$1,234.50" gives 1234.5; no digits gives `None`."""

    model_config = _FROZEN
    op: Literal["number"] = Field("number", description="Transform kind.")
    decimal: Literal[".", ","] = Field(
        ".", description='Decimal separator; the other of "." and "," separates thousands.'
    )
    integer: bool = Field(False, description="Return an integer, dropping any fraction.")

    def run(self, value: Any, base_url: str | None) -> Any:
        """Apply to one non-None value."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(value) if self.integer else value
        text = _text(value)
        match = _NUMBER[self.decimal].search(text)
        if match is None:
            return None
        token = _NOT_NUMBER[self.decimal].sub("", match.group()).replace(self.decimal, ".")
        before = _strip_filler_right(text[: match.start()])
        after = _strip_filler_left(text[match.end() :])
        negative = (before.endswith(_MINUS) and not before[:-1][-1:].isalnum()) or (
            before.endswith("(") and after.startswith(")")
        )
        sign = -1 if negative else 1
        if self.integer:
            return sign * int(token.split(".")[0] or "0")
        return sign * float(token)


# Date-looking substrings tried when the whole text does not parse, so "Posted on 15 Jan 2026"
# works while "3 days ago" stays None instead of becoming the 3rd of this month.
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE_IN_TEXT = re.compile(
    "|".join(
        (
            r"\d{4}-\d{1,2}-\d{1,2}(?:(?:T|,?\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
            r"(?:Z|[+-]\d{2}:?\d{2})?)?",
            r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]m)?)?",
            rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}",
            rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}",
            rf"{_MONTH}\s+\d{{4}}",
        )
    ),
    re.IGNORECASE,
)
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%f", "%p", "%X", "%c", "%z")


def _iso(moment: datetime, has_time: bool) -> str:
    return moment.isoformat() if has_time else moment.date().isoformat()


class Date(BaseModel):
    """Read a date as ISO 8601: "2026-01-15", or a full timestamp when a time is given."""

    model_config = _FROZEN
    op: Literal["date"] = Field("date", description="Transform kind.")
    format: str | None = Field(
        None, description="`strptime` format such as `%d.%m.%Y`; empty to recognise common forms."
    )
    dayfirst: bool = Field(
        False, description="Read 01/02/2026 as 1 February rather than 2 January."
    )

    def run(self, value: Any, base_url: str | None) -> Any:
        """Apply to one non-None value."""
        text = _text(value).strip()
        if self.format:
            try:
                moment = datetime.strptime(text, self.format)
            except ValueError:
                return None
            return _iso(moment, any(d in self.format for d in _TIME_DIRECTIVES))
        result = self._parse(text)
        if result is None and (match := _DATE_IN_TEXT.search(text)):
            result = self._parse(match.group())
        return result

    def _parse(self, text: str) -> str | None:
        # Missing parts come from 1 January of the current year: "March 2026" is 2026-03-01 and
        # "15 March" is in the current year, as a reader would take it.
        start = datetime(date.today().year, 1, 1)
        try:
            moment = dateparser.parse(text, dayfirst=self.dayfirst, default=start)
            if moment.time() != start.time() or moment.tzinfo is not None:
                return _iso(moment, True)
            # Midnight: tell "00:00" from no time at all by parsing with another default hour.
            probe = dateparser.parse(text, dayfirst=self.dayfirst, default=start.replace(hour=1))
        except (ValueError, OverflowError):
            return None
        return _iso(moment, probe.hour == 0)


class AbsoluteUrl(BaseModel):
    """Resolve a relative URL against the page URL."""

    model_config = _FROZEN
    op: Literal["absolute_url"] = Field("absolute_url", description="Transform kind.")

    def run(self, value: Any, base_url: str | None) -> Any:
        """Apply to one non-None value."""
        text = _text(value).strip()
        if not base_url or text.startswith(("https://", "http://")):
            return text
        # urljoin is slow enough to matter on long lists; "/path" without dot segments on an
        # http(s) page needs only the page's origin.
        origin = _origin(base_url)
        if (
            origin
            and text[:1] == "/"
            and text[1:2] != "/"
            and "/." not in text
            and "\\" not in text
        ):
            return origin + text
        return urljoin(base_url, text)


@functools.lru_cache(maxsize=64)
def _origin(url: str) -> str | None:
    """ "scheme://host[:port]" of an http(s) URL, else None."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else None


class Default(BaseModel):
    """Replace a missing (`None`) or empty value with a fixed one."""

    model_config = _FROZEN
    op: Literal["default"] = Field("default", description="Transform kind.")
    value: str | int | float | bool | None = Field(description="Value to use instead.")

    def run(self, value: Any, base_url: str | None) -> Any:
        """Apply to one value, `None` included."""
        return self.value if value is None or value == "" else value


Transform = Annotated[
    Trim | Lower | Upper | Regex | Replace | Number | Date | AbsoluteUrl | Default,
    Field(discriminator="op"),
]
"""One transform; the `op` key selects the kind."""

OPS = frozenset(
    ("trim", "lower", "upper", "regex", "replace", "number", "date", "absolute_url", "default")
)
"""Every transform's `op`: validation leaves them out of error locations."""

_SHORTHAND: dict[str, type[BaseModel]] = {
    "trim": Trim,
    "lower": Lower,
    "upper": Upper,
    "number": Number,
    "date": Date,
    "absolute_url": AbsoluteUrl,
}


def _expand_shorthand(item: Any) -> Any:
    """Turn a bare name such as "trim" into that transform with its defaults."""
    if not isinstance(item, str):
        return item
    if item in _SHORTHAND:
        return _SHORTHAND[item]()
    if item in ("regex", "replace", "default"):
        raise ValueError(f"transform {item!r} needs parameters; write it as an object")
    raise ValueError(f"unknown transform {item!r}; shorthands are: {', '.join(_SHORTHAND)}")


TransformSpec = Annotated[
    Transform,
    BeforeValidator(
        _expand_shorthand,
        json_schema_input_type=Transform
        | Literal["trim", "lower", "upper", "number", "date", "absolute_url"],
    ),
]
"""A transform, or the name of one that needs no parameters; use in `list[TransformSpec]`."""


def apply(transforms: Sequence[Transform], value: Any, base_url: str | None = None) -> Any:
    """Run `transforms` in order on `value`, element-wise if it is a list."""
    if isinstance(value, list):
        return [apply(transforms, item, base_url) for item in value]
    for transform in transforms:
        if value is not None or isinstance(transform, Default):
            value = transform.run(value, base_url)
    return value
