from ._config import ApiSettings
from .app import ApiConfig, create_app
from .credentials import check_password, normalize_email

__all__ = ["ApiConfig", "ApiSettings", "check_password", "create_app", "normalize_email"]
