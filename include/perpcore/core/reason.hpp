// -----------------------------------------------------------------------------
// File: perpcore/core/reason.hpp
// -----------------------------------------------------------------------------
//
// Reason: why a request was refused, for every layer. The order book, the
// engine and every module the engine grows (funding, liquidation, vaults,
// signed intents) answer with this one enum, so a refusal has one number, one
// name and one message in C++, C (PERPCORE_REASON_*) and Python (Reason).
//
// Numbering: each module owns a range of 100 values, so a module can add
// reasons without renumbering another's, and the range alone says where a
// refusal came from (ModuleOf()). Values are pinned: a reason keeps its
// number forever, and a retired number is never reused.
//
//      0        kOk
//    100..199   framing      the command's place in the input log; these are
//                            never a command's Reason: Engine::Apply returns
//                            them as a Status (C: PERPCORE_E_SEQUENCE_GAP...,
//                            Python: FramingError), named here so every face
//                            explains them with the same words
//    200..299   parameters   a field of the request out of its documented
//                            range, decided without looking at the state
//    300..399   registry     markets and accounts: existence, capacity,
//                            ownership, status and per-market choices
//    400..499   book         the order book's own refusals
//    500..599   risk         margin, collateral, reduce-only, exposure limits
//    600..699   oracle       oracle updates and the index price
//    700..799   funding      funding parameters
//    800..899   liquidation  liquidation parameters, and the final settlement of
//                            a delisted market
//    900..999   vault        (reserved)
//   1000..1099  intent       (reserved: signed intents and nonces)
//
// A refused request changes nothing (the engine still consumes its seq). When
// a request has several faults, the first in the documented order of checks
// wins (OrderBook and Engine document theirs), not the smallest number.
#ifndef PERPCORE_CORE_REASON_HPP_
#define PERPCORE_CORE_REASON_HPP_

#include <cstdint>
#include <span>
#include <string_view>

#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN

enum class Reason : std::uint16_t {
  kOk = 0,

  // framing (a Status of Engine::Apply, never a Result's reason)
  kSequenceGap = 100,       // seq above last_seq + 1
  kTimeWentBack = 101,      // timestamp before the engine's time
  kAlreadyApplied = 102,    // seq at or below last_seq: a redelivery, no effect
  kEnginePoisoned = 103,    // an earlier command was interrupted (out of memory)

  // parameters
  kInvalidId = 200,              // market id 0 or account id 0
  kInvalidOrderId = 201,         // order id 0
  kInvalidAccount = 202,         // an order's account 0
  kInvalidClientOrderId = 203,   // cancel by client id 0
  kInvalidOwner = 204,           // owner 0
  kInvalidSide = 205,            // not a Side enumerator
  kInvalidOrderType = 206,       // not an OrderType enumerator
  kInvalidTimeInForce = 207,     // not a TimeInForce, or GTC/post-only on a market order
  kInvalidStpMode = 208,         // not an StpMode enumerator
  kInvalidSize = 209,            // size <= 0
  kSizeNotOnStep = 210,          // size not a multiple of the size step
  kSizeAboveMax = 211,           // size above the market's max_order_size
  kInvalidMaxFill = 212,         // max_fill < 0
  kInvalidPrice = 213,           // price <= 0
  kPriceNotOnStep = 214,         // price not a multiple of the price step
  kPriceAboveMax = 215,          // an order or oracle price above max_price
  kInvalidAmount = 216,          // an amount that must be > 0 (non-zero) is not
  kInvalidConfig = 217,          // a book configuration field out of range
  kInvalidMarketParams = 218,    // see MarketParams (Engine::ValidateMarket says which field)
  kParamImmutable = 219,         // a fixed parameter changed, or a bound lowered under live state
  kInvalidLeverage = 220,        // 0 or above the market's max_leverage
  kInvalidStatus = 221,          // not a MarketStatus, or leaving kDelisted
  kInvalidMarginMode = 222,      // not a MarginMode
  kInvalidFeeTier = 223,         // no such fee tier
  kInvalidSelfTradeScope = 224,  // not a SelfTradeScope
  kMaxPriceBelowMarketPrice = 225,  // max_price lowered below a price the market holds

  // registry
  kUnknownMarket = 300,
  kUnknownAccount = 301,
  kMarketExists = 302,
  kAccountExists = 303,
  kTooManyMarkets = 304,
  kTooManyAccounts = 305,
  kUnknownReferrer = 306,     // referrer is not an account (or is the new account)
  kNotSameOwner = 307,        // transfer between accounts of different owners
  kSameAccount = 308,         // transfer to itself
  kMarketHalted = 309,        // halted or delisted: no new orders or amends
  kMarketReduceOnly = 310,    // reduce-only status or breaker: only reduce-only orders
  kMarginModeLocked = 311,    // open position or orders in the market
  kNotIsolated = 312,         // isolated-margin change on a cross position

  // book
  kPriceOutsideBand = 400,        // limit price outside the band around the reference
  kDuplicateOrderId = 401,        // the order id is live in this book
  kDuplicateClientOrderId = 402,  // the account has a live order with this client id
  kPostOnlyWouldCross = 403,
  kFokNotFilled = 404,
  kTooManyOrders = 405,           // the account is at the book's max_orders_per_account
  kTooManyLevels = 406,           // the side is at the book's max_levels_per_side
  kBookFull = 407,                // the book is at its max_book_orders
  kOverflow = 408,                // a level total would leave int64
  kUnknownOrder = 409,            // no live order with this id / client id
  kNotOrderOwner = 410,           // the order belongs to another account
  kAmendNoChange = 411,           // amend to the same price and size
  kAmendWouldCross = 412,         // amend to a price that crosses the opposite best

