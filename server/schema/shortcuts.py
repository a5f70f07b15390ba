"""Every place famgraph leans on Strawberry's and graphql-core's internals for speed.

Two short-cuts, both on the GraphQL hot path: fields without arguments get a resolver
that calls what they resolve with directly (`direct_resolvers`), and scalar and enum
fields read that way skip graphql-core's per-field machinery (`leaf_execution`). They
touch `schema._schema`, `GraphQLCoreConverter.DEFINITION_BACKREF`, `Info(_raw_info=...)`
and graphql-core's `execute_field`, `complete_leaf_value` and `handle_field_error`:
none of these is a public API, so a new release may change them. The setting
`library_shortcuts` (FAMGRAPH_LIBRARY_SHORTCUTS=false) turns both off and leaves
Strawberry's own execution; `tests/test_leaf_execution.py` asks the same questions both
ways and requires the same answers, and runs on every lock update (docs/deployment.md).
"""

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
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

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
