#include "perpcore/engine/types.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {
namespace {

struct ReasonText {
  std::string_view name;
  std::string_view message;
};

constexpr std::uint16_t kFirstEngineReason = 100;

// Indexed by the pinned enumerator value minus kFirstEngineReason.
constexpr ReasonText kReasons[] = {
    {"", ""},  // 100: retired (framing is a Status now)
    {"", ""},  // 101: retired
    {"kUnknownMarket", "no market with this id"},
    {"kUnknownAccount", "no account with this id"},
    {"kMarketExists", "a market with this id already exists"},
    {"kAccountExists", "an account with this id already exists"},
    {"kInvalidAmount", "amount must be positive (non-zero for a margin adjustment)"},
    {"kInsufficientCollateral",
     "amount exceeds the account's free collateral (equity above the initial requirement "
     "with open orders)"},
    {"kInsufficientMargin",
     "the order would leave the account below its initial margin requirement, counting "
     "open orders at their worst case"},
    {"kMarketHalted", "the market is halted or delisted: no new orders or amends"},
    {"kMarketReduceOnly",
     "the market is reduce-only (by status or a tripped oracle circuit breaker): only "
     "reduce-only orders are accepted"},
    {"kReduceOnlyWouldIncrease",
     "reduce-only order has no opposite position to reduce"},
    {"kReduceOnlyNotImmediate", "reduce-only orders must be IOC, FOK or market orders"},
    {"kNoIndexPrice",
     "the market has no valid index price (too few fresh oracle sources): nothing may add "
     "risk until it does"},
    {"kOpenInterestLimit",
     "the account's worst-case position in this market would exceed the market's maximum "
     "open interest"},
    {"kInvalidMarketParams", "market parameters out of range (Engine::ValidateMarket says which)"},
    {"kParamImmutable",
     "tick size, lot size and book limits cannot change after creation, and max open "
     "interest and max price cannot be lowered while the market has positions or orders"},
    {"kInvalidLeverage", "leverage must be from 1 to the market's maximum"},
    {"kMarginModeLocked",
     "margin mode can change only without a position or open orders in the market"},
    {"kNotIsolated", "the account has no isolated position in this market"},
    {"kNotSameOwner", "transfers are only between accounts of the same owner"},
    {"kSameAccount", "cannot transfer to the same account"},
    {"kInvalidStatus", "not a market status, or the market is delisted (final)"},
    {"kInvalidMarginMode", "margin mode must be cross or isolated"},
    {"kInvalidFeeTier", "no such fee tier"},
    {"kUnknownReferrer", "referrer must be another existing account"},
    {"kInvalidOwner", "owner must be non-zero"},
    {"kInvalidId", "market and account ids must be non-zero"},
    {"kTooManyMarkets", "the engine holds its maximum number of markets"},
    {"kTooManyAccounts", "the engine holds its maximum number of accounts"},
    {"kPriceAboveMax", "price is above the market's maximum price"},
    {"kOracleInvalidSource", "oracle source id must be non-zero"},
    {"kOracleTooManySources", "the market already has the maximum number of oracle sources"},
    {"kOracleInvalidPrice", "oracle price must be positive"},
    {"kOracleFromTheFuture", "oracle publish time is after the command's timestamp"},
    {"kOracleOutOfOrder", "oracle publish time is before this source's last one"},
    {"kMaxDepositExceeded", "total deposits would exceed the engine's bound (2^62 atoms)"},
    {"kInvalidSelfTradeScope", "not a SelfTradeScope (owner or account)"},
};

const ReasonText* Lookup(Reason r) {
  const auto v = static_cast<std::uint16_t>(r);
  if (v < kFirstEngineReason) return nullptr;
  const std::size_t i = v - kFirstEngineReason;
  if (i >= std::size(kReasons) || kReasons[i].name.empty()) return nullptr;  // retired
  return &kReasons[i];
}

}  // namespace

std::string_view ReasonName(Reason r) {
  const auto v = static_cast<std::uint16_t>(r);
  if (v < kFirstEngineReason) return book::ReasonName(static_cast<book::Reason>(v));
  const ReasonText* t = Lookup(r);
  return t ? t->name : "kUnknown";
}

std::string_view ReasonMessage(Reason r) {
  const auto v = static_cast<std::uint16_t>(r);
  if (v < kFirstEngineReason) return book::ReasonMessage(static_cast<book::Reason>(v));
  const ReasonText* t = Lookup(r);
  return t ? t->message : "unknown reason";
}

}  // namespace engine
PERPCORE_NAMESPACE_END
