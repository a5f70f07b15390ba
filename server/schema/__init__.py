"""The GraphQL schema, assembled from one module per area, and its SDL export."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from server.errors import ErrorTranslation
from server.limits import TimeLimit, cost_rule
from server.schema.access import AccessMutation
from server.schema.audit import AuditQuery
from server.schema.changes import ChangesMutation, ChangesQuery, ChangesSubscription
from server.schema.identity import IdentityMutation, IdentityQuery
from server.schema.management import ManagementQuery
from server.schema.people import PeopleQuery
from server.schema.shortcuts import direct_resolvers
from server.settings import Mode, Settings


@strawberry.type
class Query(PeopleQuery, AuditQuery, IdentityQuery, ChangesQuery, ManagementQuery):
    pass


@strawberry.type
class Mutation(AccessMutation, IdentityMutation, ChangesMutation):
    pass


@strawberry.type
class Subscription(ChangesSubscription):
    pass


class FamgraphSchema(strawberry.Schema):
    """Strawberry's schema without its error log: that log quotes the document, and a
    document can carry names and dates. `ErrorTranslation` logs unexpected errors by
    place and correlation id instead (docs/security.md rule 10)."""

    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        return None


def build_schema(settings: Settings, *more: type[SchemaExtension]) -> strawberry.Schema:
    """The schema with the limits of docs/security.md rule 1, and the parser and validation
    caches."""
    # Factories, not instances: strawberry builds each extension per request. The parser
    # and validation caches live at module level, so they are shared across requests; the
    # validation cache is keyed by the rule classes too, so the limit rules are made once
    # here (the limiters' own factories would make new classes, and miss, every request).
    rules = (
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        cost_rule(settings.max_query_nodes),
    )
    extensions: list[Any] = [
        lambda: AddValidationRules(list(rules)),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        TimeLimit,
        lambda: ParserCache(maxsize=1024),
        lambda: ValidationCache(maxsize=1024),
        ErrorTranslation,
        *more,
    ]
    if settings.mode is Mode.PRODUCTION:
        extensions.append(DisableIntrospection)
    schema = FamgraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(disable_field_suggestions=settings.mode is Mode.PRODUCTION),
    )
    if settings.library_shortcuts:
        direct_resolvers(schema)
    return schema


def schema_sdl() -> str:
    """The SDL clients rely on; `schema.graphql` must equal it (a test checks)."""
    return str(build_schema(Settings())).rstrip() + "\n"
