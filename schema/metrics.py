"""Counts each GraphQL operation by name and type, times queries and mutations, and counts the
codes of top-level GraphQL errors (consult.metrics).

A subscription is counted when it starts and not timed: its life is the live-subscription gauge.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from graphql import FieldNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from consult import metrics


def _operation(document: object, name: str | None) -> OperationDefinitionNode | None:
    """The operation the request runs: the one it names, or the document's only one."""
    definitions = [d for d in getattr(document, "definitions", ()) if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        return next((d for d in definitions if d.name is not None and d.name.value == name), None)
    return definitions[0] if len(definitions) == 1 else None


def error_code(error: GraphQLError) -> str:
    """The code a client sees, or what kind of failure it was when there is none."""
    code = (error.extensions or {}).get("code")
    if code:
        return str(code)
    if error.original_error is not None and not isinstance(error.original_error, GraphQLError):
        return "INTERNAL"
    return "GRAPHQL_VALIDATION_FAILED" if error.path is None else "GRAPHQL_ERROR"


class OperationMetrics(SchemaExtension):
    """Listed after MaskErrors, so it sees a bug's error before it is masked."""

    counted = False

    def _label(self) -> tuple[str, str]:
        ctx = self.execution_context
        name = ctx.operation_name
        operation = _operation(ctx.graphql_document, name) if ctx.graphql_document is not None else None
        if operation is None:
            return ("other" if name else "anonymous"), "unknown"
        first = next((s.name.value for s in operation.selection_set.selections if isinstance(s, FieldNode)), None)
        # Validation has passed by the time a field is named: the schema bounds the first field.
        valid = ctx.result is None or not ctx.result.errors or ctx.result.data is not None
        return metrics.operation_label(name, first if valid else None), operation.operation.value

    def on_execute(self) -> Iterator[None]:
        yield
        name, kind = self._label()
        if kind == "subscription" and not self.counted:
            self.counted = True
            metrics.operation_done(name, kind, None)

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        name, kind = self._label()
        if not self.counted:
            self.counted = True
            seconds = None if kind == "subscription" else time.perf_counter() - started
            metrics.operation_done(name, kind, seconds)
        result = self.execution_context.result
        if result is not None and result.errors:
            metrics.errors("graphql", (error_code(error) for error in result.errors))
