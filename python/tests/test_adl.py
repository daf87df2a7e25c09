"""Auto-deleveraging through the Python binding: LossPolicy and
LiquidationParams.loss_policy, the Deleveraged event, Engine.adl_rank() and
Engine.liquidate() closing a bankrupt long against the ranked shorts.

The market is MarketParams()'s defaults (BTC-USD, a 0.1 USD tick, a 0.001 BTC
lot at 6 quote decimals: 100 atoms per tick-lot, 30,000 USD = 300,000 ticks;
one margin tier, 20x with 1% maintenance) without fees, funding, a price band
or a mark away from the index (mark_cap 0), with liquidation fee 0, no
backstop and the default loss policy ADL, as tests/engine/scenario_adl_test.cpp
has it. The rules are perpcore/engine/engine.hpp's "Auto-deleveraging"
section; the expected values are worked out by hand in the comments (the
figures of that file's first example and of
tests/c_api/c_api_liquidation_test.c).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import perpcore as pc
from enginekit import T0, USD, ok
from perpcore import (
    AdlRank,
    Deleveraged,
    EngineEventKind,
    LossPolicy,
    MarginWarning,
    Reason,
    Side,
    TimeInForce,
)

TARGET, SHORT_A, SHORT_B, BIDDER, KEEPER = 1, 2, 3, 101, 102
ENTRY, CRASH = 300_000, 284_000  # 30,000 and 28,400 USD in ticks


def adl_params(loss_policy: LossPolicy = LossPolicy.ADL) -> pc.MarketParams:
    """The test market: the defaults without fees, funding, band or mark cap,
    liquidation fee 0, the given loss policy."""
    p = pc.MarketParams(max_price=10_000_000, price_band=Decimal(0), maker_fee=Decimal(0),
                        taker_fee=Decimal(0))
    p.oracle.mark_cap = Decimal(0)
    p.funding.model = pc.FundingModel.NONE
    p.liquidation.fee = Decimal(0)
    p.liquidation.loss_policy = loss_policy
    return p


def bankrupt_long() -> pc.Engine:
    """Market 1 indexed at 300,000; accounts in creation order: the bidder with
    10M USD, the keeper with nothing, the target with 1.5e9 atoms, short A
    with 1e9 (no leverage chosen: 20x), short B with 2.4e9 (leverage 5). A
    offers 600 lots and B 400 at 300,000, the target buys all 1,000 (IOC), and
    the index drops to 284,000. Every command at T0."""
    eng = pc.Engine()
    ok(eng.create_market(market=1, params=adl_params(), timestamp_ns=T0))
    ok(eng.oracle_price(market=1, source=1, price=ENTRY, timestamp_ns=T0))
    for account, atoms in ((BIDDER, 10_000_000 * USD), (KEEPER, 0), (TARGET, 1_500_000_000),
                           (SHORT_A, 1_000_000_000), (SHORT_B, 2_400_000_000)):
        ok(eng.create_account(account=account, owner=account, timestamp_ns=T0))
        if atoms:
            ok(eng.deposit(account=account, amount=atoms, timestamp_ns=T0))
    ok(eng.set_leverage(market=1, account=SHORT_B, leverage=5, timestamp_ns=T0))
    ok(eng.place_order(market=1, account=SHORT_A, order_id=1, side=Side.SELL, price=ENTRY,
                       size=600, timestamp_ns=T0))
    ok(eng.place_order(market=1, account=SHORT_B, order_id=2, side=Side.SELL, price=ENTRY,
                       size=400, timestamp_ns=T0))
    r = ok(eng.place_order(market=1, account=TARGET, order_id=3, side=Side.BUY, price=ENTRY,
                           size=1_000, tif=TimeInForce.IOC, timestamp_ns=T0))
    assert r.filled == 1_000
    ok(eng.oracle_price(market=1, source=1, price=CRASH, timestamp_ns=T0))
    return eng


# -- parameters, enums and events ---------------------------------------------------


def test_the_adl_defaults_and_pins() -> None:
    assert [(m.name, m.value) for m in LossPolicy] == [("ADL", 0), ("NONE", 1)]
    p = pc.LiquidationParams()
    assert p.loss_policy is LossPolicy.ADL
    assert pc.MarketParams().liquidation == p
    assert repr(p).endswith("backstop=0, backstop_threshold=Decimal('0.666666666666666666'), "
                            "loss_policy=LossPolicy.ADL)")
    assert EngineEventKind.DELEVERAGED.value == 31
    assert Reason.LIQUIDATION_INVALID_LOSS_POLICY.value == 818
    assert pc.reason_message(Reason.LIQUIDATION_INVALID_LOSS_POLICY) == (
        "the loss policy must be ADL (0) or NONE (1)")
    # The test market's one tier, which the worked figures below assume.
    assert [(t.notional_floor, t.max_leverage, t.maintenance_rate)
            for t in adl_params().tiers] == [(0, 20, Decimal("0.01"))]


def test_the_loss_policy_round_trips_and_an_update_replaces_it() -> None:
    eng = pc.Engine()
    ok(eng.create_market(market=1, params=adl_params(LossPolicy.NONE), timestamp_ns=T0))
    assert eng.params(1).liquidation.loss_policy is LossPolicy.NONE
    assert eng.params(1) == adl_params(LossPolicy.NONE)
    ok(eng.update_market(market=1, params=adl_params(), timestamp_ns=T0))
    assert eng.params(1).liquidation.loss_policy is LossPolicy.ADL
    lp = pc.LiquidationParams(loss_policy=LossPolicy.NONE)
    assert (lp.loss_policy, lp != pc.LiquidationParams()) == (LossPolicy.NONE, True)


def test_deleveraged_events_build_and_compare() -> None:
    e = Deleveraged(market=1, account=2, counterparty=9, isolated=True, size=-5, price=7,
                    equity=-11, position=-3, counterparty_position=4)
    assert (e.market, e.account, e.counterparty, e.isolated, e.size, e.price, e.equity,
            e.position, e.counterparty_position) == (1, 2, 9, True, -5, 7, -11, -3, 4)
    assert e.kind == EngineEventKind.DELEVERAGED
    assert e == Deleveraged(market=1, account=2, counterparty=9, isolated=True, size=-5,
                            price=7, equity=-11, position=-3, counterparty_position=4)
    assert e != Deleveraged()
    assert repr(Deleveraged(size=3)) == (
        "Deleveraged(market=0, account=0, counterparty=0, isolated=False, size=3, price=0, "
        "equity=0, position=0, counterparty_position=0)")
    with pytest.raises(TypeError, match="isolated"):
        Deleveraged(isolated=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        hash(e)


# -- refusals -----------------------------------------------------------------------


def test_a_loss_policy_outside_the_enum_is_refused_and_nothing_is_created() -> None:
    # The binding admits only LossPolicy members: a plain int is a TypeError
    # naming the argument, before any engine sees it.
    with pytest.raises(TypeError, match="argument 'loss_policy' must be LossPolicy, not int"):
        pc.LiquidationParams(loss_policy=2)  # type: ignore[arg-type]
    lp = pc.LiquidationParams()
    with pytest.raises(TypeError):
        lp.loss_policy = 1  # type: ignore[assignment]
    with pytest.raises(ValueError):
        LossPolicy(2)
    # A LossPolicy instance that is no member (int.__new__, which no caller
    # should use) passes the binding and reaches the engine's own check:
    # refused with 818 and its message, no event, no market.
    lp.loss_policy = int.__new__(LossPolicy, 2)
    eng = pc.Engine()
    seq = eng.last_seq + 1
    r = eng.create_market(market=1, params=pc.MarketParams(liquidation=lp), timestamp_ns=T0)
    assert (r.reason, r.seq, r.events, r.ok) == (
        Reason.LIQUIDATION_INVALID_LOSS_POLICY, seq, [], False)
    assert r.reason.value == 818
    assert pc.reason_message(r.reason) == "the loss policy must be ADL (0) or NONE (1)"
    assert eng.markets() == []
    with pytest.raises(pc.InvalidArgumentError, match="^MarketParams.liquidation: the loss "
                                                      "policy must be ADL"):
        eng.validate_market(pc.MarketParams(liquidation=lp))
    # An update to it is refused too; the market keeps its params.
    ok(eng.create_market(market=1, params=adl_params(LossPolicy.NONE), timestamp_ns=T0))
    bad = adl_params()
    bad.liquidation = lp
    r = eng.update_market(market=1, params=bad, timestamp_ns=T0)
    assert (r.reason, r.events) == (Reason.LIQUIDATION_INVALID_LOSS_POLICY, [])
    assert eng.params(1) == adl_params(LossPolicy.NONE)


# -- the ADL light ------------------------------------------------------------------


def test_adl_rank_shows_each_positions_place_on_its_side() -> None:
    # At the mark 284,000 both shorts have PnL% (300,000 - 284,000) / 300,000;
    # times the leverage setting, 20 for A (none chosen: the market's 20x)
    # and 5 for B: A ranks first, rank 0 of 2, bucket 4 - floor(5 * 0 / 2) =
    # 4; B rank 1 of 2, bucket 4 - floor(5 * 1 / 2) = 2. The target is alone
    # on its side: rank 0 of 1, bucket 4.
    eng = bankrupt_long()
    a, b, t = eng.adl_rank(SHORT_A, 1), eng.adl_rank(SHORT_B, 1), eng.adl_rank(TARGET, 1)
    assert (a.rank, a.count, a.bucket) == (0, 2, 4)
    assert (b.rank, b.count, b.bucket) == (1, 2, 2)
    assert (t.rank, t.count, t.bucket) == (0, 1, 4)
    assert eng.adl_rank(account=SHORT_B, market=1) == b
    assert a != b
    assert repr(b) == "AdlRank(rank=1, count=2, bucket=2)"
    assert isinstance(a, AdlRank)


@pytest.mark.parametrize(("account", "market", "message"), [
    (77, 1, "unknown account 77"),
    (TARGET, 9, "unknown market 9"),
    (BIDDER, 1, "account 101 has no position in market 1"),
])
def test_adl_rank_raises_not_found(account: int, market: int, message: str) -> None:
    eng = bankrupt_long()
    with pytest.raises(pc.NotFoundError, match=f"^{message}$"):
        eng.adl_rank(account, market)


# -- the worked example -------------------------------------------------------------


def test_a_bankrupt_long_the_fund_cannot_cover_closes_against_the_ranked_shorts() -> None:
    # The target paid 1,000 * 300,000 * 100 = 3e10 on 1.5e9: cash -2.85e10. At
    # the mark 284,000:
    #   equity      E = -2.85e10 + 1,000 * 284,000 * 100 = -1e8 (bankrupt)
    #   maintenance 1% of 2.84e10 = 2.84e8
    # With the fund empty, E + 0 < 0: the target is deleveraged first, against
    # the shorts in their ranking, each at the mark with the target's equity
    # share floor(E * lots / its lots) moved to it (<= 0: it pays it in):
    #   A: 600 lots (all it has), share floor(-1e8 * 600 / 1,000) = -6e7; it
    #      stays not liquidatable (maintenance 0 after, equity 1e9 + 600 *
    #      16,000 * 100 - 6e7 = 1.9e9 >= 0). The target keeps 400 lots with
    #      E = -1e8 + 6e7 = -4e7;
    #   B: 400 lots, share floor(-4e7 * 400 / 400) = -4e7.
    # Both trades are at the bankruptcy price 284,000 + 1e8 / (1,000 * 100) =
    # 285,000, exactly:
    #   target cash -2.85e10 + 2.84e10 + 6e7 + 4e7 = 0
    #   A cash      1e9 + 600 * 300,000 * 100 - 600 * 284,000 * 100 - 6e7 = 1.9e9
    #   B cash      2.4e9 + 400 * 300,000 * 100 - 400 * 284,000 * 100 - 4e7 = 3.0e9
    # Nothing is left for the book: no order, no Fill, no Liquidation, no fee
    # (filled 0; the keeper gets nothing), no insurance cover, no shortfall;
    # the target's warning, set by the price drop, is cleared.
    eng = bankrupt_long()
    s = eng.summary(TARGET)
    assert (s.cash, s.health_equity, s.maintenance_requirement, s.health) == (
        -28_500_000_000, -100_000_000, 284_000_000, pc.Health.BANKRUPT)
    assert eng.insurance_fund == 0

    r = ok(eng.liquidate(market=1, account=TARGET, keeper=KEEPER, timestamp_ns=T0))
    assert (r.filled, r.rested) == (0, 0)
    assert r.events == [
        Deleveraged(market=1, account=TARGET, counterparty=SHORT_A, isolated=False, size=600,
                    price=CRASH, equity=-60_000_000, position=400, counterparty_position=0),
        Deleveraged(market=1, account=TARGET, counterparty=SHORT_B, isolated=False, size=400,
                    price=CRASH, equity=-40_000_000, position=0, counterparty_position=0),
        MarginWarning(account=TARGET, market=0, set=False, equity=0, maintenance=0),
    ]
    assert [(a, eng.summary(a).cash, eng.summary(a).positions)
            for a in (TARGET, SHORT_A, SHORT_B, KEEPER)] == [
        (TARGET, 0, []), (SHORT_A, 1_900_000_000, []), (SHORT_B, 3_000_000_000, []),
        (KEEPER, 0, [])]
    assert (eng.insurance_fund, eng.shortfall) == (0, 0)
    st = eng.stats(1)
    assert (st.open_interest_long, st.open_interest_short) == (0, 0)
    assert st.volume == 1_000  # the entry only: deleveraging is off the book
    with pytest.raises(pc.NotFoundError, match="has no position"):
        eng.adl_rank(TARGET, 1)
    eng.check_invariants()


def test_with_the_loss_policy_none_the_deficit_stays_in_the_shortfall() -> None:
    # The same crash on a market with LossPolicy.NONE and a bid for the whole
    # position at the mark (the bidder): the book sells the 1,000 lots at
    # 284,000 (Liquidation, no Deleveraged), the target's cash -2.85e10 +
    # 2.84e10 = -1e8 with the fund empty goes to the shortfall; the shorts
    # keep their positions.
    eng = bankrupt_long()
    ok(eng.update_market(market=1, params=adl_params(LossPolicy.NONE), timestamp_ns=T0))
    ok(eng.place_order(market=1, account=BIDDER, order_id=9, side=Side.BUY, price=CRASH,
                       size=1_000, timestamp_ns=T0))
    r = ok(eng.liquidate(market=1, account=TARGET, keeper=KEEPER, timestamp_ns=T0))
    assert r.filled == 1_000
    assert not [e for e in r.events if isinstance(e, Deleveraged)]
    assert [e.closed for e in r.events if isinstance(e, pc.Liquidation)] == [1_000]
    assert (eng.insurance_fund, eng.shortfall) == (0, 100_000_000)
    assert eng.summary(TARGET).cash == 0
    assert [p.size for p in eng.summary(SHORT_A).positions] == [-600]
    eng.check_invariants()
