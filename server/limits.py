"""Query-shape limits beyond Strawberry's: the edge's checks of a document and its variables,
a static cost rule and a whole-operation deadline."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    ValidationContext,
    ValidationRule,
    ValueNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from graph.errors import FamgraphError
from server.errors import ArgumentTooLong, QueryTooCostly, RequestTooLarge
from server.settings import Settings

MAX_PAGE = 100  # `first`/`last` given as a variable count as the most a page may hold
LIST_ESTIMATE = 25  # a list without `first`/`last` (household members, genogram nodes)
# Lists bounded by what they describe, not by the data: a person's compared fields, one
# value's asserting sources, a link's field evidence, a search result's matched fields.
SMALL_LISTS = {"discrepancies": 10, "assertions": 5, "sources": 5, "fields": 10,
               "matched": 10, "records": 10}


def _page_size(node: FieldNode) -> int:
    for argument in node.arguments or ():
        if argument.name.value in ("first", "last"):
            if isinstance(argument.value, IntValueNode):
                return max(1, min(int(argument.value.value), MAX_PAGE))
            return MAX_PAGE
    return SMALL_LISTS.get(node.name.value, LIST_ESTIMATE)


def _paged(node: FieldNode) -> bool:
    return any(a.name.value in ("first", "last") for a in node.arguments or ())


def _unwrap(kind: Any) -> tuple[Any, bool]:
    is_list = False
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        is_list = is_list or isinstance(kind, GraphQLList)
        kind = kind.of_type
    return kind, is_list


class Cost:
    """Nodes a selection could return: each list multiplies what is nested in it (as GitHub).

    Each fragment is counted once for each page size it is spread under, and a spread
    then costs that figure times the lists around it, so the count is linear in the
    document however often fragments spread each other (written out, twenty levels of
    fragments spreading the next twice are a million selections). A fragment spread
    inside itself counts nothing here: the cycle is refused by graphql-core's own rule.
    Nor is there a depth cut-off: graphql-core aborts validation of a document nested
    over 200 deep, spreads included, before any rule enters an operation.
    """

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._fragment_costs: dict[tuple[str, int | None], int] = {}
        self._counting: set[str] = set()
        self.visited = 0  # selections looked at: the work done, which the tests bound

    def of(
        self, selections: SelectionSetNode | None, parent: Any, multiplier: int,
        page: int | None = None,
    ) -> int:
        """What `selections` on a `parent` could return, `multiplier` times over; `page` is
        the page size of the connection they select from, if any."""
        if selections is None or not isinstance(parent, GraphQLObjectType):
            return 0
        total = 0
        for selection in selections.selections:
            self.visited += 1
            if isinstance(selection, FieldNode):
                definition = parent.fields.get(selection.name.value)
                if definition is None:
                    continue
                inner, is_list = _unwrap(definition.type)
                size = page if page is not None and selection.name.value == "edges" else None
                nodes = multiplier * (size or _page_size(selection)) if is_list else multiplier
                # A Relay connection: its `first`/`last` bounds the `edges` list inside it.
                paged = None if is_list or not _paged(selection) else _page_size(selection)
                if isinstance(inner, GraphQLObjectType):
                    total += nodes
                total += self.of(selection.selection_set, inner, nodes, paged)
            elif isinstance(selection, InlineFragmentNode):
                kind = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition else parent
                )
                total += self.of(selection.selection_set, kind, multiplier, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += multiplier * self._fragment(selection.name.value, page)
        return total

    def _fragment(self, name: str, page: int | None) -> int:
        """What one spread of fragment `name` could return, counted the first time only.
        The cost of a selection is its multiplier times its cost at multiplier 1."""
        key = (name, page)
        if key in self._fragment_costs:
            return self._fragment_costs[key]
        fragment = self.fragments.get(name)
        if fragment is None or name in self._counting:
            return 0
        self._counting.add(name)
        kind = self.schema.get_type(fragment.type_condition.name.value)
        cost = self.of(fragment.selection_set, kind, 1, page)
        self._counting.discard(name)
        self._fragment_costs[key] = cost
        return cost


def cost_rule(max_nodes: int) -> type[ValidationRule]:
    """A validation rule refusing operations that could return more than `max_nodes` nodes."""

    class QueryCost(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.cost = Cost(context.schema, context.document)

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            cost = self.cost.of(node.selection_set, root, 1)
            if cost > max_nodes:
                self.report_error(
                    GraphQLError(
                        f"This operation could return {cost} nodes; the most is {max_nodes}."
                        " Ask for smaller pages (first/last) or fewer nested lists.",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost},
                    )
                )

    return QueryCost


# Arguments that take a person's written words rather than a name, an id or a cursor.
FREE_TEXT = frozenset({"reason"})
# Where counting expanded selections stops: far past any limit, and ints stay small.
_COUNT_CAP = 10**12


@dataclass(frozen=True, slots=True)
class DocumentShape:
    """What the edge checks in a parsed document before any rule walks it, found in one
    pass over it: the operations, the selections it holds once every fragment spread is
    written out (counted without writing any out), the longest string given to each
    argument, and the arguments each variable is given to."""

    operations: tuple[tuple[str | None, OperationType], ...]
    selections: int
    literals: Mapping[str, int]  # argument (or `$variable`, for a default) -> longest string
    uses: Mapping[str, frozenset[str]]  # variable -> the arguments it is given to
    visited: int  # nodes looked at: the work done, which the tests bound

    def operation_type(self, name: str | None) -> OperationType | None:
        """The kind of the operation `name` picks, as graphql-core's `get_operation_ast`."""
        if name is None:
            return self.operations[0][1] if len(self.operations) == 1 else None
        return next((kind for named, kind in self.operations if named == name), None)


