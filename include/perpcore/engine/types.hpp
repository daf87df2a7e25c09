// -----------------------------------------------------------------------------
// File: perpcore/engine/types.hpp
// -----------------------------------------------------------------------------
//
// The vocabulary of the engine: market and engine parameters, the reject
// reasons and the views queries return. Commands are in commands.hpp,
// events in events.hpp.
//
// Units: prices in Ticks and sizes in Lots of their market; money in Quote
// atoms (10^-quote_decimals of the quote asset); rates as Rate (1e18 = 1).
// Every enumerator value is pinned: it reaches the C API, journals and digests.
#ifndef PERPCORE_ENGINE_TYPES_HPP_
#define PERPCORE_ENGINE_TYPES_HPP_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/numeric/int128.h"
#include "perpcore/book/types.hpp"
#include "perpcore/core/fixed.hpp"
#include "perpcore/core/ids.hpp"
#include "perpcore/funding/funding.hpp"
#include "perpcore/liquidation/liquidation.hpp"
#include "perpcore/oracle/oracle.hpp"
#include "perpcore/risk/margin.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {


using book::Side;
using book::OrderType;
using book::TimeInForce;
using book::StpMode;

// MarketStatus
//
//   kActive      everything allowed.
//   kReduceOnly  only reduce-only orders are accepted (resting orders stay).
//   kHalted      no amends and no orders but reduce-only ones (IOC/FOK,
//                so nothing new rests); cancels allowed. A halt must not
//                freeze the accounts with positions there: they can close.
//   kDelisted    as halted, and final: a delisted market never reopens.
//                Reduce-only orders stay allowed until its final settlement
//                starts (SettleMarket, commands.hpp; MarketStats::settlement),
//                which closes every position at one price; from then on no
//                order of any kind is accepted.
// A tripped oracle circuit breaker makes an active market behave as
// reduce-only until it clears; the stored status does not change.
enum class MarketStatus : std::uint8_t {
  kActive = 0,
  kReduceOnly = 1,
  kHalted = 2,
  kDelisted = 3,
};

// SettlementPhase: where a delisted market is in its final settlement
// (commands.hpp SettleMarket).
//   kNone      not started (every market that is not delisted).
//   kSettling  started: positions are being closed at the settlement price,
//              a bounded number per command; no orders at all.
//   kSettled   every position closed; final.
enum class SettlementPhase : std::uint8_t {
  kNone = 0,
  kSettling = 1,
  kSettled = 2,
};

// MarginMode
//
//   kCross     the position shares the account's cross collateral.
//   kIsolated  the position has its own margin bucket; only that bucket is
//              at risk, and it is topped up from cross collateral as the
//              position grows (Binance "isolated margin").
enum class MarginMode : std::uint8_t { kCross = 0, kIsolated = 1 };

// SelfTradeScope
//
// Which orders an account's orders never trade with (self-trade prevention
// decides what happens instead, by the incoming order's StpMode):
//   kOwner    its own and those of every owner-scope account of its owner
//             (the default: one person's accounts are one STP group, so they
//             cannot wash-trade between themselves);
//   kAccount  its own only (sub-accounts run as independent desks).
// STP applies when the two orders share a scope: an account-scope account
// trades with its owner's other accounts. The scope is taken when an order
// is placed; resting orders keep theirs when it changes.
enum class SelfTradeScope : std::uint8_t { kOwner = 0, kAccount = 1 };

// IsolatedMarginCause
//
// Why cash moved between cross collateral and an isolated bucket
// (events::IsolatedMarginChanged::cause):
//   kUser     AdjustIsolatedMargin.
//   kTopUp    a fill left the bucket short of its position's initial
//             requirement; the difference came from cross collateral.
//   kRelease  the position closed; the whole bucket went back to cross.
//   kDeficit  a liquidation left the cross account below zero with nothing to
//             close: the bucket gave what it could spare (what a withdrawal
//             could take from it) before the insurance fund paid the rest.
enum class IsolatedMarginCause : std::uint8_t {
  kUser = 0,
  kTopUp = 1,
  kRelease = 2,
  kDeficit = 3
};

