"""Every public function, method, constructor and property setter of the
extension, and every unit helper, names the argument it refuses.

The sweep reads each callable's signature from its docstring (pybind11 writes
``name(a: int, *, b: Side = ...) -> R`` as the first line), calls it with
valid values for every required argument, and then, one argument at a time,
with values of the wrong type or out of range for its declared type (None,
str, float, bool, numpy.bool_, numpy.int64, 2**64, -2**63-1, ...). Each must
raise TypeError, ValueError or OverflowError (perpcore's errors are
subclasses) whose message names the argument. 2**63, which fits a uint64 but
not an int64, may be accepted; refused, it must be named too.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

import perpcore as pc
from perpcore import _perpcore as ext
from perpcore import analytics as an
from perpcore import units

_SIGNATURE = re.compile(r"^(\w*)\((.*)\) -> ")


def _split(params: str) -> list[str]:
    """The parameters of a signature, split at top-level commas."""
    out, depth, current = [], 0, ""
    for ch in params:
        depth += ch in "[("
        depth -= ch in "])"
        if ch == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        out.append(current.strip())
    return out


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # as the signature says, e.g. "Optional[int]", "Side"
    required: bool
    default: str  # as the signature shows it; "" when required

    @property
    def plain(self) -> str:
        t = self.type
        return t[9:-1] if t.startswith("Optional[") else t

    @property
    def optional(self) -> bool:
        """None is a valid value: Optional[...], or an object whose default is None."""
        return self.type.startswith("Optional[") or self.default == "None"


@dataclass(frozen=True)
class Target:
    label: str  # "Engine.place_order", "MarketParams.symbol="
    owner: str | None  # the class of self, None for a module function or a constructor
    call: Callable[..., Any]  # (self?, **kwargs) for callables; (obj, value) for setters
    params: tuple[Param, ...]
    setter: bool = False


def _params(doc: str | None) -> tuple[Param, ...] | None:
    m = _SIGNATURE.match((doc or "").split("\n")[0])
    if m is None:
        return None
    out = []
    for part in _split(m.group(2)):
        if ":" not in part or part.startswith("self"):
            continue
        name, rest = part.split(": ", 1)
        type_, _, default = rest.partition(" = ")
        out.append(Param(name, type_, required=not default, default=default))
    return tuple(out)


def _targets() -> Iterator[Target]:
    for module in (ext, ext.analytics):
        for name, obj in sorted(vars(module).items()):
            if name.startswith("_"):
                continue
            if isinstance(obj, type) and not issubclass(obj, (enum.Enum, BaseException, tuple)):
                for attr, value in sorted(vars(obj).items()):
                    if isinstance(value, property):
                        if value.fset is not None:
                            params = _params(value.fset.__doc__)
                            if params:
                                yield Target(f"{name}.{attr}=", name, setattr_of(attr),
                                             params[-1:], setter=True)
                        continue
                    if attr.startswith("__") and attr != "__init__":
                        continue
                    params = _params(getattr(value, "__doc__", None))
                    if params is None:
                        continue
                    if attr == "__init__":
                        yield Target(name, None, obj, params)
                    else:
                        yield Target(f"{name}.{attr}", name, getattr(obj, attr), params)
            elif callable(obj) and not isinstance(obj, type):
                params = _params(obj.__doc__)
                if params is not None:
                    yield Target(name, None, obj, params)


def setattr_of(attr: str) -> Callable[[Any, Any], None]:
    return lambda obj, value: setattr(obj, attr, value)


# -- valid values ---------------------------------------------------------------


def _paper() -> an.AcParams:
    return an.AcParams(shares=1e6, horizon=5, intervals=5, sigma=0.95, eta=2.5e-6,
                       gamma=2.5e-7, epsilon=0.0625, lambda_=1e-6)


def _policy() -> an.DpPolicy:
    return an.solve_execution_dp(an.DpParams(ac=_paper(), grid_points=11)).policy


_INSTANCES: dict[str, Callable[[], Any]] = {
    "Engine": pc.Engine,
    "OrderBook": pc.OrderBook,
    "MarketParams": pc.MarketParams,
    "EngineConfig": pc.EngineConfig,
    "OracleConfig": pc.OracleConfig,
    "FundingParams": pc.FundingParams,
    "LiquidationParams": pc.LiquidationParams,
    "MarginTier": lambda: pc.MarginTier(notional_floor=0, max_leverage=20,
                                        maintenance_rate="0.01"),
    "AcParams": _paper,
    "ExtParams": an.ExtParams,
    "ExtSolverOptions": an.ExtSolverOptions,
    "DpParams": lambda: an.DpParams(ac=_paper(), grid_points=11),
    "DpRegime": an.DpRegime,
    "DpPolicy": _policy,
    "ChildOrder": lambda: an.ChildOrder(side=pc.Side.SELL, price=1, size=1),
    "FillParty": pc.FillParty,
}

_LEVELS = np.array([[100, 5], [99, 7]], dtype=np.int64)

# Arguments typed `object` (rates, decimals, numpy columns): a valid value by name.
_OBJECTS: dict[str, Any] = {
    "maintenance_rate": "0.01",
    "accounts": np.array([1], dtype=np.int64),
    "order_ids": np.array([1], dtype=np.int64),
    "sides": np.array([0], dtype=np.int64),
    "prices": np.array([100.0, 101.0, 100.5]),
    "sizes": np.array([1], dtype=np.int64),
    "holdings": np.array([1e6, 6e5, 3e5, 1e5, 5e4, 0.0]),
    "lambdas": np.array([1e-6]),
    "regime_path": np.array([0, 0, 0, 0, 0], dtype=np.int64),
    "bids": _LEVELS,
    "asks": np.array([[101, 5], [102, 7]], dtype=np.int64),
    "opposite": _LEVELS,  # the bids a sell (shares > 0) takes from, best first
}


def _enum(name: str) -> type[enum.Enum] | None:
    for module in (ext, ext.analytics):
        cls = getattr(module, name, None)
        if isinstance(cls, type) and issubclass(cls, enum.Enum):
            return cls
    return None


def _valid(target: Target, p: Param) -> Any:
    t = p.plain
    if t == "int":
        return 1
    if t == "float":
        return 1.0
    if t == "str":
        return "BTC-USD"
    if t == "bool":
        return False
    if t == "object":
        if target.label == "place_orders" or target.label.endswith(".place_orders"):
            if p.name == "prices":
                return np.array([100], dtype=np.int64)
        return _OBJECTS.get(p.name, "0.01")
    if t.startswith("List["):
        return [_INSTANCES[t[5:-1].rsplit(".", 1)[-1]]()]
    cls = _enum(t)
    if cls is not None:
        return list(cls)[0]
    return _INSTANCES[t.rsplit(".", 1)[-1]]()


# -- wrong values ---------------------------------------------------------------

_INT_WRONG: list[Any] = ["1", 1.5, True, np.bool_(True), 2**64, -(2**63) - 1]


def _wrong(p: Param) -> list[Any]:
    t = p.plain
    none = [] if p.optional else [None]
    if t == "int":
        return none + _INT_WRONG
    if t == "float":
        return none + ["1", True, np.bool_(True), [1.0]]
    if t == "str":
        return none + [1, 1.5, True, np.bool_(True), np.int64(1)]
    if t == "bool":
        return none + ["x", 1, 1.5, np.int64(1), 2**63]
    if t == "object":
        return none + [1.5, True]
    if _enum(t) is not None:
        return none + ["BUY", 0, 1.5, True, np.bool_(True), np.int64(0)]
    return none + [1, "x", 1.5, True]  # a class, or a list of one


def _cases() -> Iterator[Any]:
    for target in _targets():
        for p in target.params:
            for bad in _wrong(p):
                yield pytest.param(target, p, bad, id=f"{target.label}-{p.name}-{bad!r}")


def _call(target: Target, p: Param, value: Any) -> None:
    if target.setter:
        target.call(_INSTANCES[target.owner or ""](), value)
        return
    kwargs = {q.name: _valid(target, q) for q in target.params if q.required}
    kwargs[p.name] = value
    if target.owner is None:
        target.call(**kwargs)
    else:
        target.call(_INSTANCES[target.owner](), **kwargs)


# A few of each kind, so a change in discovery cannot empty the sweep (a
# failure here fails the collection of this file).
_LABELS = {t.label for t in _targets()}
assert len(_LABELS) > 100 and {
    "Engine.place_order", "Engine", "OrderBook.place", "MarketParams", "MarketParams.symbol=",
    "format_decimal", "optimal_schedule", "make_plan"} <= _LABELS


@pytest.mark.parametrize(("target", "param", "bad"), list(_cases()))
def test_a_wrong_argument_is_refused_with_an_error_naming_it(
    target: Target, param: Param, bad: Any
) -> None:
    with pytest.raises((TypeError, ValueError, OverflowError)) as raised:
        _call(target, param, bad)
    name = target.label.rstrip("=").rsplit(".", 1)[-1] if target.setter else param.name
    message = str(raised.value)
    # pybind11's own "incompatible function arguments" lists every argument
    # of the signature: naming them all is naming none.
    assert "incompatible" not in message, message
    assert re.search(rf"(argument '{re.escape(name)}'|\b{re.escape(name)} (must|=) )",
                     message), message


@pytest.mark.parametrize(
    "target",
    [pytest.param(t, id=t.label) for t in _targets()
     if not t.setter and any(p.plain == "int" for p in t.params)],
)
def test_2_to_the_63_is_accepted_by_uint64_arguments_and_named_by_others(target: Target) -> None:
    for p in target.params:
        if p.plain != "int":
            continue
        try:
            _call(target, p, 2**63)
        except OverflowError as e:
            assert re.search(rf"'{re.escape(p.name)}' = 9223372036854775808 is out of range for "
                             r"(int64|int32|uint32)", str(e)), str(e)
        except (TypeError, ValueError, pc.Error):
            pass  # accepted as a uint64; the call refused later for its own reasons


def test_an_int_argument_given_numpy_bool_names_it_and_its_type() -> None:
    eng = pc.Engine()
    message = "Engine.place_order(): argument 'size' must be int, not numpy.bool_"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        eng.place_order(market=1, account=1, order_id=1, side=pc.Side.BUY, price=1,
                        size=np.bool_(True), timestamp_ns=1)  # type: ignore[arg-type]


def test_an_int64_argument_out_of_range_names_it_with_overflow_error() -> None:
    eng = pc.Engine()
    message = ("Engine.place_order(): argument 'price' = 9223372036854775808 is out of range "
               "for int64 [-2**63, 2**63)")
    with pytest.raises(pc.OutOfRangeError, match=f"^{re.escape(message)}$"):
        eng.place_order(market=1, account=1, order_id=1, side=pc.Side.BUY, price=2**63,
                        size=1, timestamp_ns=1)
    with pytest.raises(OverflowError):
        eng.place_order(market=1, account=1, order_id=1, side=pc.Side.BUY, price=2**63,
                        size=1, timestamp_ns=1)


# -- the unit helpers -----------------------------------------------------------

_BTC = pc.MarketParams(tick_size="0.1", lot_size="0.001")

_TO_UNITS: list[tuple[str, Callable[[Any], Any]]] = [
    ("price_to_ticks", lambda v: units.price_to_ticks(_BTC, v)),
    ("size_to_lots", lambda v: units.size_to_lots(_BTC, v)),
    ("amount_to_atoms", lambda v: units.amount_to_atoms(6, v)),
    ("to_units", lambda v: units.to_units(v, Decimal("0.1"))),
]
_FROM_UNITS: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("ticks_to_price", "ticks", lambda n: units.ticks_to_price(_BTC, n)),
    ("lots_to_size", "lots", lambda n: units.lots_to_size(_BTC, n)),
    ("atoms_to_amount", "atoms", lambda n: units.atoms_to_amount(6, n)),
]


@pytest.mark.parametrize(("fn", "convert"), _TO_UNITS, ids=[f for f, _ in _TO_UNITS])
@pytest.mark.parametrize("bad", [None, 1.5, True, np.bool_(True), [1]],
                         ids=["None", "float", "bool", "numpy.bool_", "list"])
def test_a_unit_helper_refuses_a_value_of_the_wrong_type_naming_it(
    fn: str, convert: Callable[[Any], Any], bad: Any
) -> None:
    with pytest.raises(TypeError, match=rf"^{fn}\(\): argument 'value' .* must be a str, "
                                        r"decimal\.Decimal or int, not "):
        convert(bad)


@pytest.mark.parametrize(("fn", "arg", "convert"), _FROM_UNITS, ids=[f for f, _, _ in _FROM_UNITS])
def test_a_unit_helper_takes_counts_up_to_int64_and_refuses_one_beyond_naming_it(
    fn: str, arg: str, convert: Callable[[Any], Any]
) -> None:
    # The engine's ticks, lots and atoms are int64: a count beyond that is no
    # count the engine could have produced or accept. At the bounds:
    # 2**63 - 1 ticks of 0.1 is 922337203685477580.7; -2**63 lots of 0.001
    # is -9223372036854775.808.
    assert convert(2**63 - 1) > 0
    assert convert(-(2**63)) < 0
    if fn == "ticks_to_price":
        assert convert(2**63 - 1) == Decimal("922337203685477580.7")
    if fn == "lots_to_size":
        assert convert(-(2**63)) == Decimal("-9223372036854775.808")
    for count in (2**63, -(2**63) - 1, 2**64):
        message = f"{fn}(): argument '{arg}' = {count} is outside int64 [-2**63, 2**63)"
        with pytest.raises(pc.OutOfRangeError, match=f"^{re.escape(message)}$"):
            convert(count)


@pytest.mark.parametrize(("fn", "arg", "convert"), _FROM_UNITS, ids=[f for f, _, _ in _FROM_UNITS])
def test_a_unit_helper_refuses_numpy_bool_as_a_count(
    fn: str, arg: str, convert: Callable[[Any], Any]
) -> None:
    message = f"{fn}(): argument '{arg}' must be an int, not numpy.bool_"
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        convert(np.bool_(True))
