"""Throughput and latency benchmarks; figures in README.md."""

from __future__ import annotations

from engine import Network
from proxies import NetworkPolicy

LOOPBACK = Network(NetworkPolicy(allow=["127.0.0.1"]))
"""The bench site runs on 127.0.0.1, which the network policy refuses unless allowed."""
