"""Evaluation harness and benchmarks; the data files here are the project's copy of the dev sets."""
