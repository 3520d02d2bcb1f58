"""A package for the -m tests."""
