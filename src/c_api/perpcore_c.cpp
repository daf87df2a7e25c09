// -----------------------------------------------------------------------------
// File: src/c_api/perpcore_c.cpp
// -----------------------------------------------------------------------------
//
// The C API (perpcore/perpcore.h) over perpcore::engine::Engine. With
// analytics_c.cpp (the engine-less analytics functions), the only extern "C"
// definitions in the library; c_api_support.hpp holds its one catch (...).
//
// Every entry point checks its pointers and enumerators before it touches
// the engine, so no bad input reaches a PERPCORE_CHECK, and runs its body
// inside Guard(), so no exception crosses the C boundary. Every entry point
// that takes a handle holds the handle's in-use flag (HandleUse) from its
// handle check to its return, so a second call inside the same engine at the
// same time is PERPCORE_E_MISUSE instead of a data race.
#include "perpcore/perpcore.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "perpcore/engine/engine.hpp"
// Defines the same PERPCORE_VERSION_* macros as perpcore.h: the compiler
// refuses a redefinition that differs, so the two headers cannot drift.
#include "perpcore/version.hpp"
#include "c_api_support.hpp"

namespace pc = ::perpcore;
namespace eng = ::perpcore::engine;
namespace ev = ::perpcore::engine::events;
using perpcore_c::CatchAll;
using perpcore_c::CheckInputSize;
using perpcore_c::CheckOutputSize;
using perpcore_c::CopyMessage;
using perpcore_c::Has;
using perpcore_c::Deliver;
using perpcore_c::ZeroOutput;

// ---------------------------------------------------------------------------
// The handle
// ---------------------------------------------------------------------------

namespace {

constexpr std::uint64_t kMagic = 0x70657270636f7265ULL;  // "perpcore"
constexpr std::uint64_t kDeadMagic = 0x6465616464656164ULL;

// Everything an engine handle owns. Not thread-safe, like the engine: only
// the call holding `in_use` touches the rest.
struct State {
  explicit State(const eng::EngineConfig& config) : impl(config) {}
  eng::Engine impl;
  // The events of the last processed command: a view of the engine's own
  // buffer, valid until the next Apply().
  std::span<const eng::Event> events;
  char last_error[256] = {};
  // True while a call is inside this engine (HandleUse).
  std::atomic<bool> in_use{false};
};

}  // namespace

// Standard layout, so the magic is at offset 0 and can be read with memcpy
// from any pointer a caller passes (best-effort detection of bad handles).
struct perpcore_engine {
  std::uint64_t magic;
  State* state;
};
static_assert(std::is_standard_layout_v<perpcore_engine>);
static_assert(offsetof(perpcore_engine, magic) == 0);

