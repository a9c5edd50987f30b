"""The REST API for the builder, the extension and scripts; it never launches a browser.

What it exports is listed in `__init__.pyi` and imported on first use: the app
(FastAPI, Jinja, openpyxl) takes seconds, and settings or the CLI need only the config.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
