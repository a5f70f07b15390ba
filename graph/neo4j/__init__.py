"""The Neo4j 5 backend: the store protocol over the official driver."""
