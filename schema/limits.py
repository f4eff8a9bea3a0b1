"""What one request may ask for, checked before anything runs.

Two checks, made once the document has passed validation and before graphql-core coerces the
variables or resolves a field:

- **List inputs are capped at their real maximum.** graphql-core coerces a variable item by item
  before any resolver (and so any sign-in check) runs: 300,000 empty share items held the event
  loop for 21 s. Each list input has a cap (LIST_CAPS), and an input object may not carry more
  keys than its type has fields.
- **A cost budget bounds breadth × page size.** Depth, alias and token limits do not: 40 aliased
  `consultations(first: 100)` with nested lists stayed within all three and took 51 s. The cost
  of a document is the number of objects it could return: a connection multiplies what is
  under it by its page size (`first`, else the default page), a plain list by LIST_GUESS.
  Signed-out callers get a smaller budget than signed-in ones.

A refused request gets one GraphQL error with the code TOO_LARGE and nothing is executed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    type_from_ast,
)
from strawberry.extensions import SchemaExtension

from consult.services.consultations import MAX_PARTIES
from consult.services.costs import MAX_SHARES
from consult.services.photos import MAX_PER_ITEM
from consult.services.roll import MAX_ROLL
from consult.services.supervision import MAX_FINDINGS
from consult.services.tables import MAX_TABLE_ROWS
from consult.services.voting import MAX_OPTIONS
from schema.pagination import DEFAULT_PAGE, MAX_PAGE

# The most items each list input can meaningfully hold, by "InputType.field", or by the item
# type's name for a list passed as a variable on its own. Anything not named here: DEFAULT_CAP.
LIST_CAPS: dict[str, int] = {
    "CastVoteInput.choices": MAX_OPTIONS,
    "RecordOfflineBallotInput.choices": MAX_OPTIONS,
    "CreatePollInput.options": MAX_OPTIONS,
    "CreatePollInput.proposalIds": MAX_OPTIONS,
    "CreateConsultationInput.partyIds": MAX_PARTIES,
    "SetCostPlanInput.shares": MAX_SHARES,
    "ShareInput": MAX_SHARES,
    "SharePreviewInput": MAX_SHARES,
    "RecordInspectionInput.findings": MAX_FINDINGS,
    "FindingInput": MAX_FINDINGS,
    "CreateAccountInput.roles": 10,
    "Role": 10,
    "SetVoterRollInput.voters": MAX_ROLL,
    "VoterInput": MAX_ROLL,
    "AddPartiesInput.parties": MAX_PARTIES,
    "PartyRowInput": MAX_PARTIES,
    "AssignResponsibilitiesInput.responsibilities": MAX_TABLE_ROWS,
    "ResponsibilityRowInput": MAX_TABLE_ROWS,
    "RecordContributionsInput.contributions": MAX_TABLE_ROWS,
    "ContributionRowInput": MAX_TABLE_ROWS,
}
DEFAULT_CAP = MAX_OPTIONS
# A signed-out caller may send no longer list than this, whatever the list: the longest a
# signed-out request needs is a split preview's lines (MAX_SHARES). So a 200,000-row roll from
# nobody is refused before it is coerced, not after.
SIGNED_OUT_CAP = MAX_SHARES

# How many items a plain (unpaged) list is taken to hold when costing a document, unless
# OUTPUT_LIST_SIZES knows its real maximum ("Type.field").
LIST_GUESS = 20
OUTPUT_LIST_SIZES: dict[str, int] = {
    "Consultation.photos": MAX_PER_ITEM,
    "Demand.photos": MAX_PER_ITEM,
    "Finding.photos": MAX_PER_ITEM,
    "Finding.fixPhotos": MAX_PER_ITEM,
    "MilestoneUpdate.photos": MAX_PER_ITEM,
}
# The budgets, in objects a document could return, as costed here (an upper estimate). The
# resident page costs about 9,000, the supervision board 36,000 and the organizer's console
# 47,000; tests/security/test_freeze.py checks that every page's documents stay within.
ANONYMOUS_BUDGET = 25_000
SIGNED_IN_BUDGET = 100_000


class TooLarge(Exception):
    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.extensions = {"code": "TOO_LARGE", **extensions}


def _check_value(value: Any, type_: Any, key: str, field: str | None = None, ceiling: int | None = None) -> None:
    """Walk a variable's raw JSON value along its GraphQL input type, refusing oversize lists.

    `key` names the list for LIST_CAPS ("InputType.field", or the item type's name); `field` is
    what the error names: the input field, or the variable for a list passed on its own."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        if not isinstance(value, list):
            return  # coercion will say what is wrong, cheaply
        item = get_named_type(type_)
        cap = LIST_CAPS.get(key, LIST_CAPS.get(item.name, DEFAULT_CAP))
        if ceiling is not None:
            cap = min(cap, ceiling)
        if len(value) > cap:
            field = key.rsplit(".", 1)[-1] if "." in key else field
            raise TooLarge(
                f"输入过大：{key} 最多 {cap} 项。Input too large: {key} holds at most {cap} items.",
                field=field,
                max=cap,
            )
        for element in value:
            _check_value(element, type_.of_type, item.name, ceiling=ceiling)
        return
    if isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
        if len(value) > len(type_.fields):
            raise TooLarge(f"输入有多余字段 Input {type_.name} has unknown fields.")
        for name, field_def in type_.fields.items():
            if name in value:
                _check_value(value[name], field_def.type, f"{type_.name}.{name}", ceiling=ceiling)


def check_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: dict[str, Any], ceiling: int | None = None
) -> None:
    """Refuse a list above its cap, or above `ceiling` (signed-out callers) whatever its cap."""
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in variables:
            continue
        type_ = type_from_ast(schema, definition.type)
        if type_ is not None:
            _check_value(variables[name], type_, get_named_type(type_).name, name, ceiling)


