"""Stubs for perpcore._perpcore.analytics (python/src/analytics.cpp).

Hand-written; `python3 -m mypy.stubtest perpcore._perpcore
perpcore._perpcore.analytics` checks them against the built module. The
extension is not a package: this file sits in a stub-only directory next to
_perpcore.pyi, and the module registers the submodule in sys.modules.
"""

import enum

import numpy as np
import numpy.typing as npt

from perpcore._perpcore import OrderType, Side

_F64 = npt.NDArray[np.float64]

# -- Almgren-Chriss ---------------------------------------------------------

class AcParams:
    def __init__(
        self,
        *,
        shares: float = 0.0,
        horizon: float = 0.0,
        intervals: int = 0,
        sigma: float = 0.0,
        eta: float = 0.0,
        gamma: float = 0.0,
        epsilon: float = 0.0,
        lambda_: float = 0.0,
        alpha: float = 0.0,
    ) -> None: ...
    shares: float
    horizon: float
    intervals: int
    sigma: float
    eta: float
    gamma: float
    epsilon: float
    lambda_: float
    alpha: float

class AcCost:
    @property
    def expected_cost(self) -> float: ...
    @property
    def variance(self) -> float: ...
    @property
    def objective(self) -> float: ...

class AcSchedule:
    @property
    def holdings(self) -> _F64: ...
    @property
    def trades(self) -> _F64: ...
    @property
    def kappa(self) -> float: ...
    @property
    def half_life(self) -> float: ...
    @property
    def cost(self) -> AcCost: ...

class FrontierPoint:
    @property
    def lambda_(self) -> float: ...
    @property
    def kappa(self) -> float: ...
    @property
    def cost(self) -> AcCost: ...

class Frontier:
    @property
    def lambda_(self) -> _F64: ...
    @property
    def kappa(self) -> _F64: ...
    @property
    def expected_cost(self) -> _F64: ...
    @property
    def variance(self) -> _F64: ...
    @property
    def objective(self) -> _F64: ...
    @property
    def points(self) -> list[FrontierPoint]: ...
    def __len__(self) -> int: ...

def evaluate_schedule(params: AcParams, holdings: npt.ArrayLike) -> AcCost: ...
def optimal_schedule(params: AcParams) -> AcSchedule: ...
def naive_schedule(params: AcParams) -> AcSchedule: ...
def immediate_schedule(params: AcParams) -> AcSchedule: ...
def efficient_frontier(params: AcParams, lambdas: npt.ArrayLike) -> Frontier: ...

# -- the perpetual-swap extension ----------------------------------------------

class ExtOrderType(enum.IntEnum):
    TAKER = 0
    MAKER = 1

class ExtMethod(enum.IntEnum):
    CLOSED_FORM = 0
    TRIDIAGONAL = 1
    ACTIVE_SET = 2
    NEWTON = 3

class ExtSolver(enum.IntEnum):
    AUTO = 0
    NEWTON = 1

class ExtParams:
    def __init__(
        self,
        *,
        shares: float = 0.0,
        horizon: float = 0.0,
        intervals: int = 0,
        eta: float = 0.0,
        delta: float = 1.0,
        gamma: float = 0.0,
        lambda_: float = 0.0,
        reference_price: float = 0.0,
        taker_fee_rate: float = 0.0,
        maker_fee_rate: float = 0.0,
        latency: float = 0.0,
        latency_coefficient: float = ...,
        sigma: npt.ArrayLike | None = None,
        drift: npt.ArrayLike | None = None,
        spread: npt.ArrayLike | None = None,
        funding: npt.ArrayLike | None = None,
        order_types: list[ExtOrderType] = [],
    ) -> None: ...
    shares: float
    horizon: float
    intervals: int
    eta: float
    delta: float
    gamma: float
    lambda_: float
    reference_price: float
    taker_fee_rate: float
    maker_fee_rate: float
    latency: float
    latency_coefficient: float
    @property
    def sigma(self) -> _F64: ...
    @sigma.setter
    def sigma(self, value: npt.ArrayLike) -> None: ...
    @property
    def drift(self) -> _F64: ...
    @drift.setter
    def drift(self, value: npt.ArrayLike) -> None: ...
    @property
    def spread(self) -> _F64: ...
    @spread.setter
    def spread(self, value: npt.ArrayLike) -> None: ...
    @property
    def funding(self) -> _F64: ...
    @funding.setter
    def funding(self, value: npt.ArrayLike) -> None: ...
    order_types: list[ExtOrderType]

