#!/usr/bin/python3
"""The Almgren-Chriss efficient frontier and optimal trajectories, plotted.

The example of Almgren & Chriss (2000), "Optimal Execution of Portfolio
Transactions", section 4: sell X = 1,000,000 shares of a $50 stock with 30%
annual volatility (sigma = 0.3 * 50 / sqrt(250) = 0.95 $ per sqrt(day)) over
T = 5 days. The paper trades once a day (N = 5); the trajectories here use
N = 50 steps so the curves are smooth (the frontier uses the paper's N = 5).
Impact: eta = 2.5e-6, gamma = 2.5e-7, epsilon = 0.0625 (all from the paper).

Prints a table (lambda, kappa, E, sqrt(V), first-day sale) and writes a PNG
with the frontier (expected cost against its standard deviation; the naive
straight line and the immediate sale marked) and the holdings over time for
several lambdas. Everything is deterministic: no randomness.

Usage: PYTHONPATH=build/python python3 examples/execution_frontier.py
           [--out execution_frontier.png]
Needs matplotlib (Debian: apt-get install python3-matplotlib); exits with
status 77 (skipped) if it is missing.
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

from perpcore import analytics as an

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:  # pragma: no cover - the ctest skips on 77
    print("execution_frontier: matplotlib is missing (apt-get install python3-matplotlib); "
          "skipped")
    sys.exit(77)

# The paper's example.
PAPER = dict(shares=1e6, horizon=5.0, sigma=0.3 * 50 / math.sqrt(250), eta=2.5e-6,
             gamma=2.5e-7, epsilon=0.0625)
TRAJECTORY_LAMBDAS = (0.0, 1e-7, 1e-6, 1e-5, 1e-4)


def params(intervals: int, lambda_: float = 0.0) -> an.AcParams:
    return an.AcParams(intervals=intervals, lambda_=lambda_, **PAPER)


def main() -> int:
    ap = argparse.ArgumentParser(description="Almgren-Chriss efficient frontier (perpcore)")
    ap.add_argument("--out", default="execution_frontier.png", help="the PNG to write")
    ap.add_argument("--points", type=int, default=200, help="lambdas on the frontier")
    args = ap.parse_args()

    # The frontier over four decades of risk aversion, at the paper's N = 5.
    lambdas = np.concatenate(([0.0], np.geomspace(1e-8, 1e-4, args.points - 1)))
    frontier = an.efficient_frontier(params(5), lambdas)
    naive = an.naive_schedule(params(5))
    immediate = an.immediate_schedule(params(5))

    print(f"{'lambda':>10} {'kappa/day':>10} {'E [$]':>12} {'sqrt(V) [$]':>12} {'day 1 sale':>11}")
    schedules = []
    for lam in TRAJECTORY_LAMBDAS:
        s = an.optimal_schedule(params(50, lam))
        schedules.append((lam, s))
        day1 = s.holdings[0] - s.holdings[10]  # 10 steps of 0.1 day
        print(f"{lam:10.0e} {s.kappa:10.4f} {s.cost.expected_cost:12,.0f} "
              f"{math.sqrt(s.cost.variance):12,.0f} {day1:11,.0f}")
    print(f"naive (N=5): E = {naive.cost.expected_cost:,.0f}, "
          f"sqrt(V) = {math.sqrt(naive.cost.variance):,.0f}")

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    left.plot(np.sqrt(frontier.variance) / 1e3, frontier.expected_cost / 1e3, lw=2,
              label="efficient frontier (N = 5)")
    left.plot(math.sqrt(naive.cost.variance) / 1e3, naive.cost.expected_cost / 1e3, "o",
              label="naive (straight line)")
    left.plot(math.sqrt(immediate.cost.variance) / 1e3, immediate.cost.expected_cost / 1e3,
              "s", label="immediate sale")
    marks = an.efficient_frontier(params(5), [lam for lam in TRAJECTORY_LAMBDAS if lam > 0])
    left.plot(np.sqrt(marks.variance) / 1e3, marks.expected_cost / 1e3, "k.", ms=8)
    for p in marks.points:
        left.annotate(f"λ={p.lambda_:.0e}", (math.sqrt(p.cost.variance) / 1e3,
                                             p.cost.expected_cost / 1e3),
                      textcoords="offset points", xytext=(6, 4), fontsize=8)
    left.set_xlabel("standard deviation of cost, $ thousands")
    left.set_ylabel("expected cost E, $ thousands")
    left.set_title("Almgren–Chriss efficient frontier")
    left.legend(fontsize=8)
    left.grid(alpha=0.3)

    for lam, s in schedules:
        t = np.linspace(0.0, PAPER["horizon"], len(s.holdings))
        right.plot(t, s.holdings / 1e3, label=f"λ = {lam:.0e} (κ = {s.kappa:.2f}/day)")
    right.set_xlabel("time, days")
    right.set_ylabel("holdings, thousand shares")
    right.set_title("optimal trajectories (N = 50)")
    right.legend(fontsize=8)
    right.grid(alpha=0.3)

    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
