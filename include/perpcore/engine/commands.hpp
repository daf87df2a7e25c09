// -----------------------------------------------------------------------------
// File: perpcore/engine/commands.hpp
// -----------------------------------------------------------------------------
//
// The commands Engine::Apply() takes: one struct per command, the Payload
// variant of them, and Command (seq, timestamp, payload).
//
// Units: prices in Ticks and sizes in Lots of their market; money in Quote
// atoms. Fields go market, then account, then order, in every command.
//
// Size: the hot commands (orders, oracle, time, cash) are small, flat and
// trivially copyable, so a host can keep them in ring buffers and copy them
// with memcpy; a place-order command fits one 64-byte cache line. Market
// parameters (a symbol string and a tier vector, hundreds of bytes) travel
// behind a shared_ptr to an immutable MarketParams: creating or updating a
// market is rare, so the hot path does not pay for its size, and a Command
// stays cheap to copy (a journal, a replay, a test keeps commands by value).
//
// Example:
//   Command c{.seq = 7, .timestamp = TimeNs(t),
//             .payload = PlaceOrder{.market = 1, .account = 2, .order_id = 10,
//                                   .side = Side::kBuy, .price = Ticks(300'000),
//                                   .size = Lots(5)}};
#ifndef PERPCORE_ENGINE_COMMANDS_HPP_
#define PERPCORE_ENGINE_COMMANDS_HPP_

#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <variant>

#include "perpcore/engine/types.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {

// params: required (a null pointer is refused, kInvalidMarketParams). The
// engine copies what it keeps; the host may share one MarketParams between
// commands.
struct CreateMarket {
  MarketId market = 0;
  std::shared_ptr<const MarketParams> params;
};
// Replaces every parameter but tick_size and lot_size. Tier and fee changes
// apply to existing positions and resting orders from now on.
struct UpdateMarket {
  MarketId market = 0;
  std::shared_ptr<const MarketParams> params;
};
struct SetMarketStatus {
  MarketId market = 0;
  MarketStatus status = MarketStatus::kActive;
};
// referrer: 0 = none, else an existing account (not the new one).
struct CreateAccount {
  AccountId account = 0;
  OwnerId owner = 0;
  std::uint32_t fee_tier = 0;
  AccountId referrer = 0;
};
struct Deposit {
  AccountId account = 0;
  Quote amount;
};
struct Withdraw {
  AccountId account = 0;
  Quote amount;
};
struct Transfer {
  AccountId from = 0;
  AccountId to = 0;
  Quote amount;
};
// Money into the insurance fund from outside (counts as a deposit).
struct FundInsurance {
  Quote amount;
};
struct SetSelfTradeScope {
  AccountId account = 0;
  SelfTradeScope scope = SelfTradeScope::kOwner;
};
struct SetFeeTier {
  AccountId account = 0;
  std::uint32_t fee_tier = 0;
};
// The account's margin mode and leverage in a market are choices it keeps
// whether or not it trades there (the defaults: cross, and the market's
// max_leverage, whatever it is at the time); a position opened later takes
// them. SetMarginMode is refused while the account has a position or open
// orders in the market (kMarginModeLocked); SetLeverage then must pass the
// margin check.
struct SetMarginMode {
  MarketId market = 0;
  AccountId account = 0;
  MarginMode mode = MarginMode::kCross;
};
struct SetLeverage {
  MarketId market = 0;
  AccountId account = 0;
  std::uint32_t leverage = 1;
};
// delta > 0 adds cross collateral to the isolated bucket; delta < 0 returns
// it to cross collateral.
struct AdjustIsolatedMargin {
  MarketId market = 0;
  AccountId account = 0;
  Quote delta;
};
// A new order of `account` in `market`: what a host supplies, no more (the
// book's max_fill and STP group are the engine's: from reduce_only and the
// account's SelfTradeScope). order_id: unique among the market's live
// orders; client_id: 0 = none, else unique among the account's live
// orders. price: the limit, or a market order's protection price.
// reduce_only: the order may only reduce the account's position (clamped so
// it never flips it); it must be IOC or FOK.
struct PlaceOrder {
  MarketId market = 0;
  AccountId account = 0;
  OrderId order_id = 0;
  ClientOrderId client_id = 0;
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  TimeInForce tif = TimeInForce::kGtc;
  StpMode stp = StpMode::kCancelMaker;
  bool reduce_only = false;
  Ticks price;
  Lots size;
};
struct CancelOrder {
  MarketId market = 0;
  AccountId account = 0;
  OrderId order_id = 0;
};
struct CancelByClientId {
  MarketId market = 0;
  AccountId account = 0;
  ClientOrderId client_id = 0;
};
// market 0: every market the account has orders in.
struct CancelAll {
  MarketId market = 0;
  AccountId account = 0;
};
// New price and new open (unfilled) size (> 0) of a live order of
// `account`. Never trades: a new price that would cross the opposite best
// is refused (kAmendWouldCross). CancelReplace is the way to move an order
// across.
struct AmendOrder {
  MarketId market = 0;
  AccountId account = 0;
  OrderId order_id = 0;
  Ticks new_price;
  Lots new_size;
};
struct OraclePrice {
  MarketId market = 0;
  SourceId source = 0;
  Ticks price;
  TimeNs publish_time;
};
// Re-evaluates the oracle (staleness, TWAP, breaker, mark) of one market, or
// of every market for market 0 (O(markets); each refresh reads at most
// oracle::kImpactLevels levels a side for the impact prices), then advances
// its funding: the funding intervals that ended close (FundingRateSet),
// continuous funding accrues, and a premium sample is taken if one is due
// (funding/funding.hpp; only time ticks sample, so that no trader's command
// times a sample). O(1) per market whatever the positions. A tick naming a
// market whose final settlement is under way then settles its next records
// (SettleMarket below; a tick of every market does not).
struct TimeTick {
  MarketId market = 0;
};
// Retires oracle source `source` of `market`: its price no longer counts and
// its slot is free, so a new source can join after kMaxSources ids were
// used. The oracle is re-evaluated at once (as TimeTick does). Refused with
// kOracleUnknownSource if the market has no such source.
struct RetireSource {
  MarketId market = 0;
  SourceId source = 0;
};
// Atomic cancel-replace: cancels the live order old_order_id of `account`
// in `market` and places a new order (order_id .. size, as PlaceOrder's) in
// its stead, both or neither, as one command (one seq). The new order is
// checked as PlaceOrder checks it, with the old order counted as gone (see
// engine.hpp), so it may reuse the old order's id and client id. It does
// not inherit the old order's time priority, and it may trade like any new
// order.
struct CancelReplace {
  MarketId market = 0;
  AccountId account = 0;
  OrderId old_order_id = 0;
  OrderId order_id = 0;
  ClientOrderId client_id = 0;
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  TimeInForce tif = TimeInForce::kGtc;
  StpMode stp = StpMode::kCancelMaker;
  bool reduce_only = false;
  Ticks price;
  Lots size;
};

