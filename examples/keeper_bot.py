#!/usr/bin/python3
"""A liquidation keeper in Python: perpcore's keeper API from a bot.

The same run as examples/keeper.cpp, through the Python face. One ETH-USD
perpetual (tick 0.01 USD, lot 0.01 ETH, USDC with 6 decimals, 3,000 USD),
five market makers quoting ten levels a side around the index with one bulk
call each, a few hundred leveraged traders (2x..30x, one in four isolated, a
few whales above the 100,000 USD chunk threshold) and an oracle run:

  t =   0.. 59 s  random walk; the traders open their positions, 70% long
  t =  60.. 89 s  -0.31% a second with a -3% gap at 75 s: about -12%
  t =  90..119 s  the bottom: "bottom fishers" open 15x..40x shorts
  t = 120..159 s  +0.15% a second, about +6%: the recovery hits the shorts
  t = 160..       random walk

Every second, after the oracle, the time tick and the makers, the keeper
asks Engine.liquidatable() for candidates (most under-margined first) and
sends a Liquidate for each from its own account, again until none is left
(or a round closes nothing: no liquidity within the fillable price). It
reports liquidations (partial and full, cross and isolated), fees, its
income, the insurance fund's path and any shortfall, and plots mark price,
insurance fund (and shortfall) and keeper income against time.

Checks (exit 1 if one fails, so the test catches it): the engine's
invariants every second; at the end the keeper's cash is exactly its
deposit plus the keeper_fee of every Liquidation event, the insurance fund
exactly its start plus fees less keeper shares less covers, the shortfall
the sum of the Shortfall events, nothing liquidatable, and the run
liquidated both partially and fully.

Usage: PYTHONPATH=build/python python3 examples/keeper_bot.py
           [--traders N] [--seconds T] [--seed S] [--out keeper_bot.png]
Needs matplotlib (Debian: apt-get install python3-matplotlib); exits with
status 77 (skipped) if it is missing.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field

import numpy as np

import perpcore as pc

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:  # pragma: no cover - the ctest skips on 77
    print("keeper_bot: matplotlib is missing (apt-get install python3-matplotlib); skipped")
    sys.exit(77)

SECOND = 1_000_000_000
MARKET = 1
KEEPER = 1
MAKERS = (2, 3, 4, 5, 6)
USD = 1_000_000  # USDC atoms
START_TICKS = 300_000  # 3,000 USD
KEEPER_DEPOSIT = 100 * USD
INSURANCE_START = 20_000 * USD
BATCH = 64  # candidates asked for at a time
MAX_ROUNDS = 20  # keeper rounds a second at most


@dataclass
class Trader:
    account: int
    open_at: int
    long: bool
    cash: int  # atoms
    leverage: int
    isolated: bool


@dataclass
class Tally:
    partial: int = 0
    full: int = 0
    empty: int = 0  # closed nothing: no liquidity within the fillable price
    cross: int = 0
    isolated: int = 0
    bankrupt: int = 0
    notional: int = 0
    fees: int = 0
    keeper: int = 0
    covers: int = 0
    covered: int = 0
    paid_down: int = 0  # shortfall paid down by the fund's share of fees
    shortfall: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def event(self, second: int, e: object) -> bool:
        """Counts one event; True if it closed something or settled a deficit."""
        if isinstance(e, pc.Liquidation):
            if e.closed == 0:
                self.empty += 1
                return False
            if e.position == 0:
                self.full += 1
            else:
                self.partial += 1
            if e.isolated:
                self.isolated += 1
            else:
                self.cross += 1
            if e.health == pc.Health.BANKRUPT:
                self.bankrupt += 1
            self.notional += e.closed_notional
            self.fees += e.fee
            self.keeper += e.keeper_fee
            if len(self.log) < 6 or (e.position != 0 and sum("left" in x for x in self.log) < 3):
                left = "closed" if e.position == 0 else f"{e.position} lots left"
                self.log.append(
                    f"  t={second:>3} s  #{e.account:<4} {'iso' if e.isolated else 'cross':<5} "
                    f"closed {e.closed:>5} lots for {e.closed_notional / USD:>10.2f} USD, {left}; "
                    f"fee {e.fee / USD:.2f} USD (keeper {e.keeper_fee / USD:.2f})")
            return True
        if isinstance(e, pc.InsuranceCover):
            self.covers += 1
            self.covered += e.amount
            return True
        if isinstance(e, pc.Shortfall):
            self.shortfall += e.amount
            if e.amount < 0:  # the fund's share of a fee paid it down
                self.paid_down -= e.amount
            return True
        return False


def params() -> pc.MarketParams:
    return pc.MarketParams(
        symbol="ETH-USD", tick_size="0.01", lot_size="0.01", max_order_size=1_000_000,
        max_open_interest=10_000_000, max_price=START_TICKS * 10, price_band="0.1",
        max_leverage=50,
        tiers=[pc.MarginTier(notional_floor=0, max_leverage=50, maintenance_rate="0.005"),
               pc.MarginTier(notional_floor=1_000_000 * USD, max_leverage=20,
                             maintenance_rate="0.0125")],
        funding=pc.FundingParams(model=pc.FundingModel.NONE))
    # liquidation: the defaults (a 1.5% fee, 5% of it to the keeper, a 10%
    # buffer, 20% chunks above 100,000 USD with a 30 s cooldown).


class Bot:
    def __init__(self, seed: int, traders: int, seconds: int) -> None:
        self.rng = random.Random(seed)
        self.seconds = seconds
        self.n_traders = traders
        self.eng = pc.Engine(pc.EngineConfig(quote_decimals=6))
        self.now = SECOND
        self.truth = START_TICKS
        self.next_order = 0
        self.traders: list[Trader] = []
        self.tally = Tally()
        self.t: list[int] = []
        self.mark: list[int] = []
        self.fund: list[int] = []
        self.short: list[int] = []
        self.income: list[int] = []

    def must(self, r: pc.Result) -> None:
        if not r.ok:
            sys.exit(f"keeper_bot: set-up command refused: {r.reason.name}")

    def order_id(self) -> int:
        self.next_order += 1
        return self.next_order

    def set_up(self) -> None:
        e, now = self.eng, self.now
        self.must(e.create_market(market=MARKET, params=params(), timestamp_ns=now))
        self.must(e.oracle_price(market=MARKET, source=1, price=self.truth, timestamp_ns=now))
        self.must(e.time_tick(market=MARKET, timestamp_ns=now))
        self.must(e.fund_insurance(amount=INSURANCE_START, timestamp_ns=now))
        self.must(e.create_account(account=KEEPER, owner=KEEPER, timestamp_ns=now))
        self.must(e.deposit(account=KEEPER, amount=KEEPER_DEPOSIT, timestamp_ns=now))
        for m in MAKERS:
            self.must(e.create_account(account=m, owner=m, timestamp_ns=now))
            self.must(e.deposit(account=m, amount=50_000_000 * USD, timestamp_ns=now))
        fishers = self.n_traders // 4
        for i in range(self.n_traders + fishers):
            fisher = i >= self.n_traders
            account = MAKERS[-1] + 1 + i
            if fisher:
                t = Trader(account, 92 + i % 20, False, self.rng.randint(500, 5_000) * USD,
                           self.rng.randint(15, 40), i % 4 == 1)
            else:
                whale = i % 50 == 7  # above the 100,000 USD chunk threshold
                cash = self.rng.randint(20_000, 40_000) if whale else self.rng.randint(300, 3_000)
                t = Trader(account, 1 + i % 58, self.rng.random() < 0.7, cash * USD,
                           10 if whale else self.rng.randint(2, 30), i % 4 == 1)
            self.must(e.create_account(account=account, owner=account, timestamp_ns=now))
            self.must(e.deposit(account=account, amount=t.cash, timestamp_ns=now))
            if t.isolated:
                self.must(e.set_margin_mode(market=MARKET, account=account,
                                            mode=pc.MarginMode.ISOLATED, timestamp_ns=now))
            self.must(e.set_leverage(market=MARKET, account=account, leverage=t.leverage,
                                     timestamp_ns=now))
            self.traders.append(t)
        for m in MAKERS:
            self.requote(m)
        self.record(0)

    def requote(self, maker: int) -> None:
        """Cancel all, then ten post-only levels a side 2 bp apart around the index."""
        e = self.eng
        e.cancel_all(market=MARKET, account=maker, timestamp_ns=self.now)
        index = e.stats(MARKET).index
        step = max(1, index // 5_000)
        offsets = step * np.arange(1, 11, dtype=np.int64)
        sizes = np.array([self.rng.randint(1_000, 3_000) for _ in range(10)], dtype=np.int64)
        n = 20
        ids = np.arange(self.next_order + 1, self.next_order + 1 + n, dtype=np.int64)
        self.next_order += n
        e.place_orders(
            market=MARKET, accounts=np.full(n, maker, dtype=np.int64), order_ids=ids,
            sides=np.array([int(pc.Side.BUY)] * 10 + [int(pc.Side.SELL)] * 10, dtype=np.int64),
            prices=np.concatenate([index - offsets, index + offsets]),
            sizes=np.concatenate([sizes, sizes]),
            tifs=np.full(n, int(pc.TimeInForce.POST_ONLY_SLIDE), dtype=np.int64),
            timestamp_ns=self.now)

    def open(self, t: Trader) -> None:
        """A market order for 80% of cash * leverage, protected 0.3% from the mark."""
        mark = self.eng.stats(MARKET).mark
        lots = max(1, t.cash // 10 * 8 * t.leverage // (mark * 100))
        reach = mark * 3 // 1_000
        self.eng.place_order(
            market=MARKET, account=t.account, order_id=self.order_id(),
            side=pc.Side.BUY if t.long else pc.Side.SELL,
            price=mark + reach if t.long else mark - reach, size=lots,
            order_type=pc.OrderType.MARKET, tif=pc.TimeInForce.IOC, timestamp_ns=self.now)

    def move_truth(self, s: int) -> None:
        self.truth += self.truth * self.rng.randint(-5, 5) // 10_000
        if 60 <= s < 90:
            self.truth -= self.truth * 31 // 10_000
        if s == 75:
            self.truth -= self.truth * 3 // 100
        if 120 <= s < 160:
            self.truth += self.truth * 15 // 10_000

    def liquidate(self, s: int) -> None:
        for _ in range(MAX_ROUNDS):
            candidates = self.eng.liquidatable(BATCH)
            if not candidates:
                return
            progress = False
            for c in candidates:
                r = self.eng.liquidate(market=c.market, account=c.account, keeper=KEEPER,
                                       timestamp_ns=self.now)
                if not r.ok:
                    name = r.reason.name
                    self.tally.refused[name] = self.tally.refused.get(name, 0) + 1
                    continue
                for e in r.events:
                    progress |= self.tally.event(s, e)
            if not progress:
                return

    def record(self, s: int) -> None:
        self.t.append(s)
        self.mark.append(self.eng.stats(MARKET).mark)
        self.fund.append(self.eng.insurance_fund)
        self.short.append(self.eng.shortfall)
        self.income.append(self.tally.keeper)

    def run(self) -> None:
        self.set_up()
        for s in range(1, self.seconds + 1):
            self.now += SECOND
            self.move_truth(s)
            self.eng.oracle_price(market=MARKET, source=1, price=self.truth, timestamp_ns=self.now)
            self.eng.time_tick(market=MARKET, timestamp_ns=self.now)
            for m in MAKERS:
                self.requote(m)
            for t in self.traders:
                if t.open_at == s:
                    self.open(t)
            self.liquidate(s)
            self.eng.check_invariants()
            self.record(s)

    def report(self) -> list[str]:
        """Prints the report; returns the failed checks."""
        tl, e = self.tally, self.eng
        print(f"keeper_bot: ETH-USD, {self.n_traders} traders and {self.n_traders // 4} bottom "
              f"fishers, {self.seconds} s simulated; mark {self.mark[0] / 100:.2f} -> "
              f"{min(self.mark) / 100:.2f} (bottom) -> {self.mark[-1] / 100:.2f} USD")
        print(f"liquidations: {tl.partial + tl.full} ({tl.partial} partial, {tl.full} full; "
              f"{tl.cross} cross, {tl.isolated} isolated; {tl.bankrupt} of bankrupt targets); "
              f"{tl.empty} found nothing to trade with")
        print(f"  closed {tl.notional / USD:.2f} USD; fees {tl.fees / USD:.2f} USD: "
              f"{tl.keeper / USD:.2f} to the keeper, {(tl.fees - tl.keeper) / USD:.2f} to the fund")
        for name, n in sorted(tl.refused.items()):
            print(f"  Liquidate refused {n} times: {name}")
        print("\n".join(tl.log))
        print(f"insurance fund: start {INSURANCE_START / USD:.2f}, lowest {min(self.fund) / USD:.2f},"
              f" end {e.insurance_fund / USD:.2f} USD; {tl.covers} deficits covered for "
              f"{tl.covered / USD:.2f} USD; shortfall {e.shortfall / USD:.2f} USD")
        for i, s in enumerate(self.t):
            if s % 30 == 0 or s == 75:
                print(f"  t={s:>3} s  mark {self.mark[i] / 100:>8.2f}  fund {self.fund[i] / USD:>10.2f}"
                      f"  keeper {self.income[i] / USD:>8.2f}  shortfall {self.short[i] / USD:.2f}")
        failed = []
        if e.summary(KEEPER).cash != KEEPER_DEPOSIT + tl.keeper:
            failed.append("the keeper's cash is not its deposit plus its keeper fees")
        if e.insurance_fund != INSURANCE_START + tl.fees - tl.keeper - tl.covered - tl.paid_down:
            failed.append("the insurance fund is not start + fees - keeper shares - covers"
                          " - shortfall paid down")
        if e.shortfall != tl.shortfall:
            failed.append("the shortfall is not the sum of the Shortfall events")
        if e.liquidatable(1):
            failed.append("an account is still liquidatable at the end")
        if tl.partial == 0 or tl.full == 0:
            failed.append("the run should liquidate both partially and fully")
        return failed

    def plot(self, out: str) -> None:
        t = np.array(self.t)
        fig, (ax1, ax2, ax3) = plt.subplots(3, 1, figsize=(9, 9), sharex=True)
        for ax in (ax1, ax2, ax3):
            ax.axvspan(60, 90, color="C3", alpha=0.08)
        ax1.plot(t, np.array(self.mark) / 100, lw=1.2)
        ax1.set_ylabel("USD")
        ax1.set_title("ETH-USD mark price (the drop shaded)")
        ax2.plot(t, np.array(self.fund) / USD, color="C2", label="insurance fund")
        if self.tally.covers or self.eng.shortfall:
            ax2.plot(t, np.array(self.short) / USD, color="C3", label="shortfall")
        ax2.set_ylabel("USD")
        ax2.set_title("insurance fund")
        ax2.legend()
        ax3.plot(t, np.array(self.income) / USD, color="C1")
        ax3.set_ylabel("USD")
        ax3.set_title("keeper income (its share of the liquidation fees)")
        ax3.set_xlabel("time (s)")
        fig.tight_layout()
        fig.savefig(out, dpi=100)
        print(f"wrote {out}")


def main() -> int:
    ap = argparse.ArgumentParser(description="perpcore liquidation keeper")
    ap.add_argument("--traders", type=int, default=400)
    ap.add_argument("--seconds", type=int, default=240)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", default="keeper_bot.png")
    args = ap.parse_args()
    if args.seconds < 170 or args.traders < 8:
        ap.error("--seconds must be >= 170 (the run's recovery ends at 160 s), --traders >= 8")
    bot = Bot(args.seed, args.traders, args.seconds)
    bot.run()
    failed = bot.report()
    bot.plot(args.out)
    for f in failed:
        print(f"keeper_bot: FAILED: {f}")
    print(f"state digest {bot.eng.digest().hex()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