def document_shape(document: DocumentNode) -> DocumentShape:
    """The shape of `document`, in time linear in its size."""
    own: dict[str, int] = {}  # definition -> its selections, fragments' contents apart
    spreads: dict[str, Counter[str]] = {}  # definition -> fragments it spreads, how often
    literals: dict[str, int] = {}
    uses: dict[str, set[str]] = {}
    operations: list[tuple[str | None, OperationType]] = []
    visited = 0
    for index, definition in enumerate(document.definitions):
        if isinstance(definition, OperationDefinitionNode):
            name = definition.name.value if definition.name else None
            operations.append((name, definition.operation))
            key = f" operation {index}"  # no fragment name has a space
            for variable in definition.variable_definitions or ():
                if variable.default_value is not None:
                    _strings(f"${variable.variable.name.value}", variable.default_value,
                             literals, uses)
        elif isinstance(definition, FragmentDefinitionNode):
            key = definition.name.value
        else:
            continue
        count, spread = 0, Counter[str]()
        nodes: list[Any] = [definition]
        while nodes:
            node = nodes.pop()
            visited += 1
            arguments = [*(getattr(node, "arguments", None) or ())]
            for directive in node.directives or ():
                arguments.extend(directive.arguments or ())
            for argument in arguments:
                visited += _strings(argument.name.value, argument.value, literals, uses)
            if isinstance(node, FragmentSpreadNode):
                spread[node.name.value] += 1
            selections = getattr(node, "selection_set", None)
            if selections is not None:
                count += len(selections.selections)
                nodes.extend(selections.selections)
        own[key], spreads[key] = count, spread
    return DocumentShape(
        tuple(operations),
        _expanded(own, spreads),
        literals,
        {variable: frozenset(arguments) for variable, arguments in uses.items()},
        visited,
    )


def _strings(argument: str, value: ValueNode, literals: dict[str, int],
             uses: dict[str, set[str]]) -> int:
    """Note the longest string literal in `value` given to `argument`, and the variables in
    it; return the value nodes looked at."""
    values, seen = [value], 0
    while values:
        node = values.pop()
        seen += 1
        if isinstance(node, StringValueNode):
            literals[argument] = max(literals.get(argument, 0), len(node.value))
        elif isinstance(node, VariableNode):
            uses.setdefault(node.name.value, set()).add(argument)
        elif isinstance(node, ListValueNode):
            values.extend(node.values)
        elif isinstance(node, ObjectValueNode):
            values.extend(field.value for field in node.fields)
    return seen


