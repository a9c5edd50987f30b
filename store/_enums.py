"""The closed vocabularies stored as strings: statuses, triggers and kinds."""

from __future__ import annotations

import enum


class ExecutionStatus(enum.StrEnum):
    """Where an execution is in its life; the last four are final."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


class Trigger(enum.StrEnum):
    """What created an execution."""

    MANUAL = "manual"
    SCHEDULE = "schedule"
    TEST = "test"
    API = "api"


class StepStatus(enum.StrEnum):
    """The outcome of one step of an execution."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class LogLevel(enum.StrEnum):
    """The level of an execution log line."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class ArtifactKind(enum.StrEnum):
    """What an artifact's bytes are."""

    SCREENSHOT = "screenshot"
    HTML = "html"
    TRACE = "trace"


class DestinationKind(enum.StrEnum):
    """Where an export destination delivers results."""

    WEBHOOK = "webhook"
    SHEETS = "sheets"
    SLACK = "slack"


class DeliveryStatus(enum.StrEnum):
    """Whether one execution's results reached one destination."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
