#!/usr/bin/python3
"""Benchmark of the Python bulk path: Engine.place_orders / cancel_orders.

Workload (seeded; --seed changes it): one BTC-USD market (tick 0.1, lot 0.001,
6 quote decimals, 100 atoms per tick-lot) indexed at 30,000 USD, 1,000
accounts with 10M USD each. Orders come in batches of --batch (default
100,000), all numpy int64 columns generated before timing:
  85% passive GTC limits, 1..100 lots, 1 + Geometric(p=0.05) ticks behind the
      mid (bids below, asks above: they never cross);
  15% takers, IOC limits 1..100 lots at 5 ticks through the mid, which trade
      against the passive orders near the touch (and cancel their remainder).
After each placement batch, the passive orders of the batch two before are
cancelled with one cancel_orders call (those already filled answer
UNKNOWN_ORDER), so the book stays near two batches of resting orders.

Measured: the wall time (perf_counter_ns) of each place_orders call and of
each cancel_orders call, conversion of the inputs and of the outputs (reasons,
filled, rested, seqs and the fills arrays; for cancels reasons, canceled lots
and seqs) included; array generation is not.
ops_per_sec = orders / the sum of the place_orders times; latency fields are
per batch (p50_ns ... max_ns) and per order (ns_per_order = p50 / batch).

Validation before timing: the first batch is also placed one order at a time
through Engine.place_order on a second engine, and its passive orders are then
cancelled with one cancel_orders call and one cancel_order at a time; the
reasons, fills, cancelled lots and digests must be equal, or the run exits
with status 1.

Output: one line per measurement on stdout, and with --json PATH a JSON list
like the C++ benchmarks' (name, impl, workload, smoke, seed, ops, ops_per_sec,
count, mean_ns, p50_ns, p99_ns, max_ns, ...). Target: >= 1,000,000 orders/s.

Usage: python_bulk_bench.py [--smoke] [--json PATH] [--orders N] [--batch N]
                            [--seed S]
  --smoke: 40,000 orders in batches of 10,000 (a correctness run for ctest).
Run it with PYTHONPATH pointing at the built package (build/python).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from typing import Any

import numpy as np

import perpcore as pc

MID = 300_000  # 30,000 USD in 0.1 USD ticks
USD = 1_000_000
ACCOUNTS = 1_000
T0 = 1_000_000_000


def make_engine() -> pc.Engine:
    eng = pc.Engine()
    params = pc.MarketParams(
        symbol="BTC-USD", tick_size="0.1", lot_size="0.001", max_order_size=100_000,
        max_open_interest=1_000_000, max_price=10_000_000, max_leverage=20,
        max_orders_per_account=2_000)
    assert eng.create_market(market=1, params=params, timestamp_ns=T0).ok
    assert eng.oracle_price(market=1, source=1, price=MID, timestamp_ns=T0).ok
    for a in range(1, ACCOUNTS + 1):
        assert eng.create_account(account=a, owner=a, timestamp_ns=T0).ok
        assert eng.deposit(account=a, amount=10_000_000 * USD, timestamp_ns=T0).ok
    return eng


def make_batch(rng: np.random.Generator, first_id: int, n: int) -> dict[str, Any]:
    taker = rng.random(n) < 0.15
    sides = rng.integers(0, 2, n, dtype=np.int64)
    behind = 1 + rng.geometric(0.05, n).astype(np.int64)
    sign = np.where(sides == 0, -1, 1).astype(np.int64)
    prices = np.where(taker, MID - sign * 5, MID + sign * behind).astype(np.int64)
    return dict(
        order_ids=np.arange(first_id, first_id + n, dtype=np.int64),
        accounts=rng.integers(1, ACCOUNTS + 1, n, dtype=np.int64),
        sides=sides,
        prices=prices,
        sizes=rng.integers(1, 101, n, dtype=np.int64),
        tifs=np.where(taker, 1, 0).astype(np.int64),
    )


def percentile(sorted_values: list[int], q: float) -> float:
    rank = max(1, min(len(sorted_values), math.ceil(q * len(sorted_values))))
    return float(sorted_values[rank - 1])


def stats(name: str, ops: int, times_ns: list[int], batch: int, **extra: Any) -> dict[str, Any]:
    s = sorted(times_ns)
    total = sum(times_ns)
    return dict(
        name=name, impl="python-bulk", workload="passive85_taker15", ops=ops,
        ops_per_sec=round(ops / (total / 1e9), 1) if total else 0.0,
        count=len(s), batch=batch, mean_ns=round(total / max(1, len(s)), 1),
        p50_ns=percentile(s, 0.50), p99_ns=percentile(s, 0.99), max_ns=float(s[-1]),
        ns_per_order_p50=round(percentile(s, 0.50) / batch, 2), **extra)


def validate(batch: dict[str, Any]) -> None:
    """The bulk path against the per-call path on the first batch."""
    bulk, single = make_engine(), make_engine()
    res = bulk.place_orders(market=1, timestamp_ns=T0 + 1, **batch)
    reasons, fills = [], []
    for i in range(len(batch["order_ids"])):
        r = single.place_order(
            market=1, account=int(batch["accounts"][i]), order_id=int(batch["order_ids"][i]),
            side=pc.Side(int(batch["sides"][i])), price=int(batch["prices"][i]),
            size=int(batch["sizes"][i]), tif=pc.TimeInForce(int(batch["tifs"][i])),
            timestamp_ns=T0 + 1)
        reasons.append(int(r.reason))
        fills += [(i, e.maker.order_id, e.price, e.size, e.taker.fee, e.maker.fee)
                  for e in r.events if isinstance(e, pc.Fill)]
    f = res.fills
    bulk_fills = list(zip(f["index"].tolist(), f["maker_order_id"].tolist(), f["price"].tolist(),
                          f["size"].tolist(), f["taker_fee"].tolist(), f["maker_fee"].tolist()))
    if res.reasons.tolist() != reasons or bulk_fills != fills or bulk.digest() != single.digest():
        print("python_bulk_bench: the bulk path disagrees with the per-call path", file=sys.stderr)
        sys.exit(1)
    bulk.check_invariants()
    if not fills:
        print("python_bulk_bench: the validation batch traded nothing", file=sys.stderr)
        sys.exit(1)
    passive = batch["tifs"] == 0
    ids, accts = batch["order_ids"][passive], batch["accounts"][passive]
    cancels = bulk.cancel_orders(market=1, accounts=accts, order_ids=ids, timestamp_ns=T0 + 2)
    one = [single.cancel_order(market=1, account=int(a), order_id=int(i), timestamp_ns=T0 + 2)
           for a, i in zip(accts, ids)]
    if (cancels.reasons.tolist() != [int(r.reason) for r in one]
            or cancels.canceled.tolist() != [sum(e.size for e in r.events) for r in one]
            or cancels.accepted != sum(r.ok for r in one) or bulk.digest() != single.digest()):
        print("python_bulk_bench: cancel_orders disagrees with cancel_order", file=sys.stderr)
        sys.exit(1)
    bulk.check_invariants()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--json", default="")
    ap.add_argument("--orders", type=int, default=0)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()
    batch = args.batch or (10_000 if args.smoke else 100_000)
    orders = args.orders or (40_000 if args.smoke else 2_000_000)
    batches = max(1, orders // batch)
    orders = batches * batch

    rng = np.random.default_rng(args.seed)
    work = [make_batch(rng, 1 + b * batch, batch) for b in range(batches)]
    validate(work[0])

    eng = make_engine()
    place_ns: list[int] = []
    cancel_ns: list[int] = []
    cancelled = cancel_accepted = cancel_lots = 0
    accepted = fills = 0
    reasons = np.zeros(65536, dtype=np.int64)
    for b, cols in enumerate(work):
        ts = T0 + 1 + b
        t0 = time.perf_counter_ns()
        res = eng.place_orders(market=1, timestamp_ns=ts, **cols)
        place_ns.append(time.perf_counter_ns() - t0)
        accepted += res.accepted
        fills += len(res.fills["price"])
        reasons += np.bincount(res.reasons, minlength=65536)
        if b >= 2:
            old = work[b - 2]
            passive = old["tifs"] == 0
            ids, accts = old["order_ids"][passive], old["accounts"][passive]
            t0 = time.perf_counter_ns()
            cres = eng.cancel_orders(market=1, accounts=accts, order_ids=ids, timestamp_ns=ts)
            cancel_ns.append(time.perf_counter_ns() - t0)
            cancelled += len(cres)
            cancel_accepted += cres.accepted
            cancel_lots += int(cres.canceled.sum())
    eng.check_invariants()

    rejects = {pc.Reason(r).name: int(c) for r, c in enumerate(reasons) if c and r != 0}
    common = dict(smoke=args.smoke, seed=args.seed, python=platform.python_version(),
                  numpy=np.__version__, load_average=" ".join(
                      f"{x:.2f}" for x in os.getloadavg()))
    place = stats("python_bulk/place_orders", orders, place_ns, batch, accepted=accepted,
                  fills=fills, rejects=rejects, digest=eng.digest().hex(), **common)
    results = [place]
    if cancel_ns:
        results.append(stats("python_bulk/cancel_orders", cancelled, cancel_ns,
                             max(1, cancelled // len(cancel_ns)), accepted=cancel_accepted,
                             canceled_lots=cancel_lots, **common))
    for r in results:
        print(f"{r['name']}: {r['ops']} ops in {r['count']} batches of ~{r['batch']}: "
              f"{r['ops_per_sec'] / 1e6:.2f} M ops/s (batch p50 {r['p50_ns'] / 1e6:.2f} ms, "
              f"p99 {r['p99_ns'] / 1e6:.2f} ms, {r['ns_per_order_p50']} ns/op at p50)")
    print(f"python_bulk/place_orders: accepted {accepted}, fills {fills}, rejects {rejects}")
    if cancel_ns:
        print(f"python_bulk/cancel_orders: accepted {cancel_accepted} of {cancelled} "
              f"({cancel_lots} lots; the rest had filled: UNKNOWN_ORDER)")
    met = place["ops_per_sec"] >= 1_000_000
    print(f"target >= 1,000,000 orders/s through the bulk path: "
          f"{'met' if met else 'NOT met'}{' (smoke: not enforced)' if args.smoke else ''}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
