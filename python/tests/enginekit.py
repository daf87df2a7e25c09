"""Shared setup for the engine tests (not a test module).

The test market mirrors tests/engine/engine_test.cpp: BTC-USD with a 0.1 USD
tick and a 0.001 BTC lot at 6 quote decimals (USDC atoms), so one tick of one
lot is 0.1 * 0.001 USD = 100 atoms, 30,000 USD is 300,000 ticks, 1 BTC is
1,000 lots, and 1 BTC at 30,000 is 3e10 atoms. Binance USD-M BTCUSDT's first
brackets: 0-50k USD 125x 0.40%, 50k-250k 100x 0.50%, 250k-1M 50x 1.00%.
"""

from __future__ import annotations

from decimal import Decimal

import perpcore as pc

USD = 1_000_000  # atoms per USD
BTC = 1_000  # lots per BTC
T0 = 1_000_000_000  # the first timestamp, ns


def usd(dollars: int) -> int:
    """Dollars as ticks of 0.1 USD."""
    return dollars * 10


def bp(n: int) -> Decimal:
    """n basis points as a rate (a Decimal fraction, exact): bp(5) == Decimal("0.0005")."""
    return Decimal(n).scaleb(-4)


def btc_params(**overrides: object) -> pc.MarketParams:
    """The test market's parameters; keyword overrides replace fields."""
    p = pc.MarketParams(
        symbol="BTC-USD",
        tick_size="0.1",
        lot_size="0.001",
        max_order_size=100 * BTC,
        max_open_interest=1_000 * BTC,
        max_price=usd(1_000_000),
        max_leverage=125,
        tiers=[
            pc.MarginTier(notional_floor=0, max_leverage=125, maintenance_rate="0.004"),
            pc.MarginTier(notional_floor=50_000 * USD, max_leverage=100,
                          maintenance_rate="0.005"),
            pc.MarginTier(notional_floor=250_000 * USD, max_leverage=50,
                          maintenance_rate="0.01"),
        ],
        maker_fee=bp(1),
        taker_fee=bp(5),
    )
    for name, value in overrides.items():
        setattr(p, name, value)
    return p


def btc_at_30k(taker_usd: int = 10_000, config: pc.EngineConfig | None = None) -> pc.Engine:
    """An engine with market 1 (BTC) indexed at 30,000, a maker (account 1) with
    100k USD and a taker (account 2) with `taker_usd`. Every command at T0."""
    eng = pc.Engine(config)
    ok(eng.create_market(market=1, params=btc_params(), timestamp_ns=T0))
    ok(eng.oracle_price(market=1, source=1, price=usd(30_000), timestamp_ns=T0))
    for account, dollars in ((1, 100_000), (2, taker_usd)):
        ok(eng.create_account(account=account, owner=account, timestamp_ns=T0))
        if dollars:
            ok(eng.deposit(account=account, amount=dollars * USD, timestamp_ns=T0))
    eng.check_invariants()
    return eng


def ok(r: pc.Result) -> pc.Result:
    """r, after checking it was accepted."""
    assert r.ok, r
    return r
