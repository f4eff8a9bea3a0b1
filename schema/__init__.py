"""The GraphQL schema: strawberry types over the services."""

from __future__ import annotations

import strawberry
from graphql import ASTValidationRule, GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.exceptions import CannotGetOperationTypeError

from schema.areas import Area
from schema.limits import NonEmptySelections, RequestLimits, depth_limit
from schema.metrics import OperationMetrics
from schema.query import Query
from schema.scalars import SCALAR_MAP
from schema.subscriptions import Subscription
from schema.supervision import Finding, FollowUp, Inspection, Milestone
from schema.tables import Mutation
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
    """Mask exceptions from our code; keep validation and syntax errors, which help clients, and
    an operationName the document does not have."""
    original = error.original_error
    return original is not None and not isinstance(original, (GraphQLError, CannotGetOperationTypeError))


class ConsultSchema(strawberry.Schema):
    """Logs what went wrong in the server, not what it refused: a refusal (too large, signed out,
    forbidden, invalid) is the client's answer, and logging each one would turn a flood of
    refused requests into a flood of log lines."""

    def process_errors(self, errors: list[GraphQLError], execution_context=None) -> None:
        super().process_errors([e for e in errors if _is_bug(e)], execution_context)


# The depth and alias limits are validation rules. They are built once, so every request carries
# the very same rule classes and a query text that passed validation once is not validated again.
_LIMITS: tuple[type[ASTValidationRule], ...] = (
    NonEmptySelections,
    depth_limit(12),
    *MaxAliasesLimiter(max_alias_count=50).validation_rules,
)
# The pages send a few dozen distinct query texts; the caches hold many more than that, and are
# bounded so that a stream of made-up queries only evicts, never grows memory.
_PREPARED_QUERIES = 1024


def build_schema(*, mask_errors: bool = True, introspection: bool = True) -> strawberry.Schema:
    rules = [*_LIMITS] if introspection else [*_LIMITS, NoSchemaIntrospectionCustomRule]
    extensions: list = [
        lambda: MaxTokensLimiter(max_token_count=4000),
        lambda: AddValidationRules(rules),
        lambda: ParserCache(maxsize=_PREPARED_QUERIES),
        lambda: ValidationCache(maxsize=_PREPARED_QUERIES),
        RequestLimits,
    ]
    if mask_errors:
        extensions.append(lambda: MaskErrors(should_mask_error=_is_bug, error_message="服务器内部错误 Internal error."))
    # Last, so that it sees errors before MaskErrors hides what they were.
    extensions.append(OperationMetrics)
    return ConsultSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # Every Node type is listed so that `node(id:)` can return it even where no field names it.
        types=[
            Account,
            Area,
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
