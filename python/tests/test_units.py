"""Tests of perpcore.units: exact decimal <-> ticks / lots / atoms conversion.

Rounding is explicit (EXACT by default) and floats are always refused.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import perpcore as pc
from enginekit import btc_at_30k, btc_params
from perpcore import units

BTC = btc_params()  # tick 0.1 USD, lot 0.001 BTC


def test_exact_conversions() -> None:
    assert units.price_to_ticks(BTC, "30000") == 300_000
    assert units.price_to_ticks(BTC, "30000.1") == 300_001
    assert units.price_to_ticks(BTC, Decimal("30000.10")) == 300_001
    assert units.price_to_ticks(BTC, 30_000) == 300_000
    assert units.price_to_ticks(BTC, "3e4") == 300_000
    assert units.size_to_lots(BTC, "1.5") == 1_500
    assert units.size_to_lots(BTC, "0.001") == 1
    assert units.amount_to_atoms(6, "12.5") == 12_500_000
    assert units.amount_to_atoms(6, "-0.000001") == -1
    assert units.amount_to_atoms(0, 7) == 7


def test_not_a_whole_number_of_units_is_refused_by_default() -> None:
    with pytest.raises(pc.InvalidArgumentError, match="not a whole number of ticks of 0.1"):
        units.price_to_ticks(BTC, "30000.15")
    with pytest.raises(ValueError):
        units.size_to_lots(BTC, "0.0005")
    with pytest.raises(pc.InvalidArgumentError):
        units.amount_to_atoms(6, "0.0000001")


@pytest.mark.parametrize(
    ("mode", "values"),
    [
        # value:     2.5  -2.5  2.6  -2.6  3.5  2.4
        (units.ROUND_DOWN, [2, -2, 2, -2, 3, 2]),
        (units.ROUND_UP, [3, -3, 3, -3, 4, 3]),
        (units.ROUND_FLOOR, [2, -3, 2, -3, 3, 2]),
        (units.ROUND_CEILING, [3, -2, 3, -2, 4, 3]),
        (units.ROUND_HALF_EVEN, [2, -2, 3, -3, 4, 2]),
        (units.ROUND_HALF_UP, [3, -3, 3, -3, 4, 2]),
        (units.ROUND_HALF_DOWN, [2, -2, 3, -3, 3, 2]),
    ],
)
def test_rounding_modes(mode: str, values: list[int]) -> None:
    inputs = ["0.25", "-0.25", "0.26", "-0.26", "0.35", "0.24"]
    assert [units.price_to_ticks(BTC, v, rounding=mode) for v in inputs] == values
    # A whole number of units is the same in every mode.
    assert units.price_to_ticks(BTC, "0.3", rounding=mode) == 3


def test_unknown_rounding_mode_is_refused() -> None:
    with pytest.raises(pc.InvalidArgumentError, match="rounding"):
        units.price_to_ticks(BTC, "1", rounding="ROUND_05UP")
    with pytest.raises(pc.InvalidArgumentError):
        units.price_to_ticks(BTC, "1", rounding="nearest")


@pytest.mark.parametrize("bad", [0.1, 30000.0, float("nan"), float("inf"), True, None, b"1",
                                 [1]])
def test_floats_bools_and_other_types_raise_type_error(bad: Any) -> None:
    with pytest.raises(TypeError):
        units.price_to_ticks(BTC, bad)
    with pytest.raises(TypeError):
        units.amount_to_atoms(6, bad)


def test_float_error_says_how_to_write_it_exactly() -> None:
    with pytest.raises(TypeError, match=r"write '0\.1' or Decimal\('0\.1'\)"):
        units.size_to_lots(BTC, 0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["nan", "inf", "-Infinity", Decimal("NaN"), Decimal("-inf"),
                                 "", "abc", "1,5", "0x10"])
def test_nan_infinity_and_malformed_text_are_refused(bad: str | Decimal) -> None:
    with pytest.raises(pc.InvalidArgumentError):
        units.price_to_ticks(BTC, bad)


def test_results_beyond_int64_raise_out_of_range() -> None:
    with pytest.raises(pc.OutOfRangeError, match="outside int64"):
        units.price_to_ticks(BTC, "922337203685477580.8")  # 2**63 ticks
    assert units.price_to_ticks(BTC, "922337203685477580.7") == 2**63 - 1
    with pytest.raises(OverflowError):
        units.amount_to_atoms(18, 10)
    with pytest.raises(pc.OutOfRangeError):
        units.size_to_lots(BTC, 10**30)


def test_inverse_conversions_are_exact_decimals() -> None:
    assert units.ticks_to_price(BTC, 300_001) == Decimal("30000.1")
    assert str(units.ticks_to_price(BTC, 300_001)) == "30000.1"
    assert units.lots_to_size(BTC, 1_500) == Decimal("1.5")
    assert units.atoms_to_amount(6, -12_500_000) == Decimal("-12.5")
    # 2**63 - 1 ticks of 0.1 has 19 digits, a product beyond the 28-digit
    # default context is still exact.
    assert units.ticks_to_price(BTC, 2**63 - 1) == Decimal("922337203685477580.7")
    p = pc.MarketParams(tick_size=Decimal("12345678901234567"), lot_size="1")
    big = units.ticks_to_price(p, 2**63 - 1)
    assert big == Decimal((2**63 - 1) * 12345678901234567)
    for t in (0, 1, -1, 7, 2**63 - 1, -(2**63)):
        assert units.price_to_ticks(BTC, units.ticks_to_price(BTC, t)) == t
    with pytest.raises(TypeError):
        units.ticks_to_price(BTC, 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        units.lots_to_size(BTC, True)


def test_quote_decimals_from_an_engine_or_a_config() -> None:
    eng = pc.Engine(pc.EngineConfig(quote_decimals=2))
    assert units.amount_to_atoms(eng, "1.25") == 125
    assert units.amount_to_atoms(pc.EngineConfig(quote_decimals=8), "1") == 10**8
    assert units.atoms_to_amount(eng, 125) == Decimal("1.25")
    with pytest.raises(pc.InvalidArgumentError):
        units.amount_to_atoms(19, "1")
    with pytest.raises(TypeError):
        units.amount_to_atoms("6", "1")  # type: ignore[arg-type]


def test_market_units_of_an_engine_market() -> None:
    eng = btc_at_30k()
    u = units.MarketUnits.of(eng, 1)
    assert (u.tick_size, u.lot_size, u.quote_decimals) == (Decimal("0.1"), Decimal("0.001"), 6)
    assert u.atoms_per_tick_lot == eng.stats(1).atoms_per_tick_lot == 100
    assert u.price_to_ticks("30000") == 300_000
    assert u.price_to_ticks("30000.04", rounding=units.ROUND_HALF_EVEN) == 300_000
    assert u.size_to_lots("2") == 2_000
    assert u.amount_to_atoms("1") == 10**6
    assert (u.ticks_to_price(5), u.lots_to_size(5), u.atoms_to_amount(5)) == (
        Decimal("0.5"), Decimal("0.005"), Decimal("0.000005"))
    assert repr(u) == ("MarketUnits(tick_size=Decimal('0.1'), lot_size=Decimal('0.001'), "
                       "quote_decimals=6)")
    with pytest.raises(pc.NotFoundError):
        units.MarketUnits.of(eng, 2)


def test_to_units_with_an_explicit_step() -> None:
    assert units.to_units("65000.5", Decimal("0.5")) == 130_001
    with pytest.raises(pc.InvalidArgumentError, match="step must be > 0"):
        units.to_units("1", 0)


def test_market_params_tick_and_lot_accept_decimal_str_int_only() -> None:
    assert pc.MarketParams(tick_size=Decimal("0.25")).tick_size == Decimal("0.25")
    assert pc.MarketParams(tick_size="1e-3").tick_size == Decimal("0.001")
    assert pc.MarketParams(lot_size=10).lot_size == Decimal(10)
    with pytest.raises(TypeError, match="tick_size must be a decimal.Decimal, str or int"):
        pc.MarketParams(tick_size=0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pc.MarketParams(lot_size=True)
    with pytest.raises(pc.InvalidArgumentError, match="finite"):
        pc.MarketParams(tick_size=Decimal("NaN"))
    with pytest.raises(pc.InvalidArgumentError, match="finite"):
        pc.MarketParams(tick_size="inf")
    with pytest.raises(pc.InvalidArgumentError, match="not a decimal number"):
        pc.MarketParams(tick_size="0,1")
    with pytest.raises(pc.OutOfRangeError):
        pc.MarketParams(tick_size=Decimal(2**63))
    # Out of the engine's range but representable: a value, refused at creation.
    eng = pc.Engine()
    p = btc_params(tick_size="-0.1")
    assert eng.create_market(market=1, params=p, timestamp_ns=1).reason == \
        pc.Reason.INVALID_MARKET_PARAMS
    with pytest.raises(pc.InvalidArgumentError, match="tick_size.mantissa must be >= 1"):
        eng.validate_market(p)
