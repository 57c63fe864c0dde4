"""Requests only extension pages (side panel, popup, prompt window) and the CLI may make.

Each domain keeps its messages in its own module; the host refuses them from page callers.
"""

from .base import AdminRequest
from .grants import MESSAGES as _grants
from .keys import MESSAGES as _keys
from .models import MESSAGES as _models
from .providers import MESSAGES as _providers
from .status import MESSAGES as _status
from .storage import MESSAGES as _storage
from .usage import MESSAGES as _usage

ADMIN_MESSAGES: tuple[type[AdminRequest], ...] = (*_status, *_grants, *_usage, *_providers, *_keys, *_models, *_storage)
