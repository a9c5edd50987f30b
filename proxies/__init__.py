"""How traffic leaves: proxy values (rotation, health and the network policy come later)."""

from __future__ import annotations

__all__: list[str] = []
