"""Tests of rates at the Python boundary: fees, discounts, shares, bands,
oracle deviations and margin rates as decimal.Decimal fractions.

A rate is passed as a str or a Decimal in human units ("0.0005" is 5 bp, "0.1"
is 10%) and converted exactly to the engine's 1e-18 units, or refused: a float
or an int is a TypeError (an int is ambiguous: 5 would be 5e-18 to the C++
API), anything finer than 1e-18, NaN, infinities, garbage text and a negative
value where none is allowed an InvalidArgumentError naming the field and the
value. Rates read back as Decimal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

import numpy as np
import pytest

import perpcore as pc
from enginekit import BTC, T0, USD, btc_at_30k, btc_params, ok, usd

BUY, SELL = pc.Side.BUY, pc.Side.SELL

ONE_ATOM = "0.000000000000000001"  # 1e-18, the finest rate
BELOW_ONE_ATOM = "0.0000000000000000001"  # 1e-19


def _tier(v: Any) -> pc.MarginTier:
    return pc.MarginTier(notional_floor=0, max_leverage=20, maintenance_rate=v)


def _set_band(v: Any) -> pc.MarketParams:
    p = pc.MarketParams()
    p.price_band = v
    return p


def _set_deviation(v: Any) -> pc.MarketParams:
    p = pc.MarketParams()
    p.oracle.max_twap_deviation = v
    return p


def _set_share(v: Any) -> pc.EngineConfig:
    c = pc.EngineConfig()
    c.referrer_share = v
    return c


# Every rate the Python API takes: (field name, a call passing v to it, how to
# read it back, whether a negative value is allowed).
Field = tuple[str, Callable[[Any], Any], Callable[[Any], Any], bool]
FIELDS: list[Field] = [
    ("maker_fee", lambda v: pc.MarketParams(maker_fee=v), lambda o: o.maker_fee, True),
    ("taker_fee", lambda v: pc.MarketParams(taker_fee=v), lambda o: o.taker_fee, False),
    ("price_band", lambda v: pc.MarketParams(price_band=v), lambda o: o.price_band, False),
    ("price_band", _set_band, lambda o: o.price_band, False),
    ("maintenance_rate", _tier, lambda o: o.maintenance_rate, False),
    ("max_source_deviation", lambda v: pc.OracleConfig(max_source_deviation=v),
     lambda o: o.max_source_deviation, False),
    ("max_twap_deviation", lambda v: pc.OracleConfig(max_twap_deviation=v),
     lambda o: o.max_twap_deviation, False),
    ("max_twap_deviation", _set_deviation, lambda o: o.oracle.max_twap_deviation, False),
    ("referrer_share", lambda v: pc.EngineConfig(referrer_share=v),
     lambda o: o.referrer_share, False),
    ("referrer_share", _set_share, lambda o: o.referrer_share, False),
    ("fee_tier_discounts[1]", lambda v: pc.EngineConfig(fee_tier_discounts=["0", v]),
     lambda o: o.fee_tier_discounts[1], False),
    ("price_band", lambda v: pc.OrderBook(price_band=v), lambda o: None, False),
]
IDS = [f"{name}-{i}" for i, (name, *_) in enumerate(FIELDS)]


# -- exact conversion ---------------------------------------------------------------


@pytest.mark.parametrize(("name", "make", "read", "signed"), FIELDS, ids=IDS)
def test_a_rate_converts_exactly_and_reads_back_as_decimal(
        name: str, make: Callable[[Any], Any], read: Callable[[Any], Any], signed: bool) -> None:
    for given, want in [("0.0005", "0.0005"), (Decimal("0.0005"), "0.0005"),
                        ("5e-4", "0.0005"), (" 0.10 ", "0.1"),
                        ("0.000500000000000001", "0.000500000000000001"),
                        (ONE_ATOM, ONE_ATOM), ("0.00050000000000000000000", "0.0005"),
                        ("0", "0"), ("-0", "0")]:
        obj = make(given)
        if isinstance(obj, pc.OrderBook):
            continue  # the book has no getter; its band is tested by the book tests
        got = read(obj)
        assert type(got) is Decimal and got == Decimal(want), (given, got)


def test_read_back_has_no_trailing_zeros_and_round_trips() -> None:
    p = pc.MarketParams(taker_fee="0.000500", maker_fee="-0.00010", price_band="0.050")
    assert (str(p.taker_fee), str(p.maker_fee), str(p.price_band)) == ("0.0005", "-0.0001", "0.05")
    assert pc.MarketParams(taker_fee=p.taker_fee, maker_fee=p.maker_fee,
                           price_band=p.price_band) == p
    # The raw 1e-18 count, as the C++ and C APIs carry it.
    assert pc.parse_rate(format(p.taker_fee, "f")) == 5 * 10**14
    assert pc.MarketParams(taker_fee=pc.format_rate(5 * 10**14)).taker_fee == Decimal("0.0005")


def test_one_atom_is_the_boundary() -> None:
    assert pc.MarketParams(taker_fee=ONE_ATOM).taker_fee == Decimal("1e-18")
    assert pc.MarketParams(taker_fee=Decimal("1e-18")).taker_fee == Decimal(ONE_ATOM)
    with pytest.raises(pc.InvalidArgumentError,
                       match=r"taker_fee '0\.0000000000000000001' is not a whole number of 1e-18"):
        pc.MarketParams(taker_fee=BELOW_ONE_ATOM)
    with pytest.raises(ValueError, match="maker_fee .*not a whole number of 1e-18"):
        pc.MarketParams(maker_fee="0.0001000000000000001")  # one digit too many
    with pytest.raises(pc.InvalidArgumentError, match=r"Decimal\('1E-19'\)"):
        pc.MarketParams(taker_fee=Decimal(BELOW_ONE_ATOM))


def test_the_largest_rates_and_beyond() -> None:
    assert pc.MarketParams(maker_fee="-9.223372036854775808").maker_fee == \
        Decimal("-9.223372036854775808")
    assert pc.OracleConfig(max_source_deviation="9.223372036854775807").max_source_deviation == \
        Decimal("9.223372036854775807")
    for bad in ["9.223372036854775808", "10", "1e19", "1e999999"]:
        with pytest.raises(pc.OutOfRangeError, match="max_source_deviation .* outside the rate"):
            pc.OracleConfig(max_source_deviation=bad)


def test_the_engine_charges_exactly_the_rate_given() -> None:
    # 1 BTC at 30,000 USD with a taker fee of 5 bp + 1e-18: 15 USD + 3e10 * 1e-18 atoms,
    # rounded up to 15,000,001 atoms (fees round against the account).
    eng = pc.Engine()
    ok(eng.create_market(market=1, params=btc_params(taker_fee="0.000500000000000001"),
                         timestamp_ns=T0))
    ok(eng.oracle_price(market=1, source=1, price=usd(30_000), timestamp_ns=T0))
    for account in (1, 2):
        ok(eng.create_account(account=account, owner=account, timestamp_ns=T0))
        ok(eng.deposit(account=account, amount=100_000 * USD, timestamp_ns=T0))
    ok(eng.place_order(market=1, account=1, order_id=1, side=SELL, price=usd(30_000), size=BTC,
                       timestamp_ns=T0))
    r = ok(eng.place_order(market=1, account=2, order_id=2, side=BUY, price=usd(30_000),
                           size=BTC, timestamp_ns=T0))
    fill = r.events[0]
    assert isinstance(fill, pc.Fill) and fill.taker.fee == 15_000_001
    assert eng.params(1).taker_fee == Decimal("0.000500000000000001")


def test_params_and_config_read_back_from_the_engine_as_decimals() -> None:
    config = pc.EngineConfig(fee_tier_discounts=["0", "0.1", Decimal("0.25")],
                             referrer_share="0.05")
    eng = btc_at_30k(config=config)
    assert eng.config.fee_tier_discounts == (0, Decimal("0.1"), Decimal("0.25"))
    assert eng.config.referrer_share == Decimal("0.05")
    p = eng.params(1)
    assert (p.maker_fee, p.taker_fee, p.price_band) == (Decimal("0.0001"), Decimal("0.0005"),
                                                        Decimal("0.05"))
    assert [t.maintenance_rate for t in p.tiers] == [Decimal("0.004"), Decimal("0.005"),
                                                     Decimal("0.01")]
    assert "taker_fee=Decimal('0.0005')" in repr(p)


# -- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "make", "read", "signed"), FIELDS, ids=IDS)
@pytest.mark.parametrize("bad", [0.0005, 0.0, float("nan"), np.float64(0.1)])
def test_floats_are_refused(name: str, make: Callable[[Any], Any], read: Callable[[Any], Any],
                            signed: bool, bad: float) -> None:
    with pytest.raises(TypeError, match=rf"^{_re(name)} must be a str or decimal.Decimal, not "
                                        r"float .*a float is not exact"):
        make(bad)


@pytest.mark.parametrize(("name", "make", "read", "signed"), FIELDS, ids=IDS)
@pytest.mark.parametrize("bad", [5, 0, 1, np.int64(5), 5 * 10**14])
def test_ints_are_refused_with_what_to_write_instead(
        name: str, make: Callable[[Any], Any], read: Callable[[Any], Any], signed: bool,
        bad: int) -> None:
    n = int(bad)
    with pytest.raises(TypeError, match=rf"^{_re(name)} must be a str or decimal.Decimal in "
                                        rf"human units .* not int {n}: an int is ambiguous, so "
                                        rf"write \"{n}\" if you mean {n * 100}%, or "
                                        rf"format_rate\({n}\) if it counts units of 1e-18$"):
        make(bad)


@pytest.mark.parametrize(("name", "make", "read", "signed"), FIELDS, ids=IDS)
@pytest.mark.parametrize("bad", [True, None, b"0.1", [Decimal("0.1")], object()])
def test_other_types_are_refused(name: str, make: Callable[[Any], Any],
                                 read: Callable[[Any], Any], signed: bool, bad: Any) -> None:
    with pytest.raises(TypeError, match=rf"^{_re(name)} must be a str or decimal.Decimal"):
        make(bad)


@pytest.mark.parametrize(("name", "make", "read", "signed"), FIELDS, ids=IDS)
@pytest.mark.parametrize(("bad", "message"), [
    ("abc", "'abc' is not a decimal number"), ("", "'' is not a decimal number"),
    ("1%", "'1%' is not a decimal number"), ("5 bp", "'5 bp' is not a decimal number"),
    ("NaN", "must be finite, not 'NaN'"), ("inf", "must be finite, not 'inf'"),
    (Decimal("-Infinity"), r"must be finite, not Decimal\('-Infinity'\)"),
    (Decimal("sNaN"), "must be finite"),
])
def test_garbage_nan_and_infinities_are_refused(
        name: str, make: Callable[[Any], Any], read: Callable[[Any], Any], signed: bool,
        bad: Any, message: str) -> None:
    with pytest.raises(pc.InvalidArgumentError, match=rf"^{_re(name)}:? .*{message}"):
        make(bad)


@pytest.mark.parametrize(("name", "make", "read", "signed"), FIELDS, ids=IDS)
def test_negative_rates_are_refused_except_a_maker_rebate(
        name: str, make: Callable[[Any], Any], read: Callable[[Any], Any], signed: bool) -> None:
    if signed:
        assert read(make("-0.0001")) == Decimal("-0.0001")
        assert read(make(ONE_ATOM.replace("0.", "-0."))) == Decimal("-1e-18")
        return
    for bad in ["-0.0001", Decimal("-1e-18")]:
        with pytest.raises(pc.InvalidArgumentError, match=rf"^{_re(name)} must be >= 0, not "):
            make(bad)


def test_a_refused_assignment_changes_nothing() -> None:
    p = pc.MarketParams(taker_fee="0.0005")
    bad: Any
    for bad in [0.001, 1, "0.0000000000000000001", "-0.1", "x"]:
        with pytest.raises((TypeError, ValueError)):
            p.taker_fee = bad
    assert p.taker_fee == Decimal("0.0005")


def test_fee_tier_discounts_is_a_sequence_of_rates() -> None:
    c = pc.EngineConfig(fee_tier_discounts=("0", Decimal("0.1")))
    assert c.fee_tier_discounts == (Decimal(0), Decimal("0.1"))
    assert all(type(d) is Decimal for d in c.fee_tier_discounts)
    for bad in ["0.1", 0, Decimal("0.1")]:
        with pytest.raises(TypeError, match="fee_tier_discounts must be a sequence of str or "
                                            "decimal.Decimal"):
            pc.EngineConfig(fee_tier_discounts=bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"fee_tier_discounts\[2\] must be .* not int 1"):
        c.fee_tier_discounts = ["0", "0.1", 1]  # type: ignore[list-item]
    assert c.fee_tier_discounts == (Decimal(0), Decimal("0.1"))


def test_range_rules_beyond_the_sign_are_the_engines() -> None:
    eng = pc.Engine()
    with pytest.raises(pc.InvalidArgumentError, match=r"taker_fee must be in \[0, 10%\]"):
        eng.validate_market(btc_params(taker_fee="0.11"))
    with pytest.raises(pc.InvalidArgumentError, match=r"price_band must be in \[0, 1\)"):
        eng.validate_market(btc_params(price_band="1"))
    with pytest.raises(pc.InvalidArgumentError, match=r"referrer_share"):
        pc.Engine(pc.EngineConfig(referrer_share="1"))
    eng.validate_market(btc_params(taker_fee="0.1", price_band="0.999999999999999999"))


def test_the_book_band_is_a_rate_too() -> None:
    book = pc.OrderBook(price_band="0.01")  # +-1% around the reference price
    assert book.set_reference_price(10_000) == pc.Reason.OK
    assert book.place(order_id=1, account=1, side=BUY, price=10_101, size=1).reason == \
        pc.Reason.PRICE_OUTSIDE_BAND
    assert book.place(order_id=1, account=1, side=BUY, price=10_100, size=1).ok
    with pytest.raises(TypeError, match="price_band .* not int"):
        pc.OrderBook(price_band=pc.RATE_SCALE // 100)  # type: ignore[arg-type]


def _re(name: str) -> str:
    """The field name as a regular expression (fee_tier_discounts[1] has brackets)."""
    return name.replace("[", r"\[").replace("]", r"\]")
