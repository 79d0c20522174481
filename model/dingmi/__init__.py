"""dingmi (定密辅助): suggests a classification for a Chinese document, with its basis in a scope catalog."""

from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger("dingmi").addHandler(logging.NullHandler())
