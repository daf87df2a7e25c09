"""Stubs for perpcore._perpcore, the pybind11 extension (python/src/module.cpp).

Hand-written; `python3 -m mypy.stubtest perpcore._perpcore` checks them
against the built module.
"""

import enum
from decimal import Decimal
from typing import ClassVar, NamedTuple, Sequence, TypeAlias

import numpy as np
import numpy.typing as npt

# The submodule (python/src/analytics.cpp); its stubs are _perpcore/analytics.pyi.
from perpcore._perpcore import analytics as analytics

__version__: str
RATE_SCALE: int

def version_number() -> int: ...

# PRIVATE, for perpcore's own tests only (python/src/testing.cpp): not API,
# may change or disappear in any release. Allocation-failure injection into
# the extension's C++ code on the calling thread: after
# _fail_allocations_after(n) the (n+1)-th allocation raises MemoryError;
# _stop_failing_allocations() disarms and returns (allocations counted, fired).
def _fail_allocations_after(n: int, /) -> None: ...
def _stop_failing_allocations() -> tuple[int, bool]: ...

# -- errors ---------------------------------------------------------------

class Error(Exception):
    code: ClassVar[str]

PerpcoreError = Error

class InvalidArgumentError(Error, ValueError): ...
class OutOfRangeError(Error, OverflowError): ...
class NotFoundError(Error, LookupError): ...
class InternalError(Error, RuntimeError): ...
class FramingError(Error): ...
class SequenceGapError(FramingError): ...
class TimeWentBackError(FramingError): ...
class AlreadyAppliedError(FramingError): ...
class EnginePoisonedError(FramingError): ...

# -- decimals -------------------------------------------------------------

def parse_decimal(text: str, decimals: int, step: int = 1) -> int: ...
def format_decimal(units: int, decimals: int, step: int = 1) -> str: ...
def parse_rate(text: str) -> int: ...
def format_rate(rate: int) -> str: ...

# -- enums ----------------------------------------------------------------

class Side(enum.IntEnum):
    BUY = 0
    SELL = 1

class OrderType(enum.IntEnum):
    LIMIT = 0
    MARKET = 1

class TimeInForce(enum.IntEnum):
    GTC = 0
    IOC = 1
    FOK = 2
    POST_ONLY = 3
    POST_ONLY_SLIDE = 4

class StpMode(enum.IntEnum):
    CANCEL_MAKER = 0
    CANCEL_TAKER = 1
    CANCEL_BOTH = 2
    DECREMENT_AND_CANCEL = 3

class Reason(enum.IntEnum):
    OK = 0
    SEQUENCE_GAP = 100
    TIME_WENT_BACK = 101
    ALREADY_APPLIED = 102
    ENGINE_POISONED = 103
    INVALID_ID = 200
    INVALID_ORDER_ID = 201
    INVALID_ACCOUNT = 202
    INVALID_CLIENT_ORDER_ID = 203
    INVALID_OWNER = 204
    INVALID_SIDE = 205
    INVALID_ORDER_TYPE = 206
    INVALID_TIME_IN_FORCE = 207
    INVALID_STP_MODE = 208
    INVALID_SIZE = 209
    SIZE_NOT_ON_STEP = 210
    SIZE_ABOVE_MAX = 211
    INVALID_MAX_FILL = 212
    INVALID_PRICE = 213
    PRICE_NOT_ON_STEP = 214
    PRICE_ABOVE_MAX = 215
    INVALID_AMOUNT = 216
    INVALID_CONFIG = 217
    INVALID_MARKET_PARAMS = 218
    PARAM_IMMUTABLE = 219
    INVALID_LEVERAGE = 220
    INVALID_STATUS = 221
    INVALID_MARGIN_MODE = 222
    INVALID_FEE_TIER = 223
    INVALID_SELF_TRADE_SCOPE = 224
    MAX_PRICE_BELOW_MARKET_PRICE = 225
    UNKNOWN_MARKET = 300
    UNKNOWN_ACCOUNT = 301
    MARKET_EXISTS = 302
    ACCOUNT_EXISTS = 303
    TOO_MANY_MARKETS = 304
    TOO_MANY_ACCOUNTS = 305
    UNKNOWN_REFERRER = 306
    NOT_SAME_OWNER = 307
    SAME_ACCOUNT = 308
    MARKET_HALTED = 309
    MARKET_REDUCE_ONLY = 310
    MARGIN_MODE_LOCKED = 311
    NOT_ISOLATED = 312
    PRICE_OUTSIDE_BAND = 400
    DUPLICATE_ORDER_ID = 401
    DUPLICATE_CLIENT_ORDER_ID = 402
    POST_ONLY_WOULD_CROSS = 403
    FOK_NOT_FILLED = 404
    TOO_MANY_ORDERS = 405
    TOO_MANY_LEVELS = 406
    BOOK_FULL = 407
    OVERFLOW = 408
    UNKNOWN_ORDER = 409
    NOT_ORDER_OWNER = 410
    AMEND_NO_CHANGE = 411
    AMEND_WOULD_CROSS = 412
    INSUFFICIENT_MARGIN = 500
    INSUFFICIENT_COLLATERAL = 501
    REDUCE_ONLY_WOULD_INCREASE = 502
    REDUCE_ONLY_NOT_IMMEDIATE = 503
    OPEN_INTEREST_LIMIT = 504
    MAX_DEPOSIT_EXCEEDED = 505
    WITHDRAWAL_EXCEEDS_HELD = 506
    MARKET_OPEN_INTEREST_LIMIT = 507
    CASH_BOUND_EXCEEDED = 508
    WITHDRAWALS_GATED = 509
    NO_INDEX_PRICE = 600
    ORACLE_INVALID_SOURCE = 601
    ORACLE_TOO_MANY_SOURCES = 602
    ORACLE_INVALID_PRICE = 603
    ORACLE_FROM_THE_FUTURE = 604
    ORACLE_OUT_OF_ORDER = 605
    INDEX_STALE = 606
    ORACLE_UNKNOWN_SOURCE = 607
    FUNDING_INVALID_MODEL = 700
    FUNDING_INVALID_PAYMENT = 701
    FUNDING_INVALID_INTERVAL = 702
    FUNDING_INVALID_CADENCE = 703
    FUNDING_INVALID_WEIGHTING = 704
    FUNDING_INVALID_IMPACT_NOTIONAL = 705
    FUNDING_INVALID_INTEREST = 706
    FUNDING_CAP_BELOW_FLOOR = 707
    FUNDING_NO_COUNTERPARTY = 708
    FUNDING_INVALID_SKEW = 709
    FUNDING_INVALID_EXPONENT = 710
    FUNDING_INDEX_OVERFLOW = 711
    LIQUIDATION_INVALID_WARNING_THRESHOLD = 800
    LIQUIDATION_INVALID_FEE = 801
    LIQUIDATION_INVALID_KEEPER_SHARE = 802
    LIQUIDATION_INVALID_BUFFER = 803
    LIQUIDATION_INVALID_CHUNK_THRESHOLD = 804
    LIQUIDATION_INVALID_CHUNK_FRACTION = 805
    LIQUIDATION_INVALID_COOLDOWN = 806
    LIQUIDATION_INVALID_BANKRUPTCY_ADJUSTMENT = 807
    LIQUIDATION_INVALID_SPREAD = 808
    LIQUIDATION_INVALID_MAX_NOTIONAL = 809
    LIQUIDATION_NOT_LIQUIDATABLE = 810
    LIQUIDATION_SELF = 811
    LIQUIDATION_INVALID_SIZE = 812
    LIQUIDATION_NO_POSITION = 813
    SETTLEMENT_NOT_DELISTED = 814
    SETTLEMENT_STARTED = 815
    SETTLEMENT_INVALID_PRICE = 816
    LIQUIDATION_INVALID_BACKSTOP_THRESHOLD = 817
    LIQUIDATION_INVALID_LOSS_POLICY = 818