// Liquidate: `keeper` (an account that is not `account`; the host may keep
// one of its own for liquidations it starts) asks the engine to liquidate
// `account` (engine.hpp, "Liquidation"). market: the market to close in (0:
// the engine chooses: the cross account's position with the largest
// maintenance requirement among markets not halted (kMarketHalted if all
// its cross positions are in halted markets), or, if the cross account is
// healthy, its first
// liquidatable isolated bucket by market id); naming a market with an
// isolated position liquidates that bucket. max_size: at most this many lots
// close (>= 1; kNoMaxSize: no cap of the keeper's). Re-checked at the
// current mark: a healthy target is refused (kLiquidationNotLiquidatable)
// and nothing changes.
struct Liquidate {
  static constexpr Lots kNoMaxSize{std::numeric_limits<std::int64_t>::max()};
  MarketId market = 0;
  AccountId account = 0;
  AccountId keeper = 0;
  Lots max_size = kNoMaxSize;
};

// SettleMarket: starts the final settlement of delisted market `market` at
// `price` (engine.hpp, "Final settlement"; 0: the market's last valid
// index). Every position there closes at that one price, its orders are
// cancelled and its isolated bucket released, a bounded number per command
// (engine.hpp): this command settles
// the first of them, and each TimeTick naming the market the next, until
// none is left (events::MarketSettled). Refused (nothing changes) with
// kUnknownMarket, kSettlementNotDelisted, kSettlementStarted (settling or
// settled already) or kSettlementInvalidPrice, checked in that order.
struct SettleMarket {
  MarketId market = 0;
  Ticks price;
};

// NewOrderOf() / Replacing(): a CancelReplace's new order as the PlaceOrder
// it is checked as, and a PlaceOrder as the new order of a CancelReplace of
// old_order_id (market and account from the order).
constexpr PlaceOrder NewOrderOf(const CancelReplace& c) {
  return PlaceOrder{.market = c.market,
                    .account = c.account,
                    .order_id = c.order_id,
                    .client_id = c.client_id,
                    .side = c.side,
                    .type = c.type,
                    .tif = c.tif,
                    .stp = c.stp,
                    .reduce_only = c.reduce_only,
                    .price = c.price,
                    .size = c.size};
}
constexpr CancelReplace Replacing(OrderId old_order_id, const PlaceOrder& o) {
  return CancelReplace{.market = o.market,
                       .account = o.account,
                       .old_order_id = old_order_id,
                       .order_id = o.order_id,
                       .client_id = o.client_id,
                       .side = o.side,
                       .type = o.type,
                       .tif = o.tif,
                       .stp = o.stp,
                       .reduce_only = o.reduce_only,
                       .price = o.price,
                       .size = o.size};
}

// The hot commands: flat and trivially copyable, a place-order in a cache line.
static_assert(std::is_trivially_copyable_v<PlaceOrder> &&
              std::is_trivially_copyable_v<CancelOrder> &&
              std::is_trivially_copyable_v<CancelByClientId> &&
              std::is_trivially_copyable_v<CancelAll> && std::is_trivially_copyable_v<AmendOrder> &&
              std::is_trivially_copyable_v<CancelReplace> &&
              std::is_trivially_copyable_v<OraclePrice> && std::is_trivially_copyable_v<TimeTick> &&
              std::is_trivially_copyable_v<Deposit> && std::is_trivially_copyable_v<Withdraw> &&
              std::is_trivially_copyable_v<Transfer> && std::is_trivially_copyable_v<Liquidate> &&
              std::is_trivially_copyable_v<SettleMarket>);
static_assert(sizeof(PlaceOrder) <= 64);

using Payload = std::variant<CreateMarket, UpdateMarket, SetMarketStatus, CreateAccount, Deposit,
                             Withdraw, Transfer, FundInsurance, SetFeeTier, SetMarginMode,
                             SetLeverage, AdjustIsolatedMargin, PlaceOrder, CancelOrder,
                             CancelByClientId, CancelAll, AmendOrder, OraclePrice, TimeTick,
                             CancelReplace, SetSelfTradeScope, RetireSource,
                             Liquidate, SettleMarket>;  // new commands go last: indexes are pinned

// Command
//
// seq must be exactly the engine's last_seq + 1 (the first is 1); timestamp
// must not be before the previous processed command's.
struct Command {
  std::uint64_t seq = 0;
  TimeNs timestamp;
  Payload payload;
};

}  // namespace engine
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_ENGINE_COMMANDS_HPP_
