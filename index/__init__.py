"""Everything a query and a passage share: embedders, language, the versioned store, retrieval, concepts."""
