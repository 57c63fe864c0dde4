"""Grants and the prompt window's decisions: list, set, revoke, delegate to frames, decide."""

from __future__ import annotations

from typing import Any

from ...policy.gate import PolicyGate, consent_scope
from ...policy.origins import eligible, require
from ...protocol.admin import grants as g
from ...protocol.errors import not_allowed
from ...providers.router import Router
from ..dispatcher import Handler
from ..responder import Responder


class GrantsAdmin:
    def __init__(self, gate: PolicyGate, router: Router):
        self.gate = gate
        self.router = router

    def table(self) -> dict[type, Handler]:
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
        return consent_scope(names, self.router.chain())

    async def list_grants(self, req: g.ListGrants, out: Responder) -> dict[str, Any]:
        store = self.gate.store(req.incognito, req.caller.browser)
        now = self.gate.now()
        return {
            "grants": [x.wire() for x in store.grants.all()],
            "once": [x for x in self.gate.once.all() if x["incognito"] == req.incognito],
            "embargoes": store.grants.embargoes(now),
            "delegations": self.gate.persistent.grants.delegations(),
        }

    async def set_grant(self, req: g.SetGrant, out: Responder) -> dict[str, Any]:
        origin, top = self._pair(req.origin, req.top_origin)
        providers = self._scope(req.providers) if req.state == "granted" else []
        self.gate.once.forget(origin, top, req.incognito)
        return (
            self.gate.store(req.incognito, req.caller.browser)
            .grants.set(origin, top, req.state, providers, req.expires_at, self.gate.now())
            .wire()
        )

    async def revoke(self, req: g.RevokeGrant, out: Responder) -> dict[str, Any]:
        origin = require(req.origin)
        top = require(req.top_origin, "topOrigin") if req.top_origin else None
        return {"revoked": self.gate.revoke(origin, top, req.incognito, req.caller.browser)}

    async def lift(self, req: g.LiftEmbargo, out: Responder) -> dict[str, Any]:
        origin = require(req.origin)
        top = require(req.top_origin, "topOrigin") if req.top_origin else None
        return {"lifted": self.gate.store(req.incognito, req.caller.browser).grants.lift(origin, top)}

    async def delegate(self, req: g.Delegate, out: Responder) -> dict[str, Any]:
        top, frame = require(req.top_origin, "topOrigin"), require(req.frame_origin, "frameOrigin")
        self._pair(frame, top)
        self.gate.persistent.grants.delegate(top, frame, req.allowed)
        return {"topOrigin": top, "frameOrigin": frame, "allowed": req.allowed}

    async def decide(self, req: g.Decide, out: Responder) -> dict[str, Any]:
        origin, top = self._pair(req.origin, req.top_origin)
        return self.gate.decide(
            origin=origin,
            top_origin=top,
            incognito=req.incognito,
            tab_id=req.tab_id,
            document_id=req.document_id,
            browser=req.caller.browser,
            decision=req.decision,
            providers=self._scope(req.providers),
            expires_at=req.expires_at,
        )

    async def tab_gone(self, req: g.TabClosed | g.TabNavigated, out: Responder) -> dict[str, Any]:
        return {"forgotten": self.gate.once.forget_tab(req.tab_id, req.caller.browser)}

    async def incognito_ended(self, req: g.IncognitoEnded, out: Responder) -> None:
        self.gate.end_incognito(req.caller.browser)
