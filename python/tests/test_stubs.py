"""Checks of the hand-written stubs and docstrings that mypy.stubtest cannot do.

pybind11 functions carry no __text_signature__, so stubtest cannot compare
their parameters with the stubs. pybind11 does put the signature on the first
line of each docstring; these tests parse it and compare parameter names,
keyword-only markers and literal defaults with python/perpcore/_perpcore.pyi.
They also check that every public name has a docstring of its own.
"""

import ast
import enum
import inspect
import pathlib
from typing import Any, Iterator

import pytest

import perpcore._perpcore as ext

STUB = pathlib.Path(__file__).resolve().parents[1] / "perpcore" / "_perpcore.pyi"
# The submodule's stubs (python/src/analytics.cpp); its names are checked as
# "analytics.<name>", looked up from the extension like any other.
ANALYTICS_STUB = STUB.parent / "_perpcore" / "analytics.pyi"


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c in "([<":
            depth += 1
        elif c in ")]>":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    if text[start:].strip():
        parts.append(text[start:].strip())
    return parts


Param = tuple[str, bool, Any]  # name, keyword-only, default (inspect.Parameter.empty if none)


def _runtime_params(func: Any) -> list[Param]:
    """Parameters from pybind11's signature line: 'name(a: int, *, b: int = 1) -> T'."""
    first = func.__doc__.splitlines()[0]
    inside = first[first.index("(") + 1 : first.rindex(") ->")]
    params: list[Param] = []
    kw_only = False
    for part in _split_top_level(inside):
        if part == "*":
            kw_only = True
            continue
        name, _, rest = part.partition(":")
        default: Any = inspect.Parameter.empty
        if "=" in rest:
            text = rest.split("=", 1)[1].strip()
            try:
                default = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                default = text  # e.g. <Side.BUY: 0>
        params.append((name.strip(), kw_only, default))
    return [p for p in params if p[0] != "self"]


def _stub_params(node: ast.FunctionDef) -> list[Param]:
    args = node.args
    positional = args.posonlyargs + args.args
    defaults: list[Any] = [inspect.Parameter.empty] * (len(positional) - len(args.defaults))
    defaults += [_stub_default(d) for d in args.defaults]
    params: list[Param] = [(a.arg, False, d) for a, d in zip(positional, defaults)]
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        params.append((a.arg, True, inspect.Parameter.empty if d is None else _stub_default(d)))
    return [p for p in params if p[0] != "self"]


def _stub_default(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant) and node.value is Ellipsis:
        return Ellipsis
    return ast.literal_eval(node)


def _stub_functions(stub: pathlib.Path = STUB,
                    prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef]]:
    tree = ast.parse(stub.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield prefix + node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.decorator_list:
                    yield f"{prefix}{node.name}.{item.name}", item


def _lookup(qualname: str) -> Any:
    obj: Any = ext
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


STUB_FUNCTIONS = dict(_stub_functions())
STUB_FUNCTIONS.update(_stub_functions(ANALYTICS_STUB, "analytics."))


@pytest.mark.parametrize("qualname", sorted(STUB_FUNCTIONS))
def test_stub_parameters_match_the_runtime_signature(qualname: str) -> None:
    runtime = _lookup(qualname)
    if not (runtime.__doc__ or "").startswith(qualname.split(".")[-1] + "("):
        pytest.skip("not a pybind11 function (no signature line)")
    got = _runtime_params(runtime)
    want = _stub_params(STUB_FUNCTIONS[qualname])
    assert [(n, k) for n, k, _ in got] == [(n, k) for n, k, _ in want]
    for (name, _, rt_default), (_, _, stub_default) in zip(got, want):
        empty = inspect.Parameter.empty
        assert (rt_default is empty) == (stub_default is empty), name
        if stub_default not in (Ellipsis, inspect.Parameter.empty):
            assert rt_default == stub_default, name


def _public_names(module: Any = ext, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for bare in dir(module):
        if bare.startswith("_"):
            continue
        obj = getattr(module, bare)
        name = prefix + bare
        if inspect.ismodule(obj):
            yield name, obj
            yield from _public_names(obj, name + ".")
            continue
        yield name, obj
        if inspect.isclass(obj) and not issubclass(obj, (enum.Enum, BaseException)):
            for attr, value in vars(obj).items():
                if not attr.startswith("_") or attr == "__init__":
                    yield f"{name}.{attr}", value


@pytest.mark.parametrize(("qualname", "obj"), list(_public_names()), ids=lambda v: str(v))
def test_every_public_name_has_a_docstring(qualname: str, obj: Any) -> None:
    if isinstance(obj, (int, str)) and not isinstance(obj, enum.Enum):
        pytest.skip("a constant")
    doc = inspect.getdoc(obj) or ""
    short_name = qualname.split(".")[-1]
    # pybind11 always writes the signature; a docstring is what comes after it.
    lines = [ln for ln in doc.splitlines() if ln.strip() and not ln.startswith(short_name + "(")]
    assert lines, f"{qualname} has no docstring"
