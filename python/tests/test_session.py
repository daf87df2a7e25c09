"""A randomized session (fixed seed) driven from Python, cross-checked three ways.

One stream of every kind of command (markets, accounts, money, leverage and
margin modes, orders of every type, cancels, amends, oracle prices, ticks,
status changes) is generated against engine A through the per-call methods.
Then:
  1. engine B replays it with orders and cancels batched through the bulk
     path (place_orders / cancel_orders): same reasons, same canonical bytes;
  2. the C++ replayer (python/tests/replay_driver.cpp, built as
     perpcore_replay_driver; ctest passes its path in PERPCORE_REPLAY_DRIVER)
     applies the same commands straight to engine::Engine: same reason for
     every command and the same digest;
  3. the digest equals GOLDEN_DIGEST, pinned from this generator. If the
     engine's encoding changes on purpose, regenerate it with
         PYTHONPATH=build/python python3 python/tests/test_session.py
     and nothing else.
"""

from __future__ import annotations

import os
import pathlib
import random
import subprocess
import sys
from decimal import Decimal
from typing import Any, Callable

import numpy as np
import pytest

import perpcore as pc
from enginekit import USD, bp, btc_params

GOLDEN_DIGEST = "cd2f8890dde268616fc43898c46d862bb43b506d26d29fcc11ea3b3b6aace7c5"
SEED = 20240611
COMMANDS = 4_000
ACCOUNTS = 24

Command = tuple[Any, ...]  # (kind, timestamp_ns, fields...) in the driver's log order


def eth_params() -> pc.MarketParams:
    return btc_params(symbol="ETH-USD", tick_size="0.01", lot_size="0.01", max_price=10**7,
                      max_order_size=100_000, max_open_interest=1_000_000)


CONFIG_DISCOUNTS = ["0", "0.1", "0.25"]


def make_config() -> pc.EngineConfig:
    return pc.EngineConfig(fee_tier_discounts=CONFIG_DISCOUNTS, referrer_share="0.1")


def raw(rate: Decimal) -> int:
    """A rate as the raw count of 1e-18 the C++ replayer reads."""
    return pc.parse_rate(format(rate, "f"))


def params_fields(p: pc.MarketParams) -> list[Any]:
    def step(d: Any) -> list[int]:
        sign, digits, exponent = d.as_tuple()
        mantissa = int("".join(map(str, digits))) * (-1 if sign else 1)
        return [mantissa, exponent]

    o = p.oracle
    out: list[Any] = [p.symbol, *step(p.tick_size), *step(p.lot_size), p.max_order_size,
                      p.max_open_interest, p.max_price, raw(p.price_band), p.max_leverage,
                      raw(p.maker_fee), raw(p.taker_fee), o.staleness_ns, o.min_sources,
                      raw(o.max_source_deviation), raw(o.max_twap_deviation), o.twap_window_ns,
                      o.basis_window_ns, p.max_orders_per_account, p.max_levels_per_side,
                      p.max_book_orders, len(p.tiers)]
    for t in p.tiers:
        out += [t.notional_floor, t.max_leverage, raw(t.maintenance_rate)]
    return out