class ExtSolverOptions:
    def __init__(
        self, *, solver: ExtSolver = ..., tolerance: float = 1e-10, max_iterations: int = 0
    ) -> None: ...
    solver: ExtSolver
    tolerance: float
    max_iterations: int

class ExtCost:
    @property
    def permanent_impact(self) -> float: ...
    @property
    def temporary_impact(self) -> float: ...
    @property
    def spread(self) -> float: ...
    @property
    def fees(self) -> float: ...
    @property
    def latency(self) -> float: ...
    @property
    def funding(self) -> float: ...
    @property
    def drift(self) -> float: ...
    @property
    def expected_cost(self) -> float: ...
    @property
    def variance(self) -> float: ...
    @property
    def objective(self) -> float: ...

class ExtSchedule:
    @property
    def holdings(self) -> _F64: ...
    @property
    def trades(self) -> _F64: ...
    @property
    def cost(self) -> ExtCost: ...
    @property
    def method(self) -> ExtMethod: ...
    @property
    def active_constraints(self) -> int: ...
    @property
    def iterations(self) -> int: ...
    @property
    def kkt_residual(self) -> float: ...
    @property
    def converged(self) -> bool: ...

def evaluate_ext_schedule(params: ExtParams, holdings: npt.ArrayLike) -> ExtCost: ...
def ext_optimal_schedule(params: ExtParams, options: ExtSolverOptions = ...) -> ExtSchedule: ...

# -- the dynamic program ------------------------------------------------------------

MAX_DP_STATES: int

class DpSearch(enum.IntEnum):
    MONOTONE = 0
    EXHAUSTIVE = 1

class DpRegime:
    def __init__(self, *, sigma: float = 0.0, eta: float = 0.0, epsilon: float = 0.0) -> None: ...
    sigma: float
    eta: float
    epsilon: float

class DpParams:
    def __init__(
        self,
        *,
        ac: AcParams,
        grid_points: int,
        regimes: list[DpRegime] = [],
        transition: npt.ArrayLike | None = None,
        initial_regime: int = 0,
        search: DpSearch = ...,
    ) -> None: ...
    ac: AcParams
    grid_points: int
    regimes: list[DpRegime]
    @property
    def transition(self) -> _F64: ...
    initial_regime: int
    search: DpSearch

class DpPolicy:
    @property
    def steps(self) -> int: ...
    @property
    def regimes(self) -> int: ...
    @property
    def grid_points(self) -> int: ...
    @property
    def grid(self) -> _F64: ...
    @property
    def next_index(self) -> npt.NDArray[np.int32]: ...
    @property
    def value(self) -> _F64: ...
    def trades(self) -> _F64: ...
    def index(self, k: int, r: int, i: int) -> int: ...
    def next_index_at(self, k: int, r: int, i: int) -> int: ...
    def trade(self, k: int, r: int, i: int) -> float: ...
    def value_at(self, k: int, r: int, i: int) -> float: ...

class DpResult:
    @property
    def policy(self) -> DpPolicy: ...
    @property
    def expected_holdings(self) -> _F64: ...
    @property
    def expected_trades(self) -> _F64: ...
    @property
    def objective(self) -> float: ...

def solve_execution_dp(params: DpParams) -> DpResult: ...
def follow_policy(policy: DpPolicy, regime_path: npt.ArrayLike) -> _F64: ...

# -- calibration ---------------------------------------------------------------------

class VolatilityEstimate:
    @property
    def returns(self) -> int: ...
    @property
    def mu_log(self) -> float: ...
    @property
    def sigma_log(self) -> float: ...
    @property
    def last_price(self) -> float: ...
    @property
    def sigma(self) -> float: ...
    @property
    def alpha(self) -> float: ...

class SpreadEstimate:
    @property
    def best_bid(self) -> float: ...
    @property
    def best_ask(self) -> float: ...
    @property
    def mid(self) -> float: ...
    @property
    def spread(self) -> float: ...
    @property
    def half_spread(self) -> float: ...

