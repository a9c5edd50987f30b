"""A tiny router: exact paths first, then `<name>` patterns in the order they were given.

Pattern syntax: `/product/<id>` captures one path segment, `/static/<path:name>` captures the
rest of the path (slashes included). Captured values land in `Request.params`.
"""

from __future__ import annotations

from collections.abc import Mapping

from .messages import Handler


class Router:
    """Finds the handler for a path among a mapping of route patterns."""

    def __init__(self, routes: Mapping[str, Handler]) -> None:
        self._exact = {p: h for p, h in routes.items() if "<" not in p}
        self._patterns = [(p.strip("/").split("/"), h) for p, h in routes.items() if "<" in p]

    def match(self, path: str) -> tuple[Handler, dict[str, str]] | None:
        """The handler for `path` and the values it captured, or `None`."""
        if (handler := self._exact.get(path)) is not None:
            return handler, {}
        parts = path.strip("/").split("/")
        for pattern, handler in self._patterns:
            params = _match(pattern, parts)
            if params is not None:
                return handler, params
        return None


def _match(pattern: list[str], parts: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for i, segment in enumerate(pattern):
        if segment.startswith("<path:") and segment.endswith(">"):
            rest = "/".join(parts[i:])
            if not rest:
                return None
            params[segment[6:-1]] = rest
            return params
        if i >= len(parts):
            return None
        if segment.startswith("<") and segment.endswith(">"):
            if not parts[i]:
                return None
            params[segment[1:-1]] = parts[i]
        elif segment != parts[i]:
            return None
    return params if len(parts) == len(pattern) else None
