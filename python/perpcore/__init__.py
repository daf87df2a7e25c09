"""perpcore: the matching-and-risk core of a perpetual-futures exchange.

The C++ core is the extension module ``perpcore._perpcore``; this package
re-exports its public names. Everything is an exact integer: prices are ticks,
sizes are lots, money is quote atoms. :mod:`perpcore.units` converts decimal
text and :class:`decimal.Decimal` values to and from them exactly, with
explicit rounding; floats are refused.

Errors (a bad call or bad data) raise :class:`Error` subclasses; business
outcomes, such as an order refused for insufficient margin, are returned as
:class:`Reason` values.

:class:`Engine` is the exchange: one keyword-only method per command, each
returning a :class:`Result` whose events are one class per kind
(:class:`Fill`, :class:`OrderRested`, :class:`OrderCanceled`, ...); queries
return small typed views; and
``place_orders`` / ``cancel_orders`` / ``depth_arrays`` move numpy arrays in
bulk with the GIL released. :class:`OrderBook` is one market's book alone.
:mod:`perpcore.analytics` is optimal execution (Almgren-Chriss and more), in
doubles with numpy arrays.

Example::

    import perpcore as pc
    from perpcore import units

    eng = pc.Engine()
    btc = pc.MarketParams(symbol="BTC-USD", tick_size="0.1", lot_size="0.001",
                          max_open_interest=1_000_000, max_price=10_000_000)
    eng.create_market(market=1, params=btc, timestamp_ns=1)
    eng.oracle_price(market=1, source=1, price=units.price_to_ticks(btc, "30000"),
                     timestamp_ns=1)
    for account in (1, 2):
        eng.create_account(account=account, owner=account, timestamp_ns=2)
        eng.deposit(account=account, amount=units.amount_to_atoms(6, "100000"),
                    timestamp_ns=2)
    eng.place_order(market=1, account=1, order_id=1, side=pc.Side.SELL,
                    price=300_000, size=1_000, timestamp_ns=3)
    r = eng.place_order(market=1, account=2, order_id=2, side=pc.Side.BUY,
                        price=300_000, size=1_000, timestamp_ns=4)
    assert r.ok and r.filled == 1_000
    fill = r.events[0]                           # one class per event kind
    assert isinstance(fill, pc.Fill)
    assert fill.taker.fee == 15_000_000          # 5 bp of 30,000 USDC
"""

