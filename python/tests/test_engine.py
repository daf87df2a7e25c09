"""Tests of the Engine binding: every command and query, with worked numbers.

The market (see enginekit.py) is BTC-USD at 6 quote decimals: 100 atoms per
tick-lot, 30,000 USD = 300,000 ticks, 1 BTC = 1,000 lots. Expected values are
worked out by hand from perpcore/engine/engine.hpp and types.hpp.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
import math
from typing import Any, Sequence

import pytest

import perpcore as pc
from enginekit import BTC, T0, USD, bp, btc_at_30k, btc_params, ok, usd
from perpcore import (
    BreakerCause,
    AccountCreated,
    CancelReason,
    CircuitBreaker,
    Deposit,
    EngineEventKind as K,
    FeeTierSet,
    Fill,
    FillParty,
    InsuranceFunded,
    IsolatedMarginChanged,
    LeverageSet,
    MarginMode,
    MarginModeSet,
    MarketCreated,
    MarketStatus,
    MarketUpdated,
    OrderAmended,
    OrderCanceled,
    OrderRested,
    OrderType,
    Reason,
    Side,
    TimeInForce,
    Transfer,
    Withdrawal,
)

BUY, SELL = Side.BUY, Side.SELL


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def rate(raw: int) -> Decimal:
    """A raw count of 1e-18 as the Decimal the bindings return."""
    return Decimal(pc.format_rate(raw))


# -- the worked trade --------------------------------------------------------------


def test_one_btc_at_30000_pays_5_bp_taker_and_1_bp_maker_fees() -> None:
    eng = btc_at_30k(taker_usd=10_000)
    rest = eng.place_order(market=1, account=1, order_id=1, side=SELL, price=usd(30_000),
                           size=BTC, timestamp_ns=T0 + 1)
    assert (rest.reason, rest.filled, rest.rested) == (Reason.OK, 0, BTC)
    assert rest.events == [OrderRested(market=1, account=1, order_id=1, side=SELL, price=300_000,
                                       size=1_000)]

    r = eng.place_order(market=1, account=2, order_id=2, side=BUY, price=usd(30_000), size=BTC,
                        timestamp_ns=T0 + 2)
    eng.check_invariants()
    assert (r.reason, r.ok, r.filled, r.rested, r.seq) == (Reason.OK, True, 1_000, 0, 8)
    # Notional 1,000 lots * 300,000 ticks * 100 atoms = 3e10 atoms = 30,000 USD;
    # 5 bp of it is 15 USD = 15,000,000 atoms, 1 bp 3,000,000.
    assert r.events == [
        Fill(market=1, price=300_000, size=1_000,
             taker=FillParty(account=2, order_id=2, side=BUY, remaining=0, fee=15_000_000,
                             position=1_000),
             maker=FillParty(account=1, order_id=1, side=SELL, remaining=0, fee=3_000_000,
                             position=-1_000))
    ]
    fill = r.events[0]
    assert isinstance(fill, Fill)
    assert (fill.taker.fee, fill.maker.fee, fill.referrer_fee) == (15_000_000, 3_000_000, 0)
    assert eng.fee_pool == 18_000_000
    assert eng.total_deposits == 110_000 * USD
    assert eng.total_withdrawals == 0

    taker = eng.summary(2)
    assert taker.cash == 10_000 * USD - 30_000 * USD - 15 * USD
    assert taker.collateral == taker.equity == 9_985 * USD
    assert taker.unrealized_pnl == 0
    # Tier 0 at the default leverage (the market's 125x): 30,000 / 125 = 240 USD
    # initial, 0.4% = 120 USD maintenance.
    assert (taker.initial_requirement, taker.maintenance_requirement) == (240 * USD, 120 * USD)
    assert taker.initial_with_orders == 240 * USD
    # What may leave: 9,985 less max(initial 240, 10% of the 30,000 notional
    # = 3,000), the withdrawal rule of issue 11.
    assert taker.free_collateral == 6_985 * USD
    assert taker.margin_ratio == rate(ceil_div(120 * USD * pc.RATE_SCALE, 9_985 * USD))
    assert type(taker.margin_ratio) is Decimal and str(taker.margin_ratio) == \
        "0.012018027040560842"
    assert not taker.liquidatable
    [pos] = taker.positions
    assert (pos.market, pos.mode, pos.leverage, pos.size) == (1, MarginMode.CROSS, 125, 1_000)
    assert (pos.entry_price, pos.mark, pos.value, pos.cost) == (300_000, 300_000, 3 * 10**10,
                                                                 3 * 10**10)
    assert (pos.unrealized_pnl, pos.realized_pnl) == (0, 0)
    assert (pos.open_bid_lots, pos.open_ask_lots, pos.open_orders) == (0, 0, 0)
    # Liquidation of the long: other equity = 9,985 - 30,000 USD, so
    # P = 20,015e6 / (1,000 * 100 * (1 - 0.004)) = 200,953.8..., rounded up.
    assert pos.liquidation == pos.liquidation
    assert (pos.liquidation.price, pos.liquidation.tier, pos.liquidation.always) == (
        math.ceil(Fraction(20_015 * USD, 99_600)), 0, False)
    assert pos.liquidation.price == 200_954

    maker = eng.summary(1)
    assert maker.cash == 100_000 * USD + 30_000 * USD - 3 * USD
    assert maker.collateral == 99_997 * USD
    assert maker.positions[0].size == -1_000

    stats = eng.stats(1)
    assert (stats.market, stats.symbol, stats.status) == (1, "BTC-USD", MarketStatus.ACTIVE)
    assert stats.atoms_per_tick_lot == 100
    assert (stats.index, stats.mark, stats.last_trade) == (300_000, 300_000, 300_000)
    assert (stats.open_interest_long, stats.open_interest_short) == (1_000, 1_000)
    assert (stats.volume, stats.notional_volume) == (1_000, 3 * 10**10)
    assert (stats.best_bid, stats.best_ask) == (None, None)
    assert (stats.breaker, stats.breaker_cause, stats.fresh_sources) == (False,
                                                                          BreakerCause.NONE, 1)


def test_closing_realizes_pnl_and_fees_round_up() -> None:
    eng = btc_at_30k(taker_usd=10_000)
    ok(eng.place_order(market=1, account=1, order_id=1, side=SELL, price=usd(30_000), size=BTC,
                       timestamp_ns=T0))
    ok(eng.place_order(market=1, account=2, order_id=2, side=BUY, price=usd(30_000), size=BTC,
                       timestamp_ns=T0))
    ok(eng.place_order(market=1, account=1, order_id=3, side=BUY, price=usd(30_100), size=500,
                       timestamp_ns=T0))
    r = ok(eng.place_order(market=1, account=2, order_id=4, side=SELL, price=usd(30_000),
                           size=500, tif=TimeInForce.IOC, timestamp_ns=T0))
    eng.check_invariants()
    [fill] = r.events
    assert isinstance(fill, Fill)
    # Half a BTC sold at 30,100 after buying at 30,000: +50 USD realized.
    assert (fill.price, fill.size, fill.taker.position, fill.maker.position) == (
        301_000, 500, 500, -500)
    assert (fill.taker.realized, fill.maker.realized) == (50 * USD, -50 * USD)
    assert fill.taker.fee == 500 * 301_000 * 100 * 5 // 10_000  # 7.525 USD, exact
    assert eng.summary(2).positions[0].realized_pnl == 50 * USD


# -- sequencing and atomicity --------------------------------------------------------


def test_seq_defaults_to_last_plus_one_and_a_gap_raises() -> None:
    eng = pc.Engine()
    assert (eng.last_seq, eng.now_ns) == (0, 0)
    r = eng.create_account(account=1, owner=1, timestamp_ns=5)
    assert (r.seq, eng.last_seq, eng.now_ns) == (1, 1, 5)
    before = eng.digest()
    with pytest.raises(pc.SequenceGapError, match="expected seq 2, got 3"):
        eng.deposit(account=1, amount=10, timestamp_ns=6, seq=3)
    assert eng.digest() == before and eng.last_seq == 1
    assert ok(eng.deposit(account=1, amount=10, timestamp_ns=6, seq=2)).seq == 2


def test_a_redelivered_seq_raises_already_applied_and_changes_nothing() -> None:
    eng = pc.Engine()
    ok(eng.create_account(account=1, owner=1, timestamp_ns=5))
    ok(eng.deposit(account=1, amount=10, timestamp_ns=6))
    before = eng.digest()
    with pytest.raises(pc.AlreadyAppliedError) as info:
        eng.deposit(account=1, amount=10, timestamp_ns=6, seq=2)
    assert isinstance(info.value, pc.FramingError) and isinstance(info.value, pc.Error)
    assert eng.digest() == before and eng.summary(1).cash == 10


def test_time_must_not_go_back_and_a_refusal_consumes_its_seq() -> None:
    eng = pc.Engine()
    ok(eng.create_account(account=1, owner=1, timestamp_ns=100))
    before = eng.encode_canonical()
    with pytest.raises(pc.TimeWentBackError):
        eng.deposit(account=1, amount=5, timestamp_ns=99)
    assert eng.encode_canonical() == before
    refused = eng.deposit(account=1, amount=0, timestamp_ns=101)
    assert (refused.reason, refused.seq) == (Reason.INVALID_AMOUNT, 2)
    assert (eng.last_seq, eng.now_ns) == (2, 101)
    assert eng.encode_canonical()[16:] == before[16:]  # past last_seq and the time
    assert ok(eng.deposit(account=1, amount=5, timestamp_ns=101)).seq == 3


# -- markets ---------------------------------------------------------------------------


def test_create_market_refuses_bad_params_as_a_value() -> None:
    eng = pc.Engine()
    bad = btc_params(max_leverage=126)
    r = eng.create_market(market=1, params=bad, timestamp_ns=1)
    assert r.reason == Reason.INVALID_MARKET_PARAMS
    with pytest.raises(pc.InvalidArgumentError, match="max_leverage must be 1..the first tier"):
        eng.validate_market(bad)
    eng.validate_market(btc_params())
    assert eng.create_market(market=0, params=btc_params(), timestamp_ns=1).reason == \
        Reason.INVALID_ID
    r = ok(eng.create_market(market=7, params=btc_params(), timestamp_ns=1))
    assert r.events == [MarketCreated(market=7)]
    assert eng.create_market(market=7, params=btc_params(), timestamp_ns=1).reason == \
        Reason.MARKET_EXISTS
    assert eng.markets() == [7]
    assert eng.params(7) == btc_params()


def test_the_default_market_params_validate_at_the_default_config() -> None:
    eng = pc.Engine()
    eng.validate_market(pc.MarketParams())
    ok(eng.create_market(market=1, params=pc.MarketParams(), timestamp_ns=1))
    with pytest.raises(pc.InvalidArgumentError, match="2\\^54"):
        eng.validate_market(pc.MarketParams(max_open_interest=10**8))


def test_fractional_atoms_per_tick_lot_are_refused() -> None:
    eng = pc.Engine(pc.EngineConfig(quote_decimals=2))
    with pytest.raises(pc.InvalidArgumentError, match="not a whole number of quote atoms"):
        eng.validate_market(btc_params())


def test_update_market_changes_fees_but_not_the_tick() -> None:
    eng = btc_at_30k()
    p = eng.params(1)
    p.taker_fee = bp(7)
    r = ok(eng.update_market(market=1, params=p, timestamp_ns=T0))
    assert r.events == [MarketUpdated(market=1)]
    assert eng.params(1).taker_fee == bp(7)
    p.tick_size = Decimal("0.5")
    assert eng.update_market(market=1, params=p, timestamp_ns=T0).reason == \
        Reason.PARAM_IMMUTABLE
    assert eng.update_market(market=9, params=p, timestamp_ns=T0).reason == \
        Reason.UNKNOWN_MARKET


def test_market_status_halted_blocks_orders_and_delisted_is_final() -> None:
    eng = btc_at_30k()
    ok(eng.place_order(market=1, account=1, order_id=1, side=SELL, price=usd(30_100), size=1,
                       timestamp_ns=T0))
    r = ok(eng.set_market_status(market=1, status=MarketStatus.HALTED, timestamp_ns=T0))
    assert r.events == [pc.MarketStatusChanged(market=1, status=MarketStatus.HALTED)]
    assert eng.place_order(market=1, account=1, order_id=2, side=SELL, price=usd(30_100),
                           size=1, timestamp_ns=T0).reason == Reason.MARKET_HALTED
    ok(eng.cancel_order(market=1, account=1, order_id=1, timestamp_ns=T0))  # cancels allowed
    ok(eng.set_market_status(market=1, status=MarketStatus.REDUCE_ONLY, timestamp_ns=T0))
    assert eng.place_order(market=1, account=1, order_id=3, side=SELL, price=usd(30_100),
                           size=1, timestamp_ns=T0).reason == Reason.MARKET_REDUCE_ONLY
    ok(eng.set_market_status(market=1, status=MarketStatus.DELISTED, timestamp_ns=T0))
    assert eng.stats(1).status == MarketStatus.DELISTED
    assert eng.set_market_status(market=1, status=MarketStatus.ACTIVE,
                                 timestamp_ns=T0).reason == Reason.INVALID_STATUS


# -- accounts and money ------------------------------------------------------------------


def test_accounts_deposits_withdrawals_and_transfers() -> None:
    eng = pc.Engine()
    r = ok(eng.create_account(account=10, owner=5, timestamp_ns=1))
    assert r.events == [AccountCreated(account=10, owner=5)]
    ok(eng.create_account(account=11, owner=5, referrer=10, timestamp_ns=1))
    ok(eng.create_account(account=12, owner=6, timestamp_ns=1))
    assert eng.accounts() == [10, 11, 12]
    assert eng.create_account(account=10, owner=5, timestamp_ns=1).reason == \
        Reason.ACCOUNT_EXISTS
    assert eng.create_account(account=0, owner=5, timestamp_ns=1).reason == Reason.INVALID_ID
    assert eng.create_account(account=13, owner=0, timestamp_ns=1).reason == Reason.INVALID_OWNER
    assert eng.create_account(account=13, owner=1, referrer=99, timestamp_ns=1).reason == \
        Reason.UNKNOWN_REFERRER
    assert eng.summary(11).referrer == 10

    r = ok(eng.deposit(account=10, amount=1_000 * USD, timestamp_ns=2))
    assert r.events == [Deposit(account=10, amount=1_000 * USD)]
    assert eng.deposit(account=99, amount=1, timestamp_ns=2).reason == Reason.UNKNOWN_ACCOUNT
    assert eng.deposit(account=10, amount=-1, timestamp_ns=2).reason == Reason.INVALID_AMOUNT

    r = ok(eng.transfer(from_account=10, to_account=11, amount=300 * USD, timestamp_ns=3))
    assert r.events == [Transfer(from_account=10, to_account=11, amount=300 * USD)]
    assert eng.transfer(from_account=10, to_account=12, amount=1, timestamp_ns=3).reason == \
        Reason.NOT_SAME_OWNER
    assert eng.transfer(from_account=10, to_account=10, amount=1, timestamp_ns=3).reason == \
        Reason.SAME_ACCOUNT

    assert eng.withdraw(account=10, amount=700 * USD + 1, timestamp_ns=4).reason == \
        Reason.INSUFFICIENT_COLLATERAL
    r = ok(eng.withdraw(account=10, amount=700 * USD, timestamp_ns=4))
    assert r.events == [Withdrawal(account=10, amount=700 * USD)]

    r = ok(eng.fund_insurance(amount=50 * USD, timestamp_ns=5))
    assert r.events == [InsuranceFunded(amount=50 * USD)]
    assert eng.insurance_fund == 50 * USD
    assert (eng.total_deposits, eng.total_withdrawals) == (1_050 * USD, 700 * USD)
    assert (eng.summary(10).cash, eng.summary(11).cash) == (0, 300 * USD)
    eng.check_invariants()


def test_fee_tiers_and_referrers_split_the_taker_fee() -> None:
    config = pc.EngineConfig(fee_tier_discounts=["0", "0.1"], referrer_share=Decimal("0.1"))
    eng = btc_at_30k(config=config)
    ok(eng.create_account(account=3, owner=3, timestamp_ns=T0))
    ok(eng.create_account(account=4, owner=4, referrer=3, timestamp_ns=T0))
    ok(eng.deposit(account=4, amount=10_000 * USD, timestamp_ns=T0))
    r = ok(eng.set_fee_tier(account=4, fee_tier=1, timestamp_ns=T0))
    assert r.events == [FeeTierSet(account=4, fee_tier=1)]
    assert eng.set_fee_tier(account=4, fee_tier=2, timestamp_ns=T0).reason == \
        Reason.INVALID_FEE_TIER
    ok(eng.place_order(market=1, account=1, order_id=1, side=SELL, price=usd(30_000), size=BTC,
                       timestamp_ns=T0))
    [fill] = ok(eng.place_order(market=1, account=4, order_id=2, side=BUY, price=usd(30_000),
                                size=BTC, timestamp_ns=T0)).events
    assert isinstance(fill, Fill)
    # Tier 1: 5 bp * 0.9 = 4.5 bp of 30,000 USD = 13.5 USD; the referrer gets 10%.
    assert (fill.taker.fee, fill.referrer, fill.referrer_fee) == (13_500_000, 3, 1_350_000)
    assert eng.fee_pool == 13_500_000 - 1_350_000 + 3_000_000
    assert eng.summary(3).cash == 1_350_000
    eng.check_invariants()


def test_margin_mode_leverage_and_isolated_margin() -> None:
    eng = btc_at_30k(taker_usd=10_000)
    assert eng.adjust_isolated_margin(market=1, account=2, delta=USD,
                                      timestamp_ns=T0).reason == Reason.NOT_ISOLATED
    r = ok(eng.set_margin_mode(market=1, account=2, mode=MarginMode.ISOLATED, timestamp_ns=T0))
    assert r.events == [MarginModeSet(market=1, account=2, mode=MarginMode.ISOLATED)]
    assert eng.set_leverage(market=1, account=2, leverage=126, timestamp_ns=T0).reason == \
        Reason.INVALID_LEVERAGE
    r = ok(eng.set_leverage(market=1, account=2, leverage=10, timestamp_ns=T0))
    assert r.events == [LeverageSet(market=1, account=2, leverage=10)]
    assert eng.summary(2).positions == []  # choices, not records: they apply when it trades

    ok(eng.place_order(market=1, account=1, order_id=1, side=SELL, price=usd(30_000), size=BTC,
                       timestamp_ns=T0))
    ok(eng.place_order(market=1, account=2, order_id=2, side=BUY, price=usd(30_000), size=BTC,
                       timestamp_ns=T0))
    pos = eng.summary(2).positions[0]
    # 10x: the bucket is topped up to the initial requirement, 3,000 USD.
    assert (pos.mode, pos.leverage, pos.isolated_equity) == (MarginMode.ISOLATED, 10, 3_000 * USD)
    assert eng.set_margin_mode(market=1, account=2, mode=MarginMode.CROSS,
                               timestamp_ns=T0).reason == Reason.MARGIN_MODE_LOCKED
    r = ok(eng.adjust_isolated_margin(market=1, account=2, delta=500 * USD, timestamp_ns=T0))
    assert r.events == [IsolatedMarginChanged(market=1, account=2, amount=500 * USD)]
    assert eng.summary(2).positions[0].isolated_equity == 3_500 * USD
    assert eng.adjust_isolated_margin(market=1, account=2, delta=-501 * USD,
                                      timestamp_ns=T0).reason == Reason.INSUFFICIENT_COLLATERAL
    ok(eng.adjust_isolated_margin(market=1, account=2, delta=-500 * USD, timestamp_ns=T0))
    eng.check_invariants()


def test_insufficient_margin_is_a_reason() -> None:
    eng = btc_at_30k(taker_usd=100)
    ok(eng.place_order(market=1, account=1, order_id=1, side=SELL, price=usd(30_000), size=BTC,
                       timestamp_ns=T0))
    # 1 BTC at 125x needs 240 USD plus the 15 USD fee.
    r = eng.place_order(market=1, account=2, order_id=2, side=BUY, price=usd(30_000), size=BTC,
                        timestamp_ns=T0)
    assert (r.reason, r.filled, r.events) == (Reason.INSUFFICIENT_MARGIN, 0, [])
    assert "initial margin" in pc.reason_message(r.reason)


# -- orders ---------------------------------------------------------------------------------


def test_cancel_cancel_by_client_id_cancel_all_and_open_orders() -> None:
    eng = btc_at_30k()
    for i in range(1, 4):
        ok(eng.place_order(market=1, account=1, order_id=i, side=BUY, price=usd(29_990 + i),
                           size=10 * i, client_id=100 + i, timestamp_ns=T0))
    orders = eng.open_orders(1)
    assert [(o.market, o.order_id, o.client_id, o.side, o.price, o.remaining) for o in orders] \
        == [(1, 1, 101, BUY, 299_910, 10), (1, 2, 102, BUY, 299_920, 20),
            (1, 3, 103, BUY, 299_930, 30)]
    assert orders[0].priority < orders[1].priority
    assert "OpenOrder(market=1, order_id=1, account=1, client_id=101, side=Side.BUY" in \
        repr(orders[0])

    assert eng.cancel_order(market=1, account=2, order_id=1, timestamp_ns=T0).reason == \
        Reason.NOT_ORDER_OWNER
    assert eng.cancel_order(market=1, account=1, order_id=99, timestamp_ns=T0).reason == \
        Reason.UNKNOWN_ORDER
    r = ok(eng.cancel_order(market=1, account=1, order_id=1, timestamp_ns=T0))
    assert r.events == [OrderCanceled(market=1, account=1, order_id=1, side=BUY, price=299_910,
                                      size=10, remaining=0)]
    r = ok(eng.cancel_by_client_id(market=1, account=1, client_id=102, timestamp_ns=T0))
    assert r.events == [OrderCanceled(market=1, account=1, order_id=2, side=BUY, price=299_920,
                                      size=20)]
    r = ok(eng.cancel_all(account=1, timestamp_ns=T0))
    assert [(e.order_id, e.reason) for e in r.events if isinstance(e, OrderCanceled)] == [
        (3, CancelReason.CANCEL_ALL)]
    assert len(r.events) == 1
    assert eng.open_orders(1) == []
    assert eng.summary(1).positions == []  # no position and no orders: no record
    eng.check_invariants()


def test_amend_keeps_priority_when_only_the_size_goes_down() -> None:
    eng = btc_at_30k()
    ok(eng.place_order(market=1, account=1, order_id=1, side=BUY, price=usd(29_000), size=50,
                       timestamp_ns=T0))
    r = ok(eng.amend_order(market=1, account=1, order_id=1, new_price=usd(29_000), new_size=20,
                           timestamp_ns=T0))
    assert r.events == [OrderAmended(market=1, account=1, order_id=1, side=BUY, price=290_000,
                                     old_remaining=50, remaining=20, priority_kept=True)]
    r = ok(eng.amend_order(market=1, account=1, order_id=1, new_price=usd(29_001), new_size=20,
                           timestamp_ns=T0))
    assert isinstance(r.events[0], OrderAmended) and r.events[0].priority_kept is False
    assert eng.amend_order(market=1, account=1, order_id=1, new_price=usd(29_001), new_size=20,
                           timestamp_ns=T0).reason == Reason.AMEND_NO_CHANGE
    assert eng.summary(1).positions[0].open_bid_lots == 20
    eng.check_invariants()


def test_cancel_replace_cancels_the_old_order_and_places_the_new_one_in_one_seq() -> None:
    eng = btc_at_30k()
    ok(eng.place_order(market=1, account=2, order_id=11, side=BUY, price=usd(29_000), size=500,
                       timestamp_ns=T0))
    seq = eng.last_seq
    r = ok(eng.cancel_replace(market=1, account=2, old_order_id=11, order_id=12, side=BUY,
                              price=usd(29_500), size=BTC, client_id=7, timestamp_ns=T0))
    assert (r.seq, eng.last_seq, r.filled, r.rested) == (seq + 1, seq + 1, 0, BTC)
    assert r.events == [
        OrderCanceled(market=1, account=2, order_id=11, side=BUY, price=290_000, size=500,
                      remaining=0),
        OrderRested(market=1, account=2, order_id=12, side=BUY, price=295_000, size=1_000),
    ]
    # The old order's id and client id are free for the new one.
    ok(eng.cancel_replace(market=1, account=2, old_order_id=12, order_id=12, side=BUY,
                          price=usd(29_400), size=BTC, client_id=7, timestamp_ns=T0))
    [o] = eng.open_orders(2)
    assert (o.order_id, o.client_id, o.price, o.remaining) == (12, 7, 294_000, 1_000)
    assert eng.summary(2).positions[0].open_bid_lots == BTC
    eng.check_invariants()


def test_cancel_replace_refused_changes_nothing_and_keeps_the_old_order() -> None:
    eng = btc_at_30k()
    ok(eng.place_order(market=1, account=1, order_id=10, side=SELL, price=usd(30_000), size=BTC,
                       timestamp_ns=T0))
    ok(eng.place_order(market=1, account=2, order_id=11, side=BUY, price=usd(29_000), size=100,
                       timestamp_ns=T0))
    def live() -> list[tuple[int, int, int, int]]:
        return [(o.order_id, o.price, o.remaining, o.priority) for o in eng.open_orders(2)]

    before = live()
    assert before == [(11, 290_000, 100, before[0][3])]
    seq = eng.last_seq
    r = eng.cancel_replace(market=1, account=2, old_order_id=11, order_id=12, side=BUY,
                           price=usd(30_000), size=100, tif=TimeInForce.POST_ONLY,
                           timestamp_ns=T0)
    assert (r.reason, r.events, r.seq, eng.last_seq) == (
        Reason.POST_ONLY_WOULD_CROSS, [], seq + 1, seq + 1)
    assert live() == before
    for old_order_id, account, reason in [(99, 2, Reason.UNKNOWN_ORDER),
                                          (10, 2, Reason.NOT_ORDER_OWNER)]:
        r = eng.cancel_replace(market=1, account=account, old_order_id=old_order_id,
                               order_id=12, side=BUY, price=usd(29_500), size=100,
                               timestamp_ns=T0)
        assert (r.reason, r.events) == (reason, [])
    assert live() == before
    with pytest.raises(TypeError):
        eng.cancel_replace(1, 2, 11, 12, BUY, usd(29_500), 100, T0)  # type: ignore[misc]
    eng.check_invariants()


def test_cancel_replace_to_a_crossing_price_trades_where_an_amend_is_refused() -> None:
    eng = btc_at_30k()
    ok(eng.place_order(market=1, account=1, order_id=10, side=SELL, price=usd(30_000), size=BTC,
                       timestamp_ns=T0))
    ok(eng.place_order(market=1, account=2, order_id=11, side=BUY, price=usd(29_000), size=BTC,
                       timestamp_ns=T0))
    assert eng.amend_order(market=1, account=2, order_id=11, new_price=usd(30_000), new_size=BTC,
                           timestamp_ns=T0).reason == Reason.AMEND_WOULD_CROSS
    r = ok(eng.cancel_replace(market=1, account=2, old_order_id=11, order_id=12, side=BUY,
                              price=usd(30_000), size=BTC, timestamp_ns=T0))
    assert (r.filled, r.rested) == (BTC, 0)
    # 1 BTC at 30,000 USD: 5 bp taker fee = 15 USD, 1 bp maker fee = 3 USD.
    assert r.events == [
        OrderCanceled(market=1, account=2, order_id=11, side=BUY, price=290_000, size=1_000,
                      remaining=0),
        Fill(market=1, price=300_000, size=1_000,
             taker=FillParty(account=2, order_id=12, side=BUY, remaining=0, fee=15 * USD,
                             position=1_000),
             maker=FillParty(account=1, order_id=10, side=SELL, remaining=0, fee=3 * USD,
                             position=-1_000)),
    ]
    assert eng.summary(2).cash == (10_000 - 30_000 - 15) * USD
    assert eng.open_orders(2) == []
    eng.check_invariants()


def test_reduce_only_orders() -> None:
    eng = btc_at_30k()
    ok(eng.place_order(market=1, account=1, order_id=1, side=SELL, price=usd(30_000), size=BTC,
                       timestamp_ns=T0))
    assert eng.place_order(market=1, account=2, order_id=2, side=SELL, price=usd(30_000),
                           size=10, tif=TimeInForce.IOC, reduce_only=True,
                           timestamp_ns=T0).reason == Reason.REDUCE_ONLY_WOULD_INCREASE
    ok(eng.place_order(market=1, account=2, order_id=3, side=BUY, price=usd(30_000), size=100,
                       timestamp_ns=T0))
    ok(eng.place_order(market=1, account=1, order_id=4, side=BUY, price=usd(29_990), size=500,
                       timestamp_ns=T0))
    assert eng.place_order(market=1, account=2, order_id=5, side=SELL, price=usd(29_990),
                           size=300, reduce_only=True, timestamp_ns=T0).reason == \
        Reason.REDUCE_ONLY_NOT_IMMEDIATE
    # Clamped to the 100-lot position.
    r = ok(eng.place_order(market=1, account=2, order_id=6, side=SELL, price=usd(29_990),
                           size=300, order_type=OrderType.MARKET, tif=TimeInForce.IOC,
                           reduce_only=True, timestamp_ns=T0))
    assert r.filled == 100
    assert eng.summary(2).positions == []  # closed, no orders left: no record
    eng.check_invariants()


def test_book_queries_best_depth_and_depth_arrays() -> None:
    eng = btc_at_30k()
    oid = 0
    for price, size in [(29_990, 1), (29_999, 2), (29_995, 3), (29_999, 4)]:
        oid += 1
        ok(eng.place_order(market=1, account=1, order_id=oid, side=BUY, price=usd(price),
                           size=size, timestamp_ns=T0))
    ok(eng.place_order(market=1, account=2, order_id=99, side=SELL, price=usd(30_010), size=5,
                       timestamp_ns=T0))
    assert eng.depth(1, BUY, 10) == [(299_990, 6, 2), (299_950, 3, 1), (299_900, 1, 1)]
    assert eng.depth(1, BUY, 2) == [(299_990, 6, 2), (299_950, 3, 1)]
    assert eng.depth(1, SELL, 0) == []
    assert eng.best(1, BUY) == (299_990, 6, 2)
    assert eng.best(1, SELL) == (300_100, 5, 1)
    assert eng.depth(1, BUY, 2**32 - 1) == eng.depth(1, BUY, 10)  # clamped, not allocated
    prices, sizes, counts = eng.depth_arrays(1, BUY, 10)
    assert [prices.dtype.name, sizes.dtype.name, counts.dtype.name] == ["int64"] * 3
    assert list(zip(prices.tolist(), sizes.tolist(), counts.tolist())) == eng.depth(1, BUY, 10)
    stats = eng.stats(1)
    assert (stats.best_bid, stats.best_ask) == ((299_990, 6, 2), (300_100, 5, 1))
    # Levels are named tuples: ticks, lots and a count, like every other engine query.
    top = eng.depth(1, BUY, 1)[0]
    assert type(top) is pc.Level
    assert (top.price, top.size, top.orders) == (299_990, 6, 2)
    best_ask = eng.best(1, SELL)
    assert best_ask is not None and best_ask.price == 300_100 and best_ask.size == 5
    assert stats.best_bid == top and type(stats.best_ask) is pc.Level


def test_margin_ratio_is_a_decimal_and_the_largest_rate_once_equity_is_gone() -> None:
    eng = btc_at_30k(taker_usd=300)
    ok(eng.place_order(market=1, account=1, order_id=1, side=SELL, price=usd(30_000), size=BTC,
                       timestamp_ns=T0 + 1))
    ok(eng.place_order(market=1, account=2, order_id=2, side=BUY, price=usd(30_000), size=BTC,
                       timestamp_ns=T0 + 1))
    # 300 - 15 USD of fees = 285 USD of equity against 120 USD of maintenance.
    assert eng.summary(2).margin_ratio == rate(ceil_div(120 * pc.RATE_SCALE, 285))
    assert str(eng.summary(2).margin_ratio) == "0.421052631578947369"  # rounded up
    ok(eng.oracle_price(market=1, source=1, price=usd(29_000), timestamp_ns=T0 + 2))
    s = eng.summary(2)  # 1,000 USD lost: equity -715 USD
    assert (s.equity, s.liquidatable) == (-715 * USD, True)
    assert s.margin_ratio == Decimal("9.223372036854775807")  # the Rate maximum
    assert 0 < eng.summary(1).margin_ratio < 1  # the maker, short, gained


def test_preview_matches_what_place_order_then_does() -> None:
    eng = btc_at_30k(taker_usd=10_000)
    ok(eng.place_order(market=1, account=1, order_id=1, side=SELL, price=usd(30_000), size=600,
                       timestamp_ns=T0))
    ok(eng.place_order(market=1, account=1, order_id=2, side=SELL, price=usd(30_010), size=600,
                       timestamp_ns=T0))
    ok(eng.place_order(market=1, account=1, order_id=3, side=BUY, price=usd(29_990), size=1,
                       timestamp_ns=T0))
    before = eng.digest()
    pv = eng.preview_order(market=1, account=2, side=BUY, price=usd(30_010), size=BTC)
    assert eng.digest() == before
    # 600 at 300,000 and 400 at 300,100: average 300,040 ticks.
    assert (pv.reason, pv.fill_size, pv.average_price, pv.rest_size) == (Reason.OK, 1_000,
                                                                         300_040, 0)
    assert pv.fill_notional == (600 * 300_000 + 400 * 300_100) * 100
    assert pv.fee == ceil_div(pv.fill_notional * 5, 10_000)
    # Mid = (299,900 + 300,000) / 2 = 299,950; slippage = 90 / 299,950, rounded up.
    assert pv.slippage == rate(ceil_div(90 * pc.RATE_SCALE, 299_950))
    assert type(pv.slippage) is Decimal and type(pv.resulting_margin_ratio) is Decimal
    assert pv.resulting_position == 1_000
    assert pv.resulting_liquidation.price > 0
    assert "Preview(reason=Reason.OK, fill_size=1000" in repr(pv)
    r = ok(eng.place_order(market=1, account=2, order_id=4, side=BUY, price=usd(30_010), size=BTC,
                           timestamp_ns=T0))
    assert r.filled == pv.fill_size
    assert sum(e.taker.fee for e in r.events if isinstance(e, Fill)) >= pv.fee
    assert eng.summary(2).equity == pv.resulting_equity
    poor = eng.preview_order(market=1, account=2, side=BUY, price=usd(30_010), size=100 * BTC)
    assert poor.reason == Reason.INSUFFICIENT_MARGIN


# -- oracle ----------------------------------------------------------------------------------


def test_oracle_staleness_and_time_tick() -> None:
    eng = btc_at_30k()
    assert eng.oracle_price(market=1, source=1, price=usd(30_000), timestamp_ns=T0,
                            publish_time_ns=T0 + 1).reason == Reason.ORACLE_FROM_THE_FUTURE
    assert eng.oracle_price(market=1, source=0, price=usd(30_000), timestamp_ns=T0).reason == \
        Reason.ORACLE_INVALID_SOURCE
    assert eng.oracle_price(market=1, source=1, price=0, timestamp_ns=T0).reason == \
        Reason.ORACLE_INVALID_PRICE
    r = ok(eng.oracle_price(market=1, source=1, price=usd(30_100), timestamp_ns=T0 + 10,
                            publish_time_ns=T0 + 5))
    [update] = r.events
    assert isinstance(update, pc.PriceUpdate)
    assert (update.kind, update.index, update.mark) == (K.PRICE_UPDATE, 301_000, 301_000)
    assert eng.oracle_price(market=1, source=1, price=usd(30_100), timestamp_ns=T0 + 10,
                            publish_time_ns=T0 + 4).reason == Reason.ORACLE_OUT_OF_ORDER
    # 60 s later the only source is stale: the index is gone.
    r = ok(eng.time_tick(timestamp_ns=T0 + 5 + 60 * 10**9 + 1))
    assert [(e.market, e.index) for e in r.events if isinstance(e, pc.PriceUpdate)] == [(1, 0)]
    assert [e.kind for e in r.events] == [K.PRICE_UPDATE]
    assert eng.stats(1).index == 0
    assert eng.place_order(market=1, account=1, order_id=1, side=BUY, price=usd(29_000), size=1,
                           timestamp_ns=eng.now_ns).reason == Reason.NO_INDEX_PRICE
    ok(eng.time_tick(market=1, timestamp_ns=eng.now_ns))
    assert eng.time_tick(market=5, timestamp_ns=eng.now_ns).reason == Reason.UNKNOWN_MARKET


def test_an_order_one_ns_after_the_index_expires_is_refused_as_stale() -> None:
    # btc_at_30k's only source published at T0; staleness 60 s: usable to
    # T0 + 60 s exactly, whatever ticks arrive.
    eng = btc_at_30k()
    expiry = T0 + 60 * 10**9
    assert eng.stats(1).index_usable_until_ns == expiry
    late = eng.copy()
    ok(eng.place_order(market=1, account=1, order_id=1, side=BUY, price=usd(29_000), size=1,
                       timestamp_ns=expiry))
    assert late.place_order(market=1, account=1, order_id=1, side=BUY, price=usd(29_000), size=1,
                            timestamp_ns=expiry + 1).reason == Reason.INDEX_STALE
    assert pc.reason_message(Reason.INDEX_STALE).startswith("the market's index is stale")


def test_retire_source_frees_its_slot_and_reports_unknown_sources() -> None:
    eng = btc_at_30k()
    assert eng.retire_source(market=1, source=2, timestamp_ns=T0).reason == \
        Reason.ORACLE_UNKNOWN_SOURCE
    r = ok(eng.retire_source(market=1, source=1, timestamp_ns=T0))
    assert r.events[0] == pc.SourceRetired(market=1, source=1)
    assert r.events[0].kind == K.SOURCE_RETIRED
    assert isinstance(r.events[1], pc.PriceUpdate) and r.events[1].index == 0
    assert eng.stats(1).fresh_sources == 0


def test_oracle_config_mark_fields_round_trip_through_the_engine() -> None:
    eng = pc.Engine()
    p = btc_params()
    p.oracle = pc.OracleConfig(impact_notional=123, mark_cap="0.03", max_mark_age_ns=7)
    ok(eng.create_market(market=1, params=p, timestamp_ns=T0))
    o = eng.params(1).oracle
    assert (o.impact_notional, o.mark_cap, o.max_mark_age_ns) == (123, Decimal("0.03"), 7)
    p.oracle.mark_cap = Decimal(1)
    assert eng.create_market(market=2, params=p, timestamp_ns=T0).reason == \
        Reason.INVALID_MARKET_PARAMS


def test_source_deviation_trips_the_breaker_and_the_market_goes_reduce_only() -> None:
    eng = pc.Engine()
    p = btc_params()
    p.oracle.min_sources = 2
    p.oracle.max_source_deviation = Decimal("0.01")  # 1%
    assert p.oracle.min_sources == 2  # the oracle property is a view into p
    ok(eng.create_market(market=1, params=p, timestamp_ns=T0))
    ok(eng.create_account(account=1, owner=1, timestamp_ns=T0))
    ok(eng.deposit(account=1, amount=10_000 * USD, timestamp_ns=T0))
    ok(eng.oracle_price(market=1, source=1, price=usd(30_000), timestamp_ns=T0))
    ok(eng.oracle_price(market=1, source=2, price=usd(30_000), timestamp_ns=T0))
    ok(eng.oracle_price(market=1, source=3, price=usd(30_000), timestamp_ns=T0))
    assert eng.stats(1).index == 300_000
    # 31,000 is 3.3% away: outvoted (2 of 3 agree), and it trips the breaker.
    r = ok(eng.oracle_price(market=1, source=3, price=usd(31_000), timestamp_ns=T0 + 1))
    assert eng.stats(1).index == 300_000
    breaker = [e for e in r.events if e.kind == K.CIRCUIT_BREAKER]
    assert breaker == [CircuitBreaker(market=1, tripped=True, cause=BreakerCause.SOURCE_DEVIATION)]
    stats = eng.stats(1)
    assert (stats.breaker, stats.breaker_cause) == (True, BreakerCause.SOURCE_DEVIATION)
    assert eng.place_order(market=1, account=1, order_id=1, side=BUY, price=usd(29_000), size=1,
                           timestamp_ns=T0 + 1).reason == Reason.MARKET_REDUCE_ONLY


# -- queries, state and copies ----------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        lambda e: e.stats(9),
        lambda e: e.params(9),
        lambda e: e.best(9, BUY),
        lambda e: e.depth(9, BUY, 1),
        lambda e: e.depth_arrays(9, SELL, 1),
        lambda e: e.summary(99),
        lambda e: e.open_orders(99),
        lambda e: e.preview_order(market=9, account=1, side=BUY, price=1, size=1),
        lambda e: e.preview_order(market=1, account=99, side=BUY, price=1, size=1),
    ],
)
def test_unknown_market_or_account_in_a_query_raises_not_found(query: object) -> None:
    eng = btc_at_30k()
    assert callable(query)
    with pytest.raises(pc.NotFoundError, match="unknown (market 9|account 99)"):
        query(eng)
    with pytest.raises(LookupError):
        query(eng)


def test_digest_encoding_invariants_and_copies() -> None:
    a = btc_at_30k()
    b = btc_at_30k()
    assert isinstance(a.digest(), bytes) and len(a.digest()) == 32
    assert a.digest() == b.digest() and a.encode_canonical() == b.encode_canonical()
    d = a.copy()
    ok(a.place_order(market=1, account=1, order_id=1, side=BUY, price=usd(29_000), size=1,
                     timestamp_ns=T0))
    assert a.digest() != d.digest()
    assert d.digest() == b.digest() and d.last_seq == b.last_seq
    a.check_invariants()
    d.check_invariants()
    assert repr(a) == f"<Engine markets=1 accounts=2 last_seq={a.last_seq} now_ns={T0}>"
    assert a.config == pc.EngineConfig()


def test_engine_config_is_validated() -> None:
    with pytest.raises(pc.InvalidArgumentError, match="EngineConfig.quote_decimals must be 0..18"):
        pc.Engine(pc.EngineConfig(quote_decimals=19))
    with pytest.raises(pc.InvalidArgumentError, match="tier 0 must be 0"):
        pc.Engine(pc.EngineConfig(fee_tier_discounts=["0.1"]))
    with pytest.raises(pc.InvalidArgumentError, match="max_markets"):
        pc.Engine(pc.EngineConfig(max_markets=0))
    eng = pc.Engine(pc.EngineConfig(max_markets=1))
    ok(eng.create_market(market=1, params=btc_params(), timestamp_ns=1))
    assert eng.create_market(market=2, params=btc_params(), timestamp_ns=1).reason == \
        Reason.TOO_MANY_MARKETS


# -- config objects -------------------------------------------------------------------------


def test_config_defaults_are_the_cpp_defaults() -> None:
    c = pc.EngineConfig()
    assert (c.quote_decimals, c.fee_tier_discounts, c.referrer_share) == (
        6, (Decimal(0),), Decimal(0))
    assert (c.max_markets, c.max_accounts, c.hash_seed) == (256, 2**20, 0x70657270656E6731)
    o = pc.OracleConfig()
    assert (o.staleness_ns, o.min_sources, o.max_source_deviation, o.max_twap_deviation) == (
        60 * 10**9, 1, Decimal("0.01"), Decimal(0))
    assert (o.twap_window_ns, o.basis_window_ns) == (1_800 * 10**9, 300 * 10**9)
    assert (o.impact_notional, o.mark_cap, o.max_mark_age_ns) == (
        10**10, Decimal("0.02"), 60 * 10**9)
    p = pc.MarketParams()
    assert (p.symbol, p.tick_size, p.lot_size) == ("BTC-USD", Decimal("0.1"), Decimal("0.001"))
    assert (p.max_order_size, p.max_open_interest, p.max_price) == (10**6, 10**6, 10**8)
    assert (p.price_band, p.max_leverage, p.maker_fee, p.taker_fee) == (
        Decimal("0.05"), 20, bp(1), bp(5))
    assert p.tiers == (pc.MarginTier(notional_floor=0, max_leverage=20, maintenance_rate="0.01"),)
    assert (p.maker_fee, p.taker_fee) == (Decimal("0.0001"), Decimal("0.0005"))
    assert str(p.taker_fee) == "0.0005"  # no trailing zeros
    assert p.oracle == pc.OracleConfig()
    assert (p.max_orders_per_account, p.max_levels_per_side, p.max_book_orders) == (
        200, 10_000, 2**22)


def test_config_objects_are_mutable_keyword_built_and_comparable() -> None:
    p = btc_params()
    assert p == btc_params() and p != btc_params(symbol="ETH-USD")
    p.tick_size = "0.5"  # type: ignore[assignment]
    assert p.tick_size == Decimal("0.5")
    p.lot_size = 1  # type: ignore[assignment]
    assert p.lot_size == Decimal(1)
    p.tick_size = Decimal("0.10")
    assert str(p.tick_size) == "0.10"  # kept exactly as written
    p.maker_fee = "-0.0001"  # type: ignore[assignment]
    assert p.maker_fee == Decimal("-0.0001")
    p.tiers = [pc.MarginTier(notional_floor=0, max_leverage=10, maintenance_rate="0.05")]
    tiers: Sequence[pc.MarginTier] = p.tiers  # read back (mypy narrows p.tiers to the list)
    assert isinstance(tiers, tuple) and tiers[0].max_leverage == 10
    tier: Any = p.tiers[0]
    with pytest.raises(AttributeError):
        tier.max_leverage = 5
    p.oracle = pc.OracleConfig(min_sources=3)
    assert p.oracle.min_sources == 3
    c = pc.EngineConfig()
    c.fee_tier_discounts = ["0", "0.05"]  # type: ignore[list-item]
    discounts: Sequence[Decimal] = c.fee_tier_discounts
    assert discounts == (0, Decimal("0.05"))
    c.hash_seed = 2**64 - 1
    assert c.hash_seed == 2**64 - 1
    with pytest.raises(TypeError):
        positional: Any = pc.MarketParams
        positional("BTC-USD")
    with pytest.raises(TypeError):
        hash(p)


def test_reprs_are_readable() -> None:
    assert repr(pc.MarginTier(notional_floor=0, max_leverage=20, maintenance_rate="0.005")) == \
        "MarginTier(notional_floor=0, max_leverage=20, maintenance_rate=Decimal('0.005'))"
    assert "maker_fee=Decimal('0.0001'), taker_fee=Decimal('0.0005')" in repr(pc.MarketParams())
    assert "referrer_share=Decimal('0')" in repr(pc.EngineConfig())
    assert repr(pc.MarketParams()).startswith(
        "MarketParams(symbol='BTC-USD', tick_size=Decimal('0.1'), lot_size=Decimal('0.001'), ")
    assert repr(pc.OracleConfig()).startswith("OracleConfig(staleness_ns=60000000000, ")
    assert repr(pc.EngineConfig()).startswith("EngineConfig(quote_decimals=6, ")
    eng = btc_at_30k()
    r = eng.place_order(market=1, account=1, order_id=1, side=SELL, price=usd(30_000), size=3,
                        timestamp_ns=T0)
    assert repr(r) == (
        "Result(seq=7, reason=Reason.OK, filled=0, rested=3, events=[OrderRested("
        "market=1, account=1, order_id=1, side=Side.SELL, price=300000, size=3)])")
    bad = eng.deposit(account=9, amount=1, timestamp_ns=T0)
    assert repr(bad) == ("Result(seq=8, reason=Reason.UNKNOWN_ACCOUNT, filled=0, rested=0, "
                         "events=[])")
    assert repr(eng.summary(1)).startswith("AccountSummary(account=1, owner=1, fee_tier=0, ")
    assert "PositionView(market=1, mode=MarginMode.CROSS" in repr(eng.summary(1))
    assert repr(eng.stats(1)).startswith("MarketStats(market=1, symbol='BTC-USD', "
                                         "status=MarketStatus.ACTIVE")


def test_engine_event_constructor_and_equality() -> None:
    e = Deposit(account=3, amount=5)
    assert e == Deposit(account=3, amount=5)
    assert e != Deposit(account=3, amount=6)
    assert e != "x"
    assert e.kind == K.DEPOSIT
    assert repr(e) == "Deposit(account=3, amount=5)"
    with pytest.raises(TypeError):
        hash(e)


def test_enums_are_int_enums_with_pinned_values() -> None:
    assert [m.value for m in MarketStatus] == [0, 1, 2, 3]
    assert [m.value for m in MarginMode] == [0, 1]
    assert [m.value for m in BreakerCause] == [0, 1, 2]
    assert [m.value for m in K] == list(range(32))
    assert (K.FILL.value, K.ORDER_RESTED.value) == (1, 0)
    assert (Reason.UNKNOWN_MARKET.value, Reason.MAX_DEPOSIT_EXCEEDED.value) == (300, 505)
    for reason in Reason:
        assert pc.reason_message(reason)
    assert pc.reason_message(Reason.UNKNOWN_MARKET) == "no market with this id"


def test_accounts_of_one_owner_do_not_trade_unless_one_opts_out() -> None:
    eng = btc_at_30k()
    ok(eng.create_account(account=5, owner=1, timestamp_ns=T0))
    ok(eng.deposit(account=5, amount=USD * 100_000, timestamp_ns=T0))
    owner = eng.summary(1).owner
    assert owner == 1  # accounts 1 and 5 share owner 1
    ok(eng.place_order(market=1, account=1, order_id=70, side=Side.SELL, price=usd(30_000),
                       size=1_000, timestamp_ns=T0))
    r = ok(eng.place_order(market=1, account=5, order_id=71, side=Side.BUY, price=usd(30_000),
                           size=1_000, tif=pc.TimeInForce.IOC, timestamp_ns=T0))
    assert r.filled == 0  # self-trade prevention between the owner's accounts
    ok(eng.place_order(market=1, account=1, order_id=72, side=Side.SELL, price=usd(30_000),
                       size=1_000, timestamp_ns=T0))
    s = ok(eng.set_self_trade_scope(account=5, scope=pc.SelfTradeScope.ACCOUNT, timestamp_ns=T0))
    assert s.events[0].kind == pc.EngineEventKind.SELF_TRADE_SCOPE_SET
    r = ok(eng.place_order(market=1, account=5, order_id=73, side=Side.BUY, price=usd(30_000),
                           size=1_000, tif=pc.TimeInForce.IOC, timestamp_ns=T0))
    assert r.filled == 1_000


# -- withdrawals (issue 11) ----------------------------------------------------------


def test_withdrawal_parameters_have_their_defaults_and_round_trip() -> None:
    assert pc.EngineConfig().withdraw_margin_fraction == Decimal("0.1")
    p = pc.MarketParams()
    assert (p.withdrawable_pnl, p.stress_fraction) == (
        pc.WithdrawablePnl.CONSERVATIVE_PRICE, Decimal("0.1"))
    assert [m.value for m in pc.WithdrawablePnl] == [0, 1]
    assert Reason.WITHDRAWAL_EXCEEDS_HELD.value == 506
    eng = pc.Engine(pc.EngineConfig(withdraw_margin_fraction="0.25"))
    assert eng.config.withdraw_margin_fraction == Decimal("0.25")
    params = btc_params(withdrawable_pnl=pc.WithdrawablePnl.NONE, stress_fraction="0.2")
    ok(eng.create_market(market=1, params=params, timestamp_ns=T0))
    got = eng.params(1)
    assert (got.withdrawable_pnl, got.stress_fraction) == (pc.WithdrawablePnl.NONE,
                                                           Decimal("0.2"))
    with pytest.raises(pc.InvalidArgumentError):
        pc.EngineConfig(withdraw_margin_fraction="-0.1")


def test_a_withdrawal_must_leave_the_withdraw_margin_fraction_of_notional() -> None:
    # Long 1 BTC at 30,000 (125x: initial 240 USD) with 10,000 USD, 15 USD fee:
    # equity 9,985. With a 25% fraction, 7,500 USD stays: 2,485 USD may leave.
    eng = btc_at_30k(taker_usd=10_000, config=pc.EngineConfig(withdraw_margin_fraction="0.25"))
    ok(eng.place_order(market=1, account=1, order_id=1, side=SELL, price=usd(30_000), size=BTC,
                       timestamp_ns=T0))
    ok(eng.place_order(market=1, account=2, order_id=2, side=BUY, price=usd(30_000), size=BTC,
                       timestamp_ns=T0))
    assert eng.summary(2).free_collateral == 2_485 * USD
    assert eng.withdraw(account=2, amount=2_485 * USD + 1,
                        timestamp_ns=T0).reason == Reason.INSUFFICIENT_COLLATERAL
    ok(eng.withdraw(account=2, amount=2_485 * USD, timestamp_ns=T0))


def test_market_open_interest_bound_and_match_cap_are_market_params() -> None:
    p = pc.MarketParams()
    assert (p.max_market_open_interest, p.max_matches_per_order) == (0, 1000)
    p = btc_params(max_open_interest=10 * BTC, max_order_size=10 * BTC,
                   max_market_open_interest=15 * BTC, max_matches_per_order=2)
    assert (p.max_market_open_interest, p.max_matches_per_order) == (15 * BTC, 2)
    eng = pc.Engine()
    ok(eng.create_market(market=1, params=p, timestamp_ns=T0))
    assert eng.params(1) == p
    # Below max_open_interest is out of range.
    assert eng.create_market(market=2, params=btc_params(max_market_open_interest=1),
                             timestamp_ns=T0).reason == Reason.INVALID_MARKET_PARAMS


def test_a_sweep_past_the_match_cap_cancels_the_rest_with_match_limit() -> None:
    eng = pc.Engine()
    ok(eng.create_market(market=1, params=btc_params(max_matches_per_order=2), timestamp_ns=T0))
    ok(eng.oracle_price(market=1, source=1, price=usd(30_000), timestamp_ns=T0))
    for account in (1, 2):
        ok(eng.create_account(account=account, owner=account, timestamp_ns=T0))
        ok(eng.deposit(account=account, amount=100_000 * USD, timestamp_ns=T0))
    for order_id in (1, 2, 3):
        ok(eng.place_order(market=1, account=1, order_id=order_id, side=SELL,
                           price=usd(30_000), size=1, timestamp_ns=T0))
    r = ok(eng.place_order(market=1, account=2, order_id=9, side=BUY, price=usd(30_000),
                           size=3, tif=pc.TimeInForce.IOC, timestamp_ns=T0))
    assert r.filled == 2
    last = r.events[-1]
    assert isinstance(last, pc.OrderCanceled)
    assert (last.reason, last.size) == (pc.CancelReason.MATCH_LIMIT, 1)
    assert (Reason.MARKET_OPEN_INTEREST_LIMIT.value, Reason.CASH_BOUND_EXCEEDED.value) == (507, 508)
    assert Reason.MAX_PRICE_BELOW_MARKET_PRICE.value == 225
