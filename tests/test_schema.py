"""The exported SDL is fresh, and a compatible superset of the public contract.

Members of the contract that later issues will serve are listed in NOT_YET_SERVED; each
issue shortens the list, and it ends empty. The contract lives beside the project, in
`../shared/contract/`; a clone with nothing beside it skips the contract checks and says why.
"""

from pathlib import Path

import pytest
from graphql import BreakingChangeType, build_schema, find_breaking_changes

from schema import export_sdl

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT.parent / "shared" / "contract" / "schema.graphql"
SCHEMA_FILE = ROOT / "schema" / "schema.graphql"

needs_contract = pytest.mark.skipif(
    not CONTRACT.is_file(),
    reason=f"no API contract at {CONTRACT} (it sits beside the project on the team's machines and in CI)",
)

NOT_YET_SERVED_TYPES: set[str] = set()
NOT_YET_SERVED_FIELDS: set[str] = set()


def _allowed(change) -> bool:
    if change.type == BreakingChangeType.TYPE_REMOVED:
        return change.description.split(" ")[0] in NOT_YET_SERVED_TYPES
    if change.type == BreakingChangeType.FIELD_REMOVED:
        # "Field Consultation.polls was removed."
        return change.description.split(" ")[1] in NOT_YET_SERVED_FIELDS
    return False


def test_schema_file_is_freshly_exported():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == export_sdl(), "run `make schema` (consult export-schema)"


@needs_contract
def test_served_schema_is_compatible_with_the_contract():
    contract = build_schema(CONTRACT.read_text(encoding="utf-8"))
    served = build_schema(export_sdl())
    unexpected = [c.description for c in find_breaking_changes(contract, served) if not _allowed(c)]
    assert unexpected == []


@needs_contract
def test_not_yet_served_list_names_only_what_is_really_missing():
    # When a later issue serves a member, this fails until the member leaves the list.
    contract = build_schema(CONTRACT.read_text(encoding="utf-8"))
    served = build_schema(export_sdl())
    missing_types = {name for name in contract.type_map if name not in served.type_map}
    assert missing_types == NOT_YET_SERVED_TYPES
    missing_fields = set()
    for name, type_ in contract.type_map.items():
        if name in served.type_map and hasattr(type_, "fields") and not name.startswith("__"):
            for field_name in type_.fields:
                if field_name not in served.type_map[name].fields:
                    missing_fields.add(f"{name}.{field_name}")
    assert missing_fields == NOT_YET_SERVED_FIELDS


def _undescribed(graphql_schema) -> list[str]:
    """Every type, field, argument, input field, enum value and directive (with its arguments) that
    has no description, read through introspection as GraphiQL's Docs pane reads it. The `__`
    types are GraphQL's own introspection system, described by the spec, not by this API."""
    from graphql import introspection_from_schema

    missing: list[str] = []

    def check(path: str, member: dict) -> None:
        if not (member.get("description") or "").strip():
            missing.append(path)

    found = introspection_from_schema(graphql_schema, descriptions=True)["__schema"]
    for type_ in found["types"]:
        name = type_["name"]
        if name.startswith("__"):
            continue
        check(name, type_)
        for field in type_.get("fields") or []:
            check(f"{name}.{field['name']}", field)
            for arg in field["args"]:
                check(f"{name}.{field['name']}({arg['name']}:)", arg)
        for input_field in type_.get("inputFields") or []:
            check(f"{name}.{input_field['name']}", input_field)
        for value in type_.get("enumValues") or []:
            check(f"{name}.{value['name']}", value)
    for directive in found["directives"]:
        check(f"@{directive['name']}", directive)
        for arg in directive["args"]:
            check(f"@{directive['name']}({arg['name']}:)", arg)
    return missing


def test_every_member_of_the_schema_has_a_description():
    from schema import schema as served

    assert _undescribed(served._schema) == []


def test_the_description_check_finds_each_kind_of_undescribed_member():
    sdl = """
    "A root." type Query { "Described." ok(
        "Described." a: Int, b: Int): T, bare: Int }
    type T { "Described." x: E }
    enum E { "Described." ONE TWO }
    "An input." input I { "Described." p: Int, q: Int }
    "Uses I." type U { "Described." y("Described." i: I): Int }
    """
    assert sorted(_undescribed(build_schema(sdl + 'extend type Query { "Described." u: U }'))) == [
        "E",
        "E.TWO",
        "I.q",
        "Query.bare",
        "Query.ok(b:)",
        "T",
    ]


def test_field_descriptions_start_as_sentences():
    # As graphql-schema-linter's descriptions-are-capitalized has it, so that the rule holds without node too:
    # a capital, or a name in backticks (`advanceStage` to a later stage).
    from graphql import introspection_from_schema

    from schema import schema as served

    lowercase = [
        f"{type_['name']}.{field['name']}"
        for type_ in introspection_from_schema(served._schema)["__schema"]["types"]
        if not type_["name"].startswith("__")
        for field in type_.get("fields") or []
        if field["description"] and field["description"][0].islower()
    ]
    assert lowercase == []
