"""Runs a bot's workflow graph on Chromium (or plain HTTP) and emits events to a sink."""

from __future__ import annotations

from engine.errors import (
    EngineError,
    Issue,
    LimitReached,
    NavigationError,
    NeedsBrowser,
    StepError,
    StepFailed,
    VariableError,
    WorkflowInvalid,
)
from engine.events import (
    Event,
    FanoutSink,
    ListSink,
    LogEmitted,
    LogLevel,
    RowEmitted,
    RunFinished,
    RunStarted,
    RunStatus,
    Sink,
    StepFinished,
    StepStarted,
    StepStatus,
)
from engine.extract import Document
from engine.extract import Field as ExtractField
from engine.nodes import KINDS, NodeKind
from engine.runner import run
from engine.validate import json_schema, load_workflow, parse_json
from engine.workflow import BotSettings, Workflow

__all__ = [
    "KINDS",
    "BotSettings",
    "Document",
    "EngineError",
    "Event",
    "ExtractField",
    "FanoutSink",
    "Issue",
    "LimitReached",
    "ListSink",
    "LogEmitted",
    "LogLevel",
    "NavigationError",
    "NeedsBrowser",
    "NodeKind",
    "RowEmitted",
    "RunFinished",
    "RunStarted",
    "RunStatus",
    "Sink",
    "StepError",
    "StepFailed",
    "StepFinished",
    "StepStarted",
    "StepStatus",
    "VariableError",
    "Workflow",
    "WorkflowInvalid",
    "json_schema",
    "load_workflow",
    "parse_json",
    "run",
]
