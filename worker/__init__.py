"""Workers: Dramatiq actors that run executions, the scheduler, and the dispatch they share.

What it exports is listed in `__init__.pyi` and imported on first use: the API and the
settings need only the dispatch or the config, not Chromium, Dramatiq or APScheduler.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
