"""The REST API for the builder, the extension and scripts; it never launches a browser."""

from __future__ import annotations

from api._config import ApiSettings
from api.app import ApiConfig, create_app

__all__ = ["ApiConfig", "ApiSettings", "create_app"]
