"""Errors in OpenAI's shape (``{"error": {"message", "type", "param", "code"}}``) with its HTTP statuses,
so OpenAI's SDKs raise the exception an app already handles (AuthenticationError, RateLimitError…).

Messages are the host's own, which never carry a secret; nothing from a request's headers is echoed.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ..protocol.errors import ErrorName, NavError

# Each host error name: its HTTP status and OpenAI error type.
STATUS: dict[ErrorName, tuple[int, str]] = {
    ErrorName.NOT_ALLOWED: (403, "permission_error"),
    ErrorName.QUOTA_EXCEEDED: (429, "rate_limit_error"),
    ErrorName.NOT_FOUND: (404, "not_found_error"),
    ErrorName.NOT_SUPPORTED: (400, "invalid_request_error"),
    ErrorName.TYPE: (400, "invalid_request_error"),
    ErrorName.SYNTAX: (400, "invalid_request_error"),
    ErrorName.RANGE: (400, "invalid_request_error"),
    ErrorName.INVALID_STATE: (400, "invalid_request_error"),
    ErrorName.DATA: (500, "server_error"),
    ErrorName.NETWORK: (503, "service_unavailable"),
    ErrorName.TIMEOUT: (503, "service_unavailable"),
    ErrorName.ABORT: (503, "service_unavailable"),
    ErrorName.OPERATION: (500, "server_error"),
    ErrorName.UNKNOWN: (500, "server_error"),
}


class ApiError(Exception):
    """An error answered to the app as it is."""

    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.param = param
        self.code = code
        self.headers: dict[str, str] = {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def response(self) -> web.Response:
        return web.json_response(self.body(), status=self.status, headers=self.headers, dumps=dumps)


def from_host(err: NavError) -> ApiError:
    """The OpenAI error for a host error: a context window overflow is a bad request, other
    quotas are rate limits (with Retry-After when the host knows when to retry)."""
    status, type_ = STATUS.get(err.name, (500, "server_error"))
    code: str | None = str(err.name)
    if err.name == ErrorName.QUOTA_EXCEEDED and "context window" in err.message:
        status, type_, code = 400, "invalid_request_error", "context_length_exceeded"
    elif err.name == ErrorName.QUOTA_EXCEEDED:
        code = "rate_limit_exceeded"
    api = ApiError(status, err.message, type_, code=code)
    retry = err.details.get("retryAfter")
    if status == 429 and isinstance(retry, int | float):
        api.headers["Retry-After"] = str(max(1, round(retry)))
    return api


def unauthorized(message: str) -> ApiError:
    api = ApiError(401, message, "invalid_request_error", code="invalid_api_key")
    api.headers["WWW-Authenticate"] = 'Bearer realm="navllm"'
    return api


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
