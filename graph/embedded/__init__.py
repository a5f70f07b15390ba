"""The embedded store: one SQLite file, the store of record, read per question by index."""

from graph.embedded.store import EmbeddedStore

__all__ = ["EmbeddedStore"]