def _page_size(node: FieldNode, variables: dict[str, Any]) -> int | None:
    """The page a connection field asks for, or None when the field takes no `first`."""
    for argument in node.arguments or ():
        if argument.name.value == "first":
            value = argument.value
            if isinstance(value, IntValueNode):
                asked: Any = int(value.value)
            elif isinstance(value, VariableNode):
                asked = variables.get(value.name.value)
            else:
                asked = None
            return DEFAULT_PAGE if not isinstance(asked, int) else max(0, min(asked, MAX_PAGE))
    return None  # no `first` given: the default page


class _Coster:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables

    def _fields(
        self, selection_set: SelectionSetNode, parent: Any, seen: frozenset[str]
    ) -> Iterator[tuple[FieldNode, Any]]:
        """Each field with the type it is selected on: a fragment's own type condition, so that
        `node(id:) { ... on Consultation { polls { … } } }` is costed as the consultation it is."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                on = self._condition(selection.type_condition, parent)
                yield from self._fields(selection.selection_set, on, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:  # validation forbids cycles; this is a guard
                    on = self._condition(fragment.type_condition, parent)
                    yield from self._fields(fragment.selection_set, on, seen | {name})

    def _condition(self, condition: Any, parent: Any) -> Any:
        return self.schema.get_type(condition.name.value) if condition is not None else parent

    def cost(
        self, selection_set: SelectionSetNode, parent: Any, seen: frozenset[str] = frozenset(), paged: bool = False
    ) -> int:
        """Objects the selection could return. `paged`: the page size was already counted by the
        connection above, so its list of edges (or nodes) does not multiply again."""
        total = 0
        for node, on in self._fields(selection_set, parent, seen):
            field_def = None
            if isinstance(on, GraphQLObjectType | GraphQLInterfaceType):
                field_def = on.fields.get(node.name.value)
            total += 1
            if node.selection_set is None or field_def is None:
                continue
            child_type = field_def.type
            unwrapped = child_type.of_type if isinstance(child_type, GraphQLNonNull) else child_type
            connection = "first" in field_def.args
            if connection:
                many = _page_size(node, self.variables) or DEFAULT_PAGE
            elif isinstance(unwrapped, GraphQLList):
                many = 1 if paged else OUTPUT_LIST_SIZES.get(f"{on.name}.{node.name.value}", LIST_GUESS)
            else:
                many = 1
            # An interface or union is costed through the fragments that name its types.
            named = get_named_type(child_type)
            total += many * self.cost(node.selection_set, named, seen, paged=connection)
        return total


def document_cost(schema: GraphQLSchema, document: Any, operation: OperationDefinitionNode, variables: dict) -> int:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    # A variable left out takes its default: `query($n: Int = 100)` asks for pages of 100.
    variables = dict(variables)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in variables and isinstance(definition.default_value, IntValueNode):
            variables[name] = int(definition.default_value.value)
    root = schema.get_root_type(operation.operation)
    return _Coster(schema, fragments, variables).cost(operation.selection_set, root)


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


class RequestLimits(SchemaExtension):
    """Refuses an oversize request before graphql-core coerces its variables or runs a resolver."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        document = ctx.graphql_document
        if document is not None and ctx.result is None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1 and getattr(ctx, "_provided_operation_name", None) is None:
                # Which one to run is the client's to say, not the first one's by default.
                message = "文档里有多个操作，请用 operationName 指明运行哪一个。"
                message += " Must provide operation name if query contains multiple operations."
                ctx.result = GraphQLExecutionResult(data=None, errors=[GraphQLError(message)])
                yield
                return
            operation = _operation(document, ctx.operation_name)
            if operation is not None:
                try:
                    self._check(ctx, document, operation)
                except TooLarge as refused:
                    ctx.result = GraphQLExecutionResult(
                        data=None, errors=[GraphQLError(str(refused), extensions=refused.extensions)]
                    )
        yield

    @staticmethod
    def _check(ctx: Any, document: Any, operation: OperationDefinitionNode) -> None:
        schema = ctx.schema._schema
        variables = ctx.variables if isinstance(ctx.variables, dict) else {}
        actor = getattr(ctx.context, "actor", None)
        signed_in = actor is not None and getattr(actor, "account_id", None) is not None
        check_variables(schema, operation, variables, None if signed_in else SIGNED_OUT_CAP)
        cost = document_cost(schema, document, operation, variables)
        budget = SIGNED_IN_BUDGET if signed_in else ANONYMOUS_BUDGET
        if cost > budget:
            raise TooLarge(
                f"查询过大：约 {cost} 个对象，上限 {budget}。"
                f"Query too large: it could return about {cost} objects; the limit is {budget}.",
                cost=cost,
                max=budget,
            )


