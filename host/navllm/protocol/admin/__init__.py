"""Requests only extension pages (side panel, popup, prompt window) and the CLI may make.

Each domain keeps its messages in its own module; the host refuses them from page callers.
"""

from .base import AdminRequest
from .status import MESSAGES as _status

ADMIN_MESSAGES: tuple[type[AdminRequest], ...] = (*_status,)
