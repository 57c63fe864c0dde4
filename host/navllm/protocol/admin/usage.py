"""Admin requests about quotas and the usage log."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from ..common import Origin
from .base import AdminRequest


class GetQuotas(AdminRequest):
    """The limits in force: defaults, overall budget, per-site overrides, and today's spend."""

    type: Literal["quotas.get"] = "quotas.get"


class SetQuota(AdminRequest):
    """Set limits for one site (``scope: "site"`` with ``origin``), for every site without its own
    (``"default"``) or the overall daily budget (``"overall"``). ``null`` means no limit, a limit
    left out keeps its current value; ``reset`` goes back to the default (or built-in) limits."""

    type: Literal["quotas.set"] = "quotas.set"
    scope: Literal["site", "default", "overall"] = "site"
    origin: Origin | None = None
    requests_per_minute: int | None = Field(default=None, ge=1, le=100_000)
    daily_tokens: int | None = Field(default=None, ge=0, le=10**12)
    reset: bool = False

    @model_validator(mode="after")
    def _origin_for_sites(self) -> Self:
        if (self.scope == "site") != (self.origin is not None):
            raise ValueError("origin is required for scope 'site' and not allowed otherwise")
        if self.scope == "overall" and self.requests_per_minute is not None:
            raise ValueError("the overall limit is a daily token budget only")
        return self


class UsageSummary(AdminRequest):
    """Requests, tokens and errors per origin and per provider: today, 7 days, 30 days."""

    type: Literal["usage.summary"] = "usage.summary"


class UsageSeries(AdminRequest):
    """Rows per day × origin × provider for the last ``days`` days, ready to chart."""

    type: Literal["usage.series"] = "usage.series"
    days: int = Field(default=30, ge=1, le=3650)


class UsageExport(AdminRequest):
    type: Literal["usage.export"] = "usage.export"
    format: Literal["json", "csv"] = "json"
    days: int | None = Field(default=None, ge=1, le=3650)


class UsageClear(AdminRequest):
    """Delete the usage log of one origin, or all of it."""

    type: Literal["usage.clear"] = "usage.clear"
    origin: Origin | None = None


MESSAGES = (GetQuotas, SetQuota, UsageSummary, UsageSeries, UsageExport, UsageClear)
