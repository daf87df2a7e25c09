"""Liquidation through the Python binding: LiquidationParams, Health, the
liquidation events, Engine.liquidate(), Engine.liquidatable(),
Engine.shortfall and the health fields of the summary.

The market (enginekit.py) is BTC-USD at 6 quote decimals: 100 atoms per
tick-lot, 30,000 USD = 300,000 ticks, 1 BTC = 1,000 lots; its first margin
tier is 125x with a 0.4% maintenance rate, the taker fee 5 bp. The rules are
perpcore/engine/engine.hpp's "Liquidation" section; the expected values are
worked out by hand in the comments.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import perpcore as pc
from enginekit import T0, USD, btc_at_30k, btc_params, ok, usd
from perpcore import (
    CancelReason,
    EngineEventKind,
    Health,
    InsuranceCover,
    Liquidation,
    MarginWarning,
    Reason,
    Shortfall,
    Side,
    TimeInForce,
)


def all_fields_set() -> pc.LiquidationParams:
    """Every field away from its default, each valid."""
    return pc.LiquidationParams(
        warning_threshold="0.9",
        fee=Decimal("0.02"),
        keeper_share="0.1",
        buffer="0.05",
        chunk_threshold=50_000_000_000,
        chunk_fraction="0.25",
        cooldown_ns=10_000_000_000,
        bankruptcy_adjustment="1.5",
        spread_to_maintenance="0.1",
        max_notional_per_command=20_000_000_000,
        backstop=9,
        backstop_threshold="0.5",
        loss_policy=pc.LossPolicy.NONE,
    )


def long_1_btc(taker_usd: int = 10_000) -> pc.Engine:
    """btc_at_30k() with account 2 long 1 BTC at 30,000 (bought from account 1's
    resting sell) and account 3, a keeper with 1,000 USD. Every command at T0."""
    eng = btc_at_30k(taker_usd)
    ok(eng.create_account(account=3, owner=3, timestamp_ns=T0))
    ok(eng.deposit(account=3, amount=1_000 * USD, timestamp_ns=T0))
    ok(eng.place_order(market=1, account=1, order_id=1, side=Side.SELL, price=usd(30_000),
                       size=1_000, timestamp_ns=T0))
    r = ok(eng.place_order(market=1, account=2, order_id=2, side=Side.BUY, price=usd(30_000),
                           size=1_000, tif=TimeInForce.IOC, timestamp_ns=T0))
    assert r.filled == 1_000
    return eng


# -- parameters ---------------------------------------------------------------------


def test_liquidation_params_defaults_are_the_cpp_defaults() -> None:
    p = pc.LiquidationParams()
    # 80% warning, 1.5% fee of which 5% to the keeper, 10% buffer, chunks of
    # 20% above 100,000 USD (1e11 atoms) with a 30 s cooldown, dYdX's
    # adjustment 1 and spread ratio 1.5, 100,000 USD per command.
    assert (p.warning_threshold, p.fee, p.keeper_share, p.buffer) == (
        Decimal("0.8"), Decimal("0.015"), Decimal("0.05"), Decimal("0.1"))
    assert (p.chunk_threshold, p.chunk_fraction, p.cooldown_ns) == (
        100_000_000_000, Decimal("0.2"), 30_000_000_000)
    assert (p.bankruptcy_adjustment, p.spread_to_maintenance, p.max_notional_per_command) == (
        Decimal(1), Decimal("1.5"), 100_000_000_000)
    # No backstop; its threshold 2/3 (test_backstop.py); loss policy ADL
    # (test_adl.py).
    assert (p.backstop, p.backstop_threshold) == (0, Decimal("0.666666666666666666"))
    assert p.loss_policy is pc.LossPolicy.ADL
    assert pc.MarketParams().liquidation == p


def test_every_liquidation_field_round_trips_through_the_engine() -> None:
    want = all_fields_set()
    eng = pc.Engine()
    ok(eng.create_market(market=1, params=btc_params(liquidation=want), timestamp_ns=T0))
    got = eng.params(1).liquidation
    assert got == want
    rates = [got.warning_threshold, got.fee, got.keeper_share, got.buffer, got.chunk_fraction,
             got.bankruptcy_adjustment, got.spread_to_maintenance, got.backstop_threshold]
    assert all(isinstance(r, Decimal) for r in rates)
    assert rates == [Decimal(s)
                     for s in ("0.9", "0.02", "0.1", "0.05", "0.25", "1.5", "0.1", "0.5")]
    assert (got.chunk_threshold, got.cooldown_ns, got.max_notional_per_command,
            got.backstop, got.loss_policy) == (50_000_000_000, 10_000_000_000, 20_000_000_000, 9,
                                               pc.LossPolicy.NONE)
    # An update back to the defaults replaces every field.
    ok(eng.update_market(market=1, params=btc_params(), timestamp_ns=T0))
    assert eng.params(1).liquidation == pc.LiquidationParams()


def test_market_params_liquidation_is_a_view_that_edits_the_params() -> None:
    p = btc_params()
    p.liquidation.fee = "0.01"  # type: ignore[assignment]
    p.liquidation.cooldown_ns = 0
    assert (p.liquidation.fee, p.liquidation.cooldown_ns) == (Decimal("0.01"), 0)
    assert p != btc_params()
    p.liquidation = pc.LiquidationParams()
    assert p == btc_params()


# Each field one step outside its range (liquidation.hpp, Validate()).
@pytest.mark.parametrize(("field", "bad", "reason"), [
    ("warning_threshold", "1", Reason.LIQUIDATION_INVALID_WARNING_THRESHOLD),
    ("fee", "1.000000000000000001", Reason.LIQUIDATION_INVALID_FEE),
    ("keeper_share", "1.000000000000000001", Reason.LIQUIDATION_INVALID_KEEPER_SHARE),
    ("buffer", "1.000000000000000001", Reason.LIQUIDATION_INVALID_BUFFER),
    ("chunk_threshold", -1, Reason.LIQUIDATION_INVALID_CHUNK_THRESHOLD),
    ("chunk_fraction", "0", Reason.LIQUIDATION_INVALID_CHUNK_FRACTION),
    ("cooldown_ns", 86_400_000_000_001, Reason.LIQUIDATION_INVALID_COOLDOWN),
    ("bankruptcy_adjustment", "0.999999999999999999",
     Reason.LIQUIDATION_INVALID_BANKRUPTCY_ADJUSTMENT),
    ("spread_to_maintenance", "0", Reason.LIQUIDATION_INVALID_SPREAD),
    ("max_notional_per_command", 0, Reason.LIQUIDATION_INVALID_MAX_NOTIONAL),
    ("backstop_threshold", "1.000000000000000001",
     Reason.LIQUIDATION_INVALID_BACKSTOP_THRESHOLD),
])
def test_a_liquidation_field_out_of_range_is_refused_with_its_reason(
        field: str, bad: object, reason: Reason) -> None:
    lp = pc.LiquidationParams()
    setattr(lp, field, bad)
    eng = pc.Engine()
    r = eng.create_market(market=1, params=btc_params(liquidation=lp), timestamp_ns=T0)
    assert (r.reason, r.events) == (reason, [])
    assert eng.markets() == []
    with pytest.raises(pc.InvalidArgumentError, match="liquidation"):
        eng.validate_market(btc_params(liquidation=lp))


def test_a_warning_threshold_just_below_one_is_accepted() -> None:
    # The boundary of the first refusal above: 1 - 1e-18 is inside (0, 1).
    eng = pc.Engine()
    lp = pc.LiquidationParams(warning_threshold="0.999999999999999999")
    ok(eng.create_market(market=1, params=btc_params(liquidation=lp), timestamp_ns=T0))
    assert eng.params(1).liquidation.warning_threshold == Decimal("0.999999999999999999")


def test_liquidation_rates_are_exact_decimals_and_name_the_field() -> None:
    with pytest.raises(TypeError, match="^fee must be a str or decimal.Decimal, not float"):
        pc.LiquidationParams(fee=0.015)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^buffer must be a str or decimal.Decimal in human units"):
        pc.LiquidationParams(buffer=1)  # type: ignore[arg-type]
    with pytest.raises(pc.InvalidArgumentError, match="^keeper_share must be >= 0"):
        pc.LiquidationParams(keeper_share="-0.01")
    with pytest.raises(TypeError, match="argument 'cooldown_ns'"):
        pc.LiquidationParams(cooldown_ns=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="liquidation"):
        pc.MarketParams(liquidation=pc.FundingParams())  # type: ignore[arg-type]


# -- enums and events ---------------------------------------------------------------


def test_health_and_the_new_enum_members_are_pinned() -> None:
    assert [(h.name, h.value) for h in Health] == [
        ("HEALTHY", 0), ("WARNING", 1), ("LIQUIDATABLE", 2), ("BANKRUPT", 3)]
    assert CancelReason.LIQUIDATION.value == 7
    assert (EngineEventKind.LIQUIDATION.value, EngineEventKind.INSURANCE_COVER.value,
            EngineEventKind.SHORTFALL.value) == (24, 25, 26)
    assert [Reason.WITHDRAWALS_GATED.value, Reason.LIQUIDATION_NOT_LIQUIDATABLE.value,
            Reason.LIQUIDATION_SELF.value, Reason.LIQUIDATION_INVALID_SIZE.value,
            Reason.LIQUIDATION_NO_POSITION.value] == [509, 810, 811, 812, 813]
    assert pc.reason_message(Reason.LIQUIDATION_SELF) == (
        "the keeper account is the account being liquidated")


def test_liquidation_events_build_compare_and_read_health_as_the_enum() -> None:
    e = Liquidation(market=1, account=2, keeper=3, order_id=9, isolated=True,
                    health=Health.BANKRUPT, closed=5, position=-1, limit=7,
                    closed_notional=11, fee=13, keeper_fee=1)
    assert e.health is Health.BANKRUPT
    assert (e.isolated, e.closed, e.position, e.fee, e.keeper_fee) == (True, 5, -1, 13, 1)
    assert e.kind == EngineEventKind.LIQUIDATION
    assert e == Liquidation(market=1, account=2, keeper=3, order_id=9, isolated=True,
                            health=Health.BANKRUPT,
                            closed=5, position=-1, limit=7, closed_notional=11, fee=13,
                            keeper_fee=1)
    assert e != Liquidation()
    assert repr(Liquidation(health=Health.LIQUIDATABLE)).startswith(
        "Liquidation(market=0, account=0, keeper=0, order_id=0, isolated=False, "
        "health=Health.LIQUIDATABLE,")
    assert InsuranceCover(market=1, account=2, amount=5).kind == EngineEventKind.INSURANCE_COVER
    assert Shortfall(amount=-5).amount == -5
    assert Shortfall().kind == EngineEventKind.SHORTFALL
    with pytest.raises(TypeError, match="isolated"):
        Liquidation(isolated=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="argument 'health' must be Health, not int"):
        Liquidation(health=3)  # type: ignore[arg-type]


def test_a_margin_warning_event_builds_compares_and_is_emitted_by_a_command() -> None:
    e = MarginWarning(account=2, market=1, set=True, equity=5, maintenance=4)
    assert e.kind == EngineEventKind.MARGIN_WARNING
    assert EngineEventKind.MARGIN_WARNING.value == 27
    assert (e.account, e.market, e.set, e.equity, e.maintenance) == (2, 1, True, 5, 4)
    assert e != MarginWarning()
    # The long of test_a_long_at_high_leverage_is_liquidated_after_the_index_drops:
    # at 29,800 its equity is 85,000,000 against 119,200,000 of maintenance
    # (liquidatable, so warning or worse). The price update emits the set
    # event; a deposit of 1 atom then emits no warning (it stays warned).
    eng = long_1_btc(taker_usd=300)
    t1 = T0 + 1_000_000_000
    r = ok(eng.oracle_price(market=1, source=1, price=usd(29_800), timestamp_ns=t1))
    assert r.events[-1] == MarginWarning(account=2, market=0, set=True, equity=85_000_000,
                                         maintenance=119_200_000)
    assert [type(x).__name__ for x in ok(eng.deposit(account=2, amount=1,
                                                     timestamp_ns=t1)).events] == ["Deposit"]


# -- the command's refusals ---------------------------------------------------------------


# In the documented order: accounts, self, size, market, position, health.
@pytest.mark.parametrize(("market", "account", "keeper", "max_size", "reason"), [
    (1, 99, 3, 1, Reason.UNKNOWN_ACCOUNT),
    (1, 2, 99, 1, Reason.UNKNOWN_ACCOUNT),
    (1, 99, 99, 1, Reason.UNKNOWN_ACCOUNT),  # unknown before self
    (1, 2, 2, 1, Reason.LIQUIDATION_SELF),
    (9, 2, 2, 0, Reason.LIQUIDATION_SELF),  # self before size and market
    (1, 2, 3, 0, Reason.LIQUIDATION_INVALID_SIZE),
    (1, 2, 3, -1, Reason.LIQUIDATION_INVALID_SIZE),
    (9, 2, 3, 0, Reason.LIQUIDATION_INVALID_SIZE),  # size before market
    (9, 2, 3, 1, Reason.UNKNOWN_MARKET),
    (1, 2, 3, 1, Reason.LIQUIDATION_NOT_LIQUIDATABLE),  # 1 lot: the smallest size
    (1, 2, 3, None, Reason.LIQUIDATION_NOT_LIQUIDATABLE),  # None: no cap
    (0, 2, 3, None, Reason.LIQUIDATION_NOT_LIQUIDATABLE),  # the engine's choice
])
def test_liquidate_refuses_bad_input_with_its_reason_and_changes_nothing(
        market: int, account: int, keeper: int, max_size: int | None, reason: Reason) -> None:
    eng = long_1_btc()
    before = [eng.summary(a) for a in (1, 2, 3)], eng.insurance_fund, eng.shortfall
    seq = eng.last_seq + 1
    r = eng.liquidate(market=market, account=account, keeper=keeper, max_size=max_size,
                      timestamp_ns=T0)
    assert (r.reason, r.events, r.filled, r.seq) == (reason, [], 0, seq)
    after = [eng.summary(a) for a in (1, 2, 3)], eng.insurance_fund, eng.shortfall
    assert repr(after) == repr(before)
    eng.check_invariants()


def test_liquidating_an_account_without_a_position_in_the_market_is_refused() -> None:
    eng = long_1_btc()
    # Account 3 (the keeper) has cash and no position: account 2 liquidates it.
    r = eng.liquidate(market=1, account=3, keeper=2, timestamp_ns=T0)
    assert (r.reason, r.events) == (Reason.LIQUIDATION_NO_POSITION, [])


def test_liquidate_names_a_wrong_argument() -> None:
    eng = long_1_btc()
    with pytest.raises(TypeError, match="argument 'keeper' must be int, not str"):
        eng.liquidate(account=2, keeper="3", timestamp_ns=T0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="argument 'max_size' must be int or None, not float"):
        eng.liquidate(account=2, keeper=3, max_size=1.5, timestamp_ns=T0)  # type: ignore[arg-type]
    with pytest.raises(pc.OutOfRangeError, match="argument 'max_size' = 9223372036854775808"):
        eng.liquidate(account=2, keeper=3, max_size=2**63, timestamp_ns=T0)
    with pytest.raises(TypeError):
        eng.liquidate(account=2, keeper=3, size=1, timestamp_ns=T0)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        eng.liquidate(2, 3, timestamp_ns=T0)  # type: ignore[misc, call-arg]
    assert eng.last_seq == 10  # nothing consumed a seq


# -- queries ------------------------------------------------------------------------------


def test_a_healthy_engine_has_no_candidates_and_no_shortfall() -> None:
    eng = long_1_btc()
    assert eng.liquidatable(10) == []
    assert eng.liquidatable(0) == []
    assert eng.shortfall == 0
    with pytest.raises(pc.InvalidArgumentError, match="^limit must be >= 0, not -1"):
        eng.liquidatable(-1)
    with pytest.raises(TypeError, match="argument 'limit'"):
        eng.liquidatable(None)  # type: ignore[arg-type]


def test_the_summary_shows_a_healthy_long_s_health() -> None:
    # Account 2 paid 3e10 atoms for 1 BTC and a 5 bp taker fee, 15,000,000:
    # cash 1e10 - 3e10 - 1.5e7 = -20,015,000,000. At the mark (the index,
    # 30,000) the position is worth 3e10, so health_equity = 9,985,000,000;
    # maintenance 0.4% of 3e10 = 120,000,000; the buffer 9,865,000,000; a
    # margin ratio of 1.2% is far from the 80% warning.
    s = long_1_btc().summary(2)
    assert (s.cash, s.health_equity, s.maintenance_requirement) == (
        -20_015_000_000, 9_985_000_000, 120_000_000)
    assert (s.liquidation_buffer, s.health, s.liquidatable) == (
        9_865_000_000, Health.HEALTHY, False)
    assert "health=Health.HEALTHY, health_equity=9985000000" in repr(s)


# -- end to end ---------------------------------------------------------------------------


def test_a_long_at_high_leverage_is_liquidated_after_the_index_drops() -> None:
    # Account 2 deposits 300 USD and buys 1 BTC at 30,000 (125x allows it: 0.8%
    # initial = 240 USD): cash 3e8 - 3e10 - 15,000,000 (5 bp) = -29,715,000,000.
    # Account 1 bids 1 BTC at 29,750 (297,500 ticks); the ask side stays empty
    # (no impact ask, no basis), so the mark is the index. The index drops to
    # 29,800 (298,000 ticks):
    #   health_equity = -29,715,000,000 + 1,000 * 298,000 * 100 = 85,000,000
    #   maintenance   = 0.4% of 29,800,000,000 = 119,200,000 > equity
    # Size: closing frees 0.4% * 1.1 = 0.44% of notional per lot, less than
    # the fees take (1.5% + 5 bp): the whole position, 1,000 lots. The limit's
    # equity is net of the taker fee of a full close at the mark, 5 bp of
    # 2.98e10 = 14,900,000: E' = 70,100,000;
    #   fillable   = 298,000 - floor((119,200,000 - 70,100,000) * 1.5 / 100,000)
    #              = 298,000 - floor(736.5) = 297,264
    #   bankruptcy = 298,000 - floor(70,100,000 / 100,000) = 297,299
    #   limit      = max(297,264, 297,299) = 297,299 (inside the 5% band).
    # The IOC sells 1,000 lots to the bid at 297,500: closed_notional
    # 29,750,000,000, taker fee 14,875,000, so
    # -29,715,000,000 + 29,750,000,000 - 14,875,000 = 20,125,000 is left; the
    # fee is min(ceil(1.5% * 2.975e10) = 446,250,000, 20,125,000) =
    # 20,125,000, the keeper's floor(5%) = 1,006,250, the insurance fund's
    # 19,118,750. Nothing is left below zero: no cover, no shortfall.
    eng = long_1_btc(taker_usd=300)
    ok(eng.place_order(market=1, account=1, order_id=3, side=Side.BUY, price=usd(29_750),
                       size=1_000, timestamp_ns=T0))
    assert eng.liquidate(account=2, keeper=3, timestamp_ns=T0).reason == (
        Reason.LIQUIDATION_NOT_LIQUIDATABLE)
    t1 = T0 + 1_000_000_000
    ok(eng.oracle_price(market=1, source=1, price=usd(29_800), timestamp_ns=t1))
    s = eng.summary(2)
    assert (s.cash, s.health_equity, s.maintenance_requirement, s.liquidation_buffer) == (
        -29_715_000_000, 85_000_000, 119_200_000, -34_200_000)
    assert (s.health, s.liquidatable) == (Health.LIQUIDATABLE, True)
    assert (s.positions[0].health, s.positions[0].liquidation_buffer) == (
        Health.LIQUIDATABLE, -34_200_000)
    [c] = eng.liquidatable(10)
    assert (c.account, c.market, c.health, c.equity, c.maintenance) == (
        2, 0, Health.LIQUIDATABLE, 85_000_000, 119_200_000)
    insurance, keeper_cash = eng.insurance_fund, eng.summary(3).cash

    r = ok(eng.liquidate(account=2, keeper=3, timestamp_ns=t1))
    assert r.filled == 1_000
    # The warning the price update set is cleared: nothing is left.
    assert [type(e).__name__ for e in r.events] == ["Fill", "Liquidation", "MarginWarning"]
    assert r.events[2] == MarginWarning(account=2, market=0, set=False, equity=0, maintenance=0)
    fill = r.events[0]
    assert isinstance(fill, pc.Fill)
    assert (fill.price, fill.size, fill.taker.account, fill.taker.fee) == (
        297_500, 1_000, 2, 14_875_000)
    assert r.events[1] == Liquidation(
        market=1, account=2, keeper=3, order_id=(1 << 63) | r.seq, isolated=False,
        health=Health.LIQUIDATABLE, closed=1_000, position=0, limit=297_299,
        closed_notional=29_750_000_000, fee=20_125_000, keeper_fee=1_006_250)
    assert eng.insurance_fund - insurance == 19_118_750
    assert eng.summary(3).cash - keeper_cash == 1_006_250
    after = eng.summary(2)
    assert (after.cash, after.positions, after.health) == (0, [], Health.HEALTHY)
    assert (eng.shortfall, eng.liquidatable(10)) == (0, [])
    eng.check_invariants()


def test_a_bankrupt_long_s_deficit_is_covered_by_the_insurance_fund_then_left_as_shortfall() -> None:
    # As above, with 100 USD in the insurance fund and account 1's bid at
    # 29,500. The index drops to 29,600 (296,000 ticks):
    #   health_equity = -29,715,000,000 + 29,600,000,000 = -115,000,000 < 0: BANKRUPT
    #   maintenance   = 0.4% of 29,600,000,000 = 118,400,000
    # The whole position goes (the fees outweigh the maintenance freed). A
    # bankrupt account's limit is the fillable price alone: its equity net of
    # the taker fee at the mark (14,800,000) is -129,800,000, so the adjusted
    # rating clamps to 1 and the spread is the full 1.5 * 118,400,000 =
    # 177,600,000 atoms, 1,776 ticks: limit = 296,000 - 1,776 = 294,224. The
    # IOC sells to the bid at 295,000: closed_notional 29,500,000,000, taker
    # fee 14,750,000, leaving -29,715,000,000 + 29,500,000,000 - 14,750,000 =
    # -229,750,000: no liquidation fee (nothing above zero). No cross
    # position is left, so the insurance fund pays in all it has,
    # 100,000,000, and the shortfall takes the remaining 129,750,000; the
    # account's cash is then 0. Withdrawals wait until fund_insurance() pays
    # the shortfall: 200 USD cover the 129,750,000 and leave 70,250,000 in
    # the fund. The market's loss policy is NONE: the book, the fund and the
    # shortfall alone (with ADL, the default, the fund short of the deficit
    # would deleverage account 1's short first: test_adl.py).
    eng = long_1_btc(taker_usd=300)
    none = btc_params(liquidation=pc.LiquidationParams(loss_policy=pc.LossPolicy.NONE))
    ok(eng.update_market(market=1, params=none, timestamp_ns=T0))
    ok(eng.fund_insurance(amount=100 * USD, timestamp_ns=T0))
    ok(eng.place_order(market=1, account=1, order_id=3, side=Side.BUY, price=usd(29_500),
                       size=1_000, timestamp_ns=T0))
    t1 = T0 + 1_000_000_000
    ok(eng.oracle_price(market=1, source=1, price=usd(29_600), timestamp_ns=t1))
    s = eng.summary(2)
    assert (s.health_equity, s.maintenance_requirement, s.health) == (
        -115_000_000, 118_400_000, Health.BANKRUPT)

    r = ok(eng.liquidate(market=1, account=2, keeper=3, max_size=None, timestamp_ns=t1))
    assert [type(e).__name__ for e in r.events] == [
        "Fill", "Liquidation", "InsuranceCover", "Shortfall", "MarginWarning"]
    assert r.events[1] == Liquidation(
        market=1, account=2, keeper=3, order_id=(1 << 63) | r.seq, isolated=False,
        health=Health.BANKRUPT, closed=1_000, position=0, limit=294_224,
        closed_notional=29_500_000_000, fee=0, keeper_fee=0)
    assert r.events[2:] == [InsuranceCover(market=0, account=2, amount=100_000_000),
                            Shortfall(market=0, account=2, amount=129_750_000),
                            MarginWarning(account=2, market=0, set=False, equity=0,
                                          maintenance=0)]
    assert (eng.insurance_fund, eng.shortfall, eng.summary(2).cash) == (0, 129_750_000, 0)
    eng.check_invariants()

    assert eng.withdraw(account=1, amount=1, timestamp_ns=t1).reason == Reason.WITHDRAWALS_GATED
    paid = ok(eng.fund_insurance(amount=200 * USD, timestamp_ns=t1))
    assert Shortfall(market=0, account=0, amount=-129_750_000) in paid.events
    assert (eng.insurance_fund, eng.shortfall) == (70_250_000, 0)
    ok(eng.withdraw(account=1, amount=1, timestamp_ns=t1))
    eng.check_invariants()


def test_max_size_caps_the_lots_a_liquidation_closes() -> None:
    # The first end-to-end case with max_size=400: the limit is the same
    # (it is priced for the whole position), 297,299; 400 lots sell to the
    # bid at 297,500: closed_notional = 400 * 297,500 * 100 = 11,900,000,000,
    # taker fee 5,950,000, so cash = -29,715,000,000 + 11,900,000,000 -
    # 5,950,000 = -17,820,950,000 and the 600 lots left are worth
    # 600 * 298,000 * 100 = 17,880,000,000 at the mark: 59,050,000 above zero.
    # The fee is min(ceil(1.5% * 1.19e10) = 178,500,000, 59,050,000) =
    # 59,050,000, the keeper's floor(5%) = 2,952,500, the fund's 56,097,500.
    eng = long_1_btc(taker_usd=300)
    ok(eng.place_order(market=1, account=1, order_id=3, side=Side.BUY, price=usd(29_750),
                       size=1_000, timestamp_ns=T0))
    t1 = T0 + 1_000_000_000
    ok(eng.oracle_price(market=1, source=1, price=usd(29_800), timestamp_ns=t1))
    insurance = eng.insurance_fund
    r = ok(eng.liquidate(market=1, account=2, keeper=3, max_size=400, timestamp_ns=t1))
    assert r.filled == 400
    # The partial close leaves it liquidatable (equity 0 after the fee): the
    # warning the price update set stays, no event.
    assert not any(isinstance(e, MarginWarning) for e in r.events)
    assert r.events[-1] == Liquidation(
        market=1, account=2, keeper=3, order_id=(1 << 63) | r.seq, isolated=False,
        health=Health.LIQUIDATABLE, closed=400, position=600, limit=297_299,
        closed_notional=11_900_000_000, fee=59_050_000, keeper_fee=2_952_500)
    assert eng.insurance_fund - insurance == 56_097_500
    assert eng.summary(2).positions[0].size == 600
    eng.check_invariants()
