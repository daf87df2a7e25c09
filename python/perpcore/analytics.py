"""perpcore.analytics: optimal execution for a perpetual-futures desk.

Everything here is doubles (no engine state is touched) with numpy float64
arrays in and out; the C++ is perpcore/analytics/*.hpp, bound in the
extension submodule ``perpcore._perpcore.analytics`` and re-exported here.

* Almgren-Chriss (execution.hpp): :class:`AcParams` (``lambda_`` is the risk
  aversion: ``lambda`` is a Python keyword), :func:`optimal_schedule`,
  :func:`naive_schedule`, :func:`immediate_schedule`,
  :func:`evaluate_schedule` and :func:`efficient_frontier`, whose
  :class:`Frontier` has one numpy column per quantity (``lambda_``,
  ``kappa``, ``expected_cost``, ``variance``, ``objective``) plus ``points``.
* The perpetual-swap extension (execution_ext.hpp): :class:`ExtParams`,
  :func:`ext_optimal_schedule`, :func:`evaluate_ext_schedule`.
* The dynamic program (execution_dp.hpp): :class:`DpParams`,
  :func:`solve_execution_dp` (policy tables as numpy arrays of shape
  (N, R, M)), :func:`follow_policy`.
* Calibration (calibration.hpp): :func:`estimate_volatility` from a price
  series; :func:`estimate_spread`, :func:`fit_linear_impact` and
  :func:`fit_power_law_impact` from an L2 snapshot given as integer
  (price ticks, size lots) rows, e.g. ``Engine.depth()``.
* Plans (execution_plan.hpp): :func:`make_plan` turns a schedule into child
  orders with a cost breakdown and a rationale; :func:`estimate_shortfall`
  scores children against a book snapshot (``Engine.depth()``), the book
  depleting or refilling between them (:class:`BookRecovery`).

Bad input raises :class:`perpcore.InvalidArgumentError` (a ValueError) whose
message names the parameter; a result that overflows a double raises
:class:`perpcore.OutOfRangeError`. A bool, str or other non-number where a
float or an array of reals is expected is a TypeError.

Example::

    import numpy as np
    from perpcore import analytics as an

    p = an.AcParams(shares=1e6, horizon=5, intervals=5, sigma=0.95, eta=2.5e-6,
                    gamma=2.5e-7, epsilon=0.0625, lambda_=1e-6)
    s = an.optimal_schedule(p)          # s.holdings: float64 array, 6 values
    f = an.efficient_frontier(p, np.geomspace(1e-8, 1e-5, 50))
    # plot f.variance against f.expected_cost
"""

from perpcore._perpcore.analytics import (
    AcCost as AcCost,
    AcParams as AcParams,
    AcSchedule as AcSchedule,
    BookRecovery as BookRecovery,
    ChildFill as ChildFill,
    ChildOrder as ChildOrder,
    CostBreakdown as CostBreakdown,
    DpParams as DpParams,
    DpPolicy as DpPolicy,
    DpRegime as DpRegime,
    DpResult as DpResult,
    DpSearch as DpSearch,
    ExtCost as ExtCost,
    ExtMethod as ExtMethod,
    ExtOrderType as ExtOrderType,
    ExtParams as ExtParams,
    ExtSchedule as ExtSchedule,
    ExtSolver as ExtSolver,
    ExtSolverOptions as ExtSolverOptions,
    Frontier as Frontier,
    FrontierPoint as FrontierPoint,
    LinearImpactFit as LinearImpactFit,
    MAX_DP_STATES as MAX_DP_STATES,
    Plan as Plan,
    PowerImpactFit as PowerImpactFit,
    ShortfallEstimate as ShortfallEstimate,
    SpreadEstimate as SpreadEstimate,
    VolatilityEstimate as VolatilityEstimate,
    efficient_frontier as efficient_frontier,
    estimate_shortfall as estimate_shortfall,
    estimate_spread as estimate_spread,
    estimate_volatility as estimate_volatility,
    evaluate_ext_schedule as evaluate_ext_schedule,
    evaluate_schedule as evaluate_schedule,
    ext_optimal_schedule as ext_optimal_schedule,
    fit_linear_impact as fit_linear_impact,
    fit_power_law_impact as fit_power_law_impact,
    follow_policy as follow_policy,
    immediate_schedule as immediate_schedule,
    make_plan as make_plan,
    naive_schedule as naive_schedule,
    optimal_schedule as optimal_schedule,
    solve_execution_dp as solve_execution_dp,
)

__all__ = [
    "AcCost",
    "AcParams",
    "AcSchedule",
    "BookRecovery",
    "ChildFill",
    "ChildOrder",
    "CostBreakdown",
    "DpParams",
    "DpPolicy",
    "DpRegime",
    "DpResult",
    "DpSearch",
    "ExtCost",
    "ExtMethod",
    "ExtOrderType",
    "ExtParams",
    "ExtSchedule",
    "ExtSolver",
    "ExtSolverOptions",
    "Frontier",
    "FrontierPoint",
    "LinearImpactFit",
    "MAX_DP_STATES",
    "Plan",
    "PowerImpactFit",
    "ShortfallEstimate",
    "SpreadEstimate",
    "VolatilityEstimate",
    "efficient_frontier",
    "estimate_shortfall",
    "estimate_spread",
    "estimate_volatility",
    "evaluate_ext_schedule",
    "evaluate_schedule",
    "ext_optimal_schedule",
    "fit_linear_impact",
    "fit_power_law_impact",
    "follow_policy",
    "immediate_schedule",
    "make_plan",
    "naive_schedule",
    "optimal_schedule",
    "solve_execution_dp",
]
