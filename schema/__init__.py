"""The GraphQL schema: strawberry types over the services."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from schema.mutations import Mutation
from schema.query import Query
from schema.scalars import SCALAR_MAP
from schema.subscriptions import Subscription
from schema.supervision import Finding, FollowUp, Inspection, Milestone
from schema.types import (
    Account,
    AuditEvent,
    Consultation,
    Contribution,
    CostShare,
    Demand,
    Party,
    Proposal,
    Responsibility,
    VoterRollEntry,
)
from schema.voting import Ballot, Poll, PollOption


def _is_bug(error: GraphQLError) -> bool:
    """Mask exceptions from our code; keep validation and syntax errors, which help clients."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def build_schema(*, mask_errors: bool = True) -> strawberry.Schema:
    extensions: list = [
        lambda: QueryDepthLimiter(max_depth=12),
        lambda: MaxAliasesLimiter(max_alias_count=50),
        lambda: MaxTokensLimiter(max_token_count=4000),
    ]
    if mask_errors:
        extensions.append(lambda: MaskErrors(should_mask_error=_is_bug, error_message="服务器内部错误 Internal error."))
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # Every Node type is listed so that `node(id:)` can return it even where no field names it.
        types=[
            Account,
            Party,
            Consultation,
            Demand,
            Responsibility,
            Proposal,
            VoterRollEntry,
            AuditEvent,
            CostShare,
            Contribution,
            Poll,
            PollOption,
            Ballot,
            Milestone,
            Inspection,
            Finding,
            FollowUp,
        ],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=extensions,
    )


schema = build_schema()


def export_sdl() -> str:
    return schema.as_str() + "\n"