// WithdrawablePnl
//
// How much of a position's unrealized profit counts toward what may leave
// the account (withdrawals, transfers out, isolated-margin removal; see
// "Withdrawals" in engine.hpp). Losses always count in full at the mark.
//   kConservativePrice  the profit at the more conservative of the mark and
//                       the index TWAP (a long at min(mark, twap), a short
//                       at max), capped by the profit at the mark; none
//                       while the market has no TWAP yet. A pump shorter
//                       than the TWAP window cannot be withdrawn.
//   kNone               no unrealized profit counts: only realized profit
//                       can leave.
enum class WithdrawablePnl : std::uint8_t { kConservativePrice = 0, kNone = 1 };

// Decimal
//
// mantissa * 10^exponent, exactly: the tick and lot sizes of a market.
struct Decimal {
  std::int64_t mantissa = 1;
  std::int32_t exponent = 0;
  friend bool operator==(const Decimal&, const Decimal&) = default;
};

// MarketParams
//
// tick_size: quote units per base unit that one tick is (e.g. {1, -1} = 0.1
// USD). lot_size: base units in one lot (e.g. {1, -3} = 0.001 BTC). Their
// product times 10^quote_decimals is the number of quote atoms one tick of
// one lot is worth, `atoms_per_tick_lot`; it must be a whole number >= 1
// (parameters that would need fractional atoms are refused).
// Bounds (refused otherwise, kInvalidMarketParams):
//   - symbol: 1..24 characters from [A-Za-z0-9-_/.];
//   - mantissas >= 1, exponents in -18..18;
//   - max_order_size >= 1 <= max_open_interest; max_price >= 1;
//     max_open_interest * max_price * atoms_per_tick_lot <= 2^54, so every
//     notional the engine ever forms fits easily in int64 (checked by
//     division: the product itself can pass 2^127);
//   - max_market_open_interest: 0 (the default: the largest the notional
//     bound allows, floor(2^54 / (max_price * atoms_per_tick_lot)), never
//     below max_open_interest) or in max_open_interest..2^62 with
//     max_market_open_interest * max_price * atoms_per_tick_lot <= 2^54, so
//     the notional of the whole market's open interest fits that bound too;
//   - max_matches_per_order in 1..kMaxMatchesPerOrder;
//   - price_band in [0, 1) (0: no band): limit prices must lie within
//     index * (1 -+ price_band) (book/order_book.hpp; default 5%, as
//     venues band orders around the index), centred on the last valid index
//     (it stays when the index goes away);
//   - max_leverage in 1..the first tier's max_leverage; tiers valid
//     (risk::TierTable::Validate);
//   - 0 <= taker_fee <= 10%; -taker_fee < maker_fee <= taker_fee, and a
//     negative maker fee (a rebate) no larger than what the smallest taker
//     fee pays after the best fee-tier discount and the referrer share, so
//     the fee pool never pays out more than it took on a trade;
//   - oracle: oracle::PriceFeed::Validate; the book limits >= 1;
//   - withdrawable_pnl a WithdrawablePnl; stress_fraction in [0, 1].
// withdrawable_pnl and stress_fraction: how positions in the market count
// toward withdrawals (engine.hpp, "Withdrawals"). While the market's
// breaker is tripped or its index is not usable, a position there counts
// no unrealized profit and its loss at the worse of the mark and the last
// valid index moved against it by stress_fraction (a long at
// last_index * (1 - stress_fraction) rounded down, a short at
// last_index * (1 + stress_fraction) rounded up). 10% by default: a loss
// the index could plausibly reach while nobody can see it.
// tick_size, lot_size and the book limits (max_matches_per_order included)
// cannot change after creation, and
// max_open_interest, max_market_open_interest and max_price cannot be
// lowered while the market has open interest or resting orders
// (kParamImmutable); max_price can never be lowered below a price the market
// holds: its index, last valid index, mark, TWAP, last trade or a source's
// last published price (kMaxPriceBelowMarketPrice).
//
// max_market_open_interest bounds the market's open interest (long lots,
// which equal short lots): an order that would raise it beyond the bound if
// it filled in full is refused (kMarketOpenInterestLimit). One account's
// exposure is bounded by max_open_interest; without a market-wide bound one
// actor (or a few) could build open interest that no insurance fund backs
// (dYdX v3 YFI, November 2023).
//
// max_matches_per_order bounds the work of one taker: it meets at most that
// many resting orders (each fill, and each resting order that self-trade
// prevention cancels or reduces, is one). The part left when the cap is
// reached follows the order's time in force, except that it never rests
// crossing the book: an IOC or market remainder is cancelled, and so is a
// GTC remainder whose price still crosses the opposite best, each with
// book::CancelReason::kMatchLimit; a FOK order that cannot fill within the
// cap is refused whole (kFokNotFilled). The default, 1000, is the order of
// the caps venues apply to one taker's fills (openexch/match caps a command
// at 10,000 matches and stops the taker there rather than rest a crossed
// remainder, its PR #106); at 1000 one order costs tens of microseconds.
struct MarketParams {
  std::string symbol = "BTC-USD";
  Decimal tick_size{1, -1};
  Decimal lot_size{1, -3};
  Lots max_order_size{1'000'000};
  Lots max_open_interest{1'000'000};
  Ticks max_price{100'000'000};
  Rate price_band{kRateScale / 20};  // 5%
  std::uint32_t max_leverage = 20;
  std::vector<risk::MarginTier> tiers{{Quote(0), 20, Rate(kRateScale / 100)}};
  Rate maker_fee{kRateScale / 10'000};       // 1 bp
  Rate taker_fee{5 * kRateScale / 10'000};   // 5 bp
  oracle::OracleConfig oracle;
  std::uint32_t max_orders_per_account = 200;
  std::uint32_t max_levels_per_side = 10'000;
  std::uint32_t max_book_orders = 1u << 22;
  WithdrawablePnl withdrawable_pnl = WithdrawablePnl::kConservativePrice;
  Rate stress_fraction{kRateScale / 10};     // 10%
  Lots max_market_open_interest{0};  // 0: the notional bound's largest
  std::uint32_t max_matches_per_order = 1000;
  // Funding (funding/funding.hpp; refused with its kFunding* reason). A
  // change through UpdateMarket first closes the running interval with the
  // old parameters. By status: active and reduce-only markets (and a
  // tripped breaker) sample and pay; a halted market takes no premium
  // sample (its book does not trade) but its positions keep paying (at the
  // interest rate when the interval has no sample); a delisted market's
  // funding stops where delisting left it. While the index is not usable
  // nothing is sampled or paid. Funding is settled into a position's bucket
  // before each fill that changes it, an isolated-margin change, and a
  // withdrawal or transfer out of the account; until then it is pending and
  // valued (PositionView::pending_funding).
  funding::FundingParams funding;
  // Liquidation (liquidation/liquidation.hpp: warning threshold, fee and
  // keeper share, partial-close buffer, chunks and cooldown, fillable price,
  // per-command cap; refused with its kLiquidationInvalid* reason).
  liquidation::LiquidationParams liquidation;
  friend bool operator==(const MarketParams&, const MarketParams&) = default;
};

// kMaxMatchesPerOrder: the largest max_matches_per_order a market may set.
inline constexpr std::uint32_t kMaxMatchesPerOrder = 100'000;

// EngineConfig
//
// quote_decimals: 0..18, the atoms of the quote asset (6 for USDC).
// fee_tier_discounts: fee tier t multiplies positive fees by
//   (1 - fee_tier_discounts[t]); tier 0 must be 0 (no discount), each in
//   [0, 1), at most 16 tiers, non-decreasing.
// referrer_share: the part of a referred taker's fee paid to the referrer,
//   in [0, 1).
// max_markets: 1..1024; max_accounts: 1..2^24.
// hash_seed: seeds lookup hashes only (see book::BookConfig::hash_seed).
// withdraw_margin_fraction: in [0, 1); a withdrawal, transfer out or
//   isolated-margin removal must leave the account's (or the bucket's)
//   withdrawable equity at least this fraction of the notional of its
//   positions, besides the initial requirement with orders. 10% by
//   default, Hyperliquid's rule since March 2025 (engine.hpp, "Withdrawals").
struct EngineConfig {
  std::uint32_t quote_decimals = 6;
  std::vector<Rate> fee_tier_discounts{Rate(0)};
  Rate referrer_share{0};
  std::uint32_t max_markets = 256;
  std::uint32_t max_accounts = 1u << 20;
  std::uint64_t hash_seed = 0x70657270656e6731ULL;
  Rate withdraw_margin_fraction{kRateScale / 10};  // 10%
};

// ---------------------------------------------------------------------------
// Query views
// ---------------------------------------------------------------------------

// PositionView
//
// An account's live record in one market: a position, or open orders only
// (size 0). mode and leverage are the account's choices there (leverage the
// effective one: the chosen leverage, or the market's max_leverage if none,
// capped by the market's current max_leverage).
// value = size * mark * atoms_per_tick_lot; cost = the signed entry value of
// the open position (long > 0); unrealized_pnl = value - cost;
// entry_price = |cost| / (|size| * atoms_per_tick_lot), rounded half-even to
// ticks (0 without a position). For an isolated position, isolated_equity =
// its bucket plus value, and its requirements are measured against that.
// realized_pnl: what reducing the current position has realized since it
// was opened; 0 without a position. A position opens from flat or by a
// flip and ends when it closes or flips, so the fill that closes or flips it
// reports its PnL in its Fill event (each party's realized) and the next
// position starts from 0: the per-position figure of dYdX v4's positions
// (realizedPnl of an OPEN position; a closed one leaves the list) and of
// Binance's position history. The lifetime total of an account in a market
// is the sum of its fills' realized fields.
struct PositionView {
  MarketId market = 0;
  MarginMode mode = MarginMode::kCross;
  std::uint32_t leverage = 0;
  Lots size;
  Ticks entry_price;
  Ticks mark;
  Quote value;
  Quote cost;
  Quote unrealized_pnl;
  Quote realized_pnl;
  Quote initial_requirement;
  Quote maintenance_requirement;
  Quote isolated_equity;              // isolated only
  risk::LiquidationPrice liquidation;  // price 0: none
  Lots open_bid_lots;
  Lots open_ask_lots;
  std::uint32_t open_orders = 0;
  // Funding accrued since the position was last settled (funding::Owed() at
  // the market's index now): > 0 the account owes it, < 0 it is owed. Already
  // counted in equity, requirements' slack, withdrawals and the liquidation
  // price (valuation); settled into the bucket when the position is touched.
  Quote pending_funding;
  // Liquidation's view (engine.hpp, "Liquidation"): the health of what backs
  // the position (its isolated bucket, or the cross account), and for an
  // isolated position the bucket's equity at the mark less its maintenance
  // requirement (< 0: liquidatable); for a cross position the account's
  // (AccountSummary::liquidation_buffer).
  liquidation::Health health = liquidation::Health::kHealthy;
  Quote liquidation_buffer;
};

// AccountSummary
//
// For cross margin: collateral = cross cash + the cost of the cross
// positions (deposits, realized PnL and fees); equity = collateral +
// unrealized_pnl, except that a position in a market whose index is not
// usable counts at its stressed value (as the margin check counts it:
// engine.hpp) while unrealized_pnl and the position's view stay at the mark; initial/maintenance requirement of the cross positions;
// initial_with_orders adds the worst case of open orders and what isolated
// positions may draw; free_collateral: exactly what a Withdraw may take now
// (engine.hpp, "Withdrawals": the withdrawal rule's slack, and at most what
// the engine holds), so withdrawing it is accepted and one atom more is
// refused; it is below equity - initial_with_orders when unrealized profit
// is not backed by the TWAP, a market is stressed, or the notional rule binds;
// margin_ratio = maintenance / equity as a Rate (rounded up; Rate::Max() when
// equity <= 0 with a requirement, 0 without one).
struct AccountSummary {
  AccountId account = 0;
  OwnerId owner = 0;
  std::uint32_t fee_tier = 0;
  AccountId referrer = 0;
  Quote cash;
  Quote collateral;
  Quote unrealized_pnl;
  Quote equity;
  Quote initial_requirement;
  Quote initial_with_orders;
  Quote maintenance_requirement;
  Quote free_collateral;
  Rate margin_ratio;
  // Liquidation's view of the cross account (engine.hpp, "Liquidation"):
  // health_equity is cross cash plus the cross positions at the mark less
  // their pending funding (no stressed values: liquidation is at the mark);
  // liquidation_buffer = health_equity - maintenance_requirement (< 0:
  // liquidatable); health from liquidation::ClassifyMargins with the
  // account's warning margin (each cross position's maintenance over its
  // market's warning threshold, summed: engine.hpp "Margin warnings").
  // liquidatable: health is kLiquidatable or kBankrupt.
  Quote health_equity;
  Quote liquidation_buffer;
  liquidation::Health health = liquidation::Health::kHealthy;
  bool liquidatable = false;
  // The sum of the cross positions' pending_funding (already in equity).
  Quote pending_funding;
  // Live records by market id: markets with a position or open orders
  // (size 0: orders only). A market the account has only set a margin mode
  // or leverage in, or whose position closed with no orders left, has none.
  std::vector<PositionView> positions;
};

// LiquidationCandidate: one answer of Engine::Liquidatable(): the cross
// account (market 0) or the isolated bucket in `market` of `account`, its
// health (kLiquidatable or kBankrupt), equity at the mark and maintenance
// requirement (equity < maintenance).
struct LiquidationCandidate {
  AccountId account = 0;
  MarketId market = 0;
  liquidation::Health health = liquidation::Health::kLiquidatable;
  Quote equity;
  Quote maintenance;
  friend bool operator==(const LiquidationCandidate&, const LiquidationCandidate&) = default;
};

// OpenOrder: one live order of an account.
struct OpenOrder {
  MarketId market = 0;
  book::OrderView order;
};

// MarketStats
struct MarketStats {
  MarketId market = 0;
  std::string symbol;
  MarketStatus status = MarketStatus::kActive;
  bool breaker = false;
  oracle::BreakerCause breaker_cause = oracle::BreakerCause::kNone;
  std::int64_t atoms_per_tick_lot = 1;
  Ticks index;  // 0: none
  Ticks mark;   // the last valid mark; 0: never had one
  Ticks twap;
  Ticks last_trade;
  std::uint32_t fresh_sources = 0;
  Lots open_interest_long;
  Lots open_interest_short;
  Lots volume;
  Quote notional_volume;
  std::optional<book::LevelView> best_bid, best_ask;
  // The last time the index may be used (oracle::PriceFeed::usable_until():
  // after it, new risk in the market is refused with kIndexStale and its
  // positions count at their stressed value, until a price or a time tick
  // renews it); -1 without an index.
  TimeNs index_usable_until{-1};
  // The cumulative funding index and the rate in effect (FundingView).
  absl::int128 funding_index = 0;
  Rate funding_rate;
  // Final settlement (a delisted market): the phase and, once started, the
  // settlement price.
  SettlementPhase settlement = SettlementPhase::kNone;
  Ticks settlement_price;
  // What the positions closed so far received from (< 0) or paid into the
  // settlement: exactly (long - short open interest) * settlement_price *
  // atoms_per_tick_lot while settling, 0 before and after.
  absl::int128 settlement_pool = 0;
};

// FundingView
//
// A market's funding (funding/funding.hpp). index: the cumulative funding
// index (atoms per lot * funding::kIndexScale). rate: the rate per period in
// effect (continuous payment) or set at the last close (interval-end).
// predicted_rate: the rate the running interval would close with now
// (premium model: its samples so far; skew models: the skew now).
// last_sample / running_premium / samples: the premium model's latest
// sample, the interval's average so far and how many it has. pool: what the
// market's funding pool holds (paid by settled payers, not yet taken by
// receivers: it may be negative when receivers settled first); residual_carry:
// sub-atom settlement rounding not yet moved to the residual sink (index
// units, < kIndexScale). history: closed intervals, newest first (at most
// funding::kHistory).
struct FundingView {
  MarketId market = 0;
  funding::FundingModel model = funding::FundingModel::kNone;
  absl::int128 index = 0;
  Rate rate;
  Rate predicted_rate;
  Rate last_sample;
  Rate running_premium;
  std::uint32_t samples = 0;
  TimeNs interval_start, interval_end;
  Rate skew;  // (L - S) / (L + S) without the counterparty; 0 without one
  absl::int128 pool = 0;
  std::int64_t residual_carry = 0;
  std::vector<funding::RateSet> history;
};

// Preview
//
// What an order would do now, computed without changing anything. The fill
// is estimated by walking the opposite side's L2 levels up to the order's
// price (own resting orders count as liquidity: self-trade prevention is not
// simulated, nor the match cap). fees: the taker fee on the estimated fill
// plus the maker fee on what would rest if it fills as maker later (not
// included). A preview stops at its own verdict: when `reason` is a refusal
// other than kInsufficientMargin, nothing is estimated (every other field
// is 0), so previewing an out-of-range order costs no walk of the book.
struct Preview {
  Reason reason = Reason::kOk;      // what Apply would answer (margin and limits)
  Lots fill_size;
  Ticks average_price;              // half-even; 0 if nothing fills
  Quote fill_notional;
  Rate slippage;                    // |average - mid| / mid, rounded up; 0 without a mid
  Quote fee;                        // taker fee on fill_notional
  Lots rest_size;                   // what would rest (GTC/post-only)
  Lots resulting_position;
  Quote resulting_equity;           // cross, or the isolated bucket's
  Rate resulting_margin_ratio;
  risk::LiquidationPrice resulting_liquidation;
};

}  // namespace engine
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_ENGINE_TYPES_HPP_
