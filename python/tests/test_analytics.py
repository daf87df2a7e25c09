"""perpcore.analytics: optimal execution from Python, checked against numpy.

The expected values are worked out here independently of the C++: the
Almgren-Chriss example of the paper (Almgren & Chriss 2000, section 4: sell
X = 1e6 shares over T = 5 days in N = 5 steps, sigma = 0.3 * 50 / sqrt(250)
= 0.95 per sqrt(day), eta = 2.5e-6, gamma = 2.5e-7, epsilon = 0.0625), the
optimum as the solution of its tridiagonal first-order conditions, sample
moments with numpy, and the book-walk formulas of calibration.hpp.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

import perpcore
import perpcore as pc
import perpcore.analytics
from perpcore import analytics as an

from enginekit import T0, USD, btc_params, ok, usd

X, T, N = 1e6, 5.0, 5
SIGMA, ETA, GAMMA, EPS, LAM = 0.95, 2.5e-6, 2.5e-7, 0.0625, 1e-6


def paper(**changes: float) -> an.AcParams:
    fields: dict[str, float] = dict(shares=X, horizon=T, sigma=SIGMA, eta=ETA, gamma=GAMMA,
                                    epsilon=EPS, lambda_=LAM)
    fields.update(changes)
    p = an.AcParams(intervals=N)
    for k, v in fields.items():
        setattr(p, k, v)
    return p


def reference_optimum(lam: float) -> npt.NDArray[np.float64]:
    """x_0..x_N minimising E + lambda V: the normal equations, solved by numpy.

    d/dx_j of (eta_tilde / tau) sum n_k^2 + lambda sigma^2 tau sum x_k^2 is
    2 a (2 x_j - x_{j-1} - x_{j+1}) + 2 b x_j with a = eta_tilde / tau and
    b = lambda sigma^2 tau; x_0 = X moves to the right-hand side.
    """
    tau = T / N
    a = (ETA - GAMMA * tau / 2) / tau
    b = lam * SIGMA**2 * tau
    m = N - 1
    mat = np.diag(np.full(m, 2 * a + b)) - a * np.eye(m, k=1) - a * np.eye(m, k=-1)
    rhs = np.zeros(m)
    rhs[0] = a * X
    x = np.zeros(N + 1)
    x[0] = X
    x[1:N] = np.linalg.solve(mat, rhs)
    return x


def ladder(first: int, step: int, size: int, n: int = 6) -> list[tuple[int, int]]:
    """n levels of `size` lots, `step` ticks apart, from `first`."""
    return [(first + i * step, size) for i in range(n)]


BIDS = ladder(99, -1, 5)   # mid 100, half spread 1 tick, levels 1 tick apart
ASKS = ladder(101, 1, 5)


# -- the package -------------------------------------------------------------

def test_analytics_is_importable_both_ways_and_is_the_extension_submodule() -> None:
    assert perpcore.analytics is an
    assert pc.analytics.optimal_schedule is pc._perpcore.analytics.optimal_schedule
    assert an.ExtOrderType.__module__ == "perpcore._perpcore.analytics"


# -- Almgren-Chriss ----------------------------------------------------------

def test_naive_schedule_costs_the_closed_form_of_the_paper() -> None:
    # E = gamma X^2 / 2 + eps X + eta_tilde X^2 / T with eta_tilde = eta - gamma tau / 2
    # = 125,000 + 62,500 + 475,000; V = sigma^2 tau X^2 sum_{k=1}^{N-1} (1 - k/N)^2.
    s = an.naive_schedule(paper())
    assert s.cost.expected_cost == 662_500.0
    assert s.cost.variance == pytest.approx(SIGMA**2 * 1.0 * X**2 * 1.2, rel=1e-15)
    assert s.cost.objective == pytest.approx(662_500.0 + LAM * s.cost.variance, rel=1e-15)
    np.testing.assert_array_equal(s.holdings, [1e6, 8e5, 6e5, 4e5, 2e5, 0.0])
    np.testing.assert_array_equal(s.trades, np.full(5, 2e5))


def test_optimal_schedule_solves_the_normal_equations() -> None:
    s = an.optimal_schedule(paper())
    np.testing.assert_allclose(s.holdings, reference_optimum(LAM), rtol=1e-12, atol=1e-6)
    assert s.holdings.dtype == np.float64 and s.holdings.shape == (N + 1,)


def test_optimal_kappa_satisfies_the_discrete_relation() -> None:
    s = an.optimal_schedule(paper())
    tau = T / N
    eta_tilde = ETA - GAMMA * tau / 2
    lhs = 2 / tau**2 * (math.cosh(s.kappa * tau) - 1)
    assert lhs == pytest.approx(LAM * SIGMA**2 / eta_tilde, rel=1e-12)
    assert s.half_life == pytest.approx(1 / s.kappa, rel=1e-15)


def test_optimal_schedule_beats_naive_and_immediate_on_the_objective() -> None:
    p = paper()
    best = an.optimal_schedule(p).cost.objective
    assert best < an.naive_schedule(p).cost.objective
    assert best < an.immediate_schedule(p).cost.objective


def test_evaluate_schedule_accepts_lists_and_ints() -> None:
    cost = an.evaluate_schedule(paper(), [1_000_000, 800_000, 600_000, 400_000, 200_000, 0])
    assert cost.expected_cost == 662_500.0


def test_result_arrays_are_read_only() -> None:
    s = an.optimal_schedule(paper())
    with pytest.raises(ValueError):
        s.holdings[0] = 0.0


def test_efficient_frontier_trades_variance_for_cost_as_lambda_grows() -> None:
    lambdas = np.geomspace(1e-8, 1e-4, 25)
    f = an.efficient_frontier(paper(), lambdas)
    assert len(f) == 25 and len(f.points) == 25
    np.testing.assert_array_equal(f.lambda_, lambdas)
    assert np.all(np.diff(f.expected_cost) > 0)
    assert np.all(np.diff(f.variance) < 0)
    assert np.all(np.diff(f.kappa) > 0)


def test_frontier_points_match_optimal_schedule() -> None:
    f = an.efficient_frontier(paper(), [1e-7, 1e-6])
    s = an.optimal_schedule(paper(lambda_=1e-6))
    assert f.points[1].lambda_ == 1e-6
    assert f.points[1].cost.objective == s.cost.objective
    assert f.objective[1] == s.cost.objective and f.kappa[1] == s.kappa


# -- the perpetual-swap extension -----------------------------------------------

def test_ext_at_the_classic_settings_is_the_closed_form() -> None:
    e = an.ExtParams(shares=X, horizon=T, intervals=N, eta=ETA, gamma=GAMMA, lambda_=LAM,
                     sigma=[SIGMA], spread=np.array([EPS]))
    s = an.ext_optimal_schedule(e)
    classic = an.optimal_schedule(paper())
    assert s.method == an.ExtMethod.CLOSED_FORM and s.converged
    np.testing.assert_allclose(s.holdings, classic.holdings, rtol=1e-12)
    assert s.cost.expected_cost == pytest.approx(classic.cost.expected_cost, rel=1e-12)
    assert s.cost.spread == pytest.approx(EPS * X, rel=1e-15)


def test_ext_newton_at_delta_one_agrees_with_the_closed_form() -> None:
    e = an.ExtParams(shares=X, horizon=T, intervals=N, eta=ETA, lambda_=LAM, sigma=[SIGMA],
                     delta=1.0)
    newton = an.ext_optimal_schedule(e, an.ExtSolverOptions(solver=an.ExtSolver.NEWTON))
    direct = an.ext_optimal_schedule(e)
    assert newton.method == an.ExtMethod.NEWTON and newton.converged
    np.testing.assert_allclose(newton.holdings, direct.holdings, rtol=1e-6, atol=1e-3)


def test_ext_power_law_is_one_sided_and_converges() -> None:
    e = an.ExtParams(shares=X, horizon=T, intervals=20, eta=ETA, lambda_=LAM, sigma=[SIGMA],
                     delta=0.5)
    s = an.ext_optimal_schedule(e)
    assert s.method == an.ExtMethod.NEWTON and s.converged
    assert np.all(s.trades >= 0) and s.holdings[0] == X and s.holdings[-1] == 0


def test_ext_params_vectors_read_back_as_float64_arrays() -> None:
    e = an.ExtParams(sigma=[1, 2, 3], order_types=[an.ExtOrderType.MAKER])
    assert e.sigma.dtype == np.float64
    np.testing.assert_array_equal(e.sigma, [1.0, 2.0, 3.0])
    e.funding = np.array([0.5])
    np.testing.assert_array_equal(e.funding, [0.5])
    assert e.order_types == [an.ExtOrderType.MAKER]


def test_evaluate_ext_schedule_splits_fees_by_order_type() -> None:
    e = an.ExtParams(shares=10, horizon=2, intervals=2, eta=1.0, reference_price=100,
                     taker_fee_rate=0.001, maker_fee_rate=-0.0002,
                     order_types=[an.ExtOrderType.TAKER, an.ExtOrderType.MAKER])
    cost = an.evaluate_ext_schedule(e, [10, 4, 0])
    assert cost.fees == pytest.approx(0.001 * 100 * 6 - 0.0002 * 100 * 4, rel=1e-15)


# -- the dynamic program -----------------------------------------------------------

def test_dp_with_one_regime_is_close_to_the_static_optimum() -> None:
    m = 2001
    r = an.solve_execution_dp(an.DpParams(ac=paper(), grid_points=m))
    static = an.optimal_schedule(paper())
    np.testing.assert_allclose(r.expected_holdings, static.holdings, atol=2 * X / (m - 1))
    assert r.objective == pytest.approx(static.cost.objective, rel=1e-4)
    assert r.objective >= static.cost.objective * (1 - 1e-12)  # a grid cannot do better


def test_dp_policy_tables_are_numpy_arrays_of_the_documented_shapes() -> None:
    r = an.solve_execution_dp(an.DpParams(ac=paper(), grid_points=11))
    pol = r.policy
    assert pol.next_index.shape == (N, 1, 11) and pol.next_index.dtype == np.int32
    assert pol.value.shape == (N + 1, 1, 11)
    np.testing.assert_array_equal(pol.grid, np.linspace(0, X, 11))
    trades = pol.trades()
    assert trades[0, 0, 10] == pol.trade(0, 0, 10) == X - pol.grid[pol.next_index_at(0, 0, 10)]
    assert pol.value_at(0, 0, 10) == r.objective
    np.testing.assert_array_equal(an.follow_policy(pol, [0] * N), r.expected_holdings)


def test_dp_regimes_give_an_adaptive_policy() -> None:
    calm, wild = an.DpRegime(sigma=0.5, eta=ETA), an.DpRegime(sigma=2.0, eta=ETA)
    d = an.DpParams(ac=paper(), grid_points=201, regimes=[calm, wild],
                    transition=[[0.9, 0.1], [0.2, 0.8]])
    np.testing.assert_array_equal(d.transition, [[0.9, 0.1], [0.2, 0.8]])
    pol = an.solve_execution_dp(d).policy
    # More volatility, more urgency: the first trade from X is larger when wild.
    assert pol.trade(0, 1, 200) > pol.trade(0, 0, 200)


def test_dp_policy_accessors_refuse_indices_out_of_range() -> None:
    pol = an.solve_execution_dp(an.DpParams(ac=paper(), grid_points=11)).policy
    with pytest.raises(IndexError, match="k"):
        pol.trade(N, 0, 0)
    with pytest.raises(IndexError, match="i"):
        pol.value_at(0, 0, 11)


# -- calibration --------------------------------------------------------------------

def test_estimate_volatility_is_the_sample_formula() -> None:
    rng = np.random.default_rng(11)
    dt = 1 / 1440
    r = rng.normal(0.0, 0.02 * math.sqrt(dt), 5000)
    prices = 100 * np.exp(np.concatenate(([0.0], np.cumsum(r))))
    v = an.estimate_volatility(prices, dt=dt)
    sigma_log = np.std(np.diff(np.log(prices)), ddof=1) / math.sqrt(dt)
    assert v.returns == 5000
    assert v.sigma_log == pytest.approx(sigma_log, rel=1e-9)
    assert v.sigma == pytest.approx(sigma_log * prices[-1], rel=1e-9)
    assert v.sigma_log == pytest.approx(0.02, rel=0.05)  # recovers the generator's sigma


def test_estimate_spread_reads_the_touch() -> None:
    s = an.estimate_spread(BIDS, ASKS, price_per_tick=0.5)
    assert (s.best_bid, s.best_ask, s.mid, s.spread, s.half_spread) == (49.5, 50.5, 50, 1, 0.5)


def test_linear_impact_of_an_even_ladder_is_exact() -> None:
    # Equal levels L = 5 spaced d = 1 from a touch at e = 1: k = d / (2 L), a = e - d / 2.
    f = an.fit_linear_impact(BIDS, ASKS, interval=2.0)
    assert f.slope == pytest.approx(0.1, rel=1e-12)
    assert f.fixed_cost == pytest.approx(0.5, rel=1e-12)
    assert f.eta == pytest.approx(0.2, rel=1e-12)


def test_book_levels_from_engine_depth_tuples_are_accepted() -> None:
    rows = [(p, s, 1) for p, s in BIDS]  # (price, size, orders), as Engine.depth() gives
    f = an.fit_power_law_impact(rows, ASKS, side=pc.Side.SELL)
    assert f.points >= 2 and f.delta > 0


# -- the plan -------------------------------------------------------------------------

def test_plan_children_add_up_to_the_order() -> None:
    p = paper()
    s = an.optimal_schedule(p)
    plan = an.make_plan(model=p, holdings=s.holdings, price=50.0, tick_size=0.01, lot_size=1.0,
                        opposite=[(4999, 300_000), (4998, 300_000), (4997, 1_000_000)],
                        start_ns=1_000)
    assert sum(c.size for c in plan.children) == 1_000_000
    assert all(c.side == pc.Side.SELL for c in plan.children)
    assert plan.children[0].time_ns == 1_000
    assert plan.expected.total == pytest.approx(s.cost.expected_cost, rel=1e-12)
    assert plan.rationale and not plan.book_too_thin


def sell(price: int, size: int, order_type: pc.OrderType = pc.OrderType.LIMIT) -> an.ChildOrder:
    return an.ChildOrder(side=pc.Side.SELL, type=order_type, price=price, size=size)


def test_shortfall_children_deplete_one_snapshot_in_turn() -> None:
    # Bids 100 x 3, 99 x 2, 97 x 4. Child 1 takes 2 @ 100; child 2 the lot left
    # at 100 and 2 @ 99 (298), stopping above its protection price 98.
    children = [sell(100, 2), sell(98, 3, pc.OrderType.MARKET)]
    e = an.estimate_shortfall(children=children, arrival_price=100.5, tick_size=1.0,
                              lot_size=1.0, opposite=[(100, 3), (99, 2), (97, 4)],
                              fee_rate=0.001)
    assert [f.filled for f in e.fills] == [2, 3]
    assert [f.notional for f in e.fills] == [200.0, 298.0]
    assert e.filled == 5 and e.unfilled == 0
    assert e.shortfall == pytest.approx(502.5 - 498 + 0.498, rel=1e-15)


def test_shortfall_on_a_resilient_book_shows_each_child_the_whole_snapshot() -> None:
    children = [sell(100, 2), sell(98, 3, pc.OrderType.MARKET)]
    e = an.estimate_shortfall(children=children, arrival_price=100.5, tick_size=1.0,
                              lot_size=1.0, opposite=[(100, 3), (99, 2), (97, 4)],
                              recovery=an.BookRecovery.RESILIENT)
    assert e.notional == 500.0  # 2 @ 100, then 3 @ 100 again
    assert e.shortfall == pytest.approx(2.5, rel=1e-15)


def test_shortfall_of_a_plan_equals_executing_it_on_the_engine() -> None:
    # The engine test market (enginekit) without fees; the analytics run in lots
    # and atoms, so a tick is 100 atoms per lot and 30,000 USD is 3e7 atoms/lot.
    eng = pc.Engine()
    ok(eng.create_market(market=1, params=btc_params(maker_fee="0", taker_fee="0"),
                         timestamp_ns=T0))
    ok(eng.oracle_price(market=1, source=1, price=usd(30_000), timestamp_ns=T0))
    for account in (1, 2):
        ok(eng.create_account(account=account, owner=account, timestamp_ns=T0))
        ok(eng.deposit(account=account, amount=10_000_000 * USD, timestamp_ns=T0))
    for i in range(10):
        ok(eng.place_order(market=1, account=1, order_id=100 + i, side=pc.Side.BUY,
                           price=usd(29_990) - 50 * i, size=150 + 40 * i, timestamp_ns=T0))
    bids = eng.depth(1, pc.Side.BUY, 20)
    model = an.AcParams(shares=3000, horizon=10, intervals=10, eta=1.0)
    plan = an.make_plan(model=model, holdings=np.linspace(3000, 0, 11), price=3e7,
                        tick_size=100, lot_size=1, opposite=bids)
    digest = eng.digest()
    e = an.estimate_shortfall(children=plan.children, arrival_price=3e7, tick_size=100,
                              lot_size=1, opposite=bids)
    assert eng.digest() == digest and e.unfilled > 0

    cash = eng.summary(2).cash
    position = 0
    for i, (c, f) in enumerate(zip(plan.children, e.fills)):
        ok(eng.place_order(market=1, account=2, order_id=1000 + i, side=c.side, price=c.price,
                           size=c.size, order_type=c.type, tif=pc.TimeInForce.IOC,
                           timestamp_ns=T0))
        now = sum(p.size for p in eng.summary(2).positions)
        assert position - now == f.filled
        position = now
    assert -position == e.filled
    assert eng.summary(2).cash - cash == e.notional  # a short receives the notional, in atoms


# -- errors name the parameter --------------------------------------------------------

@pytest.mark.parametrize(("change", "name"), [
    (dict(intervals=0), "intervals"),
    (dict(horizon=0.0), "horizon"),
    (dict(horizon=-1.0), "horizon"),
    (dict(sigma=-0.1), "sigma"),
    (dict(eta=GAMMA * 0.5), "eta"),       # eta_tilde = eta - gamma tau / 2 = 0
    (dict(sigma=math.nan), "sigma"),
    (dict(lambda_=math.inf), "lambda"),
])
def test_bad_ac_params_raise_invalid_argument_naming_the_field(change: dict[str, float],
                                                               name: str) -> None:
    with pytest.raises(pc.InvalidArgumentError, match=name):
        an.optimal_schedule(paper(**change))


@pytest.mark.parametrize("delta", [0.0, -1.0, 2.5, math.nan])
def test_ext_delta_out_of_range_is_invalid_argument(delta: float) -> None:
    e = an.ExtParams(shares=X, horizon=T, intervals=N, eta=ETA, sigma=[SIGMA], delta=delta)
    with pytest.raises(pc.InvalidArgumentError, match="delta"):
        an.ext_optimal_schedule(e)


def test_nan_in_an_array_reaches_the_cpp_check() -> None:
    with pytest.raises(pc.InvalidArgumentError, match="lambda"):
        an.efficient_frontier(paper(), [1e-6, math.nan])


def test_frontier_refuses_a_negative_lambda() -> None:
    with pytest.raises(pc.InvalidArgumentError, match="lambda"):
        an.efficient_frontier(paper(), [-1e-6])


def test_calibration_errors_name_the_input() -> None:
    with pytest.raises(pc.InvalidArgumentError, match="dt"):
        an.estimate_volatility([100.0, 101.0, 102.0], dt=0.0)
    with pytest.raises(pc.InvalidArgumentError, match="bids"):
        an.estimate_spread([], ASKS)


def test_plan_refuses_a_fractional_lot_total() -> None:
    p = paper(shares=10.5)
    with pytest.raises(pc.InvalidArgumentError):
        an.make_plan(model=p, holdings=an.naive_schedule(p).holdings, price=50.0, tick_size=0.01,
                     lot_size=1.0, opposite=[(4999, 100)])


def test_a_2d_array_is_invalid_argument_naming_it() -> None:
    with pytest.raises(pc.InvalidArgumentError, match="holdings"):
        an.evaluate_schedule(paper(), np.zeros((2, 3)))


@pytest.mark.parametrize("bad", [np.array([True, False]), ["1", "2"], [1 + 2j], [None, 1.0]])
def test_non_real_arrays_are_type_errors(bad: object) -> None:
    with pytest.raises(TypeError, match="lambdas"):
        an.efficient_frontier(paper(), bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [True, "1.0", None])
def test_bool_and_str_are_not_floats(bad: object) -> None:
    with pytest.raises(TypeError):
        an.AcParams(sigma=bad)  # type: ignore[arg-type]
    p = an.AcParams()
    with pytest.raises(TypeError):
        p.eta = bad  # type: ignore[assignment]


def test_float_intervals_are_a_type_error() -> None:
    with pytest.raises(TypeError):
        an.AcParams(intervals=5.0)  # type: ignore[arg-type]


def test_float_book_levels_are_a_type_error() -> None:
    with pytest.raises(TypeError, match="bids"):
        an.estimate_spread([(99.5, 5.0)], ASKS)


def test_numpy_scalars_are_accepted_as_floats() -> None:
    # The stubs say float (numpy's own stubs do not make these floats).
    p = an.AcParams(sigma=np.float32(0.5), eta=np.int64(1),  # type: ignore[arg-type]
                    horizon=np.float64(2.0))  # type: ignore[arg-type]
    assert (p.sigma, p.eta, p.horizon) == (0.5, 1.0, 2.0)