namespace {

// ---------------------------------------------------------------------------
// Pinned values: the C enumerators equal the C++ ones.
// ---------------------------------------------------------------------------

template <class E>
constexpr int Val(E e) {
  return static_cast<int>(e);
}

static_assert(PERPCORE_SIDE_BUY == Val(pc::book::Side::kBuy));
static_assert(PERPCORE_SIDE_SELL == Val(pc::book::Side::kSell));
static_assert(PERPCORE_ORDER_LIMIT == Val(pc::book::OrderType::kLimit));
static_assert(PERPCORE_ORDER_MARKET == Val(pc::book::OrderType::kMarket));
static_assert(PERPCORE_TIF_GTC == Val(pc::book::TimeInForce::kGtc));
static_assert(PERPCORE_TIF_IOC == Val(pc::book::TimeInForce::kIoc));
static_assert(PERPCORE_TIF_FOK == Val(pc::book::TimeInForce::kFok));
static_assert(PERPCORE_TIF_POST_ONLY == Val(pc::book::TimeInForce::kPostOnly));
static_assert(PERPCORE_TIF_POST_ONLY_SLIDE == Val(pc::book::TimeInForce::kPostOnlySlide));
static_assert(PERPCORE_STP_CANCEL_MAKER == Val(pc::book::StpMode::kCancelMaker));
static_assert(PERPCORE_STP_CANCEL_TAKER == Val(pc::book::StpMode::kCancelTaker));
static_assert(PERPCORE_STP_CANCEL_BOTH == Val(pc::book::StpMode::kCancelBoth));
static_assert(PERPCORE_STP_DECREMENT_AND_CANCEL == Val(pc::book::StpMode::kDecrementAndCancel));
static_assert(PERPCORE_MARKET_ACTIVE == Val(eng::MarketStatus::kActive));
static_assert(PERPCORE_MARKET_REDUCE_ONLY == Val(eng::MarketStatus::kReduceOnly));
static_assert(PERPCORE_MARKET_HALTED == Val(eng::MarketStatus::kHalted));
static_assert(PERPCORE_MARKET_DELISTED == Val(eng::MarketStatus::kDelisted));
static_assert(PERPCORE_SETTLEMENT_NONE == Val(eng::SettlementPhase::kNone));
static_assert(PERPCORE_SETTLEMENT_SETTLING == Val(eng::SettlementPhase::kSettling));
static_assert(PERPCORE_SETTLEMENT_SETTLED == Val(eng::SettlementPhase::kSettled));
static_assert(PERPCORE_MARGIN_CROSS == Val(eng::MarginMode::kCross));
static_assert(PERPCORE_MARGIN_ISOLATED == Val(eng::MarginMode::kIsolated));
static_assert(PERPCORE_BREAKER_NONE == Val(pc::oracle::BreakerCause::kNone));
static_assert(PERPCORE_BREAKER_SOURCE_DEVIATION == Val(pc::oracle::BreakerCause::kSourceDeviation));
static_assert(PERPCORE_BREAKER_TWAP_DEVIATION == Val(pc::oracle::BreakerCause::kTwapDeviation));
static_assert(PERPCORE_CANCEL_USER == Val(pc::book::CancelReason::kUser));
static_assert(PERPCORE_CANCEL_CANCEL_ALL == Val(pc::book::CancelReason::kCancelAll));
static_assert(PERPCORE_CANCEL_UNFILLED_REMAINDER ==
              Val(pc::book::CancelReason::kUnfilledRemainder));
static_assert(PERPCORE_CANCEL_SELF_TRADE == Val(pc::book::CancelReason::kSelfTrade));
static_assert(PERPCORE_CANCEL_MAX_FILL == Val(pc::book::CancelReason::kMaxFill));
static_assert(PERPCORE_CANCEL_MATCH_LIMIT == Val(pc::book::CancelReason::kMatchLimit));
static_assert(PERPCORE_CANCEL_ACCOUNT_LOCKED == Val(pc::book::CancelReason::kAccountLocked));
static_assert(PERPCORE_CANCEL_LIQUIDATION == Val(pc::book::CancelReason::kLiquidation));
static_assert(PERPCORE_CANCEL_MARKET_SETTLED == Val(pc::book::CancelReason::kMarketSettled));
static_assert(PERPCORE_EVENT_ORDER_RESTED == Val(eng::EventKind::kOrderRested));
static_assert(PERPCORE_EVENT_FILL == Val(eng::EventKind::kFill));
static_assert(PERPCORE_EVENT_ORDER_CANCELED == Val(eng::EventKind::kOrderCanceled));
static_assert(PERPCORE_EVENT_ORDER_REDUCED == Val(eng::EventKind::kOrderReduced));
static_assert(PERPCORE_EVENT_ORDER_AMENDED == Val(eng::EventKind::kOrderAmended));
static_assert(PERPCORE_EVENT_DEPOSIT == Val(eng::EventKind::kDeposit));
static_assert(PERPCORE_EVENT_WITHDRAWAL == Val(eng::EventKind::kWithdrawal));
static_assert(PERPCORE_EVENT_TRANSFER == Val(eng::EventKind::kTransfer));
static_assert(PERPCORE_EVENT_ACCOUNT_CREATED == Val(eng::EventKind::kAccountCreated));
static_assert(PERPCORE_EVENT_MARKET_CREATED == Val(eng::EventKind::kMarketCreated));
static_assert(PERPCORE_EVENT_MARKET_UPDATED == Val(eng::EventKind::kMarketUpdated));
static_assert(PERPCORE_EVENT_MARKET_STATUS_CHANGED == Val(eng::EventKind::kMarketStatusChanged));
static_assert(PERPCORE_EVENT_PRICE_UPDATE == Val(eng::EventKind::kPriceUpdate));
static_assert(PERPCORE_EVENT_CIRCUIT_BREAKER == Val(eng::EventKind::kCircuitBreaker));
static_assert(PERPCORE_EVENT_MARGIN_MODE_SET == Val(eng::EventKind::kMarginModeSet));
static_assert(PERPCORE_EVENT_LEVERAGE_SET == Val(eng::EventKind::kLeverageSet));
static_assert(PERPCORE_EVENT_ISOLATED_MARGIN_CHANGED ==
              Val(eng::EventKind::kIsolatedMarginChanged));
static_assert(PERPCORE_EVENT_FEE_TIER_SET == Val(eng::EventKind::kFeeTierSet));
static_assert(PERPCORE_EVENT_INSURANCE_FUNDED == Val(eng::EventKind::kInsuranceFunded));
static_assert(PERPCORE_EVENT_STP_SCOPE_SET == Val(eng::EventKind::kSelfTradeScopeSet));
static_assert(PERPCORE_EVENT_SOURCE_RETIRED == Val(eng::EventKind::kSourceRetired));
static_assert(PERPCORE_EVENT_FUNDING_RATE_SET == Val(eng::EventKind::kFundingRateSet));
static_assert(PERPCORE_EVENT_FUNDING_SETTLED == Val(eng::EventKind::kFundingSettled));
static_assert(PERPCORE_EVENT_FUNDING_RESIDUAL == Val(eng::EventKind::kFundingResidual));
static_assert(PERPCORE_EVENT_LIQUIDATION == Val(eng::EventKind::kLiquidation));
static_assert(PERPCORE_EVENT_INSURANCE_COVER == Val(eng::EventKind::kInsuranceCover));
static_assert(PERPCORE_EVENT_SHORTFALL == Val(eng::EventKind::kShortfall));
static_assert(PERPCORE_EVENT_MARGIN_WARNING == Val(eng::EventKind::kMarginWarning));
static_assert(PERPCORE_EVENT_POSITION_SETTLED == Val(eng::EventKind::kPositionSettled));
static_assert(PERPCORE_EVENT_MARKET_SETTLED == Val(eng::EventKind::kMarketSettled));
static_assert(PERPCORE_EVENT_BACKSTOP_TAKEOVER == Val(eng::EventKind::kBackstopTakeover));
static_assert(PERPCORE_EVENT_DELEVERAGED == Val(eng::EventKind::kDeleveraged));
static_assert(PERPCORE_EVENT_DELEVERAGED + 1 == std::variant_size_v<eng::Event>);
static_assert(PERPCORE_STP_SCOPE_OWNER == Val(eng::SelfTradeScope::kOwner));
static_assert(0 == Val(eng::IsolatedMarginCause::kUser));
static_assert(1 == Val(eng::IsolatedMarginCause::kTopUp));
static_assert(2 == Val(eng::IsolatedMarginCause::kRelease));
static_assert(3 == Val(eng::IsolatedMarginCause::kDeficit));
static_assert(PERPCORE_STP_SCOPE_ACCOUNT == Val(eng::SelfTradeScope::kAccount));
static_assert(PERPCORE_RATE_SCALE == pc::kRateScale);

// The frozen event layouts (perpcore.h asserts the sizes): the union after
// an 8-byte tag, and the offsets a C consumer reads fills and cancels at.
static_assert(offsetof(perpcore_event, as) == 8);
static_assert(offsetof(perpcore_event_fill, price) == 8);
static_assert(offsetof(perpcore_event_fill, taker) == 24);
static_assert(offsetof(perpcore_event_fill, maker) == 80);
static_assert(offsetof(perpcore_event_fill, referrer) == 136);
static_assert(offsetof(perpcore_fill_party, fee) == 24);
static_assert(offsetof(perpcore_fill_party, side) == 48);
static_assert(offsetof(perpcore_event_order_canceled, reason) == 48);
static_assert(offsetof(perpcore_event_order_amended, priority_kept) == 48);
static_assert(offsetof(perpcore_event_price_update, index) == 8);
static_assert(offsetof(perpcore_event_isolated_margin, amount) == 16);
static_assert(offsetof(perpcore_order, account) == 8);
static_assert(offsetof(perpcore_order, order_id) == 16);
static_assert(PERPCORE_MAX_TIERS == pc::risk::kMaxTiers);
namespace fd = ::perpcore::funding;
static_assert(PERPCORE_FUNDING_MODEL_NONE == Val(fd::FundingModel::kNone));
static_assert(PERPCORE_FUNDING_MODEL_PREMIUM == Val(fd::FundingModel::kPremium));
static_assert(PERPCORE_FUNDING_MODEL_SKEW_LINEAR == Val(fd::FundingModel::kSkewLinear));
static_assert(PERPCORE_FUNDING_MODEL_SKEW_POWER == Val(fd::FundingModel::kSkewPower));
static_assert(PERPCORE_FUNDING_MODEL_SKEW_ADAPTIVE == Val(fd::FundingModel::kSkewAdaptive));
static_assert(PERPCORE_FUNDING_PAYMENT_INTERVAL_END == Val(fd::FundingPayment::kIntervalEnd));
static_assert(PERPCORE_FUNDING_PAYMENT_CONTINUOUS == Val(fd::FundingPayment::kContinuous));
static_assert(PERPCORE_FUNDING_PRICE_INDEX == Val(fd::FundingPrice::kIndex));
static_assert(PERPCORE_FUNDING_PRICE_MARK == Val(fd::FundingPrice::kMark));
static_assert(PERPCORE_FUNDING_WEIGHTING_EQUAL == Val(fd::PremiumWeighting::kEqual));
static_assert(PERPCORE_FUNDING_WEIGHTING_TIME_WEIGHTED == Val(fd::PremiumWeighting::kTimeWeighted));
static_assert(PERPCORE_FUNDING_CAP_FIXED == Val(fd::CapMode::kFixed));
static_assert(PERPCORE_FUNDING_CAP_MARGIN_MULTIPLE == Val(fd::CapMode::kMarginMultiple));
static_assert(PERPCORE_FUNDING_HISTORY == fd::kHistory);
namespace lq = ::perpcore::liquidation;
static_assert(PERPCORE_HEALTH_HEALTHY == Val(lq::Health::kHealthy));
static_assert(PERPCORE_HEALTH_WARNING == Val(lq::Health::kWarning));
static_assert(PERPCORE_HEALTH_LIQUIDATABLE == Val(lq::Health::kLiquidatable));
static_assert(PERPCORE_HEALTH_BANKRUPT == Val(lq::Health::kBankrupt));
static_assert(PERPCORE_LOSS_POLICY_ADL == Val(lq::LossPolicy::kAdl));
static_assert(PERPCORE_LOSS_POLICY_NONE == Val(lq::LossPolicy::kNone));
// The appended fields start where the older versions end.
static_assert(offsetof(perpcore_market_params, liquidation) == PERPCORE_MARKET_PARAMS_SIZE_V3);
static_assert(offsetof(perpcore_market_params, liquidation.backstop) ==
              PERPCORE_MARKET_PARAMS_SIZE_V4);
static_assert(offsetof(perpcore_liquidation_params, loss_policy) == 96);
static_assert(offsetof(perpcore_adl_rank, rank) == 8);
static_assert(offsetof(perpcore_account_summary, health_equity) ==
              PERPCORE_ACCOUNT_SUMMARY_SIZE_V2);
static_assert(offsetof(perpcore_event_liquidation, closed) == 40);
static_assert(offsetof(perpcore_liquidation_candidate, equity) == 16);
static_assert(offsetof(perpcore_market_params, funding) == PERPCORE_MARKET_PARAMS_SIZE_V2);
static_assert(offsetof(perpcore_market_params, impact_notional) == PERPCORE_MARKET_PARAMS_SIZE_V1);
static_assert(offsetof(perpcore_account_summary, pending_funding) ==
              PERPCORE_ACCOUNT_SUMMARY_SIZE_V1);
static_assert(offsetof(perpcore_market_stats, funding_index) == PERPCORE_MARKET_STATS_SIZE_V1);
static_assert(offsetof(perpcore_market_stats, settlement) == PERPCORE_MARKET_STATS_SIZE_V2);
static_assert(offsetof(perpcore_funding_view, index) == 16);
static_assert(offsetof(perpcore_funding_view, pool) == 88);
static_assert(offsetof(perpcore_funding_rate, premium) == 24);
static_assert(offsetof(perpcore_funding_rate, index_delta) == 48);
static_assert(offsetof(perpcore_funding_params, interval_ns) == 24);
static_assert(offsetof(perpcore_funding_params, counterparty) == 96);

// Every reason: its C name and its C++ value.
#define PERPCORE_C_REASONS                                            \
  X(OK, pc::Reason::kOk)                                              \
  X(SEQUENCE_GAP, pc::Reason::kSequenceGap)                           \
  X(TIME_WENT_BACK, pc::Reason::kTimeWentBack)                        \
  X(ALREADY_APPLIED, pc::Reason::kAlreadyApplied)                     \
  X(ENGINE_POISONED, pc::Reason::kEnginePoisoned)                     \
  X(INVALID_ID, pc::Reason::kInvalidId)                               \
  X(INVALID_ORDER_ID, pc::Reason::kInvalidOrderId)                    \
  X(INVALID_ACCOUNT, pc::Reason::kInvalidAccount)                     \
  X(INVALID_CLIENT_ORDER_ID, pc::Reason::kInvalidClientOrderId)       \
  X(INVALID_OWNER, pc::Reason::kInvalidOwner)                         \
  X(INVALID_SIDE, pc::Reason::kInvalidSide)                           \
  X(INVALID_ORDER_TYPE, pc::Reason::kInvalidOrderType)                \
  X(INVALID_TIME_IN_FORCE, pc::Reason::kInvalidTimeInForce)           \
  X(INVALID_STP_MODE, pc::Reason::kInvalidStpMode)                    \
  X(INVALID_SIZE, pc::Reason::kInvalidSize)                           \
  X(SIZE_NOT_ON_STEP, pc::Reason::kSizeNotOnStep)                     \
  X(SIZE_ABOVE_MAX, pc::Reason::kSizeAboveMax)                        \
  X(INVALID_MAX_FILL, pc::Reason::kInvalidMaxFill)                    \
  X(INVALID_PRICE, pc::Reason::kInvalidPrice)                         \
  X(PRICE_NOT_ON_STEP, pc::Reason::kPriceNotOnStep)                   \
  X(PRICE_ABOVE_MAX, pc::Reason::kPriceAboveMax)                      \
  X(INVALID_AMOUNT, pc::Reason::kInvalidAmount)                       \
  X(INVALID_CONFIG, pc::Reason::kInvalidConfig)                       \
  X(INVALID_MARKET_PARAMS, pc::Reason::kInvalidMarketParams)          \
  X(PARAM_IMMUTABLE, pc::Reason::kParamImmutable)                     \
  X(INVALID_LEVERAGE, pc::Reason::kInvalidLeverage)                   \
  X(INVALID_STATUS, pc::Reason::kInvalidStatus)                       \
  X(INVALID_MARGIN_MODE, pc::Reason::kInvalidMarginMode)              \
  X(INVALID_FEE_TIER, pc::Reason::kInvalidFeeTier)                    \
  X(INVALID_SELF_TRADE_SCOPE, pc::Reason::kInvalidSelfTradeScope)     \
  X(MAX_PRICE_BELOW_MARKET_PRICE, pc::Reason::kMaxPriceBelowMarketPrice) \
  X(UNKNOWN_MARKET, pc::Reason::kUnknownMarket)                       \
  X(UNKNOWN_ACCOUNT, pc::Reason::kUnknownAccount)                     \
  X(MARKET_EXISTS, pc::Reason::kMarketExists)                         \
  X(ACCOUNT_EXISTS, pc::Reason::kAccountExists)                       \
  X(TOO_MANY_MARKETS, pc::Reason::kTooManyMarkets)                    \
  X(TOO_MANY_ACCOUNTS, pc::Reason::kTooManyAccounts)                  \
  X(UNKNOWN_REFERRER, pc::Reason::kUnknownReferrer)                   \
  X(NOT_SAME_OWNER, pc::Reason::kNotSameOwner)                        \
  X(SAME_ACCOUNT, pc::Reason::kSameAccount)                           \
  X(MARKET_HALTED, pc::Reason::kMarketHalted)                         \
  X(MARKET_REDUCE_ONLY, pc::Reason::kMarketReduceOnly)                \
  X(MARGIN_MODE_LOCKED, pc::Reason::kMarginModeLocked)                \
  X(NOT_ISOLATED, pc::Reason::kNotIsolated)                           \
  X(PRICE_OUTSIDE_BAND, pc::Reason::kPriceOutsideBand)                \
  X(DUPLICATE_ORDER_ID, pc::Reason::kDuplicateOrderId)                \
  X(DUPLICATE_CLIENT_ORDER_ID, pc::Reason::kDuplicateClientOrderId)   \
  X(POST_ONLY_WOULD_CROSS, pc::Reason::kPostOnlyWouldCross)           \
  X(FOK_NOT_FILLED, pc::Reason::kFokNotFilled)                        \
  X(TOO_MANY_ORDERS, pc::Reason::kTooManyOrders)                      \
  X(TOO_MANY_LEVELS, pc::Reason::kTooManyLevels)                      \
  X(BOOK_FULL, pc::Reason::kBookFull)                                 \
  X(OVERFLOW, pc::Reason::kOverflow)                                  \
  X(UNKNOWN_ORDER, pc::Reason::kUnknownOrder)                         \
  X(NOT_ORDER_OWNER, pc::Reason::kNotOrderOwner)                      \
  X(AMEND_NO_CHANGE, pc::Reason::kAmendNoChange)                      \
  X(AMEND_WOULD_CROSS, pc::Reason::kAmendWouldCross)                  \
  X(INSUFFICIENT_MARGIN, pc::Reason::kInsufficientMargin)             \
  X(INSUFFICIENT_COLLATERAL, pc::Reason::kInsufficientCollateral)     \
  X(REDUCE_ONLY_WOULD_INCREASE, pc::Reason::kReduceOnlyWouldIncrease) \
  X(REDUCE_ONLY_NOT_IMMEDIATE, pc::Reason::kReduceOnlyNotImmediate)   \
  X(OPEN_INTEREST_LIMIT, pc::Reason::kOpenInterestLimit)              \
  X(MAX_DEPOSIT_EXCEEDED, pc::Reason::kMaxDepositExceeded)            \
  X(WITHDRAWAL_EXCEEDS_HELD, pc::Reason::kWithdrawalExceedsHeld)      \
  X(MARKET_OPEN_INTEREST_LIMIT, pc::Reason::kMarketOpenInterestLimit) \
  X(CASH_BOUND_EXCEEDED, pc::Reason::kCashBoundExceeded)              \
  X(WITHDRAWALS_GATED, pc::Reason::kWithdrawalsGated)                 \
  X(NO_INDEX_PRICE, pc::Reason::kNoIndexPrice)                        \
  X(ORACLE_INVALID_SOURCE, pc::Reason::kOracleInvalidSource)          \
  X(ORACLE_TOO_MANY_SOURCES, pc::Reason::kOracleTooManySources)       \
  X(ORACLE_INVALID_PRICE, pc::Reason::kOracleInvalidPrice)            \
  X(ORACLE_FROM_THE_FUTURE, pc::Reason::kOracleFromTheFuture)         \
  X(ORACLE_OUT_OF_ORDER, pc::Reason::kOracleOutOfOrder)              \
  X(INDEX_STALE, pc::Reason::kIndexStale)                             \
  X(ORACLE_UNKNOWN_SOURCE, pc::Reason::kOracleUnknownSource)  \
  X(FUNDING_INVALID_MODEL, pc::Reason::kFundingInvalidModel)  \
  X(FUNDING_INVALID_PAYMENT, pc::Reason::kFundingInvalidPayment)  \
  X(FUNDING_INVALID_INTERVAL, pc::Reason::kFundingInvalidInterval)  \
  X(FUNDING_INVALID_CADENCE, pc::Reason::kFundingInvalidCadence)  \
  X(FUNDING_INVALID_WEIGHTING, pc::Reason::kFundingInvalidWeighting)  \
  X(FUNDING_INVALID_IMPACT_NOTIONAL, pc::Reason::kFundingInvalidImpactNotional)  \
  X(FUNDING_INVALID_INTEREST, pc::Reason::kFundingInvalidInterest)  \
  X(FUNDING_CAP_BELOW_FLOOR, pc::Reason::kFundingCapBelowFloor)  \
  X(FUNDING_NO_COUNTERPARTY, pc::Reason::kFundingNoCounterparty)  \
  X(FUNDING_INVALID_SKEW, pc::Reason::kFundingInvalidSkew)  \
  X(FUNDING_INVALID_EXPONENT, pc::Reason::kFundingInvalidExponent)  \
  X(FUNDING_INDEX_OVERFLOW, pc::Reason::kFundingIndexOverflow)  \
  X(LIQUIDATION_INVALID_WARNING_THRESHOLD, pc::Reason::kLiquidationInvalidWarningThreshold)  \
  X(LIQUIDATION_INVALID_FEE, pc::Reason::kLiquidationInvalidFee)  \
  X(LIQUIDATION_INVALID_KEEPER_SHARE, pc::Reason::kLiquidationInvalidKeeperShare)  \
  X(LIQUIDATION_INVALID_BUFFER, pc::Reason::kLiquidationInvalidBuffer)  \
  X(LIQUIDATION_INVALID_CHUNK_THRESHOLD, pc::Reason::kLiquidationInvalidChunkThreshold)  \
  X(LIQUIDATION_INVALID_CHUNK_FRACTION, pc::Reason::kLiquidationInvalidChunkFraction)  \
  X(LIQUIDATION_INVALID_COOLDOWN, pc::Reason::kLiquidationInvalidCooldown)  \
  X(LIQUIDATION_INVALID_BANKRUPTCY_ADJUSTMENT, pc::Reason::kLiquidationInvalidBankruptcyAdjustment)  \
  X(LIQUIDATION_INVALID_SPREAD, pc::Reason::kLiquidationInvalidSpread)  \
  X(LIQUIDATION_INVALID_MAX_NOTIONAL, pc::Reason::kLiquidationInvalidMaxNotional)  \
  X(LIQUIDATION_NOT_LIQUIDATABLE, pc::Reason::kLiquidationNotLiquidatable)  \
  X(LIQUIDATION_SELF, pc::Reason::kLiquidationSelf)  \
  X(LIQUIDATION_INVALID_SIZE, pc::Reason::kLiquidationInvalidSize)  \
  X(LIQUIDATION_NO_POSITION, pc::Reason::kLiquidationNoPosition)  \
  X(SETTLEMENT_NOT_DELISTED, pc::Reason::kSettlementNotDelisted)  \
  X(SETTLEMENT_STARTED, pc::Reason::kSettlementStarted)  \
  X(SETTLEMENT_INVALID_PRICE, pc::Reason::kSettlementInvalidPrice)  \
  X(LIQUIDATION_INVALID_BACKSTOP_THRESHOLD, pc::Reason::kLiquidationInvalidBackstopThreshold)  \
  X(LIQUIDATION_INVALID_LOSS_POLICY, pc::Reason::kLiquidationInvalidLossPolicy)

#define X(name, value) static_assert(PERPCORE_REASON_##name == Val(value), #name);
PERPCORE_C_REASONS
#undef X

struct ReasonName {
  std::uint32_t value;
  const char* name;
};
#define X(name, value) {PERPCORE_REASON_##name, "PERPCORE_REASON_" #name},
constexpr ReasonName kReasonNames[] = {PERPCORE_C_REASONS};
#undef X

const ReasonName* FindReason(std::uint32_t reason) {
  for (const ReasonName& r : kReasonNames) {
    if (r.value == reason) return &r;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// Status helpers
// ---------------------------------------------------------------------------

// The status of the handle itself: NULL, not an engine, or live.
perpcore_status HandleStatus(const perpcore_engine* e) {
  if (e == nullptr) return PERPCORE_E_ILLEGAL_ARG;
  std::uint64_t magic = 0;
  std::memcpy(&magic, static_cast<const void*>(e), sizeof magic);
  return magic == kMagic ? PERPCORE_OK : PERPCORE_E_BAD_HANDLE;
}

// HandleUse
//
// The in-use flag of a handle for the length of one call (perpcore.h,
// "Thread safety"): Enter() checks the handle, then takes the flag with one
// atomic exchange; the destructor gives it back. A call that finds the flag
// taken returns PERPCORE_E_MISUSE without touching anything behind the
// handle, last_error included: that is the other call's. Detection, not a
// lock: nobody waits. Acquire on taking and release on giving back, so a
// call sees everything the previous call on the engine wrote even when a
// host hands the engine from one thread to another without synchronising
// (the data race the flag reports is then between the flags only).
class HandleUse {
 public:
  HandleUse() = default;
  HandleUse(const HandleUse&) = delete;
  HandleUse& operator=(const HandleUse&) = delete;
  ~HandleUse() {
    if (flag_ != nullptr) flag_->store(false, std::memory_order_release);
  }

  // Enter()
  //
  // PERPCORE_OK with the flag held; PERPCORE_E_ILLEGAL_ARG (NULL),
  // PERPCORE_E_BAD_HANDLE or PERPCORE_E_MISUSE otherwise.
  perpcore_status Enter(const perpcore_engine* e) {
    if (perpcore_status s = HandleStatus(e); s != PERPCORE_OK) return s;
    std::atomic<bool>& flag = e->state->in_use;
    if (flag.exchange(true, std::memory_order_acquire)) return PERPCORE_E_MISUSE;
    flag_ = &flag;
    return PERPCORE_OK;
  }

 private:
  std::atomic<bool>* flag_ = nullptr;
};

// Records "func: what" as the engine's last error (when the handle is live)
// and returns `status`. Never throws, never allocates. Only a call holding
// the handle's in-use flag may record (a MISUSE is returned bare).
perpcore_status Fail(const perpcore_engine* e, perpcore_status status, const char* func,
                     const char* what) {
  if (HandleStatus(e) == PERPCORE_OK) {
    std::snprintf(e->state->last_error, sizeof e->state->last_error, "%s: %s (%s)", func, what,
                  perpcore_status_name(status));
  }
  return status;
}

// Runs `body` (which returns a perpcore_status) inside CatchAll(), so that
// no exception escapes. An exception during Apply() leaves the engine
// possibly half-changed, so the engine is poisoned.
template <class Body>
perpcore_status Guard(const perpcore_engine* e, const char* func, Body&& body) noexcept {
  const char* what = nullptr;
  const perpcore_status s = CatchAll(std::forward<Body>(body), &what);
  if (what == nullptr) return s;
  // An exception inside Engine::Apply() poisons the engine itself; the
  // events of a command that did not finish are not shown.
  if (HandleStatus(e) == PERPCORE_OK && e->state->impl.poisoned()) e->state->events = {};
  return Fail(e, PERPCORE_E_INTERNAL, func, what);
}

// An output struct's struct_size, checked; the struct zeroed up to it (its
// struct_size kept). On failure nothing is written.
template <class T>
perpcore_status PrepareOutput(T* out) {
  if (out == nullptr) return PERPCORE_E_ILLEGAL_ARG;
  if (perpcore_status s = CheckOutputSize(out); s != PERPCORE_OK) return s;
  ZeroOutput(out);
  return PERPCORE_OK;
}

const char* OutputMessage(perpcore_status s) {
  return s == PERPCORE_E_STRUCT_SIZE ? "output struct_size is invalid" : "output is NULL";
}

const char* InputMessage(perpcore_status s) {
  return s == PERPCORE_E_STRUCT_SIZE ? "input struct_size is not this library's size of the struct"
                                     : "input is NULL";
}

// ---------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------

void CopySymbol(char (&out)[PERPCORE_SYMBOL_CAPACITY], const std::string& symbol) {
  CopyMessage(out, sizeof out, symbol);
}

// A C engine config (NULL: defaults) as the C++ one.
perpcore_status ToEngineConfig(const perpcore_engine_config* in, eng::EngineConfig* out,
                               const char** why) {
  *out = eng::EngineConfig{};
  if (in == nullptr) return PERPCORE_OK;
  if (perpcore_status s = CheckInputSize(in); s != PERPCORE_OK) {
    *why = InputMessage(s);
    return s;
  }
  if (in->fee_tier_count > PERPCORE_MAX_FEE_TIERS) {
    *why = "fee_tier_count is above PERPCORE_MAX_FEE_TIERS";
    return PERPCORE_E_RANGE;
  }
  out->quote_decimals = in->quote_decimals;
  out->max_markets = in->max_markets;
  out->max_accounts = in->max_accounts;
  out->hash_seed = in->hash_seed;
  out->referrer_share = pc::Rate(in->referrer_share);
  out->fee_tier_discounts.clear();
  for (std::uint32_t i = 0; i < in->fee_tier_count; ++i) {
    out->fee_tier_discounts.push_back(pc::Rate(in->fee_tier_discounts[i]));
  }
  if (Has(in->struct_size, offsetof(perpcore_engine_config, withdraw_margin_fraction) +
                                  sizeof in->withdraw_margin_fraction)) {
    out->withdraw_margin_fraction = pc::Rate(in->withdraw_margin_fraction);
  }
  return PERPCORE_OK;
}

perpcore_engine_config FromEngineConfig(const eng::EngineConfig& c) {
  perpcore_engine_config out;
  perpcore_engine_config_init(&out);
  out.quote_decimals = c.quote_decimals;
  out.max_markets = c.max_markets;
  out.max_accounts = c.max_accounts;
  out.hash_seed = c.hash_seed;
  out.referrer_share = c.referrer_share.raw();
  out.withdraw_margin_fraction = c.withdraw_margin_fraction.raw();
  const std::size_t n = std::min<std::size_t>(c.fee_tier_discounts.size(), PERPCORE_MAX_FEE_TIERS);
  out.fee_tier_count = static_cast<std::uint32_t>(n);
  for (std::size_t i = 0; i < n; ++i) out.fee_tier_discounts[i] = c.fee_tier_discounts[i].raw();
  return out;
}

// Enum8(): a C enumerator as the C++ uint8 enum E. A value outside uint8
// becomes 255 (no enumerator), so it reaches funding::Validate() as
// invalid (its kFunding* reason) instead of wrapping onto a valid one.
template <class E>
E Enum8(std::uint32_t v) {
  return static_cast<E>(v > 255 ? 255 : v);
}

fd::FundingParams ToFundingParams(const perpcore_funding_params& in) {
  fd::FundingParams f;
  f.model = Enum8<fd::FundingModel>(in.model);
  f.payment = Enum8<fd::FundingPayment>(in.payment);
  f.price = Enum8<fd::FundingPrice>(in.price);
  f.interval = pc::TimeNs(in.interval_ns);
  f.period = pc::TimeNs(in.period_ns);
  f.sample_cadence = pc::TimeNs(in.sample_cadence_ns);
  f.weighting = Enum8<fd::PremiumWeighting>(in.weighting);
  f.impact_notional = in.impact_notional;
  f.interest = pc::Rate(in.interest);
  f.interest_band = pc::Rate(in.interest_band);
  f.cap_mode = Enum8<fd::CapMode>(in.cap_mode);
  f.cap = pc::Rate(in.cap);
  f.floor = pc::Rate(in.floor);
  f.cap_multiple = pc::Rate(in.cap_multiple);
  f.counterparty = in.counterparty;
  f.skew_kappa = pc::Rate(in.skew_kappa);
  f.skew_factor = pc::Rate(in.skew_factor);
  f.skew_exponent = pc::Rate(in.skew_exponent);
  f.skew_max = pc::Rate(in.skew_max);
  f.ramp_up = pc::Rate(in.ramp_up);
  f.decay = pc::Rate(in.decay);
  f.stable_threshold = pc::Rate(in.stable_threshold);
  f.decay_threshold = pc::Rate(in.decay_threshold);
  return f;
}

perpcore_funding_params FromFundingParams(const fd::FundingParams& f) {
  perpcore_funding_params out;
  std::memset(&out, 0, sizeof out);
  out.model = static_cast<std::uint32_t>(f.model);
  out.payment = static_cast<std::uint32_t>(f.payment);
  out.price = static_cast<std::uint32_t>(f.price);
  out.weighting = static_cast<std::uint32_t>(f.weighting);
  out.cap_mode = static_cast<std::uint32_t>(f.cap_mode);
  out.interval_ns = f.interval.raw();
  out.period_ns = f.period.raw();
  out.sample_cadence_ns = f.sample_cadence.raw();
  out.impact_notional = f.impact_notional;
  out.interest = f.interest.raw();
  out.interest_band = f.interest_band.raw();
  out.cap = f.cap.raw();
  out.floor = f.floor.raw();
  out.cap_multiple = f.cap_multiple.raw();
  out.counterparty = f.counterparty;
  out.skew_kappa = f.skew_kappa.raw();
  out.skew_factor = f.skew_factor.raw();
  out.skew_exponent = f.skew_exponent.raw();
  out.skew_max = f.skew_max.raw();
  out.ramp_up = f.ramp_up.raw();
  out.decay = f.decay.raw();
  out.stable_threshold = f.stable_threshold.raw();
  out.decay_threshold = f.decay_threshold.raw();
  return out;
}

lq::LiquidationParams ToLiquidationParams(const perpcore_liquidation_params& in) {
  lq::LiquidationParams l;
  l.warning_threshold = pc::Rate(in.warning_threshold);
  l.fee = pc::Rate(in.fee);
  l.keeper_share = pc::Rate(in.keeper_share);
  l.buffer = pc::Rate(in.buffer);
  l.chunk_threshold = in.chunk_threshold;
  l.chunk_fraction = pc::Rate(in.chunk_fraction);
  l.cooldown = pc::TimeNs(in.cooldown_ns);
  l.bankruptcy_adjustment = pc::Rate(in.bankruptcy_adjustment);
  l.spread_to_maintenance = pc::Rate(in.spread_to_maintenance);
  l.max_notional_per_command = in.max_notional_per_command;
  return l;
}

perpcore_liquidation_params FromLiquidationParams(const lq::LiquidationParams& l) {
  perpcore_liquidation_params out;
  std::memset(&out, 0, sizeof out);
  out.warning_threshold = l.warning_threshold.raw();
  out.fee = l.fee.raw();
  out.keeper_share = l.keeper_share.raw();
  out.buffer = l.buffer.raw();
  out.chunk_threshold = l.chunk_threshold;
  out.chunk_fraction = l.chunk_fraction.raw();
  out.cooldown_ns = l.cooldown.raw();
  out.bankruptcy_adjustment = l.bankruptcy_adjustment.raw();
  out.spread_to_maintenance = l.spread_to_maintenance.raw();
  out.max_notional_per_command = l.max_notional_per_command;
  out.backstop = l.backstop;
  out.backstop_threshold = l.backstop_threshold.raw();
  out.loss_policy = static_cast<std::uint32_t>(l.loss_policy);
  return out;
}

// ToC128(): two's complement halves (perpcore.h, perpcore_i128).
perpcore_i128 ToC128(absl::int128 v) {
  return perpcore_i128{.hi = absl::Int128High64(v), .lo = absl::Int128Low64(v)};
}

perpcore_status ToMarketParams(const perpcore_market_params* in, eng::MarketParams* out,
                               const char** why) {
  if (in == nullptr) {
    *why = "params is NULL";
    return PERPCORE_E_ILLEGAL_ARG;
  }
  if (perpcore_status s = CheckInputSize(in); s != PERPCORE_OK) {
    *why = InputMessage(s);
    return s;
  }
  const void* nul = std::memchr(in->symbol, '\0', sizeof in->symbol);
  if (nul == nullptr) {
    *why = "symbol is not NUL-terminated within PERPCORE_SYMBOL_CAPACITY";
    return PERPCORE_E_ILLEGAL_ARG;
  }
  if (in->tier_count > PERPCORE_MAX_TIERS) {
    *why = "tier_count is above PERPCORE_MAX_TIERS";
    return PERPCORE_E_RANGE;
  }
  out->symbol.assign(in->symbol, static_cast<const char*>(nul));
  out->tick_size = eng::Decimal{in->tick_size_mantissa, in->tick_size_exponent};
  out->lot_size = eng::Decimal{in->lot_size_mantissa, in->lot_size_exponent};
  out->max_order_size = pc::Lots(in->max_order_size);
  out->max_open_interest = pc::Lots(in->max_open_interest);
  out->max_price = pc::Ticks(in->max_price);
  out->price_band = pc::Rate(in->price_band);
  out->max_leverage = in->max_leverage;
  out->tiers.clear();
  for (std::uint32_t i = 0; i < in->tier_count; ++i) {
    const perpcore_margin_tier& t = in->tiers[i];
    out->tiers.push_back(pc::risk::MarginTier{.notional_floor = pc::Quote(t.notional_floor),
                                              .max_leverage = t.max_leverage,
                                              .maintenance_rate = pc::Rate(t.maintenance_rate)});
  }
  out->maker_fee = pc::Rate(in->maker_fee);
  out->taker_fee = pc::Rate(in->taker_fee);
  out->oracle = pc::oracle::OracleConfig{
      .staleness = pc::TimeNs(in->oracle.staleness_ns),
      .min_sources = in->oracle.min_sources,
      .max_source_deviation = pc::Rate(in->oracle.max_source_deviation),
      .max_twap_deviation = pc::Rate(in->oracle.max_twap_deviation),
      .twap_window = pc::TimeNs(in->oracle.twap_window_ns),
      .basis_window = pc::TimeNs(in->oracle.basis_window_ns)};
  out->max_orders_per_account = in->max_orders_per_account;
  out->max_levels_per_side = in->max_levels_per_side;
  out->max_book_orders = in->max_book_orders;
  // The fields appended after version 1: a version-1 caller's struct ends
  // before them, and they keep their defaults.
  if (Has(in->struct_size, offsetof(perpcore_market_params, max_market_open_interest) +
                                  sizeof in->max_market_open_interest)) {
    out->oracle.impact_notional = in->impact_notional;
    out->oracle.mark_cap = pc::Rate(in->mark_cap);
    out->oracle.max_mark_age = pc::TimeNs(in->max_mark_age_ns);
    // A value outside the enum reaches the engine's check as it is
    // (kInvalidMarketParams names the field), never a wrapped enumerator.
    out->stress_fraction = pc::Rate(in->stress_fraction);
    out->withdrawable_pnl = in->withdrawable_pnl > 255
                                ? static_cast<eng::WithdrawablePnl>(255)
                                : static_cast<eng::WithdrawablePnl>(in->withdrawable_pnl);
    out->max_market_open_interest = pc::Lots(in->max_market_open_interest);
    out->max_matches_per_order = in->max_matches_per_order == 0
                                     ? eng::MarketParams{}.max_matches_per_order
                                     : in->max_matches_per_order;
  }
  // The funding appended after version 2: older callers get its defaults.
  if (Has(in->struct_size, offsetof(perpcore_market_params, funding) + sizeof in->funding)) {
    out->funding = ToFundingParams(in->funding);
  }
  // The liquidation appended after version 3: older callers get its
  // defaults; its backstop and loss policy fields, appended after version 4
  // (issue 14), likewise.
  if (Has(in->struct_size, PERPCORE_MARKET_PARAMS_SIZE_V4)) {
    out->liquidation = ToLiquidationParams(in->liquidation);
  }
  if (Has(in->struct_size, offsetof(perpcore_market_params, liquidation.loss_policy) +
                               sizeof in->liquidation.loss_policy)) {
    out->liquidation.backstop = in->liquidation.backstop;
    out->liquidation.backstop_threshold = pc::Rate(in->liquidation.backstop_threshold);
    // As withdrawable_pnl: a value outside the enum reaches the engine's
    // check (kLiquidationInvalidLossPolicy), never a wrapped enumerator.
    out->liquidation.loss_policy =
        in->liquidation.loss_policy > 255
            ? static_cast<lq::LossPolicy>(255)
            : static_cast<lq::LossPolicy>(in->liquidation.loss_policy);
  }
  return PERPCORE_OK;
}

perpcore_market_params FromMarketParams(const eng::MarketParams& p) {
  perpcore_market_params out;
  std::memset(&out, 0, sizeof out);
  CopySymbol(out.symbol, p.symbol);
  out.tick_size_mantissa = p.tick_size.mantissa;
  out.tick_size_exponent = p.tick_size.exponent;
  out.lot_size_mantissa = p.lot_size.mantissa;
  out.lot_size_exponent = p.lot_size.exponent;
  out.max_order_size = p.max_order_size.raw();
  out.max_open_interest = p.max_open_interest.raw();
  out.max_price = p.max_price.raw();
  out.price_band = p.price_band.raw();
  out.max_leverage = p.max_leverage;
  const std::size_t n = std::min<std::size_t>(p.tiers.size(), PERPCORE_MAX_TIERS);
  out.tier_count = static_cast<std::uint32_t>(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.tiers[i].notional_floor = p.tiers[i].notional_floor.raw();
    out.tiers[i].max_leverage = p.tiers[i].max_leverage;
    out.tiers[i].maintenance_rate = p.tiers[i].maintenance_rate.raw();
  }
  out.maker_fee = p.maker_fee.raw();
  out.taker_fee = p.taker_fee.raw();
  out.oracle.staleness_ns = p.oracle.staleness.raw();
  out.oracle.min_sources = p.oracle.min_sources;
  out.oracle.max_source_deviation = p.oracle.max_source_deviation.raw();
  out.oracle.max_twap_deviation = p.oracle.max_twap_deviation.raw();
  out.oracle.twap_window_ns = p.oracle.twap_window.raw();
  out.oracle.basis_window_ns = p.oracle.basis_window.raw();
  out.impact_notional = p.oracle.impact_notional;
  out.mark_cap = p.oracle.mark_cap.raw();
  out.max_mark_age_ns = p.oracle.max_mark_age.raw();
  out.max_orders_per_account = p.max_orders_per_account;
  out.max_levels_per_side = p.max_levels_per_side;
  out.max_book_orders = p.max_book_orders;
  out.stress_fraction = p.stress_fraction.raw();
  out.withdrawable_pnl = static_cast<std::uint32_t>(p.withdrawable_pnl);
  out.max_market_open_interest = p.max_market_open_interest.raw();
  out.max_matches_per_order = p.max_matches_per_order;
  out.funding = FromFundingParams(p.funding);
  out.liquidation = FromLiquidationParams(p.liquidation);
  return out;
}

perpcore_status ToPlaceOrder(const perpcore_order* in, eng::PlaceOrder* out, const char** why) {
  if (in == nullptr) {
    *why = "order is NULL";
    return PERPCORE_E_ILLEGAL_ARG;
  }
  if (perpcore_status s = CheckInputSize(in); s != PERPCORE_OK) {
    *why = InputMessage(s);
    return s;
  }
  if (in->side > PERPCORE_SIDE_SELL) {
    *why = "side is not a PERPCORE_SIDE_*";
    return PERPCORE_E_ILLEGAL_ARG;
  }
  if (in->type > PERPCORE_ORDER_MARKET) {
    *why = "type is not a PERPCORE_ORDER_*";
    return PERPCORE_E_ILLEGAL_ARG;
  }
  if (in->tif > PERPCORE_TIF_POST_ONLY_SLIDE) {
    *why = "tif is not a PERPCORE_TIF_*";
    return PERPCORE_E_ILLEGAL_ARG;
  }
  if (in->stp > PERPCORE_STP_DECREMENT_AND_CANCEL) {
    *why = "stp is not a PERPCORE_STP_*";
    return PERPCORE_E_ILLEGAL_ARG;
  }
  if (in->reduce_only > 1) {
    *why = "reduce_only is not 0 or 1";
    return PERPCORE_E_ILLEGAL_ARG;
  }
  *out = eng::PlaceOrder{.market = pc::MarketId(in->market),
                         .account = pc::AccountId(in->account),
                         .order_id = pc::OrderId(in->order_id),
                         .client_id = pc::ClientOrderId(in->client_id),
                         .side = static_cast<pc::book::Side>(in->side),
                         .type = static_cast<pc::book::OrderType>(in->type),
                         .tif = static_cast<pc::book::TimeInForce>(in->tif),
                         .stp = static_cast<pc::book::StpMode>(in->stp),
                         .reduce_only = in->reduce_only != 0,
                         .price = pc::Ticks(in->price),
                         .size = pc::Lots(in->size)};
  return PERPCORE_OK;
}

// Each event kind into its member of perpcore_event.as (the rest is zero).
template <class E>
std::uint32_t U32(E e) {
  return static_cast<std::uint32_t>(e);
}
perpcore_fill_party ToC(const ev::FillParty& p) {
  perpcore_fill_party out;
  std::memset(&out, 0, sizeof out);
  out.account = p.account.value();
  out.order_id = p.order_id.value();
  out.remaining = p.remaining.raw();
  out.fee = p.fee.raw();
  out.position = p.position.raw();
  out.realized = p.realized.raw();
  out.side = U32(p.side);
  return out;
}
void Put(const ev::OrderRested& e, perpcore_event* out) {
  out->as.order_rested = {.market = e.market.value(),
                          .side = U32(e.side),
                          .account = e.account.value(),
                          .order_id = e.order_id.value(),
                          .price = e.price.raw(),
                          .size = e.size.raw()};
}
void Put(const ev::Fill& e, perpcore_event* out) {
  perpcore_event_fill& f = out->as.fill;
  f.market = e.market.value();
  f.price = e.price.raw();
  f.size = e.size.raw();
  f.taker = ToC(e.taker);
  f.maker = ToC(e.maker);
  f.referrer = e.referrer.value();
  f.referrer_fee = e.referrer_fee.raw();
}
void Put(const ev::OrderCanceled& e, perpcore_event* out) {
  out->as.order_canceled = {.market = e.market.value(),
                            .side = U32(e.side),
                            .account = e.account.value(),
                            .order_id = e.order_id.value(),
                            .price = e.price.raw(),
                            .size = e.size.raw(),
                            .remaining = e.remaining.raw(),
                            .reason = U32(e.reason),
                            .pad0 = 0};
}
void Put(const ev::OrderReduced& e, perpcore_event* out) {
  out->as.order_reduced = {.market = e.market.value(),
                           .side = U32(e.side),
                           .account = e.account.value(),
                           .order_id = e.order_id.value(),
                           .price = e.price.raw(),
                           .size = e.size.raw(),
                           .remaining = e.remaining.raw()};
}
void Put(const ev::OrderAmended& e, perpcore_event* out) {
  out->as.order_amended = {.market = e.market.value(),
                           .side = U32(e.side),
                           .account = e.account.value(),
                           .order_id = e.order_id.value(),
                           .price = e.price.raw(),
                           .remaining = e.remaining.raw(),
                           .old_remaining = e.old_remaining.raw(),
                           .priority_kept = e.priority_kept ? 1u : 0u,
                           .pad0 = 0};
}
void Put(const ev::Deposit& e, perpcore_event* out) {
  out->as.cash = {.account = e.account.value(), .amount = e.amount.raw()};
}
void Put(const ev::Withdrawal& e, perpcore_event* out) {
  out->as.cash = {.account = e.account.value(), .amount = e.amount.raw()};
}
void Put(const ev::Transfer& e, perpcore_event* out) {
  out->as.transfer = {.from = e.from.value(), .to = e.to.value(), .amount = e.amount.raw()};
}
void Put(const ev::AccountCreated& e, perpcore_event* out) {
  out->as.account_created = {.account = e.account.value(),
                             .owner = e.owner.value(),
                             .referrer = e.referrer.value(),
                             .fee_tier = e.fee_tier,
                             .pad0 = 0};
}
void Put(const ev::MarketCreated& e, perpcore_event* out) {
  out->as.market = {.market = e.market.value()};
}
void Put(const ev::MarketUpdated& e, perpcore_event* out) {
  out->as.market = {.market = e.market.value()};
}
void Put(const ev::MarketStatusChanged& e, perpcore_event* out) {
  out->as.market_status = {.market = e.market.value(), .status = U32(e.status)};
}
void Put(const ev::PriceUpdate& e, perpcore_event* out) {
  out->as.price_update = {.market = e.market.value(),
                          .pad0 = 0,
                          .index = e.index.raw(),
                          .mark = e.mark.raw(),
                          .twap = e.twap.raw()};
}
void Put(const ev::CircuitBreaker& e, perpcore_event* out) {
  out->as.circuit_breaker = {
      .market = e.market.value(), .tripped = e.tripped ? 1u : 0u, .cause = U32(e.cause)};
}
void Put(const ev::MarginModeSet& e, perpcore_event* out) {
  out->as.margin_mode = {
      .market = e.market.value(), .mode = U32(e.mode), .account = e.account.value()};
}
void Put(const ev::LeverageSet& e, perpcore_event* out) {
  out->as.leverage = {
      .market = e.market.value(), .leverage = e.leverage, .account = e.account.value()};
}
void Put(const ev::IsolatedMarginChanged& e, perpcore_event* out) {
  out->as.isolated_margin = {.market = e.market.value(),
                             .cause = U32(e.cause),
                             .account = e.account.value(),
                             .amount = e.amount.raw()};
}
void Put(const ev::FeeTierSet& e, perpcore_event* out) {
  out->as.fee_tier = {.account = e.account.value(), .fee_tier = e.fee_tier, .pad0 = 0};
}
void Put(const ev::InsuranceFunded& e, perpcore_event* out) {
  out->as.insurance = {.amount = e.amount.raw()};
}
void Put(const ev::SelfTradeScopeSet& e, perpcore_event* out) {
  out->as.stp_scope = {.account = e.account.value(), .scope = U32(e.scope), .pad0 = 0};
}
void Put(const ev::SourceRetired& e, perpcore_event* out) {
  out->as.source_retired = {.market = e.market.value(), .source = e.source.value()};
}
void Put(const ev::FundingRateSet& e, perpcore_event* out) {
  out->as.funding_rate = {.market = e.market.value(),
                          .intervals = e.intervals,
                          .start_ns = e.start.raw(),
                          .end_ns = e.end.raw(),
                          .premium = e.premium.raw(),
                          .rate = e.rate.raw(),
                          .price = e.price.raw()};
}
void Put(const ev::FundingSettled& e, perpcore_event* out) {
  out->as.funding_settled = {
      .market = e.market.value(), .pad0 = 0, .account = e.account.value(), .amount = e.amount.raw()};
}
void Put(const ev::FundingResidual& e, perpcore_event* out) {
  out->as.funding_residual = {.market = e.market.value(), .pad0 = 0, .amount = e.amount.raw()};
}
void Put(const ev::Liquidation& e, perpcore_event* out) {
  out->as.liquidation = {.market = e.market.value(),
                         .health = e.health,
                         .account = e.account.value(),
                         .keeper = e.keeper.value(),
                         .order_id = e.order_id.value(),
                         .isolated = e.isolated ? 1U : 0U,
                         .pad0 = 0,
                         .closed = e.closed.raw(),
                         .position = e.position.raw(),
                         .limit = e.limit.raw(),
                         .closed_notional = e.closed_notional.raw(),
                         .fee = e.fee.raw(),
                         .keeper_fee = e.keeper_fee.raw()};
}
void Put(const ev::InsuranceCover& e, perpcore_event* out) {
  out->as.insurance_cover = {
      .market = e.market.value(), .pad0 = 0, .account = e.account.value(), .amount = e.amount.raw()};
}
void Put(const ev::Shortfall& e, perpcore_event* out) {
  out->as.shortfall = {
      .market = e.market.value(), .pad0 = 0, .account = e.account.value(), .amount = e.amount.raw()};
}

void Put(const ev::MarginWarning& e, perpcore_event* out) {
  out->as.margin_warning = {.market = e.market.value(),
                            .set = e.set ? 1U : 0U,
                            .account = e.account.value(),
                            .equity = e.equity.raw(),
                            .maintenance = e.maintenance.raw()};
}

void Put(const ev::PositionSettled& e, perpcore_event* out) {
  out->as.position_settled = {.market = e.market.value(),
                              .isolated = e.isolated ? 1U : 0U,
                              .account = e.account.value(),
                              .size = e.size.raw(),
                              .price = e.price.raw(),
                              .realized = e.realized.raw()};
}
void Put(const ev::MarketSettled& e, perpcore_event* out) {
  out->as.market_settled = {.market = e.market.value(), .pad0 = 0, .price = e.price.raw()};
}
void Put(const ev::BackstopTakeover& e, perpcore_event* out) {
  out->as.backstop_takeover = {.market = e.market.value(),
                               .isolated = e.isolated ? 1U : 0U,
                               .account = e.account.value(),
                               .backstop = e.backstop.value(),
                               .size = e.size.raw(),
                               .price = e.price.raw(),
                               .equity = e.equity.raw(),
                               .position = e.position.raw(),
                               .backstop_position = e.backstop_position.raw()};
}
void Put(const ev::Deleveraged& e, perpcore_event* out) {
  out->as.deleveraged = {.market = e.market.value(),
                         .isolated = e.isolated ? 1U : 0U,
                         .account = e.account.value(),
                         .counterparty = e.counterparty.value(),
                         .size = e.size.raw(),
                         .price = e.price.raw(),
                         .equity = e.equity.raw(),
                         .position = e.position.raw(),
                         .counterparty_position = e.counterparty_position.raw()};
}

perpcore_event ToC(const eng::Event& e) {
  perpcore_event out;
  std::memset(&out, 0, sizeof out);
  out.kind = U32(eng::KindOf(e));
  std::visit([&out](const auto& v) { Put(v, &out); }, e);
  return out;
}

perpcore_level ToC(const std::optional<pc::book::LevelView>& lv) {
  perpcore_level out;
  std::memset(&out, 0, sizeof out);
  if (lv) {
    out.price = lv->price.raw();
    out.total = lv->total.raw();
    out.orders = lv->orders;
  }
  return out;
}

perpcore_position ToC(const eng::PositionView& p) {
  perpcore_position out;
  std::memset(&out, 0, sizeof out);
  out.market = p.market.value();
  out.mode = static_cast<std::uint32_t>(p.mode);
  out.leverage = p.leverage;
  out.open_orders = p.open_orders;
  out.size = p.size.raw();
  out.entry_price = p.entry_price.raw();
  out.mark = p.mark.raw();
  out.value = p.value.raw();
  out.cost = p.cost.raw();
  out.unrealized_pnl = p.unrealized_pnl.raw();
  out.realized_pnl = p.realized_pnl.raw();
  out.initial_requirement = p.initial_requirement.raw();
  out.maintenance_requirement = p.maintenance_requirement.raw();
  out.isolated_equity = p.isolated_equity.raw();
  out.liquidation_price = p.liquidation.price.raw();
  out.liquidation_tier = static_cast<std::uint32_t>(p.liquidation.tier);
  out.liquidation_always = p.liquidation.always ? 1 : 0;
  out.open_bid_lots = p.open_bid_lots.raw();
  out.open_ask_lots = p.open_ask_lots.raw();
  return out;
}

perpcore_liquidation_candidate ToC(const eng::LiquidationCandidate& c) {
  perpcore_liquidation_candidate out;
  std::memset(&out, 0, sizeof out);
  out.account = c.account.value();
  out.market = c.market.value();
  out.health = static_cast<std::uint32_t>(c.health);
  out.equity = c.equity.raw();
  out.maintenance = c.maintenance.raw();
  return out;
}

perpcore_open_order ToC(const eng::OpenOrder& o) {
  perpcore_open_order out;
  std::memset(&out, 0, sizeof out);
  out.market = o.market.value();
  out.side = static_cast<std::uint32_t>(o.order.side);
  out.order_id = o.order.id.value();
  out.account = o.order.account.value();
  out.client_id = o.order.client_id.value();
  out.price = o.order.price.raw();
  out.remaining = o.order.remaining.raw();
  out.priority = o.order.priority;
  return out;
}

// A query's absl::Status as a C status (kNotFound is the only expected one).
perpcore_status FromQueryStatus(const perpcore_engine* e, const absl::Status& s,
                                const char* func) {
  if (absl::IsNotFound(s)) {
    return Fail(e, PERPCORE_E_NOT_FOUND, func, std::string(s.message()).c_str());
  }
  return Fail(e, PERPCORE_E_INTERNAL, func, std::string(s.message()).c_str());
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

// Validates the handle and `out`, builds the payload with `make` (which
// returns a status and may set *why), applies it and reports the result.
template <class Make>
perpcore_status RunCommand(perpcore_engine* e, perpcore_result* out, std::uint64_t seq,
                           std::int64_t timestamp_ns, const char* func, Make&& make) noexcept {
  if (out != nullptr) std::memset(out, 0, sizeof *out);
  HandleUse use;
  if (perpcore_status s = use.Enter(e); s != PERPCORE_OK) return s;
  if (out == nullptr) return Fail(e, PERPCORE_E_ILLEGAL_ARG, func, "out is NULL");
  State& st = *e->state;
  if (st.impl.poisoned()) {
    return Fail(e, PERPCORE_E_POISONED, func,
                "an earlier command failed midway; the engine accepts no more commands");
  }
  return Guard(e, func, [&]() -> perpcore_status {
    eng::Payload payload;
    const char* why = "invalid argument";
    if (perpcore_status s = make(&payload, &why); s != PERPCORE_OK) return Fail(e, s, func, why);
    const absl::StatusOr<eng::Result> processed = st.impl.Apply(
        eng::Command{.seq = seq, .timestamp = pc::TimeNs(timestamp_ns), .payload = std::move(payload)});
    if (!processed.ok()) {
      const perpcore_status framing =
          absl::IsAlreadyExists(processed.status()) ? PERPCORE_E_ALREADY_APPLIED
          : absl::IsOutOfRange(processed.status()) ? PERPCORE_E_SEQUENCE_GAP
                                                   : PERPCORE_E_TIME_WENT_BACK;
      return Fail(e, framing, func, std::string(processed.status().message()).c_str());
    }
    const eng::Result& r = *processed;
    st.events = r.events;
    out->reason = static_cast<std::uint32_t>(r.reason);
    out->event_count = static_cast<std::uint32_t>(r.events.size());
    out->filled = r.filled.raw();
    out->rested = r.rested.raw();
    return PERPCORE_OK;
  });
}

// The common opening of a query: the handle and its in-use flag (held by
// `use` until the query returns), then the outputs' status.
perpcore_status QueryOpen(const perpcore_engine* e, HandleUse* use, perpcore_status out_status,
                          const char* func, const char* out_message) {
  if (perpcore_status s = use->Enter(e); s != PERPCORE_OK) return s;
  if (out_status != PERPCORE_OK) return Fail(e, out_status, func, out_message);
  return PERPCORE_OK;
}

bool ValidSide(std::uint32_t side) { return side <= PERPCORE_SIDE_SELL; }

// Copies a whole list into a C array, or reports the count needed.
template <class CType, class Vec, class Conv>
perpcore_status CopyAll(const perpcore_engine* e, const char* func, const Vec& items,
                        CType* out, std::size_t out_len, std::size_t* written, Conv&& conv) {
  *written = items.size();
  if (items.size() > out_len) {
    return Fail(e, PERPCORE_E_BUFFER_TOO_SMALL, func, "the output array is too small");
  }
  for (std::size_t i = 0; i < items.size(); ++i) out[i] = conv(items[i]);
  return PERPCORE_OK;
}

// The array arguments of a list query: written required, out required
// unless out_len is 0.
perpcore_status ArrayArgs(const void* out, std::size_t out_len, std::size_t* written) {
  if (written != nullptr) *written = 0;
  if (written == nullptr) return PERPCORE_E_ILLEGAL_ARG;
  if (out == nullptr && out_len > 0) return PERPCORE_E_ILLEGAL_ARG;
  return PERPCORE_OK;
}

constexpr const char* kArrayMessage = "written is NULL, or out is NULL with out_len > 0";

// One Quote of the engine (the fee pool, the insurance fund, the shortfall):
// *out zeroed first, the usual handle checks.
template <class Get>
perpcore_status QuoteQuery(const perpcore_engine* e, int64_t* out, const char* func,
                           Get get) noexcept {
  if (out != nullptr) *out = 0;
  const perpcore_status os = out == nullptr ? PERPCORE_E_ILLEGAL_ARG : PERPCORE_OK;
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, os, func, "out is NULL"); s != PERPCORE_OK) {
    return s;
  }
  *out = get(e->state->impl).raw();
  return PERPCORE_OK;
}

}  // namespace

// ===========================================================================
// extern "C" definitions
// ===========================================================================

extern "C" {

const char* perpcore_status_name(perpcore_status status) noexcept {
  switch (status) {
    case PERPCORE_OK:
      return "PERPCORE_OK";
    case PERPCORE_E_ILLEGAL_ARG:
      return "PERPCORE_E_ILLEGAL_ARG";
    case PERPCORE_E_NOT_FOUND:
      return "PERPCORE_E_NOT_FOUND";
    case PERPCORE_E_RANGE:
      return "PERPCORE_E_RANGE";
    case PERPCORE_E_BUFFER_TOO_SMALL:
      return "PERPCORE_E_BUFFER_TOO_SMALL";
    case PERPCORE_E_STRUCT_SIZE:
      return "PERPCORE_E_STRUCT_SIZE";
    case PERPCORE_E_BAD_HANDLE:
      return "PERPCORE_E_BAD_HANDLE";
    case PERPCORE_E_CONFIG:
      return "PERPCORE_E_CONFIG";
    case PERPCORE_E_INVALID_PARAM:
      return "PERPCORE_E_INVALID_PARAM";
    case PERPCORE_E_NOT_REPRESENTABLE:
      return "PERPCORE_E_NOT_REPRESENTABLE";
    case PERPCORE_E_MISUSE:
      return "PERPCORE_E_MISUSE";
    case PERPCORE_E_SEQUENCE_GAP:
      return "PERPCORE_E_SEQUENCE_GAP";
    case PERPCORE_E_TIME_WENT_BACK:
      return "PERPCORE_E_TIME_WENT_BACK";
    case PERPCORE_E_ALREADY_APPLIED:
      return "PERPCORE_E_ALREADY_APPLIED";
    case PERPCORE_E_INTERNAL:
      return "PERPCORE_E_INTERNAL";
    case PERPCORE_E_POISONED:
      return "PERPCORE_E_POISONED";
    default:
      return "PERPCORE_E_UNKNOWN";
  }
}

uint32_t perpcore_version_number(void) noexcept { return PERPCORE_VERSION_NUMBER; }

const char* perpcore_version_string(void) noexcept { return PERPCORE_VERSION_STRING; }

const char* perpcore_reason_name(uint32_t reason) noexcept {
  const ReasonName* r = FindReason(reason);
  return r ? r->name : "PERPCORE_REASON_UNKNOWN";
}

const char* perpcore_reason_message(uint32_t reason) noexcept {
  if (FindReason(reason) == nullptr) return "unknown reason";
  // The engine's messages are string literals: NUL-terminated and static.
  return pc::ReasonMessage(static_cast<pc::Reason>(reason)).data();
}

// --- lifetime and configuration ---------------------------------------------

perpcore_status perpcore_engine_config_check(char* msg, size_t msg_len,
                                             const perpcore_engine_config* config) noexcept {
  CopyMessage(msg, msg_len, "");
  if (config == nullptr || (msg == nullptr && msg_len > 0)) return PERPCORE_E_ILLEGAL_ARG;
  return Guard(nullptr, "perpcore_engine_config_check", [&]() -> perpcore_status {
    eng::EngineConfig c;
    const char* why = "";
    if (perpcore_status s = ToEngineConfig(config, &c, &why); s != PERPCORE_OK) {
      CopyMessage(msg, msg_len, why);
      return s;
    }
    const absl::Status v = eng::Engine::Validate(c);
    if (!v.ok()) {
      CopyMessage(msg, msg_len, std::string_view(v.message().data(), v.message().size()));
      return PERPCORE_E_CONFIG;
    }
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_engine_create(perpcore_engine** out,
                                       const perpcore_engine_config* config) noexcept {
  if (out == nullptr) return PERPCORE_E_ILLEGAL_ARG;
  *out = nullptr;
  return Guard(nullptr, "perpcore_engine_create", [&]() -> perpcore_status {
    eng::EngineConfig c;
    const char* why = "";
    if (perpcore_status s = ToEngineConfig(config, &c, &why); s != PERPCORE_OK) return s;
    if (!eng::Engine::Validate(c).ok()) return PERPCORE_E_CONFIG;
    auto handle = std::make_unique<perpcore_engine>();
    auto state = std::make_unique<State>(c);
    handle->magic = kMagic;
    handle->state = state.release();
    *out = handle.release();
    return PERPCORE_OK;
  });
}

void perpcore_engine_destroy(perpcore_engine* e) noexcept {
  if (HandleStatus(e) != PERPCORE_OK) return;  // NULL, or not an engine: leave it alone
  // Another call is inside: freeing the engine under it would crash it, so
  // the engine stays (perpcore.h). The flag is not given back: the state
  // that holds it is freed below.
  if (e->state->in_use.exchange(true, std::memory_order_acquire)) return;
  e->magic = kDeadMagic;
  delete e->state;
  e->state = nullptr;
  delete e;
}

perpcore_status perpcore_engine_config_get(const perpcore_engine* e,
                                           perpcore_engine_config* out) noexcept {
  const char* func = "perpcore_engine_config_get";
  const perpcore_status os = PrepareOutput(out);
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, os, func, OutputMessage(os));
      s != PERPCORE_OK) {
    return s;
  }
  return Guard(e, func, [&]() -> perpcore_status {
    Deliver(out, FromEngineConfig(e->state->impl.config()));
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_engine_last_error(const perpcore_engine* e, char* buf,
                                           size_t len) noexcept {
  CopyMessage(buf, len, "");
  HandleUse use;
  if (perpcore_status s = use.Enter(e); s != PERPCORE_OK) return s;
  if (buf == nullptr && len > 0) return PERPCORE_E_ILLEGAL_ARG;
  CopyMessage(buf, len, e->state->last_error);
  return PERPCORE_OK;
}

// --- commands ---------------------------------------------------------------

perpcore_status perpcore_market_create(perpcore_engine* e, perpcore_result* out, uint64_t seq,
                                       int64_t timestamp_ns, uint32_t market,
                                       const perpcore_market_params* params) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_market_create",
                    [&](eng::Payload* p, const char** why) -> perpcore_status {
                      auto params_cpp = std::make_shared<eng::MarketParams>();
                      perpcore_status s = ToMarketParams(params, params_cpp.get(), why);
                      if (s == PERPCORE_OK) {
                        *p = eng::CreateMarket{.market = pc::MarketId(market),
                                              .params = std::move(params_cpp)};
                      }
                      return s;
                    });
}

perpcore_status perpcore_market_update(perpcore_engine* e, perpcore_result* out, uint64_t seq,
                                       int64_t timestamp_ns, uint32_t market,
                                       const perpcore_market_params* params) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_market_update",
                    [&](eng::Payload* p, const char** why) -> perpcore_status {
                      auto params_cpp = std::make_shared<eng::MarketParams>();
                      perpcore_status s = ToMarketParams(params, params_cpp.get(), why);
                      if (s == PERPCORE_OK) {
                        *p = eng::UpdateMarket{.market = pc::MarketId(market),
                                              .params = std::move(params_cpp)};
                      }
                      return s;
                    });
}

perpcore_status perpcore_market_set_status(perpcore_engine* e, perpcore_result* out,
                                           uint64_t seq, int64_t timestamp_ns, uint32_t market,
                                           uint32_t status) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_market_set_status",
                    [&](eng::Payload* p, const char** why) -> perpcore_status {
                      if (status > PERPCORE_MARKET_DELISTED) {
                        *why = "status is not a PERPCORE_MARKET_*";
                        return PERPCORE_E_ILLEGAL_ARG;
                      }
                      *p = eng::SetMarketStatus{.market = pc::MarketId(market),
                                                .status = static_cast<eng::MarketStatus>(status)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_account_create(perpcore_engine* e, perpcore_result* out, uint64_t seq,
                                        int64_t timestamp_ns, uint64_t account, uint64_t owner,
                                        uint32_t fee_tier, uint64_t referrer) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_account_create",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::CreateAccount{.account = pc::AccountId(account),
                                              .owner = pc::OwnerId(owner),
                                              .fee_tier = fee_tier,
                                              .referrer = pc::AccountId(referrer)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_account_deposit(perpcore_engine* e, perpcore_result* out, uint64_t seq,
                                         int64_t timestamp_ns, uint64_t account,
                                         int64_t amount) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_account_deposit",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::Deposit{.account = pc::AccountId(account),
                                        .amount = pc::Quote(amount)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_account_withdraw(perpcore_engine* e, perpcore_result* out, uint64_t seq,
                                          int64_t timestamp_ns, uint64_t account,
                                          int64_t amount) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_account_withdraw",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::Withdraw{.account = pc::AccountId(account),
                                         .amount = pc::Quote(amount)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_account_transfer(perpcore_engine* e, perpcore_result* out, uint64_t seq,
                                          int64_t timestamp_ns, uint64_t from, uint64_t to,
                                          int64_t amount) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_account_transfer",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::Transfer{.from = pc::AccountId(from),
                                         .to = pc::AccountId(to),
                                         .amount = pc::Quote(amount)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_account_set_fee_tier(perpcore_engine* e, perpcore_result* out,
                                              uint64_t seq, int64_t timestamp_ns,
                                              uint64_t account, uint32_t fee_tier) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_account_set_fee_tier",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::SetFeeTier{.account = pc::AccountId(account), .fee_tier = fee_tier};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_account_set_stp_scope(perpcore_engine* e, perpcore_result* out,
                                               uint64_t seq, int64_t timestamp_ns,
                                               uint64_t account, uint32_t scope) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_account_set_stp_scope",
                    [&](eng::Payload* p, const char** why) -> perpcore_status {
                      if (scope > PERPCORE_STP_SCOPE_ACCOUNT) {
                        *why = "scope is not a PERPCORE_STP_SCOPE_*";
                        return PERPCORE_E_ILLEGAL_ARG;
                      }
                      *p = eng::SetSelfTradeScope{
                          .account = pc::AccountId(account),
                          .scope = static_cast<eng::SelfTradeScope>(scope)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_account_set_margin_mode(perpcore_engine* e, perpcore_result* out,
                                                 uint64_t seq, int64_t timestamp_ns,
                                                 uint32_t market, uint64_t account,
                                                 uint32_t mode) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_account_set_margin_mode",
                    [&](eng::Payload* p, const char** why) -> perpcore_status {
                      if (mode > PERPCORE_MARGIN_ISOLATED) {
                        *why = "mode is not a PERPCORE_MARGIN_*";
                        return PERPCORE_E_ILLEGAL_ARG;
                      }
                      *p = eng::SetMarginMode{.market = pc::MarketId(market),
                                              .account = pc::AccountId(account),
                                              .mode = static_cast<eng::MarginMode>(mode)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_account_set_leverage(perpcore_engine* e, perpcore_result* out,
                                              uint64_t seq, int64_t timestamp_ns,
                                              uint32_t market, uint64_t account,
                                              uint32_t leverage) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_account_set_leverage",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::SetLeverage{.market = pc::MarketId(market),
                                            .account = pc::AccountId(account),
                                            .leverage = leverage};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_account_adjust_isolated_margin(perpcore_engine* e, perpcore_result* out,
                                                        uint64_t seq, int64_t timestamp_ns,
                                                        uint32_t market, uint64_t account,
                                                        int64_t delta) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_account_adjust_isolated_margin",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::AdjustIsolatedMargin{.market = pc::MarketId(market),
                                                     .account = pc::AccountId(account),
                                                     .delta = pc::Quote(delta)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_insurance_deposit(perpcore_engine* e, perpcore_result* out, uint64_t seq,
                                           int64_t timestamp_ns, int64_t amount) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_insurance_deposit",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::FundInsurance{.amount = pc::Quote(amount)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_order_place(perpcore_engine* e, perpcore_result* out, uint64_t seq,
                                     int64_t timestamp_ns, const perpcore_order* order) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_order_place",
                    [&](eng::Payload* p, const char** why) -> perpcore_status {
                      eng::PlaceOrder c;
                      perpcore_status s = ToPlaceOrder(order, &c, why);
                      if (s == PERPCORE_OK) *p = c;
                      return s;
                    });
}

perpcore_status perpcore_order_cancel(perpcore_engine* e, perpcore_result* out, uint64_t seq,
                                      int64_t timestamp_ns, uint32_t market, uint64_t account,
                                      uint64_t order_id) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_order_cancel",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::CancelOrder{.market = pc::MarketId(market),
                                            .account = pc::AccountId(account),
                                            .order_id = pc::OrderId(order_id)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_order_cancel_by_client_id(perpcore_engine* e, perpcore_result* out,
                                                   uint64_t seq, int64_t timestamp_ns,
                                                   uint32_t market, uint64_t account,
                                                   uint64_t client_id) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_order_cancel_by_client_id",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::CancelByClientId{.market = pc::MarketId(market),
                                                 .account = pc::AccountId(account),
                                                 .client_id = pc::ClientOrderId(client_id)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_order_cancel_all(perpcore_engine* e, perpcore_result* out, uint64_t seq,
                                          int64_t timestamp_ns, uint32_t market,
                                          uint64_t account) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_order_cancel_all",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::CancelAll{.market = pc::MarketId(market),
                                          .account = pc::AccountId(account)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_order_amend(perpcore_engine* e, perpcore_result* out, uint64_t seq,
                                     int64_t timestamp_ns, const perpcore_amend* amend) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_order_amend",
                    [&](eng::Payload* p, const char** why) -> perpcore_status {
                      if (amend == nullptr) {
                        *why = "amend is NULL";
                        return PERPCORE_E_ILLEGAL_ARG;
                      }
                      if (perpcore_status s = CheckInputSize(amend); s != PERPCORE_OK) {
                        *why = InputMessage(s);
                        return s;
                      }
                      *p = eng::AmendOrder{.market = pc::MarketId(amend->market),
                                           .account = pc::AccountId(amend->account),
                                           .order_id = pc::OrderId(amend->order_id),
                                           .new_price = pc::Ticks(amend->new_price),
                                           .new_size = pc::Lots(amend->new_size)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_order_cancel_replace(perpcore_engine* e, perpcore_result* out,
                                              uint64_t seq, int64_t timestamp_ns, uint32_t market,
                                              uint64_t account, uint64_t old_order_id,
                                              const perpcore_order* order) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_order_cancel_replace",
                    [&](eng::Payload* p, const char** why) -> perpcore_status {
                      eng::PlaceOrder c;
                      if (perpcore_status s = ToPlaceOrder(order, &c, why); s != PERPCORE_OK) {
                        return s;
                      }
                      if (order->market != market) {
                        *why = "order->market differs from market";
                        return PERPCORE_E_ILLEGAL_ARG;
                      }
                      if (order->account != account) {
                        *why = "order->account differs from account";
                        return PERPCORE_E_ILLEGAL_ARG;
                      }
                      *p = eng::Replacing(pc::OrderId(old_order_id), c);
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_oracle_publish(perpcore_engine* e, perpcore_result* out, uint64_t seq,
                                        int64_t timestamp_ns, uint32_t market, uint32_t source,
                                        int64_t price, int64_t publish_time_ns) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_oracle_publish",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::OraclePrice{.market = pc::MarketId(market),
                                            .source = pc::SourceId(source),
                                            .price = pc::Ticks(price),
                                            .publish_time = pc::TimeNs(publish_time_ns)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_oracle_retire_source(perpcore_engine* e, perpcore_result* out,
                                              uint64_t seq, int64_t timestamp_ns, uint32_t market,
                                              uint32_t source) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_oracle_retire_source",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::RetireSource{.market = pc::MarketId(market),
                                             .source = pc::SourceId(source)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_engine_time_tick(perpcore_engine* e, perpcore_result* out, uint64_t seq,
                                          int64_t timestamp_ns, uint32_t market) noexcept {
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_engine_time_tick",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::TimeTick{.market = pc::MarketId(market)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_engine_liquidate(perpcore_engine* e, perpcore_result* out, uint64_t seq,
                                          int64_t timestamp_ns, uint32_t market, uint64_t account,
                                          uint64_t keeper, int64_t max_size) noexcept {
  // Every value reaches the engine as it is: a bad one is a refusal with
  // its reason (LIQUIDATION_INVALID_SIZE, ...), and consumes the seq.
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_engine_liquidate",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::Liquidate{.market = pc::MarketId(market),
                                          .account = pc::AccountId(account),
                                          .keeper = pc::AccountId(keeper),
                                          .max_size = pc::Lots(max_size)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_engine_settle_market(perpcore_engine* e, perpcore_result* out,
                                              uint64_t seq, int64_t timestamp_ns, uint32_t market,
                                              int64_t price) noexcept {
  // The price reaches the engine as it is: a bad one is a refusal
  // (SETTLEMENT_INVALID_PRICE), and consumes the seq.
  return RunCommand(e, out, seq, timestamp_ns, "perpcore_engine_settle_market",
                    [&](eng::Payload* p, const char**) -> perpcore_status {
                      *p = eng::SettleMarket{.market = pc::MarketId(market),
                                             .price = pc::Ticks(price)};
                      return PERPCORE_OK;
                    });
}

perpcore_status perpcore_engine_events(const perpcore_engine* e, perpcore_event* out,
                                       size_t out_len, size_t* written) noexcept {
  const char* func = "perpcore_engine_events";
  const perpcore_status as = ArrayArgs(out, out_len, written);
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, as, func, kArrayMessage); s != PERPCORE_OK) return s;
  return Guard(e, func, [&]() -> perpcore_status {
    return CopyAll(e, func, e->state->events, out, out_len, written,
                   [](const eng::Event& ev) { return ToC(ev); });
  });
}

// --- queries ----------------------------------------------------------------

perpcore_status perpcore_engine_digest(const perpcore_engine* e,
                                       uint8_t out[PERPCORE_DIGEST_SIZE]) noexcept {
  const char* func = "perpcore_engine_digest";
  if (out != nullptr) std::memset(out, 0, PERPCORE_DIGEST_SIZE);
  const perpcore_status os = out == nullptr ? PERPCORE_E_ILLEGAL_ARG : PERPCORE_OK;
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, os, func, "out is NULL"); s != PERPCORE_OK) return s;
  return Guard(e, func, [&]() -> perpcore_status {
    const std::array<std::uint8_t, 32> d = e->state->impl.Digest();
    std::memcpy(out, d.data(), d.size());
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_engine_last_seq(const perpcore_engine* e, uint64_t* out) noexcept {
  if (out != nullptr) *out = 0;
  const perpcore_status os = out == nullptr ? PERPCORE_E_ILLEGAL_ARG : PERPCORE_OK;
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, os, "perpcore_engine_last_seq", "out is NULL");
      s != PERPCORE_OK) {
    return s;
  }
  *out = e->state->impl.last_seq();
  return PERPCORE_OK;
}

perpcore_status perpcore_engine_now(const perpcore_engine* e, int64_t* out_ns) noexcept {
  if (out_ns != nullptr) *out_ns = 0;
  const perpcore_status os = out_ns == nullptr ? PERPCORE_E_ILLEGAL_ARG : PERPCORE_OK;
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, os, "perpcore_engine_now", "out_ns is NULL");
      s != PERPCORE_OK) {
    return s;
  }
  *out_ns = e->state->impl.now().raw();
  return PERPCORE_OK;
}

perpcore_status perpcore_engine_fee_pool(const perpcore_engine* e, int64_t* out) noexcept {
  return QuoteQuery(e, out, "perpcore_engine_fee_pool",
                    [](const eng::Engine& en) { return en.fee_pool(); });
}

perpcore_status perpcore_engine_insurance_fund(const perpcore_engine* e, int64_t* out) noexcept {
  return QuoteQuery(e, out, "perpcore_engine_insurance_fund",
                    [](const eng::Engine& en) { return en.insurance_fund(); });
}

perpcore_status perpcore_engine_funding_residual(const perpcore_engine* e,
                                                 perpcore_i128* out) noexcept {
  if (out != nullptr) *out = perpcore_i128{.hi = 0, .lo = 0};
  const perpcore_status os = out == nullptr ? PERPCORE_E_ILLEGAL_ARG : PERPCORE_OK;
  HandleUse use;
  if (perpcore_status s =
          QueryOpen(e, &use, os, "perpcore_engine_funding_residual", "out is NULL");
      s != PERPCORE_OK) {
    return s;
  }
  *out = ToC128(e->state->impl.funding_residual());
  return PERPCORE_OK;
}

perpcore_status perpcore_engine_shortfall(const perpcore_engine* e, int64_t* out) noexcept {
  return QuoteQuery(e, out, "perpcore_engine_shortfall",
                    [](const eng::Engine& en) { return en.shortfall(); });
}

perpcore_status perpcore_engine_liquidatable(const perpcore_engine* e,
                                             perpcore_liquidation_candidate* out, size_t out_len,
                                             size_t* written) noexcept {
  const char* func = "perpcore_engine_liquidatable";
  const perpcore_status as = ArrayArgs(out, out_len, written);
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, as, func, kArrayMessage); s != PERPCORE_OK) return s;
  return Guard(e, func, [&]() -> perpcore_status {
    if (out_len == 0) return PERPCORE_OK;  // nothing asked: no work
    const std::vector<eng::LiquidationCandidate> c = e->state->impl.Liquidatable(out_len);
    const std::size_t n = std::min(c.size(), out_len);
    for (std::size_t i = 0; i < n; ++i) out[i] = ToC(c[i]);
    *written = n;
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_engine_adl_rank(const perpcore_engine* e, perpcore_adl_rank* out,
                                         uint64_t account, uint32_t market) noexcept {
  const char* func = "perpcore_engine_adl_rank";
  const perpcore_status os = PrepareOutput(out);
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, os, func, OutputMessage(os));
      s != PERPCORE_OK) {
    return s;
  }
  return Guard(e, func, [&]() -> perpcore_status {
    const absl::StatusOr<lq::AdlRank> r =
        e->state->impl.AdlRank(pc::AccountId(account), pc::MarketId(market));
    if (!r.ok()) return FromQueryStatus(e, r.status(), func);
    perpcore_adl_rank v;
    std::memset(&v, 0, sizeof v);
    v.bucket = r->bucket;
    v.rank = r->rank;
    v.count = r->count;
    Deliver(out, v);
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_engine_markets(const perpcore_engine* e, uint32_t* out, size_t out_len,
                                        size_t* written) noexcept {
  const char* func = "perpcore_engine_markets";
  const perpcore_status as = ArrayArgs(out, out_len, written);
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, as, func, kArrayMessage); s != PERPCORE_OK) return s;
  return Guard(e, func, [&]() -> perpcore_status {
    return CopyAll(e, func, e->state->impl.Markets(), out, out_len, written,
                   [](pc::MarketId id) { return id.value(); });
  });
}

perpcore_status perpcore_engine_accounts(const perpcore_engine* e, uint64_t* out, size_t out_len,
                                         size_t* written) noexcept {
  const char* func = "perpcore_engine_accounts";
  const perpcore_status as = ArrayArgs(out, out_len, written);
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, as, func, kArrayMessage); s != PERPCORE_OK) return s;
  return Guard(e, func, [&]() -> perpcore_status {
    return CopyAll(e, func, e->state->impl.Accounts(), out, out_len, written,
                   [](pc::AccountId id) { return id.value(); });
  });
}

