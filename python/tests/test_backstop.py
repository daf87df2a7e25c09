"""The backstop takeover through the Python binding: LiquidationParams.backstop
and backstop_threshold, the BackstopTakeover event, and Engine.liquidate()
handing a position to the market's backstop account.

The market is MarketParams()'s defaults (BTC-USD, a 0.1 USD tick, a 0.001 BTC
lot at 6 quote decimals: 100 atoms per tick-lot, 30,000 USD = 300,000 ticks;
one margin tier, 20x with 1% maintenance) without fees, funding, a price band
or a mark away from the index (mark_cap 0), and with liquidation fee 0 and
account 9 as its backstop, as tests/engine/scenario_backstop_test.cpp has it.
The rules are perpcore/engine/engine.hpp's "Backstop takeover" section; the
expected values are worked out by hand in the comments (the same figures as
that file's first example and tests/c_api/c_api_liquidation_test.c).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import perpcore as pc
from enginekit import T0, USD, ok
from perpcore import (
    BackstopTakeover,
    EngineEventKind,
    MarginWarning,
    Reason,
    Side,
    TimeInForce,
)

TARGET, BACKSTOP, MAKER, BIDDER, KEEPER = 1, 9, 100, 101, 102
ENTRY, DROP = 300_000, 286_000  # 30,000 and 28,600 USD in ticks


def backstop_params() -> pc.MarketParams:
    """The test market: the defaults without fees, funding, band or mark cap,
    liquidation fee 0, account 9 the backstop."""
    p = pc.MarketParams(max_price=10_000_000, price_band=Decimal(0), maker_fee=Decimal(0),
                        taker_fee=Decimal(0))
    p.oracle.mark_cap = Decimal(0)
    p.funding.model = pc.FundingModel.NONE
    p.liquidation.fee = Decimal(0)
    p.liquidation.backstop = BACKSTOP
    return p


def target_at(mark: int) -> pc.Engine:
    """Market 1 indexed at 300,000; the maker and the bidder with 10M USD, the
    keeper with nothing, the backstop with 1e10 atoms; the target with 1.5e9
    buys 1,000 lots at 300,000 from the maker, then the index moves to `mark`
    and the bidder bids 1,000 lots there. Every command at T0."""
    eng = pc.Engine()
    ok(eng.create_market(market=1, params=backstop_params(), timestamp_ns=T0))
    ok(eng.oracle_price(market=1, source=1, price=ENTRY, timestamp_ns=T0))
    for account, atoms in ((MAKER, 10_000_000 * USD), (BIDDER, 10_000_000 * USD), (KEEPER, 0),
                           (BACKSTOP, 10_000_000_000), (TARGET, 1_500_000_000)):
        ok(eng.create_account(account=account, owner=account, timestamp_ns=T0))
        if atoms:
            ok(eng.deposit(account=account, amount=atoms, timestamp_ns=T0))
    ok(eng.place_order(market=1, account=MAKER, order_id=1, side=Side.SELL, price=ENTRY,
                       size=1_000, timestamp_ns=T0))
    r = ok(eng.place_order(market=1, account=TARGET, order_id=2, side=Side.BUY, price=ENTRY,
                           size=1_000, tif=TimeInForce.IOC, timestamp_ns=T0))
    assert r.filled == 1_000
    ok(eng.oracle_price(market=1, source=1, price=mark, timestamp_ns=T0))
    ok(eng.place_order(market=1, account=BIDDER, order_id=3, side=Side.BUY, price=mark,
                       size=1_000, timestamp_ns=T0))
    return eng


# -- parameters, enums and events ---------------------------------------------------


def test_the_backstop_defaults_and_pins() -> None:
    p = pc.LiquidationParams()
    # No backstop; the threshold 2/3 of maintenance (Hyperliquid), rounded
    # down to 1e-18.
    assert (p.backstop, p.backstop_threshold) == (0, Decimal("0.666666666666666666"))
    assert pc.MarketParams().liquidation == p
    assert EngineEventKind.BACKSTOP_TAKEOVER.value == 30
    assert Reason.LIQUIDATION_INVALID_BACKSTOP_THRESHOLD.value == 817
    assert "backstop=0, backstop_threshold=Decimal('0.666666666666666666')" in repr(p)
    # The test market's one tier, which the worked figures below assume.
    assert [(t.notional_floor, t.max_leverage, t.maintenance_rate)
            for t in backstop_params().tiers] == [(0, 20, Decimal("0.01"))]


def test_the_backstop_fields_round_trip_and_name_a_wrong_type() -> None:
    lp = pc.LiquidationParams(backstop=2**64 - 1, backstop_threshold="0.5")
    eng = pc.Engine()
    ok(eng.create_market(market=1, params=pc.MarketParams(liquidation=lp), timestamp_ns=T0))
    got = eng.params(1).liquidation
    assert (got.backstop, got.backstop_threshold) == (2**64 - 1, Decimal("0.5"))
    assert got == lp
    with pytest.raises(TypeError, match="^backstop_threshold must be a str or decimal.Decimal, "
                                        "not float"):
        pc.LiquidationParams(backstop_threshold=0.5)  # type: ignore[arg-type]
    with pytest.raises(pc.InvalidArgumentError, match="^backstop_threshold must be >= 0"):
        pc.LiquidationParams(backstop_threshold="-0.1")
    with pytest.raises(pc.OutOfRangeError, match="argument 'backstop' = -1"):
        pc.LiquidationParams(backstop=-1)


def test_backstop_takeover_events_build_and_compare() -> None:
    e = BackstopTakeover(market=1, account=2, backstop=9, isolated=True, size=-5, price=7,
                         equity=-11, position=-3, backstop_position=-5)
    assert (e.market, e.account, e.backstop, e.isolated, e.size, e.price, e.equity,
            e.position, e.backstop_position) == (1, 2, 9, True, -5, 7, -11, -3, -5)
    assert e.kind == EngineEventKind.BACKSTOP_TAKEOVER
    assert e == BackstopTakeover(market=1, account=2, backstop=9, isolated=True, size=-5,
                                 price=7, equity=-11, position=-3, backstop_position=-5)
    assert e != BackstopTakeover()
    assert repr(BackstopTakeover(size=3)) == (
        "BackstopTakeover(market=0, account=0, backstop=0, isolated=False, size=3, price=0, "
        "equity=0, position=0, backstop_position=0)")
    with pytest.raises(TypeError, match="isolated"):
        BackstopTakeover(isolated=1)  # type: ignore[arg-type]


# -- the worked example -------------------------------------------------------------


def test_below_two_thirds_of_maintenance_the_backstop_takes_the_whole_position() -> None:
    # The target deposits 1.5e9 atoms (the initial 5% of 3e10) and buys 1,000
    # lots at 300,000: cash 1.5e9 - 1,000 * 300,000 * 100 = -2.85e10. At the
    # mark 286,000:
    #   equity      = -2.85e10 + 1,000 * 286,000 * 100 = 1e8
    #   maintenance = 1% of 2.86e10 = 2.86e8; 2/3 of it 190,666,666.67 > 1e8
    # so the backstop takes the whole position at the mark, off the book (no
    # order, no Fill, no Liquidation, no fee, no volume; the bid at 286,000
    # stays; the open interest moves from the target to the backstop), with
    # the equity share 1e8 * 1 (the target's only position):
    #   target cash   -2.85e10 + 2.86e10 - 1e8 = 0, no position;
    #   backstop cash  1e10 + 1e8 - 2.86e10 = -1.85e10, long 1,000, equity
    #   -1.85e10 + 2.86e10 = 1.01e10 (>= its initial 5% of 2.86e10, 1.43e9).
    # The target's warning, set by the price drop, is cleared. The keeper
    # gets nothing (it is paid only for what the book closes).
    eng = target_at(DROP)
    s = eng.summary(TARGET)
    assert (s.cash, s.health_equity, s.maintenance_requirement) == (
        -28_500_000_000, 100_000_000, 286_000_000)
    assert s.liquidatable

    r = ok(eng.liquidate(market=1, account=TARGET, keeper=KEEPER, timestamp_ns=T0))
    assert (r.filled, r.rested) == (0, 0)
    assert r.events == [
        BackstopTakeover(market=1, account=TARGET, backstop=BACKSTOP, isolated=False,
                         size=1_000, price=DROP, equity=100_000_000, position=0,
                         backstop_position=1_000),
        MarginWarning(account=TARGET, market=0, set=False, equity=0, maintenance=0),
    ]
    target, backstop = eng.summary(TARGET), eng.summary(BACKSTOP)
    assert (target.cash, target.positions) == (0, [])
    assert (backstop.cash, backstop.health_equity) == (-18_500_000_000, 10_100_000_000)
    assert [(p.market, p.size) for p in backstop.positions] == [(1, 1_000)]
    assert eng.summary(KEEPER).cash == 0
    assert (eng.insurance_fund, eng.shortfall) == (0, 0)
    st = eng.stats(1)
    assert st.best_bid is not None
    assert (st.best_bid.price, st.best_bid.size) == (DROP, 1_000)  # untouched
    assert (st.volume, st.open_interest_long) == (1_000, 1_000)  # the entry's only
    eng.check_invariants()


def test_below_the_threshold_the_whole_position_goes_whatever_max_size() -> None:
    # The worked example with a keeper's cap of 1 lot: the takeover skips the
    # sizing the cap belongs to (engine.hpp), so the backstop still takes all
    # 1,000 lots, with the same share.
    eng = target_at(DROP)
    r = ok(eng.liquidate(market=1, account=TARGET, keeper=KEEPER, max_size=1, timestamp_ns=T0))
    assert r.filled == 0
    assert r.events[0] == BackstopTakeover(
        market=1, account=TARGET, backstop=BACKSTOP, size=1_000, price=DROP,
        equity=100_000_000, position=0, backstop_position=1_000)
    assert eng.summary(TARGET).positions == []
    eng.check_invariants()


# -- refusals -----------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["1.000000000000000001", "2"])
def test_a_backstop_threshold_above_one_is_refused_and_nothing_is_created(bad: str) -> None:
    lp = pc.LiquidationParams(backstop=BACKSTOP, backstop_threshold=bad)
    eng = pc.Engine()
    seq = eng.last_seq + 1
    r = eng.create_market(market=1, params=pc.MarketParams(liquidation=lp), timestamp_ns=T0)
    assert (r.reason, r.seq, r.events, r.ok) == (
        Reason.LIQUIDATION_INVALID_BACKSTOP_THRESHOLD, seq, [], False)
    assert r.reason.value == 817
    assert pc.reason_message(r.reason) == (
        "the backstop threshold is a fraction of maintenance in [0, 1] (Hyperliquid: 2/3; 0: "
        "the backstop takes only bankrupt targets and what the book cannot absorb)")
    assert eng.markets() == []
    with pytest.raises(pc.InvalidArgumentError, match="liquidation"):
        eng.validate_market(pc.MarketParams(liquidation=lp))


def test_a_threshold_of_one_or_zero_is_accepted_and_an_update_above_one_refused() -> None:
    # The boundaries of the refusal above: [0, 1] is closed. An update to a
    # threshold above 1 is refused too, and the market keeps its params.
    eng = pc.Engine()
    for market, threshold in ((1, "1"), (2, "0")):
        lp = pc.LiquidationParams(backstop=BACKSTOP, backstop_threshold=threshold)
        ok(eng.create_market(market=market, params=pc.MarketParams(liquidation=lp),
                             timestamp_ns=T0))
        assert eng.params(market).liquidation.backstop_threshold == Decimal(threshold)
    assert eng.markets() == [1, 2]
    bad = pc.MarketParams(
        liquidation=pc.LiquidationParams(backstop_threshold="1.000000000000000001"))
    r = eng.update_market(market=1, params=bad, timestamp_ns=T0)
    assert (r.reason, r.events) == (Reason.LIQUIDATION_INVALID_BACKSTOP_THRESHOLD, [])
    assert eng.params(1).liquidation == pc.LiquidationParams(backstop=BACKSTOP,
                                                             backstop_threshold="1")
