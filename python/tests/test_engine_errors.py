"""Bad input to the Engine: the error hierarchy, strict ints, enums and flags.

A float, bool or str where an int is required is a TypeError (never truncated:
NaN and infinities are floats too); an int outside the C++ type is an
OutOfRangeError (also an OverflowError); an in-range but invalid value is a
Reason. Nothing changes when a call raises.
"""

from __future__ import annotations

from typing import Any

import pytest

import perpcore as pc
from enginekit import T0, btc_at_30k, usd
from perpcore import Reason, Side

ORDER: dict[str, Any] = dict(market=1, order_id=1, account=1, side=Side.BUY, price=usd(29_000),
                             size=1, timestamp_ns=T0)


def test_error_hierarchy() -> None:
    for cls, builtin, code in [(pc.InvalidArgumentError, ValueError, "INVALID_ARGUMENT"),
                               (pc.OutOfRangeError, OverflowError, "OUT_OF_RANGE"),
                               (pc.NotFoundError, LookupError, "NOT_FOUND"),
                               (pc.InternalError, RuntimeError, "INTERNAL")]:
        assert issubclass(cls, pc.Error) and issubclass(cls, builtin)
        assert cls.code == code
    assert pc.PerpcoreError is pc.Error
    eng = btc_at_30k()
    with pytest.raises(pc.Error):
        eng.summary(42)


@pytest.mark.parametrize("field", ["market", "order_id", "account", "price", "size",
                                   "timestamp_ns", "client_id", "seq"])
@pytest.mark.parametrize("bad", [1.0, 29000.5, float("nan"), float("inf"), -float("inf"), True,
                                 False, "1", b"1", [1]])
def test_non_int_is_type_error_and_changes_nothing(field: str, bad: object) -> None:
    eng = btc_at_30k()
    before = eng.digest()
    kwargs = dict(ORDER, **{field: bad})
    with pytest.raises(TypeError, match=f"argument '{field}' must be int"):
        eng.place_order(**kwargs)
    assert eng.digest() == before


@pytest.mark.parametrize(
    ("field", "value", "type_name"),
    [("market", -1, "uint32"), ("market", 2**32, "uint32"), ("order_id", -1, "uint64"),
     ("order_id", 2**64, "uint64"), ("account", -5, "uint64"), ("price", 2**63, "int64"),
     ("size", -(2**63) - 1, "int64"), ("timestamp_ns", 2**63, "int64"),
     ("client_id", 2**70, "uint64"), ("seq", -1, "uint64"), ("price", 10**100, "int64")],
)
def test_huge_and_negative_ints_outside_the_cpp_type_raise_out_of_range(
        field: str, value: int, type_name: str) -> None:
    eng = btc_at_30k()
    kwargs = dict(ORDER, **{field: value})
    with pytest.raises(pc.OutOfRangeError, match=f"out of range for {type_name}"):
        eng.place_order(**kwargs)
    with pytest.raises(OverflowError):
        eng.place_order(**kwargs)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [("order_id", 0, Reason.INVALID_ORDER_ID), ("account", 0, Reason.UNKNOWN_ACCOUNT),
     ("size", -5, Reason.INVALID_SIZE), ("size", 0, Reason.INVALID_SIZE),
     ("price", -(2**63), Reason.INVALID_PRICE), ("price", 2**63 - 1, Reason.PRICE_ABOVE_MAX),
     ("size", 2**63 - 1, Reason.SIZE_ABOVE_MAX), ("market", 0, Reason.UNKNOWN_MARKET)],
)
def test_in_range_but_invalid_values_are_reasons(field: str, value: int, reason: Reason) -> None:
    eng = btc_at_30k()
    before = eng.encode_canonical()
    r = eng.place_order(**dict(ORDER, **{field: value}))
    assert (r.reason, r.ok, r.events) == (reason, False, [])
    assert eng.encode_canonical()[16:] == before[16:]  # only last_seq and the time moved


def test_a_timestamp_before_the_engines_raises_and_changes_nothing() -> None:
    eng = btc_at_30k()
    before = eng.digest()
    with pytest.raises(pc.TimeWentBackError, match="before the engine's time"):
        eng.place_order(**dict(ORDER, timestamp_ns=-1))
    assert eng.digest() == before


@pytest.mark.parametrize("field", ["side", "order_type", "tif", "stp"])
@pytest.mark.parametrize("bad", [0, 1, "BUY", None, 0.0])
def test_enum_parameters_take_members_only(field: str, bad: object) -> None:
    eng = btc_at_30k()
    with pytest.raises(TypeError):
        eng.place_order(**dict(ORDER, **{field: bad}))


def test_a_member_of_the_wrong_enum_is_refused() -> None:
    eng = btc_at_30k()
    with pytest.raises(TypeError):
        eng.place_order(**dict(ORDER, side=pc.MarginMode.CROSS))
    with pytest.raises(TypeError):
        eng.set_market_status(market=1, status=pc.Side.BUY, timestamp_ns=T0)  # type: ignore


@pytest.mark.parametrize("bad", [1, 0, "yes", None, 1.0])
def test_reduce_only_must_be_a_bool(bad: object) -> None:
    eng = btc_at_30k()
    with pytest.raises(TypeError):
        eng.place_order(**dict(ORDER, reduce_only=bad))


def test_arguments_are_keyword_only() -> None:
    eng = btc_at_30k()
    with pytest.raises(TypeError):
        eng.place_order(1, 1, 1, Side.BUY, 1, 1, T0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        eng.deposit(1, 5, T0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        eng.deposit(account=1, amount=5)  # type: ignore[call-arg]  # timestamp is required


@pytest.mark.parametrize("bad", [1.5, float("nan"), True, "5"])
def test_money_amounts_are_strict_ints(bad: object) -> None:
    eng = btc_at_30k()
    amount: Any = bad
    with pytest.raises(TypeError):
        eng.deposit(account=1, amount=amount, timestamp_ns=T0)
    with pytest.raises(TypeError):
        eng.withdraw(account=1, amount=amount, timestamp_ns=T0)
    with pytest.raises(TypeError):
        eng.fund_insurance(amount=amount, timestamp_ns=T0)


@pytest.mark.parametrize("bad", [0.5, float("inf"), True])
def test_config_fields_are_strict(bad: object) -> None:
    with pytest.raises(TypeError):
        pc.EngineConfig(quote_decimals=bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pc.EngineConfig(fee_tier_discounts=[0, bad])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        pc.MarketParams(max_price=bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pc.OracleConfig(staleness_ns=bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pc.MarginTier(notional_floor=0, max_leverage=bad, maintenance_rate="0.01")  # type: ignore
    p = pc.MarketParams()
    with pytest.raises(TypeError):
        p.max_price = bad  # type: ignore[assignment]
    with pytest.raises(TypeError):
        p.tiers = [1]  # type: ignore[list-item]
    with pytest.raises(pc.OutOfRangeError):
        pc.EngineConfig(max_accounts=2**32)
    with pytest.raises(pc.OutOfRangeError):
        p.max_leverage = -1
    with pytest.raises(TypeError):
        pc.Engine(config=5)  # type: ignore[arg-type]


def test_numpy_integers_are_accepted_numpy_floats_refused() -> None:
    import numpy as np

    eng = btc_at_30k()
    r = eng.place_order(**dict(ORDER, order_id=np.int64(7), price=np.int32(usd(29_000)),
                               size=np.uint8(1)))
    assert r.ok
    with pytest.raises(TypeError):
        eng.place_order(**dict(ORDER, order_id=8, price=np.float64(290_000)))
