#!/usr/bin/python3
"""A small market with a few agents, plotted: perpcore from Python.

One BTC-USD perpetual (tick 0.1 USD, lot 0.001 BTC, USDC with 6 decimals)
with funding on: the premium model (an 8-hour rate: interest 0.01%, band
0.05%, cap 0.75%) sampled from the book every 5 s at a 10,000 USD impact
notional and paid at the index every minute (venues pay every hour or 8
hours; a minute shows ten intervals in the default run).
Every step (one simulated second):
  * the oracle: two sources publish a random-walk price (with a crash of 6%
    at 60% of the run), a little noise each; then a time tick, which takes
    the funding sample when one is due and closes the interval at its end;
  * a market maker (account 1) cancels its quotes and quotes five levels a
    side around the mark, skewed against its inventory, with one bulk call;
  * a trend follower (account 2) compares a fast and a slow average of the
    mark and buys or sells with market orders up to a position limit;
  * three noise traders (accounts 3-5) send small random market orders.
Money is exact integers throughout, rates exact Decimals; floats appear only
in the plot. Funding settles lazily: a position pays or receives what it
accrued when a fill touches it (FundingSettled events), and is pending until
then.

Writes a PNG with the index, the mark and the trades over time, the trend
follower's position, the funding of each interval (its premium, the
premium samples, and the rate: the interest rate while the premium stays
within the band around it), the mark - index basis, and the order book
depth at the end.

Usage: PYTHONPATH=build/python python3 examples/engine_agents.py
           [--steps N] [--seed S] [--out engine_agents.png]
Needs matplotlib (Debian: apt-get install python3-matplotlib); exits with
status 77 (skipped) if it is missing.
"""

from __future__ import annotations

import argparse
import random
import sys
from decimal import Decimal

import numpy as np

import perpcore as pc
from perpcore import units

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:  # pragma: no cover - the ctest skips on 77
    print("engine_agents: matplotlib is missing (apt-get install python3-matplotlib); skipped")
    sys.exit(77)

SECOND = 1_000_000_000
MARKET = 1


