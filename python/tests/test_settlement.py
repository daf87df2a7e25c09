"""The final settlement of a delisted market through the Python binding:
Engine.settle_market(), the PositionSettled and MarketSettled events,
SettlementPhase and the settlement fields of MarketStats.

The market (enginekit.py) is BTC-USD at 6 quote decimals: 100 atoms per
tick-lot, 30,000 USD = 300,000 ticks, 1 BTC = 1,000 lots; here without fees,
without funding and with mark_cap 0 (the mark is the index), as
tests/engine/scenario_settlement_test.cpp has it, so a trade of L lots at P
ticks moves exactly L * P * 100 atoms from the buyer's cash to the seller's.
The rules are perpcore/engine/engine.hpp's "Final settlement" section; the
expected values are worked out by hand in the comments (the same figures as
tests/c_api/c_api_test.c).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import perpcore as pc
from enginekit import T0, USD, btc_params, ok, usd
from perpcore import (
    CancelReason,
    EngineEventKind,
    MarketSettled,
    MarketStatus,
    PositionSettled,
    PriceUpdate,
    Reason,
    SettlementPhase,
    Side,
    TimeInForce,
)


def settlement_params() -> pc.MarketParams:
    """The test market without fees, funding or a mark away from the index."""
    p = btc_params(maker_fee=Decimal(0), taker_fee=Decimal(0))
    p.oracle.mark_cap = Decimal(0)
    p.funding.model = pc.FundingModel.NONE
    return p


def long_and_short() -> pc.Engine:
    """Market 1 indexed at 30,000; accounts 1 and 2 with 10,000 USD each;
    account 1 buys 1 BTC (1,000 lots) at 30,000 from account 2's resting sell.
    Every command at T0."""
    eng = pc.Engine()
    ok(eng.create_market(market=1, params=settlement_params(), timestamp_ns=T0))
    ok(eng.oracle_price(market=1, source=1, price=usd(30_000), timestamp_ns=T0))
    for account in (1, 2):
        ok(eng.create_account(account=account, owner=account, timestamp_ns=T0))
        ok(eng.deposit(account=account, amount=10_000 * USD, timestamp_ns=T0))
    ok(eng.place_order(market=1, account=2, order_id=1, side=Side.SELL, price=usd(30_000),
                       size=1_000, timestamp_ns=T0))
    r = ok(eng.place_order(market=1, account=1, order_id=2, side=Side.BUY, price=usd(30_000),
                           size=1_000, tif=TimeInForce.IOC, timestamp_ns=T0))
    assert r.filled == 1_000
    return eng


def state_after_cursor(eng: pc.Engine) -> bytes:
    """The canonical encoding without its first 16 bytes (last_seq and the
    time), which every processed command advances, accepted or not."""
    return eng.encode_canonical()[16:]


# -- enums and events -------------------------------------------------------------


def test_the_settlement_enum_members_are_pinned() -> None:
    assert [(p.name, p.value) for p in SettlementPhase] == [
        ("NONE", 0), ("SETTLING", 1), ("SETTLED", 2)]
    assert CancelReason.MARKET_SETTLED.value == 8
    assert (EngineEventKind.POSITION_SETTLED.value, EngineEventKind.MARKET_SETTLED.value) == (
        28, 29)
    assert [Reason.SETTLEMENT_NOT_DELISTED.value, Reason.SETTLEMENT_STARTED.value,
            Reason.SETTLEMENT_INVALID_PRICE.value] == [814, 815, 816]


def test_settlement_events_build_and_compare() -> None:
    e = PositionSettled(market=1, account=2, isolated=True, size=-5, price=7, realized=-11)
    assert (e.market, e.account, e.isolated, e.size, e.price, e.realized) == (
        1, 2, True, -5, 7, -11)
    assert e.kind == EngineEventKind.POSITION_SETTLED
    assert e == PositionSettled(market=1, account=2, isolated=True, size=-5, price=7,
                                realized=-11)
    assert e != PositionSettled()
    assert repr(PositionSettled(size=3)) == (
        "PositionSettled(market=0, account=0, isolated=False, size=3, price=0, realized=0)")
    m = MarketSettled(market=1, price=310_000)
    assert (m.market, m.price, m.kind) == (1, 310_000, EngineEventKind.MARKET_SETTLED)
    assert repr(m) == "MarketSettled(market=1, price=310000)"
    with pytest.raises(TypeError, match="isolated"):
        PositionSettled(isolated=1)  # type: ignore[arg-type]


# -- the worked example ---------------------------------------------------------------


def test_a_long_and_a_short_close_at_the_settlement_price() -> None:
    # Account 1 deposits 10,000 USD (1e10 atoms) and buys 1 BTC (1,000 lots) at
    # 30,000 (300,000 ticks) from account 2 (1e10 atoms):
    #   cash 1 = 1e10 - 1,000 * 300,000 * 100 = 1e10 - 3e10 = -2e10
    #   cash 2 = 1e10 + 3e10                                =  4e10
    # Delisted, settled at 31,000 (310,000 ticks): 1,000 * 310,000 * 100 = 3.1e10
    #   cash 1 = -2e10 + 3.1e10 = 1.1e10   (realized 1,000 * 10,000 * 100 = +1e9)
    #   cash 2 =  4e10 - 3.1e10 = 0.9e10   (realized -1e9)
    # The events: the mark moves from the index, 300,000, to the settlement
    # price (PriceUpdate; the TWAP is 0, none: every command ran at T0, so no
    # time has counted in its window yet); account 1 was created first, so it
    # settles first; two records are far below the per-command bound, so the
    # market is settled by the same command (MarketSettled). No funding and no
    # margin warning (1e10 of equity against 0.4% of 3e10 of maintenance). The
    # deposits, 2e10, are all in cash again: nothing in the fee pool, the
    # insurance fund or the settlement pool.
    eng = long_and_short()
    assert (eng.summary(1).cash, eng.summary(2).cash) == (-20_000_000_000, 40_000_000_000)
    before = eng.stats(1)
    assert (before.settlement, before.settlement_price, before.settlement_pool) == (
        SettlementPhase.NONE, 0, 0)
    ok(eng.set_market_status(market=1, status=MarketStatus.DELISTED, timestamp_ns=T0))

    r = ok(eng.settle_market(market=1, price=usd(31_000), timestamp_ns=T0))
    assert (r.filled, r.rested) == (0, 0)
    assert r.events == [
        PriceUpdate(market=1, index=300_000, mark=310_000, twap=0),
        PositionSettled(market=1, account=1, isolated=False, size=1_000, price=310_000,
                        realized=1_000_000_000),
        PositionSettled(market=1, account=2, isolated=False, size=-1_000, price=310_000,
                        realized=-1_000_000_000),
        MarketSettled(market=1, price=310_000),
    ]
    assert (eng.summary(1).cash, eng.summary(2).cash) == (11_000_000_000, 9_000_000_000)
    assert eng.summary(1).positions == [] and eng.summary(2).positions == []
    assert (eng.fee_pool, eng.insurance_fund, eng.shortfall) == (0, 0, 0)
    st = eng.stats(1)
    assert (st.status, st.settlement, st.settlement_price, st.settlement_pool) == (
        MarketStatus.DELISTED, SettlementPhase.SETTLED, 310_000, 0)
    assert (st.mark, st.open_interest_long, st.open_interest_short) == (310_000, 0, 0)
    assert "settlement=SettlementPhase.SETTLED, settlement_price=310000" in repr(st)
    # Settled is final: a second settlement is refused.
    again = eng.settle_market(market=1, price=usd(31_000), timestamp_ns=T0)
    assert (again.reason, again.events) == (Reason.SETTLEMENT_STARTED, [])
    eng.check_invariants()


# -- refusals -------------------------------------------------------------------------


def test_settling_a_market_that_is_not_delisted_is_refused_and_changes_nothing() -> None:
    # The worked example's set-up without the delisting: the market is active.
    eng = long_and_short()
    before = state_after_cursor(eng)
    views = [repr(eng.summary(a)) for a in (1, 2)], repr(eng.stats(1))
    seq = eng.last_seq + 1
    r = eng.settle_market(market=1, price=usd(31_000), timestamp_ns=T0)
    assert (r.reason, r.seq, r.events, r.filled) == (Reason.SETTLEMENT_NOT_DELISTED, seq, [], 0)
    assert not r.ok
    assert r.reason.value == 814
    assert pc.reason_message(r.reason) == (
        "only a delisted market can be settled: delist it first")
    assert eng.last_seq == seq  # processed: the seq is consumed
    assert state_after_cursor(eng) == before
    assert ([repr(eng.summary(a)) for a in (1, 2)], repr(eng.stats(1))) == views
    st = eng.stats(1)
    assert (st.status, st.settlement, st.settlement_price) == (
        MarketStatus.ACTIVE, SettlementPhase.NONE, 0)
    assert (eng.summary(1).cash, eng.summary(2).cash) == (-20_000_000_000, 40_000_000_000)
    eng.check_invariants()


def test_settle_market_names_a_wrong_argument() -> None:
    eng = long_and_short()
    with pytest.raises(TypeError, match="argument 'price' must be int, not float"):
        eng.settle_market(market=1, price=310_000.0, timestamp_ns=T0)  # type: ignore[arg-type]
    with pytest.raises(pc.OutOfRangeError, match="argument 'price' = 9223372036854775808"):
        eng.settle_market(market=1, price=2**63, timestamp_ns=T0)
    with pytest.raises(TypeError):
        eng.settle_market(market=1, timestamp_ns=T0)  # type: ignore[call-arg]
    assert eng.last_seq == 8  # nothing consumed a seq


# -- bounded work ---------------------------------------------------------------------


def test_a_settlement_longer_than_one_command_continues_at_the_market_s_ticks() -> None:
    # A command settles records until it has done 256 units of work, one per
    # record without orders (engine.hpp). Account 1 (created first) sells 1
    # lot at 30,000 to each of 256 accounts (ids 1,001..1,256, 100 USD each):
    # 257 records. Settled at 30,100 (301,000 ticks):
    #   each long:  1e8 - 30,000,000 + 30,100,000 = 100,100,000
    #   account 1:  1e11 + 256 * 30,000,000 - 256 * 30,100,000 = 99,974,400,000
    # settle_market() settles account 1 and the first 255 longs; the last long
    # is still open, so the market is SETTLING and its pool holds what the
    # closed positions left in it: account 1 paid 256 * 30,100,000 and 255
    # longs took 30,100,000 each, 30,100,000 = (long 1 - short 0) * 301,000 *
    # 100. Orders are refused (reduce-only included); a tick of every market
    # (0) leaves the settlement as it is; a tick naming the market settles the
    # last long and the market, the pool back to 0.
    eng = pc.Engine()
    ok(eng.create_market(market=1, params=settlement_params(), timestamp_ns=T0))
    ok(eng.oracle_price(market=1, source=1, price=usd(30_000), timestamp_ns=T0))
    ok(eng.create_account(account=1, owner=1, timestamp_ns=T0))
    ok(eng.deposit(account=1, amount=100_000 * USD, timestamp_ns=T0))
    ok(eng.place_order(market=1, account=1, order_id=1, side=Side.SELL, price=usd(30_000),
                       size=256, timestamp_ns=T0))
    for a in range(1_001, 1_257):
        ok(eng.create_account(account=a, owner=a, timestamp_ns=T0))
        ok(eng.deposit(account=a, amount=100 * USD, timestamp_ns=T0))
        ok(eng.place_order(market=1, account=a, order_id=a, side=Side.BUY, price=usd(30_000),
                           size=1, tif=TimeInForce.IOC, timestamp_ns=T0))
    ok(eng.set_market_status(market=1, status=MarketStatus.DELISTED, timestamp_ns=T0))

    r = ok(eng.settle_market(market=1, price=usd(30_100), timestamp_ns=T0))
    assert [type(e).__name__ for e in r.events] == ["PriceUpdate"] + ["PositionSettled"] * 256
    st = eng.stats(1)
    assert (st.settlement, st.settlement_price, st.settlement_pool) == (
        SettlementPhase.SETTLING, 301_000, 30_100_000)
    assert (st.open_interest_long, st.open_interest_short) == (1, 0)
    assert eng.summary(1).cash == 99_974_400_000
    assert eng.summary(1_255).cash == 100_100_000
    assert eng.summary(1_256).cash == 100_000_000 - 30_000_000  # not reached yet
    refused = eng.place_order(market=1, account=1_256, order_id=9, side=Side.SELL,
                              price=usd(30_000), size=1, tif=TimeInForce.IOC, reduce_only=True,
                              timestamp_ns=T0)
    assert refused.reason == Reason.MARKET_HALTED
    assert eng.settle_market(market=1, price=usd(30_100),
                             timestamp_ns=T0).reason == Reason.SETTLEMENT_STARTED

    every = ok(eng.time_tick(timestamp_ns=T0))
    assert not any(isinstance(e, PositionSettled) for e in every.events)
    assert eng.stats(1).settlement == SettlementPhase.SETTLING

    last = ok(eng.time_tick(market=1, timestamp_ns=T0))
    assert last.events == [
        PositionSettled(market=1, account=1_256, size=1, price=301_000, realized=100_000),
        MarketSettled(market=1, price=301_000),
    ]
    st = eng.stats(1)
    assert (st.settlement, st.settlement_pool, st.open_interest_long) == (
        SettlementPhase.SETTLED, 0, 0)
    assert eng.summary(1_256).cash == 100_100_000
    eng.check_invariants()