from perpcore import analytics as analytics
from perpcore import units as units
from perpcore._perpcore import (
    RATE_SCALE as RATE_SCALE,
    AccountSummary as AccountSummary,
    BreakerCause as BreakerCause,
    BulkCancelResult as BulkCancelResult,
    BulkResult as BulkResult,
    CancelReason as CancelReason,
    Engine as Engine,
    EngineConfig as EngineConfig,
    EngineEventKind as EngineEventKind,
    AccountCreated as AccountCreated,
    CircuitBreaker as CircuitBreaker,
    Deposit as Deposit,
    FeeTierSet as FeeTierSet,
    Fill as Fill,
    FillParty as FillParty,
    InsuranceFunded as InsuranceFunded,
    IsolatedMarginCause as IsolatedMarginCause,
    IsolatedMarginChanged as IsolatedMarginChanged,
    LeverageSet as LeverageSet,
    MarginModeSet as MarginModeSet,
    MarketCreated as MarketCreated,
    MarketStatusChanged as MarketStatusChanged,
    MarketUpdated as MarketUpdated,
    OrderAmended as OrderAmended,
    OrderCanceled as OrderCanceled,
    OrderReduced as OrderReduced,
    OrderRested as OrderRested,
    PriceUpdate as PriceUpdate,
    SelfTradeScopeSet as SelfTradeScopeSet,
    SourceRetired as SourceRetired,
    FundingRateSet as FundingRateSet,
    FundingSettled as FundingSettled,
    FundingResidual as FundingResidual,
    Liquidation as Liquidation,
    InsuranceCover as InsuranceCover,
    Shortfall as Shortfall,
    MarginWarning as MarginWarning,
    Transfer as Transfer,
    Withdrawal as Withdrawal,
    AlreadyAppliedError as AlreadyAppliedError,
    EnginePoisonedError as EnginePoisonedError,
    Error as Error,
    Event as Event,
    FramingError as FramingError,
    EventKind as EventKind,
    InternalError as InternalError,
    InvalidArgumentError as InvalidArgumentError,
    Level as Level,
    LiquidationPrice as LiquidationPrice,
    LiquidationParams as LiquidationParams,
    LiquidationCandidate as LiquidationCandidate,
    Health as Health,
    MarginMode as MarginMode,
    WithdrawablePnl as WithdrawablePnl,
    FundingModel as FundingModel,
    FundingPayment as FundingPayment,
    FundingPrice as FundingPrice,
    PremiumWeighting as PremiumWeighting,
    CapMode as CapMode,
    MarginTier as MarginTier,
    MarketParams as MarketParams,
    MarketStats as MarketStats,
    FundingView as FundingView,
    RateSet as RateSet,
    MarketStatus as MarketStatus,
    NotFoundError as NotFoundError,
    OpenOrder as OpenOrder,
    OracleConfig as OracleConfig,
    FundingParams as FundingParams,
    OrderBook as OrderBook,
    OrderType as OrderType,
    OrderView as OrderView,
    OutOfRangeError as OutOfRangeError,
    PerpcoreError as PerpcoreError,
    SequenceGapError as SequenceGapError,
    TimeWentBackError as TimeWentBackError,
    PlaceResult as PlaceResult,
    PositionView as PositionView,
    Preview as Preview,
    Reason as Reason,
    Result as Result,
    SelfTradeScope as SelfTradeScope,
    Side as Side,
    StpMode as StpMode,
    TimeInForce as TimeInForce,
    __version__ as __version__,
    format_decimal as format_decimal,
    format_rate as format_rate,
    parse_decimal as parse_decimal,
    parse_rate as parse_rate,
    reason_message as reason_message,
    version_number as version_number,
)

__all__ = [
    "RATE_SCALE",
    "AccountSummary",
    "BreakerCause",
    "BulkCancelResult",
    "BulkResult",
    "CancelReason",
    "Engine",
    "EngineConfig",
    "EngineEventKind",
    "AccountCreated",
    "CircuitBreaker",
    "Deposit",
    "FeeTierSet",
    "Fill",
    "FillParty",
    "InsuranceFunded",
    "IsolatedMarginCause",
    "IsolatedMarginChanged",
    "LeverageSet",
    "MarginModeSet",
    "MarketCreated",
    "MarketStatusChanged",
    "MarketUpdated",
    "OrderAmended",
    "OrderCanceled",
    "OrderReduced",
    "OrderRested",
    "PriceUpdate",
    "SelfTradeScopeSet",
    "SourceRetired",
    "FundingRateSet",
    "FundingSettled",
    "FundingResidual",
    "Liquidation",
    "InsuranceCover",
    "Shortfall",
    "MarginWarning",
    "Transfer",
    "Withdrawal",
    "AlreadyAppliedError",
    "EnginePoisonedError",
    "Error",
    "Event",
    "FramingError",
    "EventKind",
    "InternalError",
    "InvalidArgumentError",
    "Level",
    "LiquidationPrice",
    "LiquidationParams",
    "LiquidationCandidate",
    "Health",
    "MarginMode",
    "WithdrawablePnl",
    "FundingModel",
    "FundingPayment",
    "FundingPrice",
    "PremiumWeighting",
    "CapMode",
    "MarginTier",
    "MarketParams",
    "MarketStats",
    "FundingView",
    "RateSet",
    "MarketStatus",
    "NotFoundError",
    "OpenOrder",
    "OracleConfig",
    "FundingParams",
    "OrderBook",
    "OrderType",
    "OrderView",
    "OutOfRangeError",
    "PerpcoreError",
    "SequenceGapError",
    "TimeWentBackError",
    "PlaceResult",
    "PositionView",
    "Preview",
    "Reason",
    "Result",
    "SelfTradeScope",
    "Side",
    "StpMode",
    "TimeInForce",
    "__version__",
    "format_decimal",
    "format_rate",
    "parse_decimal",
    "parse_rate",
    "reason_message",
    "version_number",
    "analytics",
    "units",
]
