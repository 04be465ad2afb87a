"""Maps and exports (see issue 5)."""