# ---------------------------------------------------------------- validation rules


class NonEmptySelections(ValidationRule):
    """`{ }` and `{ viewer { } }` ask for nothing: the GraphQL grammar wants at least one field in
    every selection set (graphql-core 3.3 parses them anyway)."""

    def enter_selection_set(self, node: SelectionSetNode, *_args: Any) -> None:
        if not node.selections:
            self.report_error(GraphQLError("Selection sets cannot be empty: name at least one field.", node))


def _depth(
    selections: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    depth: int,
    limit: int,
    seen: frozenset[str] = frozenset(),
) -> int:
    """How deep the fields under `selections` go, counted from `depth`, and no further than just
    past `limit`; introspection fields and unknown or repeated fragments add nothing (other rules
    report those)."""
    deepest = depth
    if depth > limit:
        return depth
    for selection in selections.selections if selections else ():
        if isinstance(selection, FieldNode):
            if selection.selection_set and not selection.name.value.startswith("__"):
                deepest = max(deepest, _depth(selection.selection_set, fragments, depth + 1, limit, seen))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, depth, limit, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                deepest = max(deepest, _depth(fragments[name].selection_set, fragments, depth, limit, seen | {name}))
    return deepest


def depth_limit(max_depth: int) -> type[ValidationRule]:
    """A validation rule refusing an operation whose fields nest more than `max_depth` deep."""

    class DepthLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
            fragments = {
                d.name.value: d for d in self.context.document.definitions if isinstance(d, FragmentDefinitionNode)
            }
            if _depth(node.selection_set, fragments, 0, max_depth) > max_depth:
                name = node.name.value if node.name else "anonymous"
                self.report_error(GraphQLError(f"'{name}' exceeds maximum operation depth of {max_depth}", node))

    return DepthLimit
