#include "perpcore/core/reason.hpp"

#include <algorithm>
#include <array>
#include <iterator>

PERPCORE_NAMESPACE_BEGIN
namespace {

struct ReasonText {
  Reason reason;
  std::string_view name;
  std::string_view message;
};

// Ascending by value (checked below), so a lookup is a binary search.
constexpr ReasonText kReasons[] = {
    {Reason::kOk, "kOk", "accepted"},

    {Reason::kSequenceGap, "kSequenceGap",
     "sequence gap: the command's seq is above the engine's last_seq + 1"},
    {Reason::kTimeWentBack, "kTimeWentBack",
     "the command's timestamp is before the engine's time"},
    {Reason::kAlreadyApplied, "kAlreadyApplied",
     "the command's seq is at or below the engine's last_seq: already applied, nothing done"},
    {Reason::kEnginePoisoned, "kEnginePoisoned",
     "engine poisoned: an earlier command was interrupted (out of memory) and may be half "
     "applied; restore from a snapshot or replay the log into a new engine"},

    {Reason::kInvalidId, "kInvalidId", "market and account ids must be non-zero"},
    {Reason::kInvalidOrderId, "kInvalidOrderId", "order id must be non-zero"},
    {Reason::kInvalidAccount, "kInvalidAccount", "account must be non-zero"},
    {Reason::kInvalidClientOrderId, "kInvalidClientOrderId", "client order id must be non-zero"},
    {Reason::kInvalidOwner, "kInvalidOwner", "owner must be non-zero"},
    {Reason::kInvalidSide, "kInvalidSide", "side must be buy or sell"},
    {Reason::kInvalidOrderType, "kInvalidOrderType", "order type must be limit or market"},
    {Reason::kInvalidTimeInForce, "kInvalidTimeInForce",
     "time in force must be GTC, IOC, FOK, post-only or post-only slide; market orders "
     "must be IOC or FOK"},
    {Reason::kInvalidStpMode, "kInvalidStpMode",
     "self-trade prevention mode is not one of the four modes"},
    {Reason::kInvalidSize, "kInvalidSize", "size must be positive"},
    {Reason::kSizeNotOnStep, "kSizeNotOnStep", "size must be a multiple of the market's size step"},
    {Reason::kSizeAboveMax, "kSizeAboveMax", "size exceeds the market's maximum order size"},
    {Reason::kInvalidMaxFill, "kInvalidMaxFill", "max fill must not be negative"},
    {Reason::kInvalidPrice, "kInvalidPrice", "price must be positive"},
    {Reason::kPriceNotOnStep, "kPriceNotOnStep",
     "price must be a multiple of the market's price step"},
    {Reason::kPriceAboveMax, "kPriceAboveMax", "price is above the market's maximum price"},
    {Reason::kInvalidAmount, "kInvalidAmount",
     "amount must be positive (non-zero for a margin adjustment)"},
    {Reason::kInvalidConfig, "kInvalidConfig", "book configuration is out of range"},
    {Reason::kInvalidMarketParams, "kInvalidMarketParams",
     "market parameters out of range (Engine::ValidateMarket says which)"},
    {Reason::kParamImmutable, "kParamImmutable",
     "tick size, lot size and book limits cannot change after creation, and max open "
     "interest and max price cannot be lowered while the market has positions or orders"},
    {Reason::kInvalidLeverage, "kInvalidLeverage",
     "leverage must be from 1 to the market's maximum"},
    {Reason::kInvalidStatus, "kInvalidStatus",
     "not a market status, or the market is delisted (final)"},
    {Reason::kInvalidMarginMode, "kInvalidMarginMode", "margin mode must be cross or isolated"},
    {Reason::kInvalidFeeTier, "kInvalidFeeTier", "no such fee tier"},
    {Reason::kInvalidSelfTradeScope, "kInvalidSelfTradeScope",
     "not a SelfTradeScope (owner or account)"},
    {Reason::kMaxPriceBelowMarketPrice, "kMaxPriceBelowMarketPrice",
     "max price cannot be lowered below a price the market holds (its index, last valid "
     "index, mark, TWAP, last trade or an oracle source's last price)"},

    {Reason::kUnknownMarket, "kUnknownMarket", "no market with this id"},
    {Reason::kUnknownAccount, "kUnknownAccount", "no account with this id"},
    {Reason::kMarketExists, "kMarketExists", "a market with this id already exists"},
    {Reason::kAccountExists, "kAccountExists", "an account with this id already exists"},
    {Reason::kTooManyMarkets, "kTooManyMarkets", "the engine holds its maximum number of markets"},
    {Reason::kTooManyAccounts, "kTooManyAccounts",
     "the engine holds its maximum number of accounts"},
    {Reason::kUnknownReferrer, "kUnknownReferrer", "referrer must be another existing account"},
    {Reason::kNotSameOwner, "kNotSameOwner",
     "transfers are only between accounts of the same owner"},
    {Reason::kSameAccount, "kSameAccount", "cannot transfer to the same account"},
    {Reason::kMarketHalted, "kMarketHalted",
     "the market is halted or delisted: no new orders or amends"},
    {Reason::kMarketReduceOnly, "kMarketReduceOnly",
     "the market is reduce-only (by status or a tripped oracle circuit breaker): only "
     "reduce-only orders are accepted"},
    {Reason::kMarginModeLocked, "kMarginModeLocked",
     "margin mode can change only without a position or open orders in the market"},
    {Reason::kNotIsolated, "kNotIsolated",
     "the account has no isolated position in this market"},

    {Reason::kPriceOutsideBand, "kPriceOutsideBand",
     "price is outside the band around the reference price"},
    {Reason::kDuplicateOrderId, "kDuplicateOrderId", "an order with this id is already live"},
    {Reason::kDuplicateClientOrderId, "kDuplicateClientOrderId",
     "the account already has a live order with this client id"},
    {Reason::kPostOnlyWouldCross, "kPostOnlyWouldCross",
     "post-only order would cross the opposite best and take liquidity"},
    {Reason::kFokNotFilled, "kFokNotFilled", "fill-or-kill order cannot be filled in full now"},
    {Reason::kTooManyOrders, "kTooManyOrders",
     "the account has the maximum number of live orders in this market"},
    {Reason::kTooManyLevels, "kTooManyLevels",
     "the book side has the maximum number of price levels"},
    {Reason::kBookFull, "kBookFull", "the book holds the maximum number of live orders"},
    {Reason::kOverflow, "kOverflow", "the level's total size would overflow"},
    {Reason::kUnknownOrder, "kUnknownOrder", "no live order with this id"},
    {Reason::kNotOrderOwner, "kNotOrderOwner", "the order belongs to another account"},
    {Reason::kAmendNoChange, "kAmendNoChange", "amend leaves price and size unchanged"},
    {Reason::kAmendWouldCross, "kAmendWouldCross",
     "amended price would cross the opposite best: cancel and place it instead (the "
     "engine's CancelReplace does both atomically)"},

    {Reason::kInsufficientMargin, "kInsufficientMargin",
     "the order would leave the account below its initial margin requirement, counting "
     "open orders at their worst case"},
    {Reason::kInsufficientCollateral, "kInsufficientCollateral",
     "amount exceeds what may leave: the withdrawable equity (unrealized profit only as far "
     "as the TWAP backs it) must stay above the initial requirement with open orders and "
     "the withdrawal margin fraction of the positions' notional"},
    {Reason::kReduceOnlyWouldIncrease, "kReduceOnlyWouldIncrease",
     "reduce-only order has no opposite position to reduce"},
    {Reason::kReduceOnlyNotImmediate, "kReduceOnlyNotImmediate",
     "reduce-only orders must be IOC, FOK or market orders"},
    {Reason::kOpenInterestLimit, "kOpenInterestLimit",
     "the account's worst-case position in this market would exceed the market's maximum "
     "open interest"},
    {Reason::kMaxDepositExceeded, "kMaxDepositExceeded",
     "total deposits would exceed the engine's bound (2^62 atoms)"},
    {Reason::kWithdrawalExceedsHeld, "kWithdrawalExceedsHeld",
     "the withdrawal is more than the engine holds (total deposits minus total withdrawals): "
     "the profit it claims is owed by accounts that cannot pay it"},
    {Reason::kMarketOpenInterestLimit, "kMarketOpenInterestLimit",
     "the order would raise the market's open interest beyond its maximum "
     "(max_market_open_interest) if it filled in full"},
    {Reason::kCashBoundExceeded, "kCashBoundExceeded",
     "a cash balance would pass the engine's bound (2^61 atoms), or the account is locked "
     "because one did: no orders until deposits, withdrawals or transfers bring every "
     "balance back within it"},
    {Reason::kWithdrawalsGated, "kWithdrawalsGated",
     "withdrawals are suspended while a liquidation shortfall is uncovered (Engine::shortfall())"},

    {Reason::kNoIndexPrice, "kNoIndexPrice",
     "the market has no valid index price (too few fresh oracle sources, or no majority of them "
     "agreeing): nothing may add risk until it does"},
    {Reason::kOracleInvalidSource, "kOracleInvalidSource", "oracle source id must be non-zero"},
    {Reason::kOracleTooManySources, "kOracleTooManySources",
     "the market already has the maximum number of oracle sources"},
    {Reason::kOracleInvalidPrice, "kOracleInvalidPrice", "oracle price must be positive"},
    {Reason::kOracleFromTheFuture, "kOracleFromTheFuture",
     "oracle publish time is after the command's timestamp"},
    {Reason::kOracleOutOfOrder, "kOracleOutOfOrder",
     "oracle publish time is before this source's last one"},
    {Reason::kIndexStale, "kIndexStale",
     "the market's index is stale (a source it was computed from, or its mark, is older than "
     "the market allows): nothing may add risk in this market until a fresh price or a time "
     "tick renews it"},
    {Reason::kOracleUnknownSource, "kOracleUnknownSource",
     "the market has no oracle source with this id"},
    {Reason::kFundingInvalidModel, "kFundingInvalidModel", "funding model is not a FundingModel"},
    {Reason::kFundingInvalidPayment, "kFundingInvalidPayment",
     "funding payment or price is not a FundingPayment or FundingPrice"},
    {Reason::kFundingInvalidInterval, "kFundingInvalidInterval",
     "funding interval and period must each be between 1 second and 7 days"},
    {Reason::kFundingInvalidCadence, "kFundingInvalidCadence",
     "funding sample cadence must be positive, divide the interval, and give at most 2^20 "
     "samples per interval"},
    {Reason::kFundingInvalidWeighting, "kFundingInvalidWeighting",
     "funding premium weighting is not a PremiumWeighting"},
    {Reason::kFundingInvalidImpactNotional, "kFundingInvalidImpactNotional",
     "funding impact notional must be at least 1 atom"},
    {Reason::kFundingInvalidInterest, "kFundingInvalidInterest",
     "funding interest must be within +-100% and the interest band within [0, 100%]"},
    {Reason::kFundingCapBelowFloor, "kFundingCapBelowFloor",
     "funding cap must be at least the floor, both within +-100% (or the cap multiple positive "
     "with a valid cap mode)"},
    {Reason::kFundingNoCounterparty, "kFundingNoCounterparty",
     "an open-interest-skew funding model needs a counterparty account: without one long and "
     "short open interest are equal and the skew is always 0"},
    {Reason::kFundingInvalidSkew, "kFundingInvalidSkew",
     "a skew funding coefficient, cap, ramp, decay or threshold is out of range"},
    {Reason::kFundingInvalidExponent, "kFundingInvalidExponent",
     "funding skew exponent must be between 1 and 3"},
    {Reason::kFundingIndexOverflow, "kFundingIndexOverflow",
     "the funding cap at the market's max price could push the funding index past its bound "
     "within 136 years: lower the cap, the max price or the period's ratio"},
    {Reason::kLiquidationInvalidWarningThreshold, "kLiquidationInvalidWarningThreshold",
     "liquidation warning threshold must be at least 1% and below 100% of the margin ratio"},
    {Reason::kLiquidationInvalidFee, "kLiquidationInvalidFee",
     "liquidation fee rate must be between 0 and 100% of the closed notional"},
    {Reason::kLiquidationInvalidKeeperShare, "kLiquidationInvalidKeeperShare",
     "keeper share must be between 0 and 100% of the liquidation fee"},
    {Reason::kLiquidationInvalidBuffer, "kLiquidationInvalidBuffer",
     "liquidation buffer must be between 0 and 100% of the maintenance requirement"},
    {Reason::kLiquidationInvalidChunkThreshold, "kLiquidationInvalidChunkThreshold",
     "liquidation chunk threshold must be a notional of at least 0 atoms"},
    {Reason::kLiquidationInvalidChunkFraction, "kLiquidationInvalidChunkFraction",
     "liquidation chunk fraction must be above 0 and at most 100% of the position"},
    {Reason::kLiquidationInvalidCooldown, "kLiquidationInvalidCooldown",
     "liquidation cooldown must be between 0 and 1 day"},
    {Reason::kLiquidationInvalidBankruptcyAdjustment, "kLiquidationInvalidBankruptcyAdjustment",
     "liquidation bankruptcy adjustment must be at least 1"},
    {Reason::kLiquidationInvalidSpread, "kLiquidationInvalidSpread",
     "liquidation spread-to-maintenance ratio must be above 0"},
    {Reason::kLiquidationInvalidMaxNotional, "kLiquidationInvalidMaxNotional",
     "maximum notional liquidated per command must be at least 1 atom"},
    {Reason::kLiquidationNotLiquidatable, "kLiquidationNotLiquidatable",
     "the account (or isolated bucket) is not liquidatable: its equity at the mark is not "
     "below its maintenance requirement"},
    {Reason::kLiquidationSelf, "kLiquidationSelf",
     "the keeper account is the account being liquidated"},
    {Reason::kLiquidationInvalidSize, "kLiquidationInvalidSize",
     "a liquidation's maximum size must be at least one lot"},
    {Reason::kLiquidationNoPosition, "kLiquidationNoPosition",
     "the account has no position in the named market"},
    {Reason::kSettlementNotDelisted, "kSettlementNotDelisted",
     "only a delisted market can be settled: delist it first"},
    {Reason::kSettlementStarted, "kSettlementStarted",
     "the market is already settling or settled: a time tick of the market continues a "
     "settlement"},
    {Reason::kSettlementInvalidPrice, "kSettlementInvalidPrice",
     "the settlement price must be 1..max_price, or 0 for the market's last valid index "
     "(which it must have)"},
    {Reason::kLiquidationInvalidBackstopThreshold, "kLiquidationInvalidBackstopThreshold",
     "the backstop threshold is a fraction of maintenance in [0, 1] (Hyperliquid: 2/3; 0: the "
     "backstop takes only bankrupt targets and what the book cannot absorb)"},
    {Reason::kLiquidationInvalidLossPolicy, "kLiquidationInvalidLossPolicy",
     "the loss policy must be ADL (0) or NONE (1)"},
};

constexpr bool Ascending() {
  for (std::size_t i = 1; i < std::size(kReasons); ++i) {
    if (!(kReasons[i - 1].reason < kReasons[i].reason)) return false;
  }
  return true;
}
static_assert(Ascending(), "kReasons must be sorted by value, each value once");

constexpr auto kAll = [] {
  std::array<Reason, std::size(kReasons)> all{};
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = kReasons[i].reason;
  return all;
}();

const ReasonText* Lookup(Reason r) {
  const auto* it = std::lower_bound(std::begin(kReasons), std::end(kReasons), r,
                                    [](const ReasonText& t, Reason v) { return t.reason < v; });
  return it != std::end(kReasons) && it->reason == r ? it : nullptr;
}

}  // namespace

std::string_view ReasonName(Reason r) {
  const ReasonText* t = Lookup(r);
  return t ? t->name : "kUnknown";
}

std::string_view ReasonMessage(Reason r) {
  const ReasonText* t = Lookup(r);
  return t ? t->message : "unknown reason";
}

bool IsReason(std::uint16_t value) { return Lookup(static_cast<Reason>(value)) != nullptr; }

std::span<const Reason> AllReasons() { return kAll; }

PERPCORE_NAMESPACE_END
