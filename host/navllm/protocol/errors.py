"""Errors carried to pages: each has the DOMException (or JS error) name the Prompt API specifies."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorName(StrEnum):
    NOT_ALLOWED = "NotAllowedError"
    ABORT = "AbortError"
    QUOTA_EXCEEDED = "QuotaExceededError"
    NOT_SUPPORTED = "NotSupportedError"
    INVALID_STATE = "InvalidStateError"
    OPERATION = "OperationError"
    NETWORK = "NetworkError"
    NOT_FOUND = "NotFoundError"
    TIMEOUT = "TimeoutError"
    DATA = "DataError"
    SYNTAX = "SyntaxError"
    UNKNOWN = "UnknownError"
    TYPE = "TypeError"
    RANGE = "RangeError"


class NavError(Exception):
    """An error a caller should see, with a name pages can rethrow as a DOMException.

    ``details`` carries structured extras (``quota``/``requested`` for QuotaExceededError,
    ``retryAfter`` seconds for throttling). Messages must never contain secrets.
    """

    def __init__(self, name: ErrorName, message: str, **details: Any):
        super().__init__(message)
        self.name = name
        self.message = message
        self.details = details

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"name": str(self.name), "message": self.message}
        if self.details:
            wire["details"] = self.details
        return wire


def not_allowed(message: str, **details: Any) -> NavError:
    return NavError(ErrorName.NOT_ALLOWED, message, **details)


def quota_exceeded(message: str, **details: Any) -> NavError:
    return NavError(ErrorName.QUOTA_EXCEEDED, message, **details)
