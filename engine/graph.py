"""The bot's graph: edges by source and handle, the entry node, loop bodies, cycles."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class Graph:
    """Adjacency of a workflow; handle None is a node's default output."""

    nodes: list[str]
    loops: frozenset[str]
    out: dict[str, list[tuple[str | None, str]]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def build(
        cls, nodes: list[str], loops: frozenset[str], edges: list[tuple[str, str, str | None]]
    ) -> Graph:
        graph = cls(nodes, loops)
        for source, target, handle in edges:
            graph.out[source].append((handle or None, target))
        return graph

    def targets(self, node_id: str, handle: str | None) -> list[str]:
        """Where one output handle leads, in edge order."""
        return [t for h, t in self.out.get(node_id, []) if h == handle]

    def body(self, loop_id: str) -> set[str]:
        """Nodes reachable from a loop's body without passing through the loop itself."""
        seen: set[str] = set()
        stack = self.targets(loop_id, "body")
        while stack:
            node = stack.pop()
            if node in seen or node == loop_id:
                continue
            seen.add(node)
            stack.extend(t for _, t in self.out.get(node, []))
        return seen

    def back_edges(self) -> set[tuple[str, str]]:
        """Edges from inside a loop's body back to the loop: they end one pass of the body."""
        edges = set()
        for loop in self.loops:
            for source in self.body(loop):
                if any(t == loop for _, t in self.out.get(source, [])):
                    edges.add((source, loop))
        return edges

    def entries(self) -> list[str]:
        """Nodes only back edges point to: exactly one is where the flow starts."""
        back = self.back_edges()
        pointed = {t for s, outs in self.out.items() for _, t in outs if (s, t) not in back}
        return [n for n in self.nodes if n not in pointed]

    def reachable(self, start: str) -> set[str]:
        seen: set[str] = set()
        stack = [start]
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(t for _, t in self.out.get(node, []))
        return seen

    def cycle(self) -> list[str] | None:
        """A cycle that is not a loop's back edge, as a path of node ids, or None.

        Depth first with a stack of its own: a chain of any length cannot exhaust Python's.
        """
        back = self.back_edges()
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        for root in self.nodes:
            if root in state:
                continue
            state[root] = 1
            path = [root]
            pending = [iter(self.out.get(root, []))]
            while pending:
                node = path[-1]
                target = next((t for _, t in pending[-1] if (node, t) not in back), None)
                if target is None:
                    state[node] = 2
                    path.pop()
                    pending.pop()
                elif state.get(target) == 1:
                    return [*path[path.index(target) :], target]
                elif target not in state:
                    state[target] = 1
                    path.append(target)
                    pending.append(iter(self.out.get(target, [])))
        return None