def reason_message(reason: Reason) -> str: ...

class CancelReason(enum.IntEnum):
    USER = 0
    CANCEL_ALL = 1
    UNFILLED_REMAINDER = 2
    SELF_TRADE = 3
    MAX_FILL = 4
    MATCH_LIMIT = 5
    ACCOUNT_LOCKED = 6
    LIQUIDATION = 7
    MARKET_SETTLED = 8

class EventKind(enum.IntEnum):
    FILL = 0
    RESTED = 1
    CANCELED = 2
    REDUCED = 3
    AMENDED = 4

# -- book value types -------------------------------------------------------

class PlaceResult:
    @property
    def reason(self) -> Reason: ...
    @property
    def filled(self) -> int: ...
    @property
    def rested(self) -> int: ...
    @property
    def rest_price(self) -> int: ...
    @property
    def ok(self) -> bool: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class Event:
    def __init__(
        self,
        *,
        kind: EventKind,
        side: Side = ...,
        reason: CancelReason = ...,
        priority_kept: bool = False,
        order_id: int = 0,
        account: int = 0,
        price: int = 0,
        size: int = 0,
        remaining: int = 0,
        maker_order_id: int = 0,
        maker_account: int = 0,
        maker_remaining: int = 0,
    ) -> None: ...
    @property
    def kind(self) -> EventKind: ...
    @property
    def side(self) -> Side: ...
    @property
    def reason(self) -> CancelReason: ...
    @property
    def priority_kept(self) -> bool: ...
    @property
    def order_id(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def price(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    @property
    def maker_order_id(self) -> int: ...
    @property
    def maker_account(self) -> int: ...
    @property
    def maker_remaining(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class OrderView:
    @property
    def order_id(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def client_id(self) -> int: ...
    @property
    def side(self) -> Side: ...
    @property
    def price(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    @property
    def priority(self) -> int: ...

# -- the book ---------------------------------------------------------------

class Level(NamedTuple):
    price: int
    size: int
    orders: int

class OrderBook:
    def __init__(
        self,
        *,
        price_step: int = 1,
        size_step: int = 1,
        max_order_size: int = ...,
        max_orders_per_account: int = 1000,
        max_levels_per_side: int = 10000,
        max_book_orders: int = 16777216,
        price_band: Decimal | str = ...,
        expected_orders: int = 1024,
        max_matches_per_order: int = 1000,
    ) -> None: ...
    def place(
        self,
        *,
        order_id: int,
        account: int,
        side: Side,
        price: int,
        size: int,
        order_type: OrderType = ...,
        tif: TimeInForce = ...,
        stp: StpMode = ...,
        client_id: int = 0,
        max_fill: int | None = None,
    ) -> PlaceResult: ...
    def cancel(self, account: int, order_id: int) -> Reason: ...
    def cancel_by_client_id(self, account: int, client_id: int) -> Reason: ...
    def cancel_all(self, account: int) -> Reason: ...
    def amend(self, *, account: int, order_id: int, new_price: int, new_size: int) -> Reason: ...
    def set_reference_price(self, price: int) -> Reason: ...
    def events(self) -> list[Event]: ...
    def best_bid(self) -> int | None: ...
    def best_ask(self) -> int | None: ...
    def best(self, side: Side) -> Level | None: ...
    def depth(self, side: Side, n: int) -> list[Level]: ...
    def orders_at(self, side: Side, price: int, n: int) -> list[OrderView]: ...
    def find(self, order_id: int) -> OrderView | None: ...
    def find_by_client_id(self, account: int, client_id: int) -> OrderView | None: ...
    @property
    def order_count(self) -> int: ...
    def level_count(self, side: Side) -> int: ...
    def account_order_count(self, account: int) -> int: ...
    @property
    def reference_price(self) -> int: ...
    def check_invariants(self) -> None: ...
    def encode_canonical(self) -> bytes: ...
    def digest(self) -> bytes: ...

# -- engine enums -----------------------------------------------------------

class MarketStatus(enum.IntEnum):
    ACTIVE = 0
    REDUCE_ONLY = 1
    HALTED = 2
    DELISTED = 3

class SettlementPhase(enum.IntEnum):
    NONE = 0
    SETTLING = 1
    SETTLED = 2

class MarginMode(enum.IntEnum):
    CROSS = 0
    ISOLATED = 1

class WithdrawablePnl(enum.IntEnum):
    CONSERVATIVE_PRICE = 0
    NONE = 1

class SelfTradeScope(enum.IntEnum):
    OWNER = 0
    ACCOUNT = 1

class IsolatedMarginCause(enum.IntEnum):
    USER = 0
    TOP_UP = 1
    RELEASE = 2
    DEFICIT = 3

class BreakerCause(enum.IntEnum):
    NONE = 0
    SOURCE_DEVIATION = 1
    TWAP_DEVIATION = 2

class EngineEventKind(enum.IntEnum):
    ORDER_RESTED = 0
    FILL = 1
    ORDER_CANCELED = 2
    ORDER_REDUCED = 3
    ORDER_AMENDED = 4
    DEPOSIT = 5
    WITHDRAWAL = 6
    TRANSFER = 7
    ACCOUNT_CREATED = 8
    MARKET_CREATED = 9
    MARKET_UPDATED = 10
    MARKET_STATUS_CHANGED = 11
    PRICE_UPDATE = 12
    CIRCUIT_BREAKER = 13
    MARGIN_MODE_SET = 14
    LEVERAGE_SET = 15
    ISOLATED_MARGIN_CHANGED = 16
    FEE_TIER_SET = 17
    INSURANCE_FUNDED = 18
    SELF_TRADE_SCOPE_SET = 19
    SOURCE_RETIRED = 20
    FUNDING_RATE_SET = 21
    FUNDING_SETTLED = 22
    FUNDING_RESIDUAL = 23
    LIQUIDATION = 24
    INSURANCE_COVER = 25
    SHORTFALL = 26
    MARGIN_WARNING = 27
    POSITION_SETTLED = 28
    MARKET_SETTLED = 29
    BACKSTOP_TAKEOVER = 30
    DELEVERAGED = 31

class FundingModel(enum.IntEnum):
    NONE = 0
    PREMIUM = 1
    SKEW_LINEAR = 2
    SKEW_POWER = 3
    SKEW_ADAPTIVE = 4

class FundingPayment(enum.IntEnum):
    INTERVAL_END = 0
    CONTINUOUS = 1

class FundingPrice(enum.IntEnum):
    INDEX = 0
    MARK = 1

class PremiumWeighting(enum.IntEnum):
    EQUAL = 0
    TIME_WEIGHTED = 1

class CapMode(enum.IntEnum):
    FIXED = 0
    MARGIN_MULTIPLE = 1

class Health(enum.IntEnum):
    HEALTHY = 0
    WARNING = 1
    LIQUIDATABLE = 2
    BANKRUPT = 3

class LossPolicy(enum.IntEnum):
    ADL = 0
    NONE = 1

# -- engine configuration ---------------------------------------------------

# Rates (fees, discounts, shares, bands, deviations, margin rates) are
# fractions in human units: passed as Decimal or str ("0.0005" is 5 bp), exact
# to 1e-18, read back as Decimal. Floats and ints raise TypeError.

class MarginTier:
    def __init__(
        self, *, notional_floor: int, max_leverage: int, maintenance_rate: Decimal | str
    ) -> None: ...
    @property
    def notional_floor(self) -> int: ...
    @property
    def max_leverage(self) -> int: ...
    @property
    def maintenance_rate(self) -> Decimal: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class OracleConfig:
    def __init__(
        self,
        *,
        staleness_ns: int = 60000000000,
        min_sources: int = 1,
        max_source_deviation: Decimal | str = ...,
        max_twap_deviation: Decimal | str = ...,
        twap_window_ns: int = 1800000000000,
        basis_window_ns: int = 300000000000,
        impact_notional: int = 10000000000,
        mark_cap: Decimal | str = ...,
        max_mark_age_ns: int = 60000000000,
    ) -> None: ...
    staleness_ns: int
    min_sources: int
    # Rates: read as Decimal; also settable from str (not expressible in the stub).
    max_source_deviation: Decimal
    max_twap_deviation: Decimal
    twap_window_ns: int
    basis_window_ns: int
    impact_notional: int
    mark_cap: Decimal
    max_mark_age_ns: int
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class FundingParams:
    def __init__(
        self,
        *,
        model: FundingModel = ...,
        payment: FundingPayment = ...,
        price: FundingPrice = ...,
        interval_ns: int = 28800000000000,
        period_ns: int = 28800000000000,
        sample_cadence_ns: int = 60000000000,
        weighting: PremiumWeighting = ...,
        impact_notional: int = 10000000000,
        interest: Decimal | str = ...,
        interest_band: Decimal | str = ...,
        cap_mode: CapMode = ...,
        cap: Decimal | str = ...,
        floor: Decimal | str = ...,
        cap_multiple: Decimal | str = ...,
        counterparty: int = 0,
        skew_kappa: Decimal | str = ...,
        skew_factor: Decimal | str = ...,
        skew_exponent: Decimal | str = ...,
        skew_max: Decimal | str = ...,
        ramp_up: Decimal | str = ...,
        decay: Decimal | str = ...,
        stable_threshold: Decimal | str = ...,
        decay_threshold: Decimal | str = ...,
    ) -> None: ...
    model: FundingModel
    payment: FundingPayment
    price: FundingPrice
    interval_ns: int
    period_ns: int
    sample_cadence_ns: int
    weighting: PremiumWeighting
    impact_notional: int
    # Rates: read as Decimal; also settable from str (not expressible in the stub).
    interest: Decimal
    interest_band: Decimal
    cap_mode: CapMode
    cap: Decimal
    floor: Decimal
    cap_multiple: Decimal
    counterparty: int
    skew_kappa: Decimal
    skew_factor: Decimal
    skew_exponent: Decimal
    skew_max: Decimal
    ramp_up: Decimal
    decay: Decimal
    stable_threshold: Decimal
    decay_threshold: Decimal
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class LiquidationParams:
    def __init__(
        self,
        *,
        warning_threshold: Decimal | str = ...,
        fee: Decimal | str = ...,
        keeper_share: Decimal | str = ...,
        buffer: Decimal | str = ...,
        chunk_threshold: int = 100000000000,
        chunk_fraction: Decimal | str = ...,
        cooldown_ns: int = 30000000000,
        bankruptcy_adjustment: Decimal | str = ...,
        spread_to_maintenance: Decimal | str = ...,
        max_notional_per_command: int = 100000000000,
        backstop: int = 0,
        backstop_threshold: Decimal | str = ...,
        loss_policy: LossPolicy = ...,
    ) -> None: ...
    # Rates: read as Decimal; also settable from str (not expressible in the stub).
    warning_threshold: Decimal
    fee: Decimal
    keeper_share: Decimal
    buffer: Decimal
    chunk_threshold: int
    chunk_fraction: Decimal
    cooldown_ns: int
    bankruptcy_adjustment: Decimal
    spread_to_maintenance: Decimal
    max_notional_per_command: int
    backstop: int
    backstop_threshold: Decimal
    loss_policy: LossPolicy
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class MarketParams:
    def __init__(
        self,
        *,
        symbol: str = "BTC-USD",
        tick_size: Decimal | str | int = ...,
        lot_size: Decimal | str | int = ...,
        max_order_size: int = 1000000,
        max_open_interest: int = 1000000,
        max_price: int = 100000000,
        price_band: Decimal | str = ...,
        max_leverage: int = 20,
        tiers: Sequence[MarginTier] = ...,
        maker_fee: Decimal | str = ...,
        taker_fee: Decimal | str = ...,
        oracle: OracleConfig = ...,
        max_orders_per_account: int = 200,
        max_levels_per_side: int = 10000,
        max_book_orders: int = 4194304,
        withdrawable_pnl: WithdrawablePnl = ...,
        stress_fraction: Decimal | str = ...,
        max_market_open_interest: int = 0,
        max_matches_per_order: int = 1000,
        funding: FundingParams = ...,
        liquidation: LiquidationParams = ...,
    ) -> None: ...
    symbol: str
    # Read as Decimal; also settable from str or int (not expressible in the stub).
    tick_size: Decimal
    lot_size: Decimal
    max_order_size: int
    max_open_interest: int
    max_price: int
    # Rates: read as Decimal; also settable from str (not expressible in the stub).
    price_band: Decimal
    max_leverage: int
    # Read as a tuple; assign any sequence.
    tiers: Sequence[MarginTier]
    maker_fee: Decimal
    taker_fee: Decimal
    oracle: OracleConfig
    max_orders_per_account: int
    max_levels_per_side: int
    max_book_orders: int
    withdrawable_pnl: WithdrawablePnl
    stress_fraction: Decimal
    max_market_open_interest: int
    max_matches_per_order: int
    funding: FundingParams
    liquidation: LiquidationParams
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class EngineConfig:
    def __init__(
        self,
        *,
        quote_decimals: int = 6,
        fee_tier_discounts: Sequence[Decimal | str] = ...,
        referrer_share: Decimal | str = ...,
        max_markets: int = 256,
        max_accounts: int = 1048576,
        hash_seed: int = 8099005331959342897,
        withdraw_margin_fraction: Decimal | str = ...,
    ) -> None: ...
    quote_decimals: int
    # Read as a tuple of Decimal; assign any sequence of Decimal or str
    # (not expressible in the stub).
    fee_tier_discounts: Sequence[Decimal]
    # Read as Decimal; also settable from str (not expressible in the stub).
    referrer_share: Decimal
    max_markets: int
    max_accounts: int
    hash_seed: int
    withdraw_margin_fraction: Decimal
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

# -- engine events and results ------------------------------------------------

class OrderRested:
    def __init__(
        self,
        *,
        market: int = 0,
        account: int = 0,
        order_id: int = 0,
        side: Side = ...,
        price: int = 0,
        size: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def order_id(self) -> int: ...
    @property
    def side(self) -> Side: ...
    @property
    def price(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class FillParty:
    def __init__(
        self,
        *,
        account: int = 0,
        order_id: int = 0,
        side: Side = ...,
        remaining: int = 0,
        fee: int = 0,
        position: int = 0,
        realized: int = 0,
    ) -> None: ...
    @property
    def account(self) -> int: ...
    @property
    def order_id(self) -> int: ...
    @property
    def side(self) -> Side: ...
    @property
    def remaining(self) -> int: ...
    @property
    def fee(self) -> int: ...
    @property
    def position(self) -> int: ...
    @property
    def realized(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class Fill:
    def __init__(
        self,
        *,
        market: int = 0,
        price: int = 0,
        size: int = 0,
        taker: FillParty = ...,
        maker: FillParty = ...,
        referrer: int = 0,
        referrer_fee: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def price(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def taker(self) -> FillParty: ...
    @property
    def maker(self) -> FillParty: ...
    @property
    def referrer(self) -> int: ...
    @property
    def referrer_fee(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class OrderCanceled:
    def __init__(
        self,
        *,
        market: int = 0,
        account: int = 0,
        order_id: int = 0,
        side: Side = ...,
        reason: CancelReason = ...,
        price: int = 0,
        size: int = 0,
        remaining: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def order_id(self) -> int: ...
    @property
    def side(self) -> Side: ...
    @property
    def reason(self) -> CancelReason: ...
    @property
    def price(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class OrderReduced:
    def __init__(
        self,
        *,
        market: int = 0,
        account: int = 0,
        order_id: int = 0,
        side: Side = ...,
        price: int = 0,
        size: int = 0,
        remaining: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def order_id(self) -> int: ...
    @property
    def side(self) -> Side: ...
    @property
    def price(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class OrderAmended:
    def __init__(
        self,
        *,
        market: int = 0,
        account: int = 0,
        order_id: int = 0,
        side: Side = ...,
        priority_kept: bool = False,
        price: int = 0,
        remaining: int = 0,
        old_remaining: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def order_id(self) -> int: ...
    @property
    def side(self) -> Side: ...
    @property
    def priority_kept(self) -> bool: ...
    @property
    def price(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    @property
    def old_remaining(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class Deposit:
    def __init__(
        self,
        *,
        account: int = 0,
        amount: int = 0,
    ) -> None: ...
    @property
    def account(self) -> int: ...
    @property
    def amount(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class Withdrawal:
    def __init__(
        self,
        *,
        account: int = 0,
        amount: int = 0,
    ) -> None: ...
    @property
    def account(self) -> int: ...
    @property
    def amount(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class Transfer:
    def __init__(
        self,
        *,
        from_account: int = 0,
        to_account: int = 0,
        amount: int = 0,
    ) -> None: ...
    @property
    def from_account(self) -> int: ...
    @property
    def to_account(self) -> int: ...
    @property
    def amount(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class AccountCreated:
    def __init__(
        self,
        *,
        account: int = 0,
        owner: int = 0,
        fee_tier: int = 0,
        referrer: int = 0,
    ) -> None: ...
    @property
    def account(self) -> int: ...
    @property
    def owner(self) -> int: ...
    @property
    def fee_tier(self) -> int: ...
    @property
    def referrer(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class MarketCreated:
    def __init__(
        self,
        *,
        market: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class MarketUpdated:
    def __init__(
        self,
        *,
        market: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class MarketStatusChanged:
    def __init__(
        self,
        *,
        market: int = 0,
        status: MarketStatus = ...,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def status(self) -> MarketStatus: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class PriceUpdate:
    def __init__(
        self,
        *,
        market: int = 0,
        index: int = 0,
        mark: int = 0,
        twap: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def index(self) -> int: ...
    @property
    def mark(self) -> int: ...
    @property
    def twap(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class CircuitBreaker:
    def __init__(
        self,
        *,
        market: int = 0,
        tripped: bool = False,
        cause: BreakerCause = ...,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def tripped(self) -> bool: ...
    @property
    def cause(self) -> BreakerCause: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class MarginModeSet:
    def __init__(
        self,
        *,
        market: int = 0,
        account: int = 0,
        mode: MarginMode = ...,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def mode(self) -> MarginMode: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class LeverageSet:
    def __init__(
        self,
        *,
        market: int = 0,
        account: int = 0,
        leverage: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def leverage(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class IsolatedMarginChanged:
    def __init__(
        self,
        *,
        market: int = 0,
        account: int = 0,
        amount: int = 0,
        cause: IsolatedMarginCause = ...,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def amount(self) -> int: ...
    @property
    def cause(self) -> IsolatedMarginCause: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class FeeTierSet:
    def __init__(
        self,
        *,
        account: int = 0,
        fee_tier: int = 0,
    ) -> None: ...
    @property
    def account(self) -> int: ...
    @property
    def fee_tier(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class InsuranceFunded:
    def __init__(
        self,
        *,
        amount: int = 0,
    ) -> None: ...
    @property
    def amount(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class SelfTradeScopeSet:
    def __init__(
        self,
        *,
        account: int = 0,
        scope: SelfTradeScope = ...,
    ) -> None: ...
    @property
    def account(self) -> int: ...
    @property
    def scope(self) -> SelfTradeScope: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class SourceRetired:
    def __init__(
        self,
        *,
        market: int = 0,
        source: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def source(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class FundingRateSet:
    def __init__(
        self,
        *,
        market: int = 0,
        start_ns: int = 0,
        end_ns: int = 0,
        intervals: int = 0,
        premium: Decimal | str = ...,
        rate: Decimal | str = ...,
        price: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def start_ns(self) -> int: ...
    @property
    def end_ns(self) -> int: ...
    @property
    def intervals(self) -> int: ...
    @property
    def premium(self) -> Decimal: ...
    @property
    def rate(self) -> Decimal: ...
    @property
    def price(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class FundingSettled:
    def __init__(
        self,
        *,
        market: int = 0,
        account: int = 0,
        amount: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def amount(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class FundingResidual:
    def __init__(
        self,
        *,
        market: int = 0,
        amount: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def amount(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class Liquidation:
    def __init__(
        self,
        *,
        market: int = 0,
        account: int = 0,
        keeper: int = 0,
        order_id: int = 0,
        isolated: bool = False,
        health: Health = ...,
        closed: int = 0,
        position: int = 0,
        limit: int = 0,
        closed_notional: int = 0,
        fee: int = 0,
        keeper_fee: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def keeper(self) -> int: ...
    @property
    def order_id(self) -> int: ...
    @property
    def isolated(self) -> bool: ...
    @property
    def health(self) -> Health: ...
    @property
    def closed(self) -> int: ...
    @property
    def position(self) -> int: ...
    @property
    def limit(self) -> int: ...
    @property
    def closed_notional(self) -> int: ...
    @property
    def fee(self) -> int: ...
    @property
    def keeper_fee(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class InsuranceCover:
    def __init__(
        self,
        *,
        market: int = 0,
        account: int = 0,
        amount: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def amount(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class Shortfall:
    def __init__(
        self,
        *,
        market: int = 0,
        account: int = 0,
        amount: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def amount(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class MarginWarning:
    def __init__(
        self,
        *,
        account: int = 0,
        market: int = 0,
        set: bool = False,
        equity: int = 0,
        maintenance: int = 0,
    ) -> None: ...
    @property
    def account(self) -> int: ...
    @property
    def market(self) -> int: ...
    @property
    def set(self) -> bool: ...
    @property
    def equity(self) -> int: ...
    @property
    def maintenance(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class PositionSettled:
    def __init__(
        self,
        *,
        market: int = 0,
        account: int = 0,
        isolated: bool = False,
        size: int = 0,
        price: int = 0,
        realized: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def isolated(self) -> bool: ...
    @property
    def size(self) -> int: ...
    @property
    def price(self) -> int: ...
    @property
    def realized(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class MarketSettled:
    def __init__(self, *, market: int = 0, price: int = 0) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def price(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class BackstopTakeover:
    def __init__(
        self,
        *,
        market: int = 0,
        account: int = 0,
        backstop: int = 0,
        isolated: bool = False,
        size: int = 0,
        price: int = 0,
        equity: int = 0,
        position: int = 0,
        backstop_position: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def backstop(self) -> int: ...
    @property
    def isolated(self) -> bool: ...
    @property
    def size(self) -> int: ...
    @property
    def price(self) -> int: ...
    @property
    def equity(self) -> int: ...
    @property
    def position(self) -> int: ...
    @property
    def backstop_position(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class Deleveraged:
    def __init__(
        self,
        *,
        market: int = 0,
        account: int = 0,
        counterparty: int = 0,
        isolated: bool = False,
        size: int = 0,
        price: int = 0,
        equity: int = 0,
        position: int = 0,
        counterparty_position: int = 0,
    ) -> None: ...
    @property
    def market(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def counterparty(self) -> int: ...
    @property
    def isolated(self) -> bool: ...
    @property
    def size(self) -> int: ...
    @property
    def price(self) -> int: ...
    @property
    def equity(self) -> int: ...
    @property
    def position(self) -> int: ...
    @property
    def counterparty_position(self) -> int: ...
    @property
    def kind(self) -> EngineEventKind: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

# Any engine event (stub-only alias): Result.events holds these.
_EngineEvent: TypeAlias = (
    OrderRested
    | Fill
    | OrderCanceled
    | OrderReduced
    | OrderAmended
    | Deposit
    | Withdrawal
    | Transfer
    | AccountCreated
    | MarketCreated
    | MarketUpdated
    | MarketStatusChanged
    | PriceUpdate
    | CircuitBreaker
    | MarginModeSet
    | LeverageSet
    | IsolatedMarginChanged
    | FeeTierSet
    | InsuranceFunded
    | SelfTradeScopeSet
    | SourceRetired
    | FundingRateSet
    | FundingSettled
    | FundingResidual
    | Liquidation
    | InsuranceCover
    | Shortfall
    | MarginWarning
    | PositionSettled
    | MarketSettled
    | BackstopTakeover
    | Deleveraged
)

class Result:
    @property
    def reason(self) -> Reason: ...
    @property
    def seq(self) -> int: ...
    @property
    def events(self) -> list[_EngineEvent]: ...
    @property
    def filled(self) -> int: ...
    @property
    def rested(self) -> int: ...
    @property
    def ok(self) -> bool: ...
    def __bool__(self) -> bool: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

# -- engine query views -------------------------------------------------------

class LiquidationPrice:
    @property
    def price(self) -> int: ...
    @property
    def tier(self) -> int: ...
    @property
    def always(self) -> bool: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class PositionView:
    @property
    def market(self) -> int: ...
    @property
    def mode(self) -> MarginMode: ...
    @property
    def leverage(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def entry_price(self) -> int: ...
    @property
    def mark(self) -> int: ...
    @property
    def value(self) -> int: ...
    @property
    def cost(self) -> int: ...
    @property
    def unrealized_pnl(self) -> int: ...
    @property
    def realized_pnl(self) -> int: ...
    @property
    def initial_requirement(self) -> int: ...
    @property
    def maintenance_requirement(self) -> int: ...
    @property
    def isolated_equity(self) -> int: ...
    @property
    def liquidation(self) -> LiquidationPrice: ...
    @property
    def open_bid_lots(self) -> int: ...
    @property
    def open_ask_lots(self) -> int: ...
    @property
    def open_orders(self) -> int: ...
    @property
    def pending_funding(self) -> int: ...
    @property
    def health(self) -> Health: ...
    @property
    def liquidation_buffer(self) -> int: ...

class AccountSummary:
    @property
    def account(self) -> int: ...
    @property
    def owner(self) -> int: ...
    @property
    def fee_tier(self) -> int: ...
    @property
    def referrer(self) -> int: ...
    @property
    def cash(self) -> int: ...
    @property
    def collateral(self) -> int: ...
    @property
    def unrealized_pnl(self) -> int: ...
    @property
    def equity(self) -> int: ...
    @property
    def initial_requirement(self) -> int: ...
    @property
    def initial_with_orders(self) -> int: ...
    @property
    def maintenance_requirement(self) -> int: ...
    @property
    def free_collateral(self) -> int: ...
    @property
    def margin_ratio(self) -> Decimal: ...
    @property
    def liquidatable(self) -> bool: ...
    @property
    def health_equity(self) -> int: ...
    @property
    def liquidation_buffer(self) -> int: ...
    @property
    def health(self) -> Health: ...
    @property
    def positions(self) -> list[PositionView]: ...
    @property
    def pending_funding(self) -> int: ...

class LiquidationCandidate:
    @property
    def account(self) -> int: ...
    @property
    def market(self) -> int: ...
    @property
    def health(self) -> Health: ...
    @property
    def equity(self) -> int: ...
    @property
    def maintenance(self) -> int: ...

class AdlRank:
    @property
    def rank(self) -> int: ...
    @property
    def count(self) -> int: ...
    @property
    def bucket(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class OpenOrder:
    @property
    def market(self) -> int: ...
    @property
    def order_id(self) -> int: ...
    @property
    def account(self) -> int: ...
    @property
    def client_id(self) -> int: ...
    @property
    def side(self) -> Side: ...
    @property
    def price(self) -> int: ...
    @property
    def remaining(self) -> int: ...
    @property
    def priority(self) -> int: ...

class MarketStats:
    @property
    def market(self) -> int: ...
    @property
    def symbol(self) -> str: ...
    @property
    def status(self) -> MarketStatus: ...
    @property
    def breaker(self) -> bool: ...
    @property
    def breaker_cause(self) -> BreakerCause: ...
    @property
    def atoms_per_tick_lot(self) -> int: ...
    @property
    def index(self) -> int: ...
    @property
    def mark(self) -> int: ...
    @property
    def twap(self) -> int: ...
    @property
    def last_trade(self) -> int: ...
    @property
    def fresh_sources(self) -> int: ...
    @property
    def open_interest_long(self) -> int: ...
    @property
    def open_interest_short(self) -> int: ...
    @property
    def volume(self) -> int: ...
    @property
    def notional_volume(self) -> int: ...
    @property
    def best_bid(self) -> Level | None: ...
    @property
    def best_ask(self) -> Level | None: ...
    @property
    def index_usable_until_ns(self) -> int: ...
    @property
    def funding_index(self) -> int: ...
    @property
    def funding_rate(self) -> Decimal: ...
    @property
    def settlement(self) -> SettlementPhase: ...
    @property
    def settlement_price(self) -> int: ...
    @property
    def settlement_pool(self) -> int: ...

class RateSet:
    @property
    def start_ns(self) -> int: ...
    @property
    def end_ns(self) -> int: ...
    @property
    def intervals(self) -> int: ...
    @property
    def premium(self) -> Decimal: ...
    @property
    def rate(self) -> Decimal: ...
    @property
    def price(self) -> int: ...
    @property
    def index_delta(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

class FundingView:
    @property
    def market(self) -> int: ...
    @property
    def model(self) -> FundingModel: ...
    @property
    def index(self) -> int: ...
    @property
    def rate(self) -> Decimal: ...
    @property
    def predicted_rate(self) -> Decimal: ...
    @property
    def last_sample(self) -> Decimal: ...
    @property
    def running_premium(self) -> Decimal: ...
    @property
    def samples(self) -> int: ...
    @property
    def interval_start_ns(self) -> int: ...
    @property
    def interval_end_ns(self) -> int: ...
    @property
    def skew(self) -> Decimal: ...
    @property
    def pool(self) -> int: ...
    @property
    def residual_carry(self) -> int: ...
    @property
    def history(self) -> list[RateSet]: ...

class Preview:
    @property
    def reason(self) -> Reason: ...
    @property
    def fill_size(self) -> int: ...
    @property
    def average_price(self) -> int: ...
    @property
    def fill_notional(self) -> int: ...
    @property
    def slippage(self) -> Decimal: ...
    @property
    def fee(self) -> int: ...
    @property
    def rest_size(self) -> int: ...
    @property
    def resulting_position(self) -> int: ...
    @property
    def resulting_equity(self) -> int: ...
    @property
    def resulting_margin_ratio(self) -> Decimal: ...
    @property
    def resulting_liquidation(self) -> LiquidationPrice: ...

class BulkResult:
    @property
    def reasons(self) -> npt.NDArray[np.uint16]: ...
    @property
    def filled(self) -> npt.NDArray[np.int64]: ...
    @property
    def rested(self) -> npt.NDArray[np.int64]: ...
    @property
    def seqs(self) -> npt.NDArray[np.uint64]: ...
    @property
    def fills(self) -> dict[str, npt.NDArray[np.int64]]: ...
    @property
    def accepted(self) -> int: ...
    def __len__(self) -> int: ...

class BulkCancelResult:
    @property
    def reasons(self) -> npt.NDArray[np.uint16]: ...
    @property
    def canceled(self) -> npt.NDArray[np.int64]: ...
    @property
    def seqs(self) -> npt.NDArray[np.uint64]: ...
    @property
    def accepted(self) -> int: ...
    def __len__(self) -> int: ...

# -- the engine ---------------------------------------------------------------

class Engine:
    def __init__(self, config: EngineConfig | None = None) -> None: ...
    # commands
    def create_market(
        self, *, market: int, params: MarketParams, timestamp_ns: int, seq: int | None = None
    ) -> Result: ...
    def update_market(
        self, *, market: int, params: MarketParams, timestamp_ns: int, seq: int | None = None
    ) -> Result: ...
    def set_market_status(
        self, *, market: int, status: MarketStatus, timestamp_ns: int, seq: int | None = None
    ) -> Result: ...
    def create_account(
        self,
        *,
        account: int,
        owner: int,
        timestamp_ns: int,
        fee_tier: int = 0,
        referrer: int = 0,
        seq: int | None = None,
    ) -> Result: ...
    def deposit(
        self, *, account: int, amount: int, timestamp_ns: int, seq: int | None = None
    ) -> Result: ...
    def withdraw(
        self, *, account: int, amount: int, timestamp_ns: int, seq: int | None = None
    ) -> Result: ...
    def transfer(
        self,
        *,
        from_account: int,
        to_account: int,
        amount: int,
        timestamp_ns: int,
        seq: int | None = None,
    ) -> Result: ...
    def fund_insurance(self, *, amount: int, timestamp_ns: int, seq: int | None = None) -> Result: ...
    def liquidate(
        self,
        *,
        market: int = 0,
        account: int,
        keeper: int,
        timestamp_ns: int,
        max_size: int | None = None,
        seq: int | None = None,
    ) -> Result: ...
    def settle_market(
        self, *, market: int, price: int, timestamp_ns: int, seq: int | None = None
    ) -> Result: ...
    def set_self_trade_scope(
        self, *, account: int, scope: SelfTradeScope, timestamp_ns: int, seq: int | None = None
    ) -> Result: ...
    def set_fee_tier(
        self, *, account: int, fee_tier: int, timestamp_ns: int, seq: int | None = None
    ) -> Result: ...
    def set_margin_mode(
        self,
        *,
        market: int,
        account: int,
        mode: MarginMode,
        timestamp_ns: int,
        seq: int | None = None,
    ) -> Result: ...
    def set_leverage(
        self, *, market: int, account: int, leverage: int, timestamp_ns: int, seq: int | None = None
    ) -> Result: ...
    def adjust_isolated_margin(
        self, *, market: int, account: int, delta: int, timestamp_ns: int, seq: int | None = None
    ) -> Result: ...
    def place_order(
        self,
        *,
        market: int,
        account: int,
        order_id: int,
        side: Side,
        price: int,
        size: int,
        timestamp_ns: int,
        order_type: OrderType = ...,
        tif: TimeInForce = ...,
        stp: StpMode = ...,
        client_id: int = 0,
        reduce_only: bool = False,
        seq: int | None = None,
    ) -> Result: ...
    def cancel_order(
        self, *, market: int, account: int, order_id: int, timestamp_ns: int, seq: int | None = None
    ) -> Result: ...
    def cancel_by_client_id(
        self, *, market: int, account: int, client_id: int, timestamp_ns: int, seq: int | None = None
    ) -> Result: ...
    def cancel_all(
        self, *, market: int = 0, account: int, timestamp_ns: int, seq: int | None = None
    ) -> Result: ...
    def amend_order(
        self,
        *,
        market: int,
        account: int,
        order_id: int,
        new_price: int,
        new_size: int,
        timestamp_ns: int,
        seq: int | None = None,
    ) -> Result: ...
    def cancel_replace(
        self,
        *,
        market: int,
        account: int,
        old_order_id: int,
        order_id: int,
        side: Side,
        price: int,
        size: int,
        timestamp_ns: int,
        order_type: OrderType = ...,
        tif: TimeInForce = ...,
        stp: StpMode = ...,
        client_id: int = 0,
        reduce_only: bool = False,
        seq: int | None = None,
    ) -> Result: ...
    def oracle_price(
        self,
        *,
        market: int,
        source: int,
        price: int,
        timestamp_ns: int,
        publish_time_ns: int | None = None,
        seq: int | None = None,
    ) -> Result: ...
    def retire_source(
        self, *, market: int, source: int, timestamp_ns: int, seq: int | None = None
    ) -> Result: ...
    def time_tick(self, *, timestamp_ns: int, market: int = 0, seq: int | None = None) -> Result: ...
    # bulk
    def place_orders(
        self,
        *,
        market: int,
        accounts: npt.NDArray[np.int64],
        order_ids: npt.NDArray[np.int64],
        sides: npt.NDArray[np.int64],
        prices: npt.NDArray[np.int64],
        sizes: npt.NDArray[np.int64],
        timestamp_ns: int,
        order_types: npt.NDArray[np.int64] | None = None,
        tifs: npt.NDArray[np.int64] | None = None,
        stps: npt.NDArray[np.int64] | None = None,
        client_ids: npt.NDArray[np.int64] | None = None,
        reduce_only: npt.NDArray[np.bool_] | None = None,
    ) -> BulkResult: ...
    def cancel_orders(
        self,
        *,
        market: int,
        accounts: npt.NDArray[np.int64],
        order_ids: npt.NDArray[np.int64],
        timestamp_ns: int,
    ) -> BulkCancelResult: ...
    def depth_arrays(
        self, market: int, side: Side, levels: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
    # queries
    def validate_market(self, params: MarketParams) -> None: ...
    def stats(self, market: int) -> MarketStats: ...
    def funding(self, market: int) -> FundingView: ...
    def params(self, market: int) -> MarketParams: ...
    def best(self, market: int, side: Side) -> Level | None: ...
    def depth(self, market: int, side: Side, levels: int) -> list[Level]: ...
    def summary(self, account: int) -> AccountSummary: ...
    def liquidatable(self, limit: int) -> list[LiquidationCandidate]: ...
    def adl_rank(self, account: int, market: int) -> AdlRank: ...
    def open_orders(self, account: int) -> list[OpenOrder]: ...
    def preview_order(
        self,
        *,
        market: int,
        account: int,
        side: Side,
        price: int,
        size: int,
        order_id: int = 0,
        order_type: OrderType = ...,
        tif: TimeInForce = ...,
        stp: StpMode = ...,
        client_id: int = 0,
        reduce_only: bool = False,
    ) -> Preview: ...
    def check_invariants(self) -> None: ...
    def encode_canonical(self) -> bytes: ...
    def digest(self) -> bytes: ...
    def markets(self) -> list[int]: ...
    def accounts(self) -> list[int]: ...
    def copy(self) -> Engine: ...
    @property
    def last_seq(self) -> int: ...
    @property
    def now_ns(self) -> int: ...
    @property
    def fee_pool(self) -> int: ...
    @property
    def insurance_fund(self) -> int: ...
    @property
    def total_deposits(self) -> int: ...
    @property
    def total_withdrawals(self) -> int: ...
    @property
    def funding_residual(self) -> int: ...
    @property
    def shortfall(self) -> int: ...
    @property
    def config(self) -> EngineConfig: ...
