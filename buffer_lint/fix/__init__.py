"""Fixes: libcst codemods that apply what the ``ast`` analysis found."""
