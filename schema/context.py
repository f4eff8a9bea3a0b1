"""The typed request context: who is asking, in which language, with which loaders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import EllipsisType
from typing import Any

from strawberry.types import Info as _Info

from consult.clock import utcnow
from consult.models import Consultation
from consult.policies import ANONYMOUS, Actor, allowed
from consult.services.base import ServiceContext, can_see
from consult.settings import Settings
from schema.loaders import Loaders


@dataclass
class Context:
    request: Any
    response: Any
    settings: Settings
    actor: Actor = ANONYMOUS
    lang: str = "zh-CN"
    client_key: str = "local"
    clock: Callable[[], datetime] = utcnow
    # The bearer token the actor came from, re-checked by long-lived subscriptions.
    token: str | None = None
    # graphql-transport-ws / graphql-ws connection_init payload.
    connection_params: dict | None = None
    websocket: bool = False
    loaders: Loaders = field(init=False)
    # Hash-chain verdicts, computed at most once per consultation per request.
    chain_checks: dict[int, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.actor.account_id)

    async def renew(self) -> None:
        """Before each operation on a WebSocket, which lives for hours: who the token stands for
        now (areas changed, roles, a session ended: anonymous), and loaders that remember nothing
        from the operations before."""
        if self.token:
            from consult.services.accounts import actor_for_token

            self.actor = await actor_for_token(self.token, self.clock()) or ANONYMOUS
        self.loaders = Loaders(self.actor.account_id)
        self.chain_checks = {}

    def service(self) -> ServiceContext:
        return ServiceContext(actor=self.actor, settings=self.settings, client_key=self.client_key, clock=self.clock)

    def now(self) -> datetime:
        return self.clock()

    def may(
        self,
        action: str,
        relations: set[str] | frozenset[str] = frozenset(),
        *,
        community: int | EllipsisType | None = ...,
    ) -> bool:
        """`allowed` for the viewer; `community` is the consultation's, for a rule bound to one."""
        return allowed(self.actor, action, relations, community=community)

    def can_see(self, consultation: Consultation | None) -> bool:
        return consultation is not None and can_see(self.actor, consultation)


Info = _Info[Context, None]
