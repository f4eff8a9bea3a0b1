"""Keyset pagination for Relay connections: cursors are opaque, stable under inserts."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

DEFAULT_PAGE = 20
MAX_PAGE = 100

# The arguments every connection takes, described once.
First = Annotated[
    int | None,
    strawberry.argument(
        description=(
            f"How many items to return: {DEFAULT_PAGE} when left out; more than {MAX_PAGE} returns {MAX_PAGE}. "
            "A negative number is an error (BAD_USER_INPUT)."
        )
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Return the items after this cursor: the `endCursor` of the page before. Left out, from the start."
    ),
]


@strawberry.type(description="Where a page of a connection sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items come before this page (an `after` cursor was given).")
    start_cursor: str | None = strawberry.field(description="Cursor of the first item of this page.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last item; pass it as `after` for the next page."
    )


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    prefix, _, pk = raw.partition(":")
    # Keys are BIGINT: a longer number is no cursor of ours (and would overflow the query).
    if prefix != "cursor" or not (pk.isascii() and pk.isdigit()) or len(pk) > 18:
        return None
    return int(pk)


@dataclass
class Page:
    rows: list[Any]
    total: int
    has_next: bool
    has_previous: bool

    def page_info(self) -> PageInfo:
        return PageInfo(
            has_next_page=self.has_next,
            has_previous_page=self.has_previous,
            start_cursor=encode_cursor(self.rows[0].pk) if self.rows else None,
            end_cursor=encode_cursor(self.rows[-1].pk) if self.rows else None,
        )


async def paginate(queryset: Any, first: int | None, after: str | None, *, descending: bool = False) -> Page:
    """One COUNT and one SELECT of at most first+1 rows, keyed on the primary key."""
    if first is not None and first < 0:
        # Relay's spec: a negative count is an error, not an empty page.
        raise GraphQLError("first 不能是负数。`first` must be 0 or more.", extensions={"code": "BAD_USER_INPUT"})
    size = DEFAULT_PAGE if first is None else min(first, MAX_PAGE)
    total = await queryset.count()
    after_pk = decode_cursor(after)
    page_qs = queryset
    if after_pk is not None:
        page_qs = page_qs.filter(id__lt=after_pk) if descending else page_qs.filter(id__gt=after_pk)
    rows = await page_qs.order_by("-id" if descending else "id").limit(size + 1)
    return Page(rows=rows[:size], total=total, has_next=len(rows) > size, has_previous=after_pk is not None)