def apply(eng: pc.Engine, c: Command) -> pc.Result:
    """One command through the per-call methods."""
    kind, ts, *f = c
    calls: dict[str, Callable[[], pc.Result]] = {
        "market": lambda: eng.create_market(market=f[0], params=f[1], timestamp_ns=ts),
        "update": lambda: eng.update_market(market=f[0], params=f[1], timestamp_ns=ts),
        "status": lambda: eng.set_market_status(market=f[0], status=pc.MarketStatus(f[1]),
                                                timestamp_ns=ts),
        "account": lambda: eng.create_account(account=f[0], owner=f[1], fee_tier=f[2],
                                              referrer=f[3], timestamp_ns=ts),
        "deposit": lambda: eng.deposit(account=f[0], amount=f[1], timestamp_ns=ts),
        "withdraw": lambda: eng.withdraw(account=f[0], amount=f[1], timestamp_ns=ts),
        "transfer": lambda: eng.transfer(from_account=f[0], to_account=f[1], amount=f[2],
                                         timestamp_ns=ts),
        "insurance": lambda: eng.fund_insurance(amount=f[0], timestamp_ns=ts),
        "feetier": lambda: eng.set_fee_tier(account=f[0], fee_tier=f[1], timestamp_ns=ts),
        "marginmode": lambda: eng.set_margin_mode(market=f[1], account=f[0],
                                                  mode=pc.MarginMode(f[2]), timestamp_ns=ts),
        "leverage": lambda: eng.set_leverage(market=f[1], account=f[0], leverage=f[2],
                                             timestamp_ns=ts),
        "isomargin": lambda: eng.adjust_isolated_margin(market=f[1], account=f[0], delta=f[2],
                                                        timestamp_ns=ts),
        "place": lambda: eng.place_order(
            market=f[0], account=f[2], order_id=f[1], side=pc.Side(f[3]), price=f[4], size=f[5],
            order_type=pc.OrderType(f[6]), tif=pc.TimeInForce(f[7]), stp=pc.StpMode(f[8]),
            client_id=f[9], reduce_only=bool(f[10]), timestamp_ns=ts),
        "cancel": lambda: eng.cancel_order(market=f[0], account=f[1], order_id=f[2],
                                           timestamp_ns=ts),
        "cancelcid": lambda: eng.cancel_by_client_id(market=f[0], account=f[1], client_id=f[2],
                                                     timestamp_ns=ts),
        "cancelall": lambda: eng.cancel_all(market=f[1], account=f[0], timestamp_ns=ts),
        "amend": lambda: eng.amend_order(market=f[0], account=f[1], order_id=f[2],
                                         new_price=f[3], new_size=f[4], timestamp_ns=ts),
        "oracle": lambda: eng.oracle_price(market=f[0], source=f[1], price=f[2],
                                           publish_time_ns=f[3], timestamp_ns=ts),
        "tick": lambda: eng.time_tick(market=f[0], timestamp_ns=ts),
    }
    return calls[kind]()


