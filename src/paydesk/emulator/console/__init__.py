"""The emulator console: server-rendered admin pages under ``/console``.

``endpoints`` holds the pages and their form actions; ``forms`` says what
the posted fields mean.
"""

from .endpoints import CONSOLE_PREFIX, routes

__all__ = ["CONSOLE_PREFIX", "routes"]
