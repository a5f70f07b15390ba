"""One module per source format, each producing the same validated records."""