  // risk
  kInsufficientMargin = 500,       // the order would leave the account below initial margin
  kInsufficientCollateral = 501,   // withdrawal/transfer/margin removal beyond the withdrawal rule
  kReduceOnlyWouldIncrease = 502,  // a reduce-only order with no opposite position to reduce
  kReduceOnlyNotImmediate = 503,   // reduce-only orders must be IOC or FOK (as dYdX v4)
  kOpenInterestLimit = 504,        // worst-case exposure would exceed max_open_interest
  kMaxDepositExceeded = 505,       // total deposits would exceed the engine's bound
  kWithdrawalExceedsHeld = 506,    // a withdrawal above what the engine holds (deposits - withdrawals)
  kMarketOpenInterestLimit = 507,  // the market's open interest would exceed its bound
  kCashBoundExceeded = 508,        // a cash balance would pass the engine's bound (2^61)
  kWithdrawalsGated = 509,         // withdrawals wait while a liquidation shortfall is uncovered

  // oracle
  kNoIndexPrice = 600,            // the market has no valid index: nothing may add risk
  kOracleInvalidSource = 601,     // oracle source id 0
  kOracleTooManySources = 602,
  kOracleInvalidPrice = 603,      // oracle price <= 0
  kOracleFromTheFuture = 604,     // publish time after the command's timestamp
  kOracleOutOfOrder = 605,        // publish time before the source's last
  kIndexStale = 606,              // the index's sources or its mark aged out since it was computed
  kOracleUnknownSource = 607,     // RetireSource of a source the market does not have

  // funding (funding/funding.hpp, FundingParams)
  kFundingInvalidModel = 700,          // not a FundingModel
  kFundingInvalidPayment = 701,        // not a FundingPayment or FundingPrice
  kFundingInvalidInterval = 702,       // interval or period outside 1 s..7 days
  kFundingInvalidCadence = 703,        // sample cadence 0, not dividing the interval, or too fine
  kFundingInvalidWeighting = 704,      // not a PremiumWeighting
  kFundingInvalidImpactNotional = 705, // impact notional < 1
  kFundingInvalidInterest = 706,       // |interest| > 1 or interest band outside [0, 1]
  kFundingCapBelowFloor = 707,         // cap below floor, beyond +-1, or a bad cap mode/multiple
  kFundingNoCounterparty = 708,        // a skew model without a counterparty account
  kFundingInvalidSkew = 709,           // a skew coefficient, cap, ramp or threshold out of range
  kFundingInvalidExponent = 710,       // skew exponent outside [1, 3]
  kFundingIndexOverflow = 711,         // the largest rate could push the index past its bound

  // liquidation (liquidation/liquidation.hpp, LiquidationParams)
  kLiquidationInvalidWarningThreshold = 800,        // liquidation warning threshold outside [1%, 100%)
  kLiquidationInvalidFee = 801,                     // liquidation fee rate outside [0, 100%]
  kLiquidationInvalidKeeperShare = 802,             // keeper share outside [0, 100%]
  kLiquidationInvalidBuffer = 803,                  // liquidation buffer outside [0, 100%]
  kLiquidationInvalidChunkThreshold = 804,          // chunk threshold below 0
  kLiquidationInvalidChunkFraction = 805,           // chunk fraction outside (0, 100%]
  kLiquidationInvalidCooldown = 806,                // cooldown outside 0..1 day
  kLiquidationInvalidBankruptcyAdjustment = 807,    // bankruptcy adjustment below 1
  kLiquidationInvalidSpread = 808,                  // spread-to-maintenance ratio <= 0
  kLiquidationInvalidMaxNotional = 809,             // max notional per command < 1 atom
  kLiquidationNotLiquidatable = 810,  // the account (or bucket) is not below maintenance at the mark
  kLiquidationSelf = 811,             // the keeper is the account being liquidated
  kLiquidationInvalidSize = 812,      // a liquidation's maximum size <= 0
  kLiquidationNoPosition = 813,       // the account has no position in the named market
  // final settlement of a delisted market (SettleMarket)
  kSettlementNotDelisted = 814,       // the market is not delisted
  kSettlementStarted = 815,           // the market is already settling or settled
  kSettlementInvalidPrice = 816,      // price < 0, above max_price, or 0 without a last index
  kLiquidationInvalidBackstopThreshold = 817,  // backstop threshold outside [0, 100%]
  kLiquidationInvalidLossPolicy = 818,         // loss policy not kAdl or kNone
};

// ReasonModule / ModuleOf(): the range a reason belongs to (its value / 100).
enum class ReasonModule : std::uint8_t {
  kOk = 0,
  kFraming = 1,
  kParameters = 2,
  kRegistry = 3,
  kBook = 4,
  kRisk = 5,
  kOracle = 6,
  kFunding = 7,
  kLiquidation = 8,
  kVault = 9,
  kIntent = 10,
};
constexpr ReasonModule ModuleOf(Reason r) {
  return static_cast<ReasonModule>(static_cast<std::uint16_t>(r) / 100);
}

// ReasonName() / ReasonMessage()
//
// "kPostOnlyWouldCross" / a sentence a user can act on. Static strings, never
// null and NUL-terminated (the C face hands them out as const char*); a value
// that is not a Reason gives "kUnknown" / "unknown reason". O(log reasons).
std::string_view ReasonName(Reason r);
std::string_view ReasonMessage(Reason r);

// IsReason: whether the value is an enumerator (for faces that take an
// integer). AllReasons(): every enumerator, ascending, kOk first.
bool IsReason(std::uint16_t value);
std::span<const Reason> AllReasons();

PERPCORE_NAMESPACE_END

#endif  // PERPCORE_CORE_REASON_HPP_
