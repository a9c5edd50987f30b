"""condition: branch on an element being present or on a variable's value."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from engine import patterns
from engine.errors import PatternTooSlow, VariableError
from engine.nodes._base import NodeKind, NodeParams, Outcome, Selectors
from engine.template import lookup

if TYPE_CHECKING:
    from engine.context import NodeContext

Op = Literal["eq", "ne", "contains", "matches", "gt", "lt", "exists", "truthy"]


class ConditionParams(NodeParams):
    selector: str | None = Field(None, description="Branch on this element being present.")
    present: bool = Field(True, description="With selector: true when present (else absent).")
    variable: str | None = Field(None, description="Branch on this variable instead.")
    op: Op = Field("truthy", description="How the variable is compared with value.")
    value: str | int | float | bool | None = Field(
        None, description="The value to compare; for matches, a regular expression."
    )

    @model_validator(mode="after")
    def _one_test(self) -> ConditionParams:
        if (self.selector is None) == (self.variable is None):
            raise ValueError("give exactly one of selector, variable")
        return self

    @field_validator("value")
    @classmethod
    def _valid_pattern(cls, value: Any, info: ValidationInfo) -> Any:
        # a {{template}} is checked once rendered, at run time
        pattern = str(value)
        if info.data.get("op") == "matches" and value is not None and "{{" not in pattern:
            problem = patterns.problem(pattern)
            if problem:
                raise ValueError(problem)
        return value

    def selectors(self) -> Selectors:
        if self.selector:
            yield "selector", self.selector, None

    def uses(self) -> Iterator[tuple[str, str]]:
        if self.variable:
            yield "variable", self.variable


def compare(left: Any, op: Op, right: Any) -> bool:
    """Compare a variable with a value; numbers compare as numbers."""
    if op == "exists":
        return left is not None
    if op == "truthy":
        return bool(left)
    if op in ("gt", "lt"):
        try:
            a, b = float(left), float(right)
        except (TypeError, ValueError):
            return False
        return a > b if op == "gt" else a < b
    if op == "contains":
        return str(right) in str(left) if left is not None else False
    if op == "matches":
        return left is not None and patterns.search(str(right), str(left)) is not None
    equal = left == right or (left is not None and str(left) == str(right))
    return equal if op == "eq" else not equal


def _compared(value: Any, params: ConditionParams) -> bool:
    try:
        return compare(value, params.op, params.value)
    except PatternTooSlow as exc:
        raise exc.within("value") from None
    except patterns.Error:  # a {{template}} rendered into a broken pattern
        raise VariableError(f"field 'value': {patterns.problem(str(params.value))}") from None


async def run(ctx: NodeContext, params: ConditionParams) -> Outcome:
    if params.selector is not None:
        document = await ctx.document(expect=params.selector)
        result = (document.count(params.selector) > 0) == params.present
    else:
        assert params.variable is not None
        try:
            value = lookup(params.variable, ctx.variables)
        except VariableError:
            value = None  # not set (yet): "exists" is false, comparisons fail
        result = await ctx.off_loop(lambda: _compared(value, params))
    ctx.log("info", f"condition is {str(result).lower()}")
    return "true" if result else "false"


KIND = NodeKind(
    type="condition",
    params=ConditionParams,
    run=run,
    label="Condition",
    description="Follow the 'true' or 'false' edge depending on an element or a variable.",
    handles=("true", "false"),
)
