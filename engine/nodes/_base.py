"""What every node kind shares: the policy fields and the registry entry."""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from engine.context import NodeContext

SelectorType = Literal["css", "xpath", "playwright"] | None
Selectors = Iterator[tuple[str, str, SelectorType]]
"""(field path, selector, type) to validate; None: CSS or XPath by its form; playwright:
also Playwright's own engines (text=, role=, :has-text(), >>)."""


def _frame_path(value: str | list[str] | None) -> str | list[str] | None:
    selectors = [value] if isinstance(value, str) else value or []
    if value is not None and not selectors:
        raise ValueError("give a selector, or a list of selectors for nested frames")
    if any(not s.strip() for s in selectors):
        raise ValueError("a frame selector is blank")
    return value


FrameField = Annotated[
    str | list[str] | None,
    AfterValidator(_frame_path),
    Field(
        description=(
            "Act inside a frame: a selector of its <iframe> or <frame> element, or a list of "
            "selectors for nested frames, outermost first. Empty: the page itself. Browser only."
        )
    ),
]
"""The `frame` field of the nodes that can act inside a frame."""


class NodeParams(BaseModel):
    """Fields every node kind accepts besides its own: a label and the failure policy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str | None = Field(None, description="Name shown in the builder and the replay.")
    retries: int = Field(0, ge=0, le=10, description="Extra attempts after a failure.")
    retry_delay_ms: int = Field(
        500, ge=0, le=60_000, description="Wait before the first retry; doubles each attempt."
    )
    on_error: Literal["fail", "skip", "continue"] = Field(
        "fail",
        description=(
            "After the last attempt: fail the run (rows kept), skip the rest of this branch "
            "(e.g. this for_each item), or continue with the next node."
        ),
    )
    timeout_ms: int | None = Field(
        None, gt=0, le=3_600_000, description="Time limit for this node; default from settings."
    )

    def selectors(self) -> Selectors:
        """Selectors to check when the bot is validated."""
        return iter(())

    def uses(self) -> Iterator[tuple[str, str]]:
        """(field path, variable name) this node reads besides {{templates}}."""
        return iter(())

    def defines(self) -> Iterator[str]:
        """Variables this node sets."""
        return iter(())

    def frames(self) -> tuple[str, ...]:
        """The selectors of the frame this node acts in, outermost first; empty for the page.
        Nodes that can act in a frame have a `frame` field (`FrameField`)."""
        frame = getattr(self, "frame", None)
        if frame is None:
            return ()
        return (frame,) if isinstance(frame, str) else tuple(frame)


Outcome = str | None
"""The output handle to follow next; None follows the default edges."""

RunFn = Callable[["NodeContext", Any], Awaitable[Outcome]]


@dataclass(frozen=True, slots=True)
class NodeKind:
    """A node type: its parameters, its run function and the output handles it branches on."""

    type: str
    params: builtins.type[NodeParams]
    run: RunFn
    label: str
    description: str
    browser_only: bool = False
    handles: tuple[str, ...] = ()
    self_limited: bool = False
    """The node bounds its own time (a wait's ms, a scroll's max_scrolls): no implicit limit."""
    raw_fields: tuple[str, ...] = ()
    """Parameters the node renders itself (they refer to loop variables like {{page}})."""
    loop: bool = False
    """A loop runs its `body` sub-flow repeatedly; an edge back to it ends one pass."""
