"""The REST API for the builder, the extension and scripts; it never launches a browser."""

from __future__ import annotations

from api._config import ApiSettings
from api.app import ApiConfig, create_app
from api.credentials import check_password, normalize_email

__all__ = ["ApiConfig", "ApiSettings", "check_password", "create_app", "normalize_email"]
