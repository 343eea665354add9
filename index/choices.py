"""Choices and bounds the command lines and the API share, apart so that a CLI parses without loading the engine."""

MODES = ("hybrid", "dense", "lexical")  # ranking modes (index.ranking)
SKOS_FORMATS = ("json-ld", "turtle")  # SKOS serialisations read and written (index.concepts.skos)
MAX_QUERY_CHARS = 1000
MAX_K = 50
