"""Admin requests about who may use navllm: grants, prompt decisions, embargoes, frame
delegation, and the tab events that end "allow once" grants."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..common import Origin
from .base import AdminRequest

ProviderNames = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=64)]


class ListGrants(AdminRequest):
    """Persistent grants and denials, "allow once" grants, embargoes and delegations."""

    type: Literal["grants.list"] = "grants.list"
    incognito: bool = False


class SetGrant(AdminRequest):
    """Grant or deny an origin (inside ``topOrigin`` when it is a frame), replacing what was there."""

    type: Literal["grants.set"] = "grants.set"
    origin: Origin
    top_origin: Origin | None = None
    incognito: bool = False
    state: Literal["granted", "denied"]
    providers: ProviderNames = []  # noqa: RUF012 -- a pydantic field: each instance gets a copy of the default
    expires_at: float | None = Field(default=None, gt=0)


class RevokeGrant(AdminRequest):
    """Forget every decision about an origin (in one top-level origin, or everywhere): the next call asks."""

    type: Literal["grants.revoke"] = "grants.revoke"
    origin: Origin
    top_origin: Origin | None = None
    incognito: bool = False


class LiftEmbargo(AdminRequest):
    type: Literal["grants.lift"] = "grants.lift"
    origin: Origin
    top_origin: Origin | None = None
    incognito: bool = False


class Delegate(AdminRequest):
    """Let (or stop letting) frames from ``frameOrigin`` ask for navllm inside ``topOrigin``."""

    type: Literal["grants.delegate"] = "grants.delegate"
    top_origin: Origin
    frame_origin: Origin
    allowed: bool = True


class Decide(AdminRequest):
    """The user's answer in the permission prompt window, sent before the page's request is retried."""

    type: Literal["permission.decide"] = "permission.decide"
    origin: Origin
    top_origin: Origin | None = None
    incognito: bool = False
    tab_id: int | None = None
    document_id: str | None = Field(default=None, max_length=128)
    decision: Literal["once", "always", "deny", "dismiss"]
    providers: ProviderNames = []  # noqa: RUF012 -- a pydantic field: each instance gets a copy of the default
    expires_at: float | None = Field(default=None, gt=0)


class TabClosed(AdminRequest):
    type: Literal["tab.closed"] = "tab.closed"
    tab_id: int


class TabNavigated(AdminRequest):
    """The tab now shows another document: grants given "once" to the old one end."""

    type: Literal["tab.navigated"] = "tab.navigated"
    tab_id: int


class IncognitoEnded(AdminRequest):
    """The last private window closed: every private-window decision is forgotten."""

    type: Literal["incognito.ended"] = "incognito.ended"


MESSAGES = (ListGrants, SetGrant, RevokeGrant, LiftEmbargo, Delegate, Decide, TabClosed, TabNavigated, IncognitoEnded)
