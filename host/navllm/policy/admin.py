"""Admin handlers for grants, prompt decisions, quotas and the usage log.

Only extension pages reach these (the dispatcher refuses page callers for every AdminRequest).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..protocol.admin import grants as g
from ..protocol.admin import usage as u
from ..protocol.errors import not_allowed
from .gate import PolicyGate, consent_scope
from .origins import eligible, require
from .quotas import DEFAULT, OVERALL, Limits, utc_day
from .usage import DAY

if TYPE_CHECKING:
    from ..app import App


def handlers(app: App) -> dict[type, Any]:
    return PolicyAdmin(app).table()


class PolicyAdmin:
    def __init__(self, app: App):
        self.app = app

    @property
    def gate(self) -> PolicyGate:
        return self.app.gate

    def table(self) -> dict[type, Any]:
        return {
            g.ListGrants: self.list_grants,
            g.SetGrant: self.set_grant,
            g.RevokeGrant: self.revoke,
            g.LiftEmbargo: self.lift,
            g.Delegate: self.delegate,
            g.Decide: self.decide,
            g.TabClosed: self.tab_gone,
            g.TabNavigated: self.tab_gone,
            g.IncognitoEnded: self.incognito_ended,
            u.GetQuotas: self.get_quotas,
            u.SetQuota: self.set_quota,
            u.UsageSummary: self.summary,
            u.UsageSeries: self.series,
            u.UsageExport: self.export,
            u.UsageClear: self.clear,
        }

    def _pair(self, origin: str, top_origin: str | None) -> tuple[str, str]:
        """Canonical (origin, top-level origin) a decision may be stored for: both must be eligible."""
        origin = require(origin)
        top = require(top_origin, "topOrigin") if top_origin else origin
        for o in {origin, top}:
            if not eligible(o):
                raise not_allowed(f"{o} can never be granted: only https: sites and http://localhost can")
        return origin, top

    def _scope(self, names: list[str]) -> list[str]:
        return consent_scope(names, self.app.router.chain())

    async def list_grants(self, req: g.ListGrants, out) -> dict:
        store = self.gate.store(req.incognito)
        now = self.gate.now()
        return {
            "grants": [x.wire() for x in store.grants.all()],
            "once": [x for x in self.gate.once.all() if x["incognito"] == req.incognito],
            "embargoes": store.grants.embargoes(now),
            "delegations": self.gate.persistent.grants.delegations(),
        }

    async def set_grant(self, req: g.SetGrant, out) -> dict:
        origin, top = self._pair(req.origin, req.top_origin)
        providers = self._scope(req.providers) if req.state == "granted" else []
        self.gate.once.forget(origin, top, req.incognito)
        return self.gate.store(req.incognito).grants.set(origin, top, req.state, providers, req.expires_at, self.gate.now()).wire()

    async def revoke(self, req: g.RevokeGrant, out) -> dict:
        origin = require(req.origin)
        top = require(req.top_origin, "topOrigin") if req.top_origin else None
        return {"revoked": self.gate.revoke(origin, top, req.incognito)}

    async def lift(self, req: g.LiftEmbargo, out) -> dict:
        origin = require(req.origin)
        top = require(req.top_origin, "topOrigin") if req.top_origin else None
        return {"lifted": self.gate.store(req.incognito).grants.lift(origin, top)}

    async def delegate(self, req: g.Delegate, out) -> dict:
        top, frame = require(req.top_origin, "topOrigin"), require(req.frame_origin, "frameOrigin")
        self._pair(frame, top)
        self.gate.persistent.grants.delegate(top, frame, req.allowed)
        return {"topOrigin": top, "frameOrigin": frame, "allowed": req.allowed}

    async def decide(self, req: g.Decide, out) -> dict:
        origin, top = self._pair(req.origin, req.top_origin)
        return self.gate.decide(
            origin=origin,
            top_origin=top,
            incognito=req.incognito,
            tab_id=req.tab_id,
            document_id=req.document_id,
            decision=req.decision,
            providers=self._scope(req.providers),
            expires_at=req.expires_at,
        )

    async def tab_gone(self, req: g.TabClosed | g.TabNavigated, out) -> dict:
        return {"forgotten": self.gate.once.forget_tab(req.tab_id)}

    async def incognito_ended(self, req: g.IncognitoEnded, out) -> None:
        self.gate.end_incognito()

    async def get_quotas(self, req: u.GetQuotas, out) -> dict:
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

    async def set_quota(self, req: u.SetQuota, out) -> dict:
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

    async def summary(self, req: u.UsageSummary, out) -> dict:
        return self.gate.persistent.usage.summary(self.gate.now())

    async def series(self, req: u.UsageSeries, out) -> list[dict]:
        return self.gate.persistent.usage.series(req.days, self.gate.now())

    async def export(self, req: u.UsageExport, out) -> dict:
        since = self.gate.now() - req.days * DAY if req.days else 0.0
        return {"format": req.format, "body": self.gate.persistent.usage.export(req.format, since)}

    async def clear(self, req: u.UsageClear, out) -> dict:
        origin = require(req.origin) if req.origin else None
        return {"deleted": self.gate.persistent.usage.clear(origin)}
