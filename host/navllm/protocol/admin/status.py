from typing import Any, Literal

from pydantic import Field

from .base import AdminRequest


class Status(AdminRequest):
    """Host version, data locations and what each subsystem reports (the doctor's view)."""

    type: Literal["status"] = "status"


class Doctor(AdminRequest):
    """What ``navllm install --check`` reports: each browser's registration and whether its launcher answers."""

    type: Literal["doctor"] = "doctor"


class GetSettings(AdminRequest):
    type: Literal["settings.get"] = "settings.get"


class SetSettings(AdminRequest):
    """Change some settings; unknown names are rejected and nothing is written then."""

    type: Literal["settings.set"] = "settings.set"
    values: dict[str, Any] = Field(max_length=64)


MESSAGES = (Status, Doctor, GetSettings, SetSettings)