perpcore_status perpcore_engine_check_invariants(const perpcore_engine* e) noexcept {
  const char* func = "perpcore_engine_check_invariants";
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, PERPCORE_OK, func, ""); s != PERPCORE_OK) return s;
  return Guard(e, func, [&]() -> perpcore_status {
    const absl::Status s = e->state->impl.CheckInvariants();
    if (s.ok()) return PERPCORE_OK;
    return Fail(e, PERPCORE_E_INTERNAL, func, std::string(s.message()).c_str());
  });
}

perpcore_status perpcore_market_params_check(const perpcore_engine* e, char* msg, size_t msg_len,
                                             const perpcore_market_params* params) noexcept {
  const char* func = "perpcore_market_params_check";
  CopyMessage(msg, msg_len, "");
  const perpcore_status ms =
      msg == nullptr && msg_len > 0 ? PERPCORE_E_ILLEGAL_ARG : PERPCORE_OK;
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, ms, func, "msg is NULL with msg_len > 0");
      s != PERPCORE_OK) {
    return s;
  }
  return Guard(e, func, [&]() -> perpcore_status {
    eng::MarketParams p;
    const char* why = "";
    if (perpcore_status s = ToMarketParams(params, &p, &why); s != PERPCORE_OK) {
      CopyMessage(msg, msg_len, why);
      return Fail(e, s, func, why);
    }
    const absl::Status v = e->state->impl.ValidateMarket(p);
    if (v.ok()) return PERPCORE_OK;
    CopyMessage(msg, msg_len, std::string_view(v.message().data(), v.message().size()));
    return Fail(e, PERPCORE_E_CONFIG, func, std::string(v.message()).c_str());
  });
}

