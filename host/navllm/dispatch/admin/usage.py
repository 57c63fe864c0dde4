"""Quotas and the usage log from the side panel: limits per site, today's use, series, export, clear."""

from __future__ import annotations

from typing import Any

from ...policy.gate import PolicyGate
from ...policy.origins import require
from ...policy.quotas import DEFAULT, OVERALL, Limits, utc_day
from ...policy.usage import DAY
from ...protocol.admin import usage as u
from ..dispatcher import Handler
from ..responder import Responder


class UsageAdmin:
    def __init__(self, gate: PolicyGate):
        self.gate = gate

    def table(self) -> dict[type, Handler]:
        return {
            u.GetQuotas: self.get_quotas,
            u.SetQuota: self.set_quota,
            u.UsageSummary: self.summary,
            u.UsageSeries: self.series,
            u.UsageExport: self.export,
            u.UsageClear: self.clear,
        }

    async def get_quotas(self, req: u.GetQuotas, out: Responder) -> dict[str, Any]:
        quotas = self.gate.persistent.quotas
        today = utc_day(self.gate.now())
        custom = quotas.custom()
        return {
            "default": quotas.limits(DEFAULT).wire(),
            "overall": {**quotas.limits(OVERALL).wire(), "usedToday": quotas.used(today, OVERALL)},
            "sites": {
                scope: {**limits.wire(), "usedToday": quotas.used(today, scope)}
                for scope, limits in custom.items()
                if scope not in (DEFAULT, OVERALL)
            },
        }

    async def set_quota(self, req: u.SetQuota, out: Responder) -> dict[str, Any]:
        scope = {"default": DEFAULT, "overall": OVERALL}.get(req.scope) or require(req.origin)
        quotas = self.gate.persistent.quotas
        if req.reset:
            quotas.reset_limits(scope)
        else:
            # A limit left out keeps its current value; an explicit null removes it.
            current = quotas.limits(scope)
            given = req.model_fields_set
            quotas.set_limits(
                scope,
                Limits(
                    req.requests_per_minute if "requests_per_minute" in given else current.requests_per_minute,
                    req.daily_tokens if "daily_tokens" in given else current.daily_tokens,
                ),
            )
        return quotas.limits(scope).wire()

    async def summary(self, req: u.UsageSummary, out: Responder) -> dict[str, Any]:
        return self.gate.persistent.usage.summary(self.gate.now())

    async def series(self, req: u.UsageSeries, out: Responder) -> list[dict[str, Any]]:
        return self.gate.persistent.usage.series(req.days, self.gate.now())

    async def export(self, req: u.UsageExport, out: Responder) -> dict[str, Any]:
        since = self.gate.now() - req.days * DAY if req.days else 0.0
        return {"format": req.format, "body": self.gate.persistent.usage.export(req.format, since)}

    async def clear(self, req: u.UsageClear, out: Responder) -> dict[str, Any]:
        origin = require(req.origin) if req.origin else None
        return {"deleted": self.gate.persistent.usage.clear(origin)}