def generate() -> tuple[pc.Engine, list[Command], list[int]]:
    """The session: engine A after it, the commands, and each command's reason."""
    rng = random.Random(SEED)
    eng = pc.Engine(make_config())
    commands: list[Command] = []
    reasons: list[int] = []
    live: dict[int, tuple[int, int]] = {}  # order id -> (market, account)
    client_ids: dict[int, tuple[int, int, int]] = {}  # order id -> (market, account, cid)
    truth = {1: 300_000, 2: 200_000}  # true prices in ticks (30,000 and 2,000 USD)
    now = 1_000_000_000
    next_id = 1

    def run(c: Command) -> pc.Result:
        r = apply(eng, c)
        commands.append(c)
        reasons.append(int(r.reason))
        for e in r.events:
            if isinstance(e, pc.OrderRested):
                live[e.order_id] = (e.market, e.account)
            elif isinstance(e, pc.OrderCanceled):
                live.pop(e.order_id, None)
            elif isinstance(e, pc.Fill) and e.maker.remaining == 0:
                live.pop(e.maker.order_id, None)
        return r

    run(("market", now, 1, btc_params()))
    run(("market", now, 2, eth_params()))
    for m in (1, 2):
        for source in (1, 2, 3):
            run(("oracle", now, m, source, truth[m], now))
    for a in range(1, ACCOUNTS + 1):
        referrer = a - 1 if a % 5 == 0 else 0
        run(("account", now, a, (a + 1) // 2, a % 3, referrer))
        run(("deposit", now, a, rng.randint(2_000, 200_000) * USD))
    weights = {"place": 50, "cancel": 12, "cancelcid": 3, "amend": 8, "oracle": 10, "tick": 2,
               "deposit": 2, "withdraw": 2, "transfer": 1, "leverage": 2, "marginmode": 2,
               "isomargin": 2, "feetier": 1, "cancelall": 1, "insurance": 1, "status": 1,
               "update": 1}
    kinds, w = list(weights), list(weights.values())
    while len(commands) < COMMANDS:
        now += rng.randint(0, 3_000_000)
        kind = rng.choices(kinds, w)[0]
        m = rng.choice((1, 2))
        a = rng.randint(1, ACCOUNTS)
        if kind == "place":
            for _ in range(rng.randint(1, 25)):  # a burst at one time: one bulk call
                side = rng.randint(0, 1)
                u = rng.random()
                otype, tif, ro = 0, rng.choice((0, 0, 0, 3, 4)), 0
                through = rng.randint(-2, 5)  # ticks through the true price
                if u < 0.15:
                    otype, tif, through = 1, rng.choice((1, 2)), 200
                elif u < 0.35:
                    tif = rng.choice((1, 2))
                elif u < 0.40:
                    tif, ro = 1, 1
                if u >= 0.35 and u < 0.40:
                    through = 50
                elif u >= 0.40:
                    through = -rng.randint(1, 60)
                price = truth[m] + (through if side == 0 else -through) * 10
                cid = next_id if rng.random() < 0.3 else 0
                c = ("place", now, m, next_id, a, side, price, rng.randint(1, 80), otype, tif,
                     rng.randint(0, 3), cid, ro)
                if cid:
                    client_ids[next_id] = (m, a, cid)
                next_id += 1
                run(c)
        elif kind == "cancel":
            for _ in range(rng.randint(1, 10)):  # a burst: one bulk call
                same = [(o, v) for o, v in live.items() if v[0] == m]
                if same and rng.random() < 0.9:
                    oid, (_, owner) = rng.choice(sorted(same))
                    run(("cancel", now, m, owner, oid))
                else:
                    run(("cancel", now, m, a, rng.randint(1, next_id + 5)))
        elif kind == "cancelcid":
            if client_ids:
                oid = rng.choice(sorted(client_ids))
                cm, ca, cid = client_ids[oid]
                run(("cancelcid", now, cm, ca, cid))
        elif kind == "amend":
            if live:
                oid = rng.choice(sorted(live))
                am, aa = live[oid]
                run(("amend", now, am, aa, oid, truth[am] + rng.randint(-80, 80) * 10,
                     rng.randint(1, 60)))
        elif kind == "oracle":
            truth[m] += rng.randint(-3, 3) * 10
            run(("oracle", now, m, rng.randint(1, 3), truth[m] + rng.randint(-2, 2) * 10,
                 now - rng.randint(0, 1_000)))
        elif kind == "tick":
            run(("tick", now, rng.choice((0, m))))
        elif kind == "deposit":
            run(("deposit", now, a, rng.randint(1, 20_000) * USD))
        elif kind == "withdraw":
            run(("withdraw", now, a, rng.randint(1, 5_000) * USD))
        elif kind == "transfer":
            run(("transfer", now, a, a + 1 if a % 2 else a - 1, rng.randint(1, 2_000) * USD))
        elif kind == "leverage":
            run(("leverage", now, a, m, rng.choice((1, 5, 10, 20, 50, 125, 126))))
        elif kind == "marginmode":
            run(("marginmode", now, a, m, rng.randint(0, 1)))
        elif kind == "isomargin":
            run(("isomargin", now, a, m, rng.randint(-500, 1_000) * USD))
        elif kind == "feetier":
            run(("feetier", now, a, rng.randint(0, 3)))
        elif kind == "cancelall":
            run(("cancelall", now, a, rng.choice((0, m))))
        elif kind == "insurance":
            run(("insurance", now, rng.randint(1, 1_000) * USD))
        elif kind == "status":
            # Reduce-only or halted for a moment: orders meanwhile are refused.
            run(("status", now, m, rng.choice((1, 2))))
            for _ in range(3):
                run(("place", now, m, next_id, a, rng.randint(0, 1), truth[m], 1, 0, 1, 0, 0,
                     rng.randint(0, 1)))
                next_id += 1
            run(("status", now, m, 0))
        elif kind == "update":
            p = btc_params() if m == 1 else eth_params()
            p.taker_fee = bp(rng.randint(2, 8))
            p.maker_fee = bp(rng.randint(-1, 2))
            run(("update", now, m, p))
    eng.check_invariants()
    return eng, commands, reasons


def replay_bulk(commands: list[Command]) -> tuple[pc.Engine, list[int]]:
    """The same commands, with runs of orders (and of cancels) of one market at
    one time sent through the bulk path."""
    eng = pc.Engine(make_config())
    reasons: list[int] = []
    i = 0
    while i < len(commands):
        kind, ts, *f = commands[i]
        if kind in ("place", "cancel"):
            j = i
            while (j < len(commands) and commands[j][0] == kind and commands[j][1] == ts
                   and commands[j][2] == f[0]):
                j += 1
            cols = np.array([c[3:] for c in commands[i:j]], dtype=np.int64)
            if kind == "place":
                res = eng.place_orders(
                    market=f[0], order_ids=cols[:, 0], accounts=cols[:, 1], sides=cols[:, 2],
                    prices=cols[:, 3], sizes=cols[:, 4], order_types=cols[:, 5],
                    tifs=cols[:, 6], stps=cols[:, 7], client_ids=cols[:, 8],
                    reduce_only=cols[:, 9].astype(np.bool_), timestamp_ns=ts)
                reasons += res.reasons.tolist()
            else:
                reasons += eng.cancel_orders(market=f[0], accounts=cols[:, 0],
                                             order_ids=cols[:, 1],
                                             timestamp_ns=ts).reasons.tolist()
            i = j
        else:
            reasons.append(int(apply(eng, commands[i]).reason))
            i += 1
    eng.check_invariants()
    return eng, reasons


def write_log(commands: list[Command], path: pathlib.Path) -> None:
    c = make_config()
    lines = [" ".join(map(str, ["config", c.quote_decimals, len(c.fee_tier_discounts),
                                *map(raw, c.fee_tier_discounts), raw(c.referrer_share),
                                c.max_markets, c.max_accounts, c.hash_seed]))]
    for kind, ts, *f in commands:
        fields: list[Any] = [f[0], *params_fields(f[1])] if kind in ("market", "update") else f
        lines.append(" ".join(map(str, [ts, kind, *fields])))
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def session() -> tuple[pc.Engine, list[Command], list[int]]:
    return generate()


def test_the_session_exercises_every_command_and_outcome(
        session: tuple[pc.Engine, list[Command], list[int]]) -> None:
    eng, commands, reasons = session
    assert len(commands) >= COMMANDS
    assert {c[0] for c in commands} == {"market", "update", "status", "account", "deposit",
                                        "withdraw", "transfer", "insurance", "feetier",
                                        "marginmode", "leverage", "isomargin", "place",
                                        "cancel", "cancelcid", "cancelall", "amend", "oracle",
                                        "tick"}
    accepted = sum(r == pc.Reason.OK for r in reasons)
    assert 0.5 * len(reasons) < accepted < len(reasons)  # refusals happen, as values
    assert eng.stats(1).volume > 0 and eng.stats(2).volume > 0
    assert eng.last_seq == len(reasons)  # every command consumed its seq


def test_bulk_replay_gives_the_same_state(
        session: tuple[pc.Engine, list[Command], list[int]]) -> None:
    eng, commands, reasons = session
    bulk, bulk_reasons = replay_bulk(commands)
    assert bulk_reasons == reasons
    assert bulk.encode_canonical() == eng.encode_canonical()


def test_the_cpp_replayer_gives_the_same_reasons_and_digest(
        session: tuple[pc.Engine, list[Command], list[int]], tmp_path: pathlib.Path) -> None:
    driver = os.environ.get("PERPCORE_REPLAY_DRIVER")
    if not driver:
        pytest.skip("PERPCORE_REPLAY_DRIVER is not set (ctest sets it)")
    eng, commands, reasons = session
    log = tmp_path / "session.log"
    write_log(commands, log)
    out = subprocess.run([driver, str(log)], check=True, capture_output=True, text=True).stdout
    *reason_lines, digest_line = out.split("\n")[:-1]
    assert [int(x) for x in reason_lines] == reasons
    assert digest_line == f"digest {eng.digest().hex()}"


def test_the_digest_is_the_pinned_one(
        session: tuple[pc.Engine, list[Command], list[int]]) -> None:
    eng, _, _ = session
    assert eng.digest().hex() == GOLDEN_DIGEST


def main() -> None:
    """Prints the session's digest: how GOLDEN_DIGEST is (re)generated."""
    print(generate()[0].digest().hex())


if __name__ == "__main__":
    main()
    sys.exit(0)