def main() -> int:
    ap = argparse.ArgumentParser(description="perpcore agents example")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="engine_agents.png")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    eng = pc.Engine(pc.EngineConfig(quote_decimals=6))
    params = pc.MarketParams(
        symbol="BTC-USD", tick_size="0.1", lot_size="0.001", max_order_size=100_000,
        max_open_interest=1_000_000, max_price=10_000_000, max_leverage=20,
        maker_fee="0", taker_fee="0.0005",  # rates in human units: 5 bp
        funding=pc.FundingParams(
            model=pc.FundingModel.PREMIUM, payment=pc.FundingPayment.INTERVAL_END,
            price=pc.FundingPrice.INDEX, period_ns=8 * 3600 * SECOND, interval_ns=60 * SECOND,
            sample_cadence_ns=5 * SECOND, impact_notional=10_000_000_000,  # 10,000 USDC
            interest="0.0001", interest_band="0.0005", cap="0.0075", floor="-0.0075"),
    )
    u = units.MarketUnits(params, eng)
    now = SECOND
    assert eng.create_market(market=MARKET, params=params, timestamp_ns=now).ok
    price = u.price_to_ticks("30000")
    for source in (1, 2):
        eng.oracle_price(market=MARKET, source=source, price=price, timestamp_ns=now)
    names = {1: "market maker", 2: "trend follower", 3: "noise", 4: "noise", 5: "noise"}
    for account in names:
        eng.create_account(account=account, owner=account, timestamp_ns=now)
        eng.deposit(account=account, amount=u.amount_to_atoms("1000000"), timestamp_ns=now)

    next_id = 1
    marks: list[int] = []
    index: list[int] = []
    trades_t: list[float] = []
    trades_p: list[int] = []
    trend_pos: list[int] = []
    samples: list[Decimal] = []  # the latest premium sample, each step
    rates: list[tuple[int, Decimal, Decimal]] = []  # (end step, premium, rate) per interval
    funding = {account: 0 for account in names}  # settled, atoms: > 0 paid
    crash_at = int(args.steps * 0.6)
    for step in range(args.steps):
        now += SECOND
        # The oracle: a random walk, and a crash.
        price += rng.randint(-40, 40) - (price * 6 // 100 if step == crash_at else 0)
        for source in (1, 2):
            eng.oracle_price(market=MARKET, source=source, price=price + rng.randint(-5, 5),
                             timestamp_ns=now)
        # Funding: a sample every 5 s, an interval closed every minute.
        for e in eng.time_tick(timestamp_ns=now).events:
            if isinstance(e, pc.FundingRateSet):
                rates.append((e.end_ns // SECOND - 2, e.premium, e.rate))  # step 0: t = 2 s
        samples.append(eng.funding(MARKET).last_sample)
        mark = eng.stats(MARKET).mark

        # The market maker: cancel everything, quote 5 levels a side in one bulk call.
        eng.cancel_all(account=1, market=MARKET, timestamp_ns=now)
        inventory = next((p.size for p in eng.summary(1).positions if p.market == MARKET), 0)
        skew = -inventory // 200  # ticks: lean against the position
        levels = np.arange(5, dtype=np.int64)
        bids = mark + skew - 20 - 15 * levels
        asks = mark + skew + 20 + 15 * levels
        n = 10
        eng.place_orders(
            market=MARKET, order_ids=np.arange(next_id, next_id + n, dtype=np.int64),
            accounts=np.ones(n, dtype=np.int64),
            sides=np.array([0] * 5 + [1] * 5, dtype=np.int64),
            prices=np.concatenate([bids, asks]).astype(np.int64),
            sizes=np.full(n, u.size_to_lots("0.25"), dtype=np.int64), timestamp_ns=now)
        next_id += n

        # The trend follower: fast vs slow average of the mark.
        marks.append(mark)
        index.append(eng.stats(MARKET).index)
        pos = next((p.size for p in eng.summary(2).positions if p.market == MARKET), 0)
        if len(marks) >= 30:
            fast, slow = sum(marks[-5:]) / 5, sum(marks[-30:]) / 30
            want = 1 if fast > slow + 5 else -1 if fast < slow - 5 else 0
            limit = u.size_to_lots("2")
            if want and abs(pos + want * 100) <= limit:
                side = pc.Side.BUY if want > 0 else pc.Side.SELL
                r = eng.place_order(market=MARKET, account=2, order_id=next_id, side=side,
                                    price=mark + want * 500, size=100,
                                    order_type=pc.OrderType.MARKET, tif=pc.TimeInForce.IOC,
                                    timestamp_ns=now)
                next_id += 1
                record(r, step, trades_t, trades_p, funding)
        trend_pos.append(next((p.size for p in eng.summary(2).positions
                               if p.market == MARKET), 0))

        # Noise traders.
        for account in (3, 4, 5):
            if rng.random() < 0.3:
                side = rng.choice((pc.Side.BUY, pc.Side.SELL))
                far = mark + (500 if side == pc.Side.BUY else -500)
                r = eng.place_order(market=MARKET, account=account, order_id=next_id, side=side,
                                    price=far, size=rng.randint(1, 60),
                                    order_type=pc.OrderType.MARKET, tif=pc.TimeInForce.IOC,
                                    timestamp_ns=now)
                next_id += 1
                record(r, step, trades_t, trades_p, funding)

    eng.check_invariants()
    stats = eng.stats(MARKET)
    print(f"steps {args.steps}, commands {eng.last_seq}, trades {len(trades_p)}, "
          f"volume {u.lots_to_size(stats.volume)} BTC, "
          f"mark {u.ticks_to_price(stats.mark)} USD, "
          f"fee pool {u.atoms_to_amount(eng.fee_pool)} USDC")
    for account, name in names.items():
        s = eng.summary(account)
        print(f"  account {account} ({name}): equity {u.atoms_to_amount(s.equity)} USDC, "
              f"funding settled {u.atoms_to_amount(funding[account])} USDC paid "
              f"(< 0: received), pending {u.atoms_to_amount(s.pending_funding)} USDC")
    view = eng.funding(MARKET)
    print(f"funding: {len(rates)} intervals; premium -> rate per 8 h by interval: "
          + ", ".join(f"{p * 100:.4f}% -> {r * 100:.4f}%" for _, p, r in rates))
    print(f"  running interval: {view.samples} samples, predicted {view.predicted_rate * 100:.4f}%;"
          f" index {view.index} (atoms per lot x 1e18); pool {u.atoms_to_amount(view.pool)} USDC;"
          f" residual sink {u.atoms_to_amount(eng.funding_residual)} USDC")

    # The plot (floats only here).
    bid_p, bid_s, _ = eng.depth_arrays(MARKET, pc.Side.BUY, 50)
    ask_p, ask_s, _ = eng.depth_arrays(MARKET, pc.Side.SELL, 50)
    tick, lot = float(u.tick_size), float(u.lot_size)
    fig, (ax1, ax2, ax4, ax5, ax3) = plt.subplots(
        5, 1, figsize=(9, 15), gridspec_kw={"height_ratios": [3, 1, 1.5, 1.5, 2]})
    t = np.arange(len(marks))
    ax1.plot(t, np.array(index) * tick, label="index", lw=1)
    ax1.plot(t, np.array(marks) * tick, label="mark", lw=1.5)
    ax1.scatter(trades_t, np.array(trades_p) * tick, s=4, c="k", label="trades")
    ax1.set_ylabel("USD")
    ax1.set_title(f"{params.symbol}: index, mark and trades")
    ax1.legend()
    ax2.step(t, np.array(trend_pos) * lot, where="post")
    ax2.set_ylabel("BTC")
    ax2.set_title("trend follower position")
    ax2.set_xlabel("step (s)")
    # Each interval's rate as a bar over the minute it covers (ending at its
    # close), its average premium as a dot, the samples as a thin line: a
    # premium within the band around the interest rate gives the interest rate.
    ax4.plot(t, [float(x) * 100 for x in samples], lw=0.5, color="C7", label="premium sample")
    ax4.axhspan(0.01 - 0.05, 0.01 + 0.05, color="C2", alpha=0.1, label="interest +- band")
    if rates:
        ends = np.array([end for end, _, _ in rates], dtype=float)
        ax4.bar(ends - 30, [float(r) * 100 for _, _, r in rates], width=55, alpha=0.5,
                label="rate of the interval")
        ax4.scatter(ends - 30, [float(p) * 100 for _, p, _ in rates], s=12, c="C3",
                    label="interval's premium", zorder=3)
    ax4.set_ylabel("% per 8 h")
    ax4.set_title("funding per interval (premium model, paid every minute)")
    ax4.legend(fontsize="small", ncol=2)
    basis_bp = (np.array(marks, dtype=float) - np.array(index, dtype=float)) / np.array(
        index, dtype=float) * 1e4
    ax5.plot(t, basis_bp, lw=1)
    ax5.axhline(0, color="grey", lw=0.5)
    ax5.set_ylabel("bp")
    ax5.set_title("mark - index basis")
    ax5.set_xlabel("step (s)")
    ax3.step(bid_p * tick, np.cumsum(bid_s) * lot, where="post", color="g", label="bids")
    ax3.step(ask_p * tick, np.cumsum(ask_s) * lot, where="post", color="r", label="asks")
    ax3.set_xlabel("price (USD)")
    ax3.set_ylabel("cumulative size (BTC)")
    ax3.set_title("depth at the end")
    ax3.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")
    return 0


def record(r: pc.Result, step: int, ts: list[float], ps: list[int],
           funding: dict[int, int]) -> None:
    for e in r.events:
        if isinstance(e, pc.Fill):
            ts.append(step)
            ps.append(e.price)
        elif isinstance(e, pc.FundingSettled):
            funding[e.account] += e.amount


if __name__ == "__main__":
    sys.exit(main())
