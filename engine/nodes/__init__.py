"""The node kinds, by type name. Adding a kind: one module here and one line below."""

from __future__ import annotations

from engine.nodes import (
    click,
    condition,
    evaluate,
    extract,
    for_each,
    hover,
    llm_extract,
    navigate,
    paginate,
    screenshot,
    scroll,
    select,
    set_variable,
    type_,
    wait,
)
from engine.nodes._base import NodeKind, NodeParams, Outcome, Selectors

KINDS: dict[str, NodeKind] = {
    kind.type: kind
    for kind in (
        navigate.KIND,
        click.KIND,
        type_.TYPE,
        type_.FILL,
        select.KIND,
        hover.KIND,
        wait.KIND,
        scroll.KIND,
        extract.KIND,
        llm_extract.KIND,
        paginate.KIND,
        for_each.KIND,
        screenshot.KIND,
        evaluate.KIND,
        condition.KIND,
        set_variable.KIND,
    )
}

__all__ = ["KINDS", "NodeKind", "NodeParams", "Outcome", "Selectors"]