class LinearImpactFit:
    @property
    def points(self) -> int: ...
    @property
    def half_spread(self) -> float: ...
    @property
    def fixed_cost(self) -> float: ...
    @property
    def slope(self) -> float: ...
    @property
    def eta(self) -> float: ...
    @property
    def rms_error(self) -> float: ...

class PowerImpactFit:
    @property
    def points(self) -> int: ...
    @property
    def half_spread(self) -> float: ...
    @property
    def c(self) -> float: ...
    @property
    def delta(self) -> float: ...
    @property
    def eta(self) -> float: ...
    @property
    def rms_log_error(self) -> float: ...

def estimate_volatility(
    prices: npt.ArrayLike, *, dt: float = 1.0, demean: bool = True
) -> VolatilityEstimate: ...
def estimate_spread(
    bids: npt.ArrayLike,
    asks: npt.ArrayLike,
    *,
    price_per_tick: float = 1.0,
    units_per_lot: float = 1.0,
) -> SpreadEstimate: ...
def fit_linear_impact(
    bids: npt.ArrayLike,
    asks: npt.ArrayLike,
    *,
    side: Side = ...,
    interval: float = 1.0,
    price_per_tick: float = 1.0,
    units_per_lot: float = 1.0,
) -> LinearImpactFit: ...
def fit_power_law_impact(
    bids: npt.ArrayLike,
    asks: npt.ArrayLike,
    *,
    side: Side = ...,
    interval: float = 1.0,
    price_per_tick: float = 1.0,
    units_per_lot: float = 1.0,
) -> PowerImpactFit: ...

# -- the plan -------------------------------------------------------------------------

class ChildOrder:
    def __init__(
        self,
        *,
        time_ns: int = 0,
        side: Side,
        type: OrderType = ...,
        price: int,
        size: int,
    ) -> None: ...
    @property
    def time_ns(self) -> int: ...
    @property
    def side(self) -> Side: ...
    @property
    def type(self) -> OrderType: ...
    @property
    def price(self) -> int: ...
    @property
    def size(self) -> int: ...

class CostBreakdown:
    @property
    def impact(self) -> float: ...
    @property
    def spread(self) -> float: ...
    @property
    def fees(self) -> float: ...
    @property
    def funding(self) -> float: ...
    @property
    def drift(self) -> float: ...
    @property
    def total(self) -> float: ...
    @property
    def stddev(self) -> float: ...

class Plan:
    @property
    def children(self) -> list[ChildOrder]: ...
    @property
    def expected(self) -> CostBreakdown: ...
    @property
    def single_order_slippage(self) -> float: ...
    @property
    def book_too_thin(self) -> bool: ...
    @property
    def rationale(self) -> str: ...

def make_plan(
    *,
    model: AcParams,
    holdings: npt.ArrayLike,
    price: float,
    tick_size: float,
    lot_size: float,
    opposite: npt.ArrayLike,
    fee_rate: float = 0.0,
    funding: npt.ArrayLike | None = None,
    time_unit_ns: float = 1000000000.0,
    start_ns: int = 0,
) -> Plan: ...

class BookRecovery(enum.IntEnum):
    DEPLETING = 0
    RESILIENT = 1

class ChildFill:
    @property
    def filled(self) -> int: ...
    @property
    def unfilled(self) -> int: ...
    @property
    def average_price(self) -> float: ...
    @property
    def notional(self) -> float: ...
    @property
    def fees(self) -> float: ...
    @property
    def shortfall(self) -> float: ...

class ShortfallEstimate:
    @property
    def fills(self) -> list[ChildFill]: ...
    @property
    def filled(self) -> int: ...
    @property
    def unfilled(self) -> int: ...
    @property
    def average_price(self) -> float: ...
    @property
    def notional(self) -> float: ...
    @property
    def fees(self) -> float: ...
    @property
    def shortfall(self) -> float: ...
    @property
    def shortfall_bp(self) -> float: ...

def estimate_shortfall(
    *,
    children: list[ChildOrder],
    arrival_price: float,
    tick_size: float,
    lot_size: float,
    opposite: npt.ArrayLike,
    fee_rate: float = 0.0,
    recovery: BookRecovery = ...,
) -> ShortfallEstimate: ...
