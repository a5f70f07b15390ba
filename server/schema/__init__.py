"""The GraphQL schema, assembled from one module per area, and its SDL export."""

from __future__ import annotations

import inspect
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    Undefined,
    get_nullable_type,
    is_leaf_type,
)
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
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from server.errors import ErrorTranslation
from server.limits import TimeLimit, cost_rule
from server.schema.access import AccessMutation
from server.schema.audit import AuditQuery
from server.schema.changes import ChangesMutation, ChangesQuery, ChangesSubscription
from server.schema.identity import IdentityMutation, IdentityQuery
from server.schema.management import ManagementQuery
from server.schema.people import PeopleQuery
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
    direct_resolvers(schema)
    return schema


Resolve = Callable[..., Any]


def direct_resolvers(schema: strawberry.Schema) -> int:
    """Give fields that take no arguments a resolver that calls what they resolve with
    directly, and return how many were given one.

    Strawberry wraps every field's resolver to convert its arguments and to find which
    of `self`, `info` and `root` it asks for, and a field with no resolver of its own
    reads its attribute through two calls more; a front-door query resolves some three
    hundred fields, and that wrapping was a tenth of its time. For a field with no
    arguments, no field extensions (permission classes are extensions) and no
    subscription there is nothing to convert: an attribute is read, and a method gets
    its object, and the same `Info` Strawberry would give it when it asks for one. So
    what a resolver returns or raises, and so every error and withheld field, is what it
    was. Fields with arguments keep Strawberry's resolver.
    """
    config = schema.config
    if config.default_resolver is not getattr or getattr(schema, "exception_handlers", None):
        return 0  # another attribute lookup, or handlers that wrap resolvers: keep them
    replaced = 0
    leaves: dict[tuple[str, str], Leaf] = {}
    for kind in schema._schema.type_map.values():
        if not isinstance(kind, GraphQLObjectType) or kind.name.startswith("__"):
            continue
        for name, field in kind.fields.items():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if (not isinstance(definition, StrawberryField) or definition.extensions
                    or definition.is_subscription or field.args or field.subscribe):
                continue
            resolve = _direct(definition, config.info_class)
            if resolve is None:
                continue
            field.resolve = resolve
            replaced += 1
            read = getattr(resolve, "reads", None)
            value_type = get_nullable_type(field.type)
            if read is not None and is_leaf_type(value_type):
                leaves[(kind.name, name)] = Leaf(read, value_type, field.type)
    schema.execution_context_class = leaf_execution(leaves)
    return replaced


@dataclass(frozen=True, slots=True)
class Leaf:
    """A scalar or enum field read from its object alone: no info, no arguments."""

    read: Callable[[Any], Any]
    value_type: GraphQLLeafType
    field_type: GraphQLOutputType


def leaf_execution(
    leaves: dict[tuple[str, str], Leaf],
) -> type[StrawberryGraphQLCoreExecutionContext]:
    """Strawberry's execution with a short way through the scalar and enum fields that
    `direct_resolvers` made plain reads.

    For every field graphql-core builds resolve info, calls the resolver, asks whether the
    answer is awaitable, and completes it through the non-null, list and leaf cases in
    turn; a front-door answer is some two hundred such leaves, and that machinery, not
    the reading, was most of their time. A leaf read needs none of it: the value is read,
    null is refused for a non-null field with graphql-core's own message, and the value is
    coerced by graphql-core's own `complete_leaf_value`; an error, raised or returned, is
    handled by graphql-core's `handle_field_error` exactly as on the long way. Middleware
    (which wraps every resolver) sends every field the long way.
    """

    class LeafExecution(StrawberryGraphQLCoreExecutionContext):
        def execute_field(
            self, parent_type: GraphQLObjectType, source: Any,
            field_details_list: Any, path: Any, position_context: Any,
        ) -> Any:
            name = field_details_list[0].node.name.value
            leaf = leaves.get((parent_type.name, name))
            middleware = self.middleware_manager
            if leaf is None or (middleware is not None and middleware.middlewares):
                return super().execute_field(parent_type, source, field_details_list, path,
                                             position_context)
            try:
                value = leaf.read(source)
                if isinstance(value, Exception):
                    raise value
                if value is None or value is Undefined:
                    if isinstance(leaf.field_type, GraphQLNonNull):
                        raise TypeError("Cannot return null for non-nullable field"
                                        f" {parent_type}.{name}.")
                    return None
                return self.complete_leaf_value(leaf.value_type, value)
            except Exception as raw_error:
                self.handle_field_error(raw_error, leaf.field_type, field_details_list, path)
                return None

        def build_response(self, data: dict[str, Any] | None) -> Any:
            # graphql-core keeps its async helpers as methods bound to the execution: a
            # cycle, so every field it collected waited for a full garbage collection,
            # which at front-door rates ran often and stalled every request in flight.
            # Execution is over once the response is built: break the cycle.
            response = super().build_response(data)
            self.__dict__.pop("async_helpers", None)
            return response

    return LeafExecution


def _direct(definition: StrawberryField, info_class: type[Any]) -> Resolve | None:
    resolver = definition.base_resolver
    if resolver is None:
        name = definition.python_name

        def attribute(source: Any, info: Any) -> Any:
            return getattr(source, name)

        attribute.reads = operator.attrgetter(name)  # type: ignore[attr-defined]
        return attribute
    if (resolver.self_parameter is None or resolver.root_parameter is not None
            or resolver.parent_parameter is not None or resolver.arguments):
        return None
    if not callable(resolver.wrapped_func):
        return None
    method: Callable[..., Any] = resolver.wrapped_func
    info_parameter = resolver.info_parameter
    if info_parameter is None:

        def call(source: Any, info: Any) -> Any:
            return method(source)

        if not inspect.iscoroutinefunction(method):
            call.reads = method  # type: ignore[attr-defined]
        return call
    info_name = info_parameter.name

    def call_with_info(source: Any, info: Any) -> Any:
        return method(source, **{info_name: info_class(_raw_info=info, _field=definition)})

    return call_with_info


def schema_sdl() -> str:
    """The SDL clients rely on; `schema.graphql` must equal it (a test checks)."""
    return str(build_schema(Settings())).rstrip() + "\n"
