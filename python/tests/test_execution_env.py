"""Tests of perpcore.execution_env.ExecutionEnv over a real engine."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perpcore.execution_env import ExecutionEnv


def run(env: ExecutionEnv, policy: list[float], seed: int = 7) -> tuple[float, list[dict[str, object]]]:
    env.reset(seed=seed)
    total, infos = 0.0, []
    for a in policy:
        _, reward, done, info = env.step(a)
        total += reward
        infos.append(info)
        if done:
            break
    return total, infos


def twap(steps: int) -> list[float]:
    return [1.0 / (steps - k) for k in range(steps)]


def test_reset_returns_the_documented_observation() -> None:
    env = ExecutionEnv(horizon_steps=10, seed=1)
    obs = env.reset()
    assert obs.dtype == np.float64 and obs.shape == (ExecutionEnv.OBSERVATION_SIZE,)
    assert obs[0] == 1.0 and obs[1] == 1.0          # all inventory, all time left
    assert obs[2] > 0                                # a two-sided book has a spread
    assert obs[3] == 0.0                             # the maker quotes both sides equally
    assert obs[7] == 0.0                             # no move since arrival yet


def test_same_seed_same_episode() -> None:
    a = run(ExecutionEnv(horizon_steps=20), twap(20), seed=3)
    b = run(ExecutionEnv(horizon_steps=20), twap(20), seed=3)
    assert a == b
    c = run(ExecutionEnv(horizon_steps=20), twap(20), seed=4)
    assert a[0] != c[0]


def test_the_last_step_trades_everything_left() -> None:
    env = ExecutionEnv(horizon_steps=5, size_lots=1_000)
    total, infos = run(env, [0.0] * 5)
    assert [i["filled_lots"] for i in infos[:4]] == [0, 0, 0, 0]
    assert infos[-1]["filled_lots"] == 1_000 and infos[-1]["left_lots"] == 0
    assert infos[-1]["unfilled_lots"] == 0


def test_actions_are_fractions_rounded_down_to_lots() -> None:
    env = ExecutionEnv(horizon_steps=4, size_lots=1_001)
    env.reset(seed=1)
    _, _, _, info = env.step(0.5)
    assert info["filled_lots"] == 500 and info["left_lots"] == 501


# Without volatility, noise or funding the shortfall is only the spread, the
# fees and the book walk, so it is positive and sending it all at once, deep
# into the book, costs more than spreading it out over the quotes.
def test_a_block_trade_costs_more_than_twap_on_a_thin_book() -> None:
    quiet = dict(volatility_bp_per_step=0.0, noise_trade_probability=0.0, funding_rate_bp=0.0,
                 size_lots=6_000, horizon_steps=12, maker_level_lots=500)
    block, _ = run(ExecutionEnv(**quiet), [1.0] + [0.0] * 11)  # type: ignore[arg-type]
    spread_out, _ = run(ExecutionEnv(**quiet), twap(12))       # type: ignore[arg-type]
    assert block < spread_out < 0


# 5,000 lots (5 BTC) at 30,000 USD: 1 bp of funding on the held position is
# 15 USD when all of it is still held at the funding time.
def test_funding_is_charged_on_the_position_held() -> None:
    env = ExecutionEnv(volatility_bp_per_step=0.0, noise_trade_probability=0.0,
                       funding_rate_bp=1.0, funding_every_steps=2, horizon_steps=4)
    _, infos = run(env, [0.0, 0.0, 0.0, 1.0])
    assert infos[0]["funding_usd"] == 0.0
    assert infos[1]["funding_usd"] == pytest.approx(15.0)


def test_bad_actions_and_calls_are_refused() -> None:
    env = ExecutionEnv(horizon_steps=2)
    with pytest.raises(RuntimeError):
        env.step(0.5)
    env.reset()
    for bad in (math.nan, math.inf, -0.1, 1.5):
        with pytest.raises(ValueError):
            env.step(bad)
    with pytest.raises(TypeError):
        env.step(True)
    with pytest.raises(TypeError):
        env.step("0.5")  # type: ignore[arg-type]
    env.step(0.0)
    env.step(0.0)
    with pytest.raises(RuntimeError):
        env.step(0.0)
    with pytest.raises(ValueError):
        ExecutionEnv(side="short")
    with pytest.raises(ValueError):
        ExecutionEnv(size_lots=0)


def test_covering_a_short_costs_the_spread_too() -> None:
    quiet = dict(volatility_bp_per_step=0.0, noise_trade_probability=0.0, funding_rate_bp=0.0,
                 horizon_steps=6)
    total, infos = run(ExecutionEnv(side="buy", **quiet), twap(6))  # type: ignore[arg-type]
    assert total < 0
    assert sum(int(i["filled_lots"]) for i in infos) == 5_000  # type: ignore[call-overload]


def test_a_short_receives_positive_funding() -> None:
    env = ExecutionEnv(side="buy", volatility_bp_per_step=0.0, noise_trade_probability=0.0,
                       funding_rate_bp=1.0, funding_every_steps=2, horizon_steps=4)
    _, infos = run(env, [0.0, 0.0, 0.0, 1.0])
    assert infos[1]["funding_usd"] == pytest.approx(-15.0)