perpcore_status perpcore_market_params_get(const perpcore_engine* e, perpcore_market_params* out,
                                           uint32_t market) noexcept {
  const char* func = "perpcore_market_params_get";
  const perpcore_status os = PrepareOutput(out);
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, os, func, OutputMessage(os));
      s != PERPCORE_OK) {
    return s;
  }
  return Guard(e, func, [&]() -> perpcore_status {
    const absl::StatusOr<eng::MarketParams> p = e->state->impl.Params(pc::MarketId(market));
    if (!p.ok()) return FromQueryStatus(e, p.status(), func);
    Deliver(out, FromMarketParams(*p));
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_market_stats_get(const perpcore_engine* e, perpcore_market_stats* out,
                                          uint32_t market) noexcept {
  const char* func = "perpcore_market_stats_get";
  const perpcore_status os = PrepareOutput(out);
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, os, func, OutputMessage(os));
      s != PERPCORE_OK) {
    return s;
  }
  return Guard(e, func, [&]() -> perpcore_status {
    const absl::StatusOr<eng::MarketStats> st = e->state->impl.Stats(pc::MarketId(market));
    if (!st.ok()) return FromQueryStatus(e, st.status(), func);
    perpcore_market_stats v;
    std::memset(&v, 0, sizeof v);
    v.market = st->market.value();
    CopySymbol(v.symbol, st->symbol);
    v.status = static_cast<std::uint32_t>(st->status);
    v.breaker = st->breaker ? 1 : 0;
    v.breaker_cause = static_cast<std::uint32_t>(st->breaker_cause);
    v.fresh_sources = st->fresh_sources;
    v.atoms_per_tick_lot = st->atoms_per_tick_lot;
    v.index = st->index.raw();
    v.mark = st->mark.raw();
    v.twap = st->twap.raw();
    v.last_trade = st->last_trade.raw();
    v.open_interest_long = st->open_interest_long.raw();
    v.open_interest_short = st->open_interest_short.raw();
    v.volume = st->volume.raw();
    v.notional_volume = st->notional_volume.raw();
    v.best_bid = ToC(st->best_bid);
    v.best_ask = ToC(st->best_ask);
    v.index_usable_until_ns = st->index_usable_until.raw();
    v.funding_index = ToC128(st->funding_index);
    v.funding_rate = st->funding_rate.raw();
    v.settlement = static_cast<std::uint32_t>(st->settlement);
    v.settlement_price = st->settlement_price.raw();
    v.settlement_pool = ToC128(st->settlement_pool);
    Deliver(out, v);
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_market_funding_get(const perpcore_engine* e, perpcore_funding_view* out,
                                            uint32_t market) noexcept {
  const char* func = "perpcore_market_funding_get";
  const perpcore_status os = PrepareOutput(out);
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, os, func, OutputMessage(os));
      s != PERPCORE_OK) {
    return s;
  }
  return Guard(e, func, [&]() -> perpcore_status {
    const absl::StatusOr<eng::FundingView> f = e->state->impl.Funding(pc::MarketId(market));
    if (!f.ok()) return FromQueryStatus(e, f.status(), func);
    perpcore_funding_view v;
    std::memset(&v, 0, sizeof v);
    v.market = f->market.value();
    v.model = static_cast<std::uint32_t>(f->model);
    v.samples = f->samples;
    v.index = ToC128(f->index);
    v.rate = f->rate.raw();
    v.predicted_rate = f->predicted_rate.raw();
    v.last_sample = f->last_sample.raw();
    v.running_premium = f->running_premium.raw();
    v.interval_start_ns = f->interval_start.raw();
    v.interval_end_ns = f->interval_end.raw();
    v.skew = f->skew.raw();
    v.pool = ToC128(f->pool);
    v.residual_carry = f->residual_carry;
    v.history_count = static_cast<std::uint32_t>(f->history.size());
    Deliver(out, v);
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_market_funding_history(const perpcore_engine* e,
                                                perpcore_funding_rate* out, size_t out_len,
                                                size_t* written, uint32_t market) noexcept {
  const char* func = "perpcore_market_funding_history";
  const perpcore_status as = ArrayArgs(out, out_len, written);
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, as, func, kArrayMessage); s != PERPCORE_OK) return s;
  return Guard(e, func, [&]() -> perpcore_status {
    const absl::StatusOr<eng::FundingView> f = e->state->impl.Funding(pc::MarketId(market));
    if (!f.ok()) return FromQueryStatus(e, f.status(), func);
    return CopyAll(e, func, f->history, out, out_len, written, [](const fd::RateSet& r) {
      perpcore_funding_rate c;
      std::memset(&c, 0, sizeof c);
      c.start_ns = r.start.raw();
      c.end_ns = r.end.raw();
      c.intervals = r.intervals;
      c.premium = r.premium.raw();
      c.rate = r.rate.raw();
      c.price = r.price.raw();
      c.index_delta = ToC128(r.index_delta);
      return c;
    });
  });
}

perpcore_status perpcore_book_best(const perpcore_engine* e, perpcore_level* out, uint32_t market,
                                   uint32_t side) noexcept {
  const char* func = "perpcore_book_best";
  if (out != nullptr) std::memset(out, 0, sizeof *out);
  const perpcore_status os = out == nullptr || !ValidSide(side) ? PERPCORE_E_ILLEGAL_ARG
                                                                : PERPCORE_OK;
  HandleUse use;
  if (perpcore_status s =
          QueryOpen(e, &use, os, func, "out is NULL or side is not a PERPCORE_SIDE_*");
      s != PERPCORE_OK) {
    return s;
  }
  return Guard(e, func, [&]() -> perpcore_status {
    const auto best = e->state->impl.Best(pc::MarketId(market), static_cast<pc::book::Side>(side));
    if (!best.ok()) return FromQueryStatus(e, best.status(), func);
    *out = ToC(*best);
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_book_depth(const perpcore_engine* e, perpcore_level* out, size_t out_len,
                                    size_t* written, uint32_t market, uint32_t side) noexcept {
  const char* func = "perpcore_book_depth";
  perpcore_status as = ArrayArgs(out, out_len, written);
  if (as == PERPCORE_OK && !ValidSide(side)) as = PERPCORE_E_ILLEGAL_ARG;
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, as, func,
                                    "written is NULL, out is NULL with out_len > 0, or bad side");
      s != PERPCORE_OK) {
    return s;
  }
  return Guard(e, func, [&]() -> perpcore_status {
    // The engine fills a span; grow it geometrically so a generous out_len
    // costs memory only for the levels that exist.
    std::vector<pc::book::LevelView> levels(std::min<std::size_t>(out_len, 64));
    std::size_t n = 0;
    for (;;) {
      const absl::StatusOr<std::size_t> got =
          e->state->impl.Depth(pc::MarketId(market), static_cast<pc::book::Side>(side), levels);
      if (!got.ok()) return FromQueryStatus(e, got.status(), func);
      n = *got;
      if (n < levels.size() || levels.size() == out_len) break;
      levels.resize(std::min<std::size_t>(out_len, levels.size() * 4));
    }
    for (std::size_t i = 0; i < n; ++i) out[i] = ToC(std::optional(levels[i]));
    *written = n;
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_account_summary_get(const perpcore_engine* e,
                                             perpcore_account_summary* out,
                                             uint64_t account) noexcept {
  const char* func = "perpcore_account_summary_get";
  const perpcore_status os = PrepareOutput(out);
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, os, func, OutputMessage(os));
      s != PERPCORE_OK) {
    return s;
  }
  return Guard(e, func, [&]() -> perpcore_status {
    const absl::StatusOr<eng::AccountSummary> sm = e->state->impl.Summary(pc::AccountId(account));
    if (!sm.ok()) return FromQueryStatus(e, sm.status(), func);
    perpcore_account_summary v;
    std::memset(&v, 0, sizeof v);
    v.fee_tier = sm->fee_tier;
    v.account = sm->account.value();
    v.owner = sm->owner.value();
    v.referrer = sm->referrer.value();
    v.cash = sm->cash.raw();
    v.collateral = sm->collateral.raw();
    v.unrealized_pnl = sm->unrealized_pnl.raw();
    v.equity = sm->equity.raw();
    v.initial_requirement = sm->initial_requirement.raw();
    v.initial_with_orders = sm->initial_with_orders.raw();
    v.maintenance_requirement = sm->maintenance_requirement.raw();
    v.free_collateral = sm->free_collateral.raw();
    v.margin_ratio = sm->margin_ratio.raw();
    v.liquidatable = sm->liquidatable ? 1 : 0;
    v.position_count = static_cast<std::uint32_t>(sm->positions.size());
    v.pending_funding = sm->pending_funding.raw();
    v.health_equity = sm->health_equity.raw();
    v.liquidation_buffer = sm->liquidation_buffer.raw();
    v.health = static_cast<std::uint32_t>(sm->health);
    Deliver(out, v);
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_account_positions(const perpcore_engine* e, perpcore_position* out,
                                           size_t out_len, size_t* written,
                                           uint64_t account) noexcept {
  const char* func = "perpcore_account_positions";
  const perpcore_status as = ArrayArgs(out, out_len, written);
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, as, func, kArrayMessage); s != PERPCORE_OK) return s;
  return Guard(e, func, [&]() -> perpcore_status {
    const absl::StatusOr<eng::AccountSummary> sm = e->state->impl.Summary(pc::AccountId(account));
    if (!sm.ok()) return FromQueryStatus(e, sm.status(), func);
    return CopyAll(e, func, sm->positions, out, out_len, written,
                   [](const eng::PositionView& p) { return ToC(p); });
  });
}

perpcore_status perpcore_account_pending_funding(const perpcore_engine* e, int64_t* out,
                                                 uint64_t account, uint32_t market) noexcept {
  const char* func = "perpcore_account_pending_funding";
  if (out != nullptr) *out = 0;
  const perpcore_status os = out == nullptr ? PERPCORE_E_ILLEGAL_ARG : PERPCORE_OK;
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, os, func, "out is NULL"); s != PERPCORE_OK) return s;
  return Guard(e, func, [&]() -> perpcore_status {
    // An unknown market is NOT_FOUND like an unknown account, so a typo in
    // the market id is not read as "no position".
    const absl::StatusOr<eng::MarketStats> st = e->state->impl.Stats(pc::MarketId(market));
    if (!st.ok()) return FromQueryStatus(e, st.status(), func);
    const absl::StatusOr<eng::AccountSummary> sm = e->state->impl.Summary(pc::AccountId(account));
    if (!sm.ok()) return FromQueryStatus(e, sm.status(), func);
    for (const eng::PositionView& p : sm->positions) {
      if (p.market == pc::MarketId(market)) *out = p.pending_funding.raw();
    }
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_account_position_health(const perpcore_engine* e, uint32_t* health,
                                                 int64_t* liquidation_buffer, uint64_t account,
                                                 uint32_t market) noexcept {
  const char* func = "perpcore_account_position_health";
  if (health != nullptr) *health = PERPCORE_HEALTH_HEALTHY;
  if (liquidation_buffer != nullptr) *liquidation_buffer = 0;
  const perpcore_status os =
      health == nullptr || liquidation_buffer == nullptr ? PERPCORE_E_ILLEGAL_ARG : PERPCORE_OK;
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, os, func, "health or liquidation_buffer is NULL");
      s != PERPCORE_OK) {
    return s;
  }
  return Guard(e, func, [&]() -> perpcore_status {
    // An unknown market is NOT_FOUND like an unknown account, so a typo in
    // the market id is not read as "no position".
    const absl::StatusOr<eng::MarketStats> st = e->state->impl.Stats(pc::MarketId(market));
    if (!st.ok()) return FromQueryStatus(e, st.status(), func);
    const absl::StatusOr<eng::AccountSummary> sm = e->state->impl.Summary(pc::AccountId(account));
    if (!sm.ok()) return FromQueryStatus(e, sm.status(), func);
    for (const eng::PositionView& p : sm->positions) {
      if (p.market != pc::MarketId(market)) continue;
      *health = static_cast<std::uint32_t>(p.health);
      *liquidation_buffer = p.liquidation_buffer.raw();
    }
    return PERPCORE_OK;
  });
}

perpcore_status perpcore_account_open_orders(const perpcore_engine* e, perpcore_open_order* out,
                                             size_t out_len, size_t* written,
                                             uint64_t account) noexcept {
  const char* func = "perpcore_account_open_orders";
  const perpcore_status as = ArrayArgs(out, out_len, written);
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, as, func, kArrayMessage); s != PERPCORE_OK) return s;
  return Guard(e, func, [&]() -> perpcore_status {
    const absl::StatusOr<std::vector<eng::OpenOrder>> orders =
        e->state->impl.OpenOrders(pc::AccountId(account));
    if (!orders.ok()) return FromQueryStatus(e, orders.status(), func);
    return CopyAll(e, func, *orders, out, out_len, written,
                   [](const eng::OpenOrder& o) { return ToC(o); });
  });
}

perpcore_status perpcore_order_preview(const perpcore_engine* e, perpcore_preview* out,
                                       const perpcore_order* order) noexcept {
  const char* func = "perpcore_order_preview";
  const perpcore_status os = PrepareOutput(out);
  HandleUse use;
  if (perpcore_status s = QueryOpen(e, &use, os, func, OutputMessage(os));
      s != PERPCORE_OK) {
    return s;
  }
  return Guard(e, func, [&]() -> perpcore_status {
    eng::PlaceOrder c;
    const char* why = "";
    if (perpcore_status s = ToPlaceOrder(order, &c, &why); s != PERPCORE_OK) {
      return Fail(e, s, func, why);
    }
    const absl::StatusOr<eng::Preview> pv = e->state->impl.PreviewOrder(c);
    if (!pv.ok()) return FromQueryStatus(e, pv.status(), func);
    perpcore_preview v;
    std::memset(&v, 0, sizeof v);
    v.reason = static_cast<std::uint32_t>(pv->reason);
    v.fill_size = pv->fill_size.raw();
    v.average_price = pv->average_price.raw();
    v.fill_notional = pv->fill_notional.raw();
    v.slippage = pv->slippage.raw();
    v.fee = pv->fee.raw();
    v.rest_size = pv->rest_size.raw();
    v.resulting_position = pv->resulting_position.raw();
    v.resulting_equity = pv->resulting_equity.raw();
    v.resulting_margin_ratio = pv->resulting_margin_ratio.raw();
    v.resulting_liquidation_price = pv->resulting_liquidation.price.raw();
    v.resulting_liquidation_tier = static_cast<std::uint32_t>(pv->resulting_liquidation.tier);
    v.resulting_liquidation_always = pv->resulting_liquidation.always ? 1 : 0;
    Deliver(out, v);
    return PERPCORE_OK;
  });
}

}  // extern "C"
