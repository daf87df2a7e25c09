"""Funding through the Python binding: FundingParams and its enums, the
funding events, Engine.funding() and the funding fields of the views.

The market (enginekit.py) is BTC-USD at 6 quote decimals: 100 atoms per
tick-lot, 30,000 USD = 300,000 ticks, 1 BTC = 1,000 lots. The funding
arithmetic is perpcore/funding/funding.hpp's; the expected values are worked
out by hand in the comments.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import perpcore as pc
from enginekit import T0, USD, btc_at_30k, btc_params, ok, usd
from perpcore import (
    CapMode,
    FundingModel,
    FundingPayment,
    FundingPrice,
    FundingRateSet,
    FundingResidual,
    FundingSettled,
    PremiumWeighting,
    Reason,
    Side,
    TimeInForce,
)

HOUR_NS = 3_600 * 1_000_000_000


def all_fields_set() -> pc.FundingParams:
    """Every field away from its default, each valid."""
    return pc.FundingParams(
        model=FundingModel.SKEW_POWER,
        payment=FundingPayment.CONTINUOUS,
        price=FundingPrice.MARK,
        interval_ns=HOUR_NS,
        period_ns=4 * HOUR_NS,
        sample_cadence_ns=5_000_000_000,
        weighting=PremiumWeighting.TIME_WEIGHTED,
        impact_notional=5_000_000_000,
        interest="-0.0002",
        interest_band=Decimal("0.0004"),
        cap_mode=CapMode.MARGIN_MULTIPLE,
        cap="0.005",
        floor="-0.004",
        cap_multiple="2",
        counterparty=7,
        skew_kappa="0.02",
        skew_factor="0.003",
        skew_exponent="1.5",
        skew_max="0.02",
        ramp_up="0.000001",
        decay="0.000002",
        stable_threshold="0.1",
        decay_threshold="0.05",
    )


# -- parameters ---------------------------------------------------------------------


def test_funding_params_defaults_are_the_cpp_defaults() -> None:
    f = pc.FundingParams()
    assert (f.model, f.payment, f.price, f.weighting, f.cap_mode) == (
        FundingModel.PREMIUM, FundingPayment.INTERVAL_END, FundingPrice.INDEX,
        PremiumWeighting.EQUAL, CapMode.FIXED)
    assert (f.interval_ns, f.period_ns, f.sample_cadence_ns) == (
        8 * HOUR_NS, 8 * HOUR_NS, 60_000_000_000)
    assert (f.impact_notional, f.counterparty) == (10_000_000_000, 0)
    # 0.01% interest within a 0.05% band, a fixed cap of +-0.75%, 6x multiple.
    assert (f.interest, f.interest_band, f.cap, f.floor, f.cap_multiple) == (
        Decimal("0.0001"), Decimal("0.0005"), Decimal("0.0075"), Decimal("-0.0075"), Decimal(6))
    assert (f.skew_kappa, f.skew_factor, f.skew_exponent, f.skew_max) == (
        Decimal("0.01"), Decimal(0), Decimal(1), Decimal("0.01"))
    assert (f.ramp_up, f.decay, f.stable_threshold, f.decay_threshold) == (Decimal(0),) * 4
    assert pc.MarketParams().funding == f
    assert [m.value for m in FundingModel] == [0, 1, 2, 3, 4]
    assert [m.value for m in FundingPayment] == [0, 1]
    assert [m.value for m in FundingPrice] == [0, 1]
    assert [m.value for m in PremiumWeighting] == [0, 1]
    assert [m.value for m in CapMode] == [0, 1]


def test_every_funding_field_round_trips_through_the_engine() -> None:
    want = all_fields_set()
    eng = pc.Engine()
    ok(eng.create_market(market=1, params=btc_params(funding=want), timestamp_ns=T0))
    got = eng.params(1).funding
    assert got == want
    # Field by field, with the types the binding promises.
    assert (got.model, got.payment, got.price, got.weighting, got.cap_mode) == (
        FundingModel.SKEW_POWER, FundingPayment.CONTINUOUS, FundingPrice.MARK,
        PremiumWeighting.TIME_WEIGHTED, CapMode.MARGIN_MULTIPLE)
    assert (got.interval_ns, got.period_ns, got.sample_cadence_ns, got.impact_notional) == (
        HOUR_NS, 4 * HOUR_NS, 5_000_000_000, 5_000_000_000)
    assert got.counterparty == 7
    rates = [got.interest, got.interest_band, got.cap, got.floor, got.cap_multiple,
             got.skew_kappa, got.skew_factor, got.skew_exponent, got.skew_max, got.ramp_up,
             got.decay, got.stable_threshold, got.decay_threshold]
    assert all(isinstance(r, Decimal) for r in rates)
    assert rates == [Decimal(s) for s in (
        "-0.0002", "0.0004", "0.005", "-0.004", "2", "0.02", "0.003", "1.5", "0.02",
        "0.000001", "0.000002", "0.1", "0.05")]


def test_market_params_funding_is_a_view_that_edits_the_params() -> None:
    p = btc_params()
    p.funding.interest = "0.0003"  # type: ignore[assignment]
    p.funding.model = FundingModel.NONE
    assert p.funding.interest == Decimal("0.0003")
    assert p.funding.model == FundingModel.NONE
    assert p != btc_params()


def test_a_zero_sample_cadence_is_refused_and_no_market_is_created() -> None:
    eng = pc.Engine()
    bad = btc_params(funding=pc.FundingParams(sample_cadence_ns=0))
    r = eng.create_market(market=1, params=bad, timestamp_ns=T0)
    assert (r.reason, r.events) == (Reason.FUNDING_INVALID_CADENCE, [])
    assert eng.markets() == []
    with pytest.raises(pc.InvalidArgumentError, match="funding"):
        eng.validate_market(bad)
    # One second divides 8 hours (28,800 slots): accepted.
    ok(eng.create_market(market=1, params=btc_params(
        funding=pc.FundingParams(sample_cadence_ns=1_000_000_000)), timestamp_ns=T0))
    assert eng.markets() == [1]


def test_funding_rates_are_exact_decimals_and_name_the_field() -> None:
    with pytest.raises(TypeError, match="^interest must be a str or decimal.Decimal, not float"):
        pc.FundingParams(interest=0.0001)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^cap must be a str or decimal.Decimal in human units"):
        pc.FundingParams(cap=1)  # type: ignore[arg-type]
    with pytest.raises(pc.InvalidArgumentError, match="^interest_band must be >= 0"):
        pc.FundingParams(interest_band="-0.0001")
    with pytest.raises(pc.InvalidArgumentError, match="^skew_max .* not a whole number of 1e-18"):
        pc.FundingParams(skew_max="1e-19")
    f = pc.FundingParams(floor="-0.0001")  # a signed rate takes its sign
    assert f.floor == Decimal("-0.0001")
    with pytest.raises(TypeError, match="model"):
        pc.FundingParams(model=1)  # type: ignore[arg-type]


def test_funding_events_take_rates_as_decimals() -> None:
    e = FundingRateSet(market=1, rate="0.0001", premium=Decimal("-0.00002"), price=5)
    assert (e.rate, e.premium, e.price, e.kind) == (
        Decimal("0.0001"), Decimal("-0.00002"), 5, pc.EngineEventKind.FUNDING_RATE_SET)
    with pytest.raises(TypeError, match="^rate must be a str or decimal.Decimal"):
        FundingRateSet(rate=1)  # type: ignore[arg-type]
    assert FundingSettled(amount=-3).kind == pc.EngineEventKind.FUNDING_SETTLED
    assert FundingResidual(amount=1).kind == pc.EngineEventKind.FUNDING_RESIDUAL


def test_funding_of_an_unknown_market_raises_not_found() -> None:
    eng = pc.Engine()
    with pytest.raises(pc.NotFoundError):
        eng.funding(1)
    assert eng.funding_residual == 0


# -- end to end ---------------------------------------------------------------------------


def test_one_hour_of_funding_is_paid_settled_and_rounded_against_both_accounts() -> None:
    # dYdX-style: a rate per 8-hour period paid hourly. Interest 0.001% (1e13)
    # per 8 h, an empty book (every premium sample 0): the interval [0, 1 h)
    # closes at the tick at 1 h with premium 0 and
    #   rate = 0 + clamp(0.00001 - 0, +-0.0005) = 0.00001,
    # paid at the index, 300,000 ticks. The index moves by
    #   1e13 * (1 h / 8 h) * 300,000 * 100 atoms = 3.75e19 (beyond int64),
    # 37.5 atoms per lot. Account 2 is long 1 lot and owes ceil(37.5) = 38;
    # account 1 is short 1 lot and is owed 37 (ceil(-37.5)): each loses the
    # half atom, and the two halves make 1 atom of residual.
    fp = pc.FundingParams(interval_ns=HOUR_NS, interest="0.00001")
    eng = pc.Engine()
    ok(eng.create_market(market=1, params=btc_params(funding=fp), timestamp_ns=T0))
    ok(eng.oracle_price(market=1, source=1, price=usd(30_000), timestamp_ns=T0))
    for account in (1, 2):
        ok(eng.create_account(account=account, owner=account, timestamp_ns=T0))
        ok(eng.deposit(account=account, amount=10_000 * USD, timestamp_ns=T0))
    ok(eng.place_order(market=1, account=1, order_id=1, side=Side.SELL, price=usd(30_000),
                       size=1, timestamp_ns=T0))
    ok(eng.place_order(market=1, account=2, order_id=2, side=Side.BUY, price=usd(30_000),
                       size=1, tif=TimeInForce.IOC, timestamp_ns=T0))
    before = eng.funding(1)
    assert (before.index, before.interval_start_ns, before.interval_end_ns, before.history) == (
        0, 0, HOUR_NS, [])
    assert eng.summary(2).positions[0].pending_funding == 0

    ok(eng.oracle_price(market=1, source=1, price=usd(30_000),
                        timestamp_ns=HOUR_NS - 10_000_000_000))
    tick = ok(eng.time_tick(market=1, timestamp_ns=HOUR_NS))
    funding_events = [e for e in tick.events if isinstance(e, FundingRateSet)]
    assert funding_events == [FundingRateSet(market=1, start_ns=0, end_ns=HOUR_NS, intervals=1,
                                             premium="0", rate="0.00001", price=300_000)]
    assert not any(isinstance(e, FundingSettled) for e in tick.events)

    index = 37_500_000_000_000_000_000
    v = eng.funding(1)
    assert (v.market, v.model, v.index, v.rate) == (1, FundingModel.PREMIUM, index,
                                                     Decimal("0.00001"))
    assert (v.interval_start_ns, v.interval_end_ns) == (HOUR_NS, 2 * HOUR_NS)
    assert (v.pool, v.residual_carry, v.skew) == (0, 0, Decimal(0))
    assert len(v.history) == 1
    h = v.history[0]
    assert (h.start_ns, h.end_ns, h.intervals, h.premium, h.rate, h.price, h.index_delta) == (
        0, HOUR_NS, 1, Decimal(0), Decimal("0.00001"), 300_000, index)
    stats = eng.stats(1)
    assert (stats.funding_index, stats.funding_rate) == (index, Decimal("0.00001"))
    assert eng.summary(2).pending_funding == 38
    assert eng.summary(2).positions[0].pending_funding == 38
    assert eng.summary(1).pending_funding == -37

    # The long settles first, on a withdrawal: 38 atoms into the pool, half
    # an atom (5e17 index units) of rounding carried.
    cash2 = eng.summary(2).cash
    w = ok(eng.withdraw(account=2, amount=USD, timestamp_ns=HOUR_NS))
    assert w.events == [FundingSettled(market=1, account=2, amount=38),
                        pc.Withdrawal(account=2, amount=USD)]
    assert eng.summary(2).cash == cash2 - 38 - USD
    assert (eng.funding(1).pool, eng.funding(1).residual_carry) == (38, 500_000_000_000_000_000)
    # Then the short takes its 37; the two halves make one whole atom, which
    # leaves the pool for the residual sink: the pool is empty again.
    cash1 = eng.summary(1).cash
    w = ok(eng.withdraw(account=1, amount=USD, timestamp_ns=HOUR_NS))
    assert w.events == [FundingSettled(market=1, account=1, amount=-37),
                        FundingResidual(market=1, amount=1),
                        pc.Withdrawal(account=1, amount=USD)]
    assert eng.summary(1).cash == cash1 + 37 - USD
    assert (eng.funding(1).pool, eng.funding(1).residual_carry) == (0, 0)
    assert eng.funding_residual == 1
    assert eng.summary(1).pending_funding == eng.summary(2).pending_funding == 0
    eng.check_invariants()


def test_a_market_without_funding_never_moves_its_index() -> None:
    eng = pc.Engine()
    none = btc_params(funding=pc.FundingParams(model=FundingModel.NONE))
    ok(eng.create_market(market=1, params=none, timestamp_ns=T0))
    ok(eng.oracle_price(market=1, source=1, price=usd(30_000), timestamp_ns=T0))
    for account in (1, 2):
        ok(eng.create_account(account=account, owner=account, timestamp_ns=T0))
        ok(eng.deposit(account=account, amount=10_000 * USD, timestamp_ns=T0))
    ok(eng.place_order(market=1, account=1, order_id=1, side=Side.SELL, price=usd(30_000),
                       size=1, timestamp_ns=T0))
    ok(eng.place_order(market=1, account=2, order_id=2, side=Side.BUY, price=usd(30_000),
                       size=1, tif=TimeInForce.IOC, timestamp_ns=T0))
    ok(eng.oracle_price(market=1, source=1, price=usd(30_000),
                        timestamp_ns=8 * HOUR_NS - 10_000_000_000))
    tick = ok(eng.time_tick(market=1, timestamp_ns=8 * HOUR_NS))
    assert not any(isinstance(e, FundingRateSet) for e in tick.events)
    v = eng.funding(1)
    assert (v.model, v.index, v.rate, v.history) == (FundingModel.NONE, 0, Decimal(0), [])
    assert eng.summary(2).pending_funding == 0


def test_a_funding_parameter_change_closes_the_running_interval_with_the_old_ones() -> None:
    # btc_at_30k() creates the market at T0 = 1 s with the default funding:
    # the interval in progress is [0, 8 h). Switching the model off at T0
    # closes it early at the old rate, 0.01% per 8 h, for its 1 s:
    #   1e14 * 1e9 / 2.88e13 * 300,000 * 100 = 1.041666...e17, toward zero
    #   104,166,666,666,666,666 index units.
    eng = btc_at_30k()
    none = btc_params(funding=pc.FundingParams(model=FundingModel.NONE))
    r = ok(eng.update_market(market=1, params=none, timestamp_ns=T0))
    assert [e for e in r.events if isinstance(e, FundingRateSet)] == [
        FundingRateSet(market=1, start_ns=0, end_ns=T0, intervals=1, premium="0",
                       rate="0.0001", price=300_000)]
    v = eng.funding(1)
    assert (v.model, v.index, v.rate) == (
        FundingModel.NONE, 104_166_666_666_666_666, Decimal(0))
    assert [(h.start_ns, h.end_ns, h.index_delta) for h in v.history] == [
        (0, T0, 104_166_666_666_666_666)]
