"""The one error hierarchy: every error famgraph raises on purpose is a `FamgraphError`."""

from __future__ import annotations


class FamgraphError(Exception):
    """Base of every error famgraph raises on purpose; `str()` is one line for a person."""


class InvalidGraphData(FamgraphError):
    """Raised when a node or edge is built with a value the model does not allow."""

    def __init__(self, kind: str, field: str, reason: str) -> None:
        self.kind, self.field, self.reason = kind, field, reason
        super().__init__(f"{kind}.{field}: {reason}")


class PersonNotFound(FamgraphError):
    """Raised when a question names a person id the store does not hold."""

    def __init__(self, person_id: str) -> None:
        self.person_id = person_id
        super().__init__(f"no person with id {person_id!r}")


class StoreError(FamgraphError):
    """Raised when a store cannot be opened or written; the store is left as it was."""


class StoreUnavailable(StoreError):
    """Raised when the store's server cannot be reached for now (stopped, restarting, the
    network down); nothing was written, and the same call may succeed once it is back."""


class StoreTimeout(StoreError):
    """Raised when a store question runs past its timeout; the transaction was rolled back."""


class StoreLocked(StoreError):
    """Raised when another process holds the store's write lock."""

