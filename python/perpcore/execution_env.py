"""An execution environment for reinforcement-learning experiments.

:class:`ExecutionEnv` drives a real perpcore :class:`~perpcore.Engine`: one
BTC-USD market (0.1 USD tick, 0.001 BTC lot, USDC with 6 decimals) with an
oracle whose index follows a seeded random walk, a market maker quoting
around the index, and a noise trader. The agent starts each episode holding
(``side="sell"``) or owing (``side="buy"``) ``size_lots`` and has
``horizon_steps`` steps to trade it all.

``reset()`` returns the first observation; ``step(action)`` trades a fraction
``action`` in [0, 1] of what is left with one IOC market order (rounded down to
whole lots; the last step trades everything left) and returns ``(observation,
reward, done, info)``.

Observation (``numpy.float64``, length :data:`ExecutionEnv.OBSERVATION_SIZE`):
``[inventory left / size, steps left / horizon, spread in bp of the mid,
top-5 depth imbalance (bid - ask) / (bid + ask), realized volatility of the
mid in bp per step (over the last 20 steps), steps to the next funding /
funding interval, funding rate in bp, mid move since arrival in bp]``.

Reward: minus the step's implementation shortfall in USD, computed exactly in
quote atoms first: for a sale, ``arrival mid * lots filled - cash received``
(so fees count), plus the funding the position pays at a funding time. The
episode's rewards add up to minus its total shortfall. What the book could not
absorb on the last step is marked at the final mid against the arrival price
(``info["unfilled_lots"]`` says how much).

Funding: perpcore's funding module is not built yet, so the environment
charges funding itself on its schedule (``funding_rate_bp`` every
``funding_every_steps``, longs pay a positive rate) and reports it in the
reward and in ``info``; the engine's state does not include it.

Deterministic: the same constructor arguments and seeds give the same
observations and rewards (numpy's PCG64 generator drives the index walk and
the other agents).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

import perpcore as pc

_USD = 1_000_000          # quote atoms per USD
_ATOMS_PER_TICK_LOT = 100  # 0.1 USD * 0.001 BTC at 6 decimals
_MARKET = 1
_MAKER, _NOISE, _AGENT, _SEEDER = 1, 2, 3, 4


class ExecutionEnv:
    """Optimal execution as an episodic environment over a real engine."""

    OBSERVATION_SIZE = 8

    def __init__(
        self,
        *,
        side: str = "sell",
        size_lots: int = 5_000,
        horizon_steps: int = 60,
        step_seconds: int = 10,
        start_price_ticks: int = 300_000,
        volatility_bp_per_step: float = 5.0,
        maker_levels: int = 10,
        maker_level_lots: int = 400,
        maker_spacing_ticks: int = 5,
        noise_trade_probability: float = 0.3,
        funding_rate_bp: float = 1.0,
        funding_every_steps: int = 30,
        seed: int = 0,
    ) -> None:
        """Configure the market and the episode; ``reset()`` starts one."""
        if side not in ("sell", "buy"):
            raise ValueError("side must be 'sell' or 'buy'")
        for name, value in (("size_lots", size_lots), ("horizon_steps", horizon_steps),
                            ("step_seconds", step_seconds), ("maker_levels", maker_levels),
                            ("maker_level_lots", maker_level_lots),
                            ("maker_spacing_ticks", maker_spacing_ticks),
                            ("funding_every_steps", funding_every_steps),
                            ("start_price_ticks", start_price_ticks)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an int >= 1")
        for name, fvalue in (("volatility_bp_per_step", volatility_bp_per_step),
                             ("noise_trade_probability", noise_trade_probability),
                             ("funding_rate_bp", funding_rate_bp)):
            if not math.isfinite(fvalue):
                raise ValueError(f"{name} must be finite")
        if volatility_bp_per_step < 0 or not 0 <= noise_trade_probability <= 1:
            raise ValueError("volatility must be >= 0 and the noise probability in [0, 1]")
        self.sell = side == "sell"
        self.size_lots = size_lots
        self.horizon_steps = horizon_steps
        self.step_ns = step_seconds * 1_000_000_000
        self.start_price_ticks = start_price_ticks
        self.volatility = volatility_bp_per_step / 1e4
        self.maker_levels = maker_levels
        self.maker_level_lots = maker_level_lots
        self.maker_spacing_ticks = maker_spacing_ticks
        self.noise_trade_probability = noise_trade_probability
        self.funding_rate_bp = funding_rate_bp
        self.funding_every_steps = funding_every_steps
        self._seed = seed
        self.engine: pc.Engine | None = None

    # -- episode -----------------------------------------------------------

    def reset(self, seed: int | None = None) -> npt.NDArray[np.float64]:
        """Start an episode (a fresh engine) and return the first observation."""
        if seed is not None:
            self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        self._now = 1_000_000_000
        self._next_id = 1
        self._index = self.start_price_ticks
        self._mids: list[float] = []
        eng = pc.Engine()
        self.engine = eng
        params = pc.MarketParams(symbol="BTC-USD", tick_size="0.1", lot_size="0.001",
                                 max_order_size=1_000_000, max_open_interest=1_000_000,
                                 max_price=100 * self.start_price_ticks, max_leverage=20)
        self._ok(eng.create_market(market=_MARKET, params=params, timestamp_ns=self._now))
        self._ok(eng.oracle_price(market=_MARKET, source=1, price=self._index,
                                  timestamp_ns=self._now))
        for account in (_MAKER, _NOISE, _AGENT, _SEEDER):
            self._ok(eng.create_account(account=account, owner=account, timestamp_ns=self._now))
            self._ok(eng.deposit(account=account, amount=100_000_000 * _USD,
                                 timestamp_ns=self._now))
        # The agent's starting position comes from a counterparty at the index.
        seed_side, agent_side = (pc.Side.SELL, pc.Side.BUY) if self.sell else (pc.Side.BUY,
                                                                                pc.Side.SELL)
        self._ok(eng.place_order(market=_MARKET, order_id=self._id(), account=_SEEDER,
                                 side=seed_side, price=self._index, size=self.size_lots,
                                 timestamp_ns=self._now))
        self._ok(eng.place_order(market=_MARKET, order_id=self._id(), account=_AGENT,
                                 side=agent_side, price=self._index, size=self.size_lots,
                                 tif=pc.TimeInForce.IOC, timestamp_ns=self._now))
        self._requote()
        self._step = 0
        self._left = self.size_lots
        self._arrival_mid2 = self._mid2()  # twice the mid, in ticks: exact
        self._mids.append(self._arrival_mid2 / 2)
        return self._observation()

    def step(self, action: float) -> tuple[npt.NDArray[np.float64], float, bool, dict[str, Any]]:
        """Trade ``action`` (a fraction in [0, 1]) of what is left; advance one step."""
        if self.engine is None:
            raise RuntimeError("call reset() before step()")
        if self._step >= self.horizon_steps:
            raise RuntimeError("the episode is over; call reset()")
        if isinstance(action, bool) or not isinstance(action, (int, float, np.floating,
                                                               np.integer)):
            raise TypeError("action must be a number in [0, 1]")
        fraction = float(action)
        if not math.isfinite(fraction) or not 0 <= fraction <= 1:
            raise ValueError("action must be a finite fraction in [0, 1]")
        eng = self.engine
        last = self._step == self.horizon_steps - 1
        lots = self._left if last else math.floor(self._left * fraction)
        cash_before = eng.summary(_AGENT).cash
        filled = 0
        if lots > 0:
            mid2 = self._mid2()
            protection = (mid2 // 2) * (99 if self.sell else 101) // 100
            r = eng.place_order(market=_MARKET, order_id=self._id(), account=_AGENT,
                                side=pc.Side.SELL if self.sell else pc.Side.BUY,
                                order_type=pc.OrderType.MARKET, tif=pc.TimeInForce.IOC,
                                price=protection, size=lots, timestamp_ns=self._now)
            filled = r.filled if r.ok else 0
        self._left -= filled
        cash_change = eng.summary(_AGENT).cash - cash_before
        # Shortfall in atoms: the arrival value of what traded minus what it brought
        # (a sale); mirrored for a purchase. mid2 is twice the mid, so halve exactly.
        arrival_value2 = self._arrival_mid2 * filled * _ATOMS_PER_TICK_LOT
        shortfall2 = arrival_value2 - 2 * cash_change if self.sell else -arrival_value2 - 2 * cash_change
        funding = self._funding()
        self._step += 1
        self._advance_market()
        unfilled = 0
        if self._step == self.horizon_steps and self._left > 0:
            unfilled = self._left
            move2 = (self._arrival_mid2 - self._mid2()) * unfilled * _ATOMS_PER_TICK_LOT
            shortfall2 += move2 if self.sell else -move2
        reward = -(shortfall2 / 2 + funding) / _USD
        done = self._step == self.horizon_steps
        info = {"filled_lots": filled, "left_lots": self._left, "funding_usd": funding / _USD,
                "unfilled_lots": unfilled, "step": self._step}
        return self._observation(), reward, done, info

    # -- the market around the agent -----------------------------------------

    def _advance_market(self) -> None:
        eng = self.engine
        assert eng is not None
        self._now += self.step_ns
        shock = float(self._rng.standard_normal())
        self._index = max(1, round(self._index * math.exp(self.volatility * shock)))
        self._ok(eng.oracle_price(market=_MARKET, source=1, price=self._index,
                                  timestamp_ns=self._now))
        if self._rng.random() < self.noise_trade_probability:
            buy = self._rng.random() < 0.5
            size = int(self._rng.integers(1, self.maker_level_lots + 1))
            eng.place_order(market=_MARKET, order_id=self._id(), account=_NOISE,
                            side=pc.Side.BUY if buy else pc.Side.SELL,
                            order_type=pc.OrderType.MARKET, tif=pc.TimeInForce.IOC,
                            price=self._index * (101 if buy else 99) // 100, size=size,
                            timestamp_ns=self._now)
        self._requote()
        self._mids.append(self._mid2() / 2)

    def _requote(self) -> None:
        eng = self.engine
        assert eng is not None
        self._ok(eng.cancel_all(account=_MAKER, market=_MARKET, timestamp_ns=self._now))
        n = self.maker_levels
        offsets = np.arange(1, n + 1, dtype=np.int64) * self.maker_spacing_ticks
        prices = np.concatenate([self._index - offsets, self._index + offsets]).astype(np.int64)
        sides = np.concatenate([np.full(n, int(pc.Side.BUY), dtype=np.int64),
                                np.full(n, int(pc.Side.SELL), dtype=np.int64)])
        ids = np.arange(self._next_id, self._next_id + 2 * n, dtype=np.int64)
        self._next_id += 2 * n
        eng.place_orders(market=_MARKET, order_ids=ids,
                         accounts=np.full(2 * n, _MAKER, dtype=np.int64), sides=sides,
                         prices=prices,
                         sizes=np.full(2 * n, self.maker_level_lots, dtype=np.int64),
                         timestamp_ns=self._now)

    # -- observation ---------------------------------------------------------

    def _mid2(self) -> int:
        """Twice the mid in ticks (the index when a side is empty)."""
        eng = self.engine
        assert eng is not None
        bid = eng.best(market=_MARKET, side=pc.Side.BUY)
        ask = eng.best(market=_MARKET, side=pc.Side.SELL)
        if bid is None or ask is None:
            return 2 * self._index
        return int(bid[0]) + int(ask[0])

    def _funding(self) -> float:
        """Funding the agent's position pays at this step, in atoms (a float)."""
        if (self._step + 1) % self.funding_every_steps != 0:
            return 0.0
        # What is left is the open position: a long to sell or a short to cover.
        sign = 1 if self.sell else -1
        notional = self._left * self._mid2() / 2 * _ATOMS_PER_TICK_LOT
        return sign * self.funding_rate_bp / 1e4 * notional

    def _observation(self) -> npt.NDArray[np.float64]:
        eng = self.engine
        assert eng is not None
        mid = self._mid2() / 2
        bid = eng.best(market=_MARKET, side=pc.Side.BUY)
        ask = eng.best(market=_MARKET, side=pc.Side.SELL)
        spread_bp = (int(ask[0]) - int(bid[0])) / mid * 1e4 if bid and ask else 0.0
        _, bid_sizes, _ = eng.depth_arrays(market=_MARKET, side=pc.Side.BUY, levels=5)
        _, ask_sizes, _ = eng.depth_arrays(market=_MARKET, side=pc.Side.SELL, levels=5)
        b, a = float(bid_sizes.sum()), float(ask_sizes.sum())
        imbalance = (b - a) / (b + a) if b + a > 0 else 0.0
        window = np.asarray(self._mids[-21:], dtype=np.float64)
        vol_bp = float(np.std(np.diff(np.log(window))) * 1e4) if window.size > 2 else 0.0
        to_funding = self.funding_every_steps - self._step % self.funding_every_steps
        return np.array([
            self._left / self.size_lots,
            (self.horizon_steps - self._step) / self.horizon_steps,
            spread_bp,
            imbalance,
            vol_bp,
            to_funding / self.funding_every_steps,
            self.funding_rate_bp,
            (mid - self._arrival_mid2 / 2) / (self._arrival_mid2 / 2) * 1e4,
        ], dtype=np.float64)

    # -- helpers ---------------------------------------------------------------

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    @staticmethod
    def _ok(result: pc.Result) -> None:
        if not result.ok:
            raise RuntimeError(f"environment set-up command refused: {result.reason!r}")