def _expanded(own: dict[str, int], spreads: dict[str, Counter[str]]) -> int:
    """Selections all operations hold with every spread written out: each fragment's figure
    is worked out once, from the figures of the fragments it spreads (a spread closing a
    cycle adds nothing; graphql-core refuses the cycle)."""
    figures: dict[str, int] = {}
    for root in own:
        if root in figures:
            continue
        path = [(root, iter(spreads[root]))]
        on_path = {root}
        while path:
            name, pending = path[-1]
            for child in pending:
                if child in own and child not in figures and child not in on_path:
                    path.append((child, iter(spreads[child])))
                    on_path.add(child)
                    break
            else:
                path.pop()
                on_path.discard(name)
                figure = own[name] + sum(
                    times * figures.get(child, 0) for child, times in spreads[name].items())
                figures[name] = min(figure, _COUNT_CAP)
    total = sum(figure for name, figure in figures.items() if name.startswith(" operation"))
    return min(total, _COUNT_CAP)


def argument_limit(argument: str, settings: Settings) -> int:
    """The longest string `argument` may be given: written reasons are longer than names."""
    return settings.max_reason_length if argument in FREE_TEXT else settings.max_argument_length


def document_refusal(shape: DocumentShape, settings: Settings) -> FamgraphError | None:
    """Why the edge refuses this document before any validation rule walks it, or None."""
    if shape.selections > settings.max_query_selections:
        return QueryTooCostly(settings.max_query_selections)
    for given, longest in sorted(shape.literals.items()):
        argument, limit = _limit(given, shape, settings)
        if longest > limit:
            return ArgumentTooLong(argument, limit)
    return None


def variables_refusal(
    variables: Mapping[str, Any] | None, shape: DocumentShape | None, settings: Settings
) -> FamgraphError | None:
    """Why the edge refuses these variables, or None: a string longer than the argument it
    is given to may take, or more than `max_variables_chars` in all (counted about as
    written in JSON, and no further than the limit)."""
    if not variables:
        return None
    size, most = 2, settings.max_variables_chars
    for variable, value in variables.items():
        argument, limit = _limit(f"${variable}", shape, settings)
        size += len(variable) + 4
        values = [value]
        while values:
            item = values.pop()
            if isinstance(item, str):
                if len(item) > limit:
                    return ArgumentTooLong(argument, limit)
                size += len(item) + 3
            elif isinstance(item, dict):
                size += 2 + sum(len(str(key)) + 4 for key in item)
                values.extend(item.values())
            elif isinstance(item, list):
                size += 2 + len(item)
                values.extend(item)
            else:
                size += 8  # a number, true, false or null
            if size > most:
                return RequestTooLarge("variables", most, "characters")
    return None


def _limit(given: str, shape: DocumentShape | None, settings: Settings) -> tuple[str, int]:
    """The argument a string is checked as, and its limit: a variable is checked as the
    strictest argument it is given to."""
    if not given.startswith("$"):
        return given, argument_limit(given, settings)
    arguments = sorted(shape.uses.get(given[1:], ())) if shape is not None else []
    if not arguments:
        return given, settings.max_argument_length
    return min(((a, argument_limit(a, settings)) for a in arguments), key=lambda pair: pair[1])


class TimeLimit(SchemaExtension):
    """Sets the request's deadline; facts and fields past it raise `OperationTimedOut`.

    Resolvers here are synchronous, so the deadline is checked cooperatively, each time
    a fact is about to be released (`Disclosure.decide`): a check on every field as well
    cost a tenth of the front-door query's time and guarded nothing more.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        disclosure = getattr(context, "disclosure", None)
        settings = getattr(context, "settings", None)
        if disclosure is not None and settings is not None:
            disclosure.deadline = time.monotonic() + settings.operation_timeout
        yield
