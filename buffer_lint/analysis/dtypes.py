"""Dtype heuristics: does an expression name an integer dtype, does a function build complex numbers."""

from __future__ import annotations

import ast

# Names of dtypes that make a tensor integer (or float8): it can never require grad.
INTEGER_DTYPES = frozenset(
    {
        "int8",
        "uint8",
        "int16",
        "uint16",
        "int32",
        "uint32",
        "int64",
        "uint64",
        "int4",
        "uint4",
        "qint8",
        "quint8",
        "qint32",
        "bool",
        "short",
        "int",
        "long",
        "float8_e4m3fn",
        "float8_e5m2",
        "float8_e4m3fnuz",
        "float8_e5m2fnuz",
        "float8_e8m0fnu",
        "float4_e2m1fn_x2",
    }
)
# Calls and dtypes that make complex numbers.
COMPLEX_MARKERS = frozenset(
    {
        "polar",
        "view_as_complex",
        "complex",
        "cfloat",
        "cdouble",
        "chalf",
        "complex32",
        "complex64",
        "complex128",
    }
)


def mentions_integer_dtype(expr: ast.expr) -> bool:
    """Whether ``expr`` contains ``<something>.<integer dtype>`` (``torch.int8``, ``x.long``)."""
    return _mentions(expr, INTEGER_DTYPES)


def builds_complex(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a function makes complex numbers, or calls a helper asking for complex results."""
    return _mentions(function, COMPLEX_MARKERS) or _passes_use_real_false(function)


def _mentions(node: ast.AST, attributes: frozenset[str]) -> bool:
    """Whether ``node`` contains ``<something>.<attribute>`` for one of ``attributes``."""
    return any(isinstance(n, ast.Attribute) and n.attr in attributes for n in ast.walk(node))


def _passes_use_real_false(node: ast.AST) -> bool:
    """diffusers' rotary helpers return complex tables when called with ``use_real=False``."""
    return any(
        isinstance(n, ast.keyword)
        and n.arg == "use_real"
        and isinstance(n.value, ast.Constant)
        and n.value.value is False
        for n in ast.walk(node)
    )
