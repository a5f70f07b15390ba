"""Relay conventions: the Node interface, opaque cursors and capped page sizes."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TypeVar

import strawberry

from server.errors import BadArgument

MAX_PAGE = 100  # docs/security.md rule 2: first/last between 1 and 100
T = TypeVar("T")


@strawberry.interface(description="An object with a globally unique, stable id.")
class Node:
    @strawberry.field
    def id(self) -> strawberry.ID:
        raise NotImplementedError  # every node type answers with its own id


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def cursor_of(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def offset_of(cursor: str) -> int:
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        offset = int(number)
    except (ValueError, UnicodeDecodeError):
        raise BadArgument("after", "is not a cursor this API gave out") from None
    if kind != "o" or offset < 0:
        raise BadArgument("after", "is not a cursor this API gave out")
    return offset


def page(items: Sequence[T], first: int, after: str | None) -> tuple[list[tuple[str, T]], PageInfo]:
    """The slice of `items` after the cursor, with cursors and page info.

    Raises
    ------
    BadArgument : `first` outside 1..100, or a cursor this API did not give out
    """
    if not 1 <= first <= MAX_PAGE:
        raise BadArgument("first", f"must be between 1 and {MAX_PAGE}")
    start = offset_of(after) + 1 if after else 0
    chosen = [(cursor_of(i), items[i]) for i in range(start, min(start + first, len(items)))]
    info = PageInfo(
        has_next_page=start + first < len(items),
        has_previous_page=start > 0,
        start_cursor=chosen[0][0] if chosen else None,
        end_cursor=chosen[-1][0] if chosen else None,
    )
    return chosen, info


def seq_cursor(seq: int) -> str:
    """A cursor on a numbered sequence (changes): stable while later items are added."""
    return base64.urlsafe_b64encode(f"c:{seq}".encode()).decode()


def seq_of(cursor: str) -> int:
    """The number a `seq_cursor` names.

    Raises
    ------
    BadArgument : a cursor this API did not give out
    """
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        seq = int(number)
    except (ValueError, UnicodeDecodeError):
        raise BadArgument("after", "is not a cursor this API gave out") from None
    if kind != "c" or seq < 0:
        raise BadArgument("after", "is not a cursor this API gave out")
    return seq
