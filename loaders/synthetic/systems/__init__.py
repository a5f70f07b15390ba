"""How each source system writes what it knows, one module per kind of extract."""
