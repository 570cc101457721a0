"""Fixtures of the organisation tests: the small organisation tree of tests/support/branches.py."""
from tests.support.branches import Tree, tree  # noqa: F401 - a fixture, and its type
