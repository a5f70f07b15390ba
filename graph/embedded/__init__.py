"""The embedded store: networkx traversal in memory, SQLite durability on disk."""

from graph.embedded.store import EmbeddedStore

__all__ = ["EmbeddedStore"]
