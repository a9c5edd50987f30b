"""Runs a bot's workflow graph on Chromium (or plain HTTP) and emits events to a sink."""

from __future__ import annotations

from engine._schema import SchemaField
from engine.errors import (
    CredentialsRefused,
    EngineError,
    Issue,
    LimitReached,
    NavigationError,
    NeedsBrowser,
    NothingAtPoint,
    NotInItem,
    PathNotFound,
    Refused,
    StepError,
    StepFailed,
    VariableError,
    WorkflowInvalid,
)
from engine.events import (
    Event,
    FanoutSink,
    Highlight,
    ListSink,
    LlmUsage,
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
    TraceRecorded,
)
from engine.extract import Document
from engine.extract import Field as ExtractField
from engine.llm import Endpoint, Llm, ModelError, Models
from engine.llm_suggest import SchemaSelectors, SuggestedField, suggest_selectors
from engine.network import Network
from engine.nodes import KINDS, NodeKind
from engine.nodes.llm_extract import asks_model
from engine.pick import MeasuredCandidate, Pick, PickedElement, Point, pick
from engine.probe import Probe, SelectorMatches, probe
from engine.runner import run
from engine.selectors import validate_selector
from engine.suggest import (
    Candidate,
    FieldCandidate,
    PathStep,
    suggest,
    suggest_list,
    suggest_within,
)
from engine.validate import json_schema, load_workflow, parse_json
from engine.workflow import BotSettings, Variable, Workflow

__all__ = [
    "KINDS",
    "BotSettings",
    "Candidate",
    "CredentialsRefused",
    "Document",
    "Endpoint",
    "EngineError",
    "Event",
    "ExtractField",
    "FanoutSink",
    "FieldCandidate",
    "Highlight",
    "Issue",
    "LimitReached",
    "ListSink",
    "Llm",
    "LlmUsage",
    "LogEmitted",
    "LogLevel",
    "MeasuredCandidate",
    "ModelError",
    "Models",
    "NavigationError",
    "NeedsBrowser",
    "Network",
    "NodeKind",
    "NotInItem",
    "NothingAtPoint",
    "PathNotFound",
    "PathStep",
    "Pick",
    "PickedElement",
    "Point",
    "Probe",
    "Refused",
    "RowEmitted",
    "RunFinished",
    "RunStarted",
    "RunStatus",
    "SchemaField",
    "SchemaSelectors",
    "SelectorMatches",
    "Sink",
    "StepError",
    "StepFailed",
    "StepFinished",
    "StepStarted",
    "StepStatus",
    "SuggestedField",
    "TraceRecorded",
    "Variable",
    "VariableError",
    "Workflow",
    "WorkflowInvalid",
    "asks_model",
    "json_schema",
    "load_workflow",
    "parse_json",
    "pick",
    "probe",
    "run",
    "suggest",
    "suggest_list",
    "suggest_selectors",
    "suggest_within",
    "validate_selector",
]
