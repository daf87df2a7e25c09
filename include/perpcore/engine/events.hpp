// -----------------------------------------------------------------------------
// File: perpcore/engine/events.hpp
// -----------------------------------------------------------------------------
//
// What an accepted command caused, in order: one struct per kind in
// namespace events, each with named fields that mean one thing, and Event,
// the variant of them whose index is the kind's pinned EventKind value.
//
// Units: prices in Ticks and sizes in Lots of their market (positions signed,
// + long); money in Quote atoms. Ids are the strong id types.
//
// Events are trivially copyable (a sink may memcpy them) and at most 160
// bytes; a Fill, the largest and the commonest, sets the size.
//
// Example:
//   for (const Event& e : result.events) {
//     if (const auto* f = std::get_if<events::Fill>(&e)) {
//       Book(f->taker.account, f->taker.fee);
//     }
//   }
//   if (KindOf(e) == EventKind::kFill) ...   // when only the kind matters
#ifndef PERPCORE_ENGINE_EVENTS_HPP_
#define PERPCORE_ENGINE_EVENTS_HPP_

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <variant>

#include "perpcore/book/types.hpp"
#include "perpcore/engine/types.hpp"
#include "perpcore/oracle/oracle.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace engine {

// EventKind: the index of each kind in Event (pinned: it reaches the C API).
enum class EventKind : std::uint8_t {
  kOrderRested = 0,
  kFill = 1,
  kOrderCanceled = 2,
  kOrderReduced = 3,
  kOrderAmended = 4,
  kDeposit = 5,
  kWithdrawal = 6,
  kTransfer = 7,
  kAccountCreated = 8,
  kMarketCreated = 9,
  kMarketUpdated = 10,
  kMarketStatusChanged = 11,
  kPriceUpdate = 12,
  kCircuitBreaker = 13,
  kMarginModeSet = 14,
  kLeverageSet = 15,
  kIsolatedMarginChanged = 16,
  kFeeTierSet = 17,
  kInsuranceFunded = 18,
  kSelfTradeScopeSet = 19,
  kSourceRetired = 20,
  kFundingRateSet = 21,
  kFundingSettled = 22,
  kFundingResidual = 23,
  kLiquidation = 24,
  kInsuranceCover = 25,
  kShortfall = 26,
  kMarginWarning = 27,
  kPositionSettled = 28,
  kMarketSettled = 29,
  kBackstopTakeover = 30,
  kDeleveraged = 31,
};

namespace events {

// The order events carry what the book reported (book/types.hpp, book::Event)
// and the market. price is always set: for the incoming order its effective
// price (the limit, the protection price tightened to the band, or a slid
// post-only order's new price), for a resting order its level's price.

// OrderRested: the incoming order (or its remainder) joined the book with
// `size` open lots at `price`.
struct OrderRested {
  MarketId market = 0;
  AccountId account = 0;
  OrderId order_id = 0;
  Side side = Side::kBuy;
  Ticks price;
  Lots size;
  friend bool operator==(const OrderRested&, const OrderRested&) = default;
};

// FillParty: one side of a fill. remaining: the order's open lots after
// it; fee: what the account paid (>= 0 for the taker; < 0 is a maker
// rebate it received); position: the account's position in the market
// after it; realized: the PnL it realized.
struct FillParty {
  AccountId account = 0;
  OrderId order_id = 0;
  Side side = Side::kBuy;
  Lots remaining;
  Quote fee;
  Lots position;
  Quote realized;
  friend bool operator==(const FillParty&, const FillParty&) = default;
};

// Fill: the incoming order (taker) traded `size` lots at the resting order's
// (maker's) price. The taker's trade cash and fee come from its bucket
// (cross cash, or the isolated bucket of an isolated position), and the
// maker's from its own. referrer: the taker's referrer (0: none), paid
// referrer_fee out of the taker fee; the fee pool keeps the rest of both
// fees. Any isolated-margin top-ups or releases it causes follow it.
struct Fill {
  MarketId market = 0;
  Ticks price;
  Lots size;
  FillParty taker;
  FillParty maker;
  AccountId referrer = 0;
  Quote referrer_fee;
  friend bool operator==(const Fill&, const Fill&) = default;
};

// OrderCanceled: `size` lots of an order left the book without trading;
// remaining: its open lots after (0, except after a kMaxFill cut, when it
// keeps max_fill lots to match or rest). A kSelfTrade cancel names the order
// it acts on: a resting order of the incoming order's STP group (possibly of
// another account) or the incoming order itself.
struct OrderCanceled {
  MarketId market = 0;
  AccountId account = 0;
  OrderId order_id = 0;
  Side side = Side::kBuy;
  book::CancelReason reason = book::CancelReason::kUser;
  Ticks price;
  Lots size;
  Lots remaining;
  friend bool operator==(const OrderCanceled&, const OrderCanceled&) = default;
};

// OrderReduced: self-trade prevention (decrement-and-cancel) took `size`
// lots off an order; remaining: its open lots after.
struct OrderReduced {
  MarketId market = 0;
  AccountId account = 0;
  OrderId order_id = 0;
  Side side = Side::kBuy;
  Ticks price;
  Lots size;
  Lots remaining;
  friend bool operator==(const OrderReduced&, const OrderReduced&) = default;
};

// OrderAmended: a live order now rests at `price` with `remaining` open
// lots (old_remaining before); priority_kept: it kept its queue place (a
// smaller size at the same price).
struct OrderAmended {
  MarketId market = 0;
  AccountId account = 0;
  OrderId order_id = 0;
  Side side = Side::kBuy;
  bool priority_kept = false;
  Ticks price;
  Lots remaining;
  Lots old_remaining;
  friend bool operator==(const OrderAmended&, const OrderAmended&) = default;
};

// Cash in and out of an account's cross collateral, and between two
// accounts of one owner.
struct Deposit {
  AccountId account = 0;
  Quote amount;
  friend bool operator==(const Deposit&, const Deposit&) = default;
};
struct Withdrawal {
  AccountId account = 0;
  Quote amount;
  friend bool operator==(const Withdrawal&, const Withdrawal&) = default;
};
struct Transfer {
  AccountId from = 0;
  AccountId to = 0;
  Quote amount;
  friend bool operator==(const Transfer&, const Transfer&) = default;
};

struct AccountCreated {
  AccountId account = 0;
  OwnerId owner = 0;
  std::uint32_t fee_tier = 0;
  AccountId referrer = 0;  // 0: none
  friend bool operator==(const AccountCreated&, const AccountCreated&) = default;
};

struct MarketCreated {
  MarketId market = 0;
  friend bool operator==(const MarketCreated&, const MarketCreated&) = default;
};
struct MarketUpdated {
  MarketId market = 0;
  friend bool operator==(const MarketUpdated&, const MarketUpdated&) = default;
};
struct MarketStatusChanged {
  MarketId market = 0;
  MarketStatus status = MarketStatus::kActive;  // the new status
  friend bool operator==(const MarketStatusChanged&, const MarketStatusChanged&) = default;
};

// PriceUpdate: the index or the mark changed. index 0: none (stale or too
// few sources); mark: the last valid mark (0: never had one); twap: the
// index TWAP.
struct PriceUpdate {
  MarketId market = 0;
  Ticks index;
  Ticks mark;
  Ticks twap;
  friend bool operator==(const PriceUpdate&, const PriceUpdate&) = default;
};

// CircuitBreaker: the market's oracle breaker tripped (tripped, with its
// cause) or cleared (!tripped).
struct CircuitBreaker {
  MarketId market = 0;
  bool tripped = false;
  oracle::BreakerCause cause = oracle::BreakerCause::kNone;
  friend bool operator==(const CircuitBreaker&, const CircuitBreaker&) = default;
};

struct MarginModeSet {
  MarketId market = 0;
  AccountId account = 0;
  MarginMode mode = MarginMode::kCross;
  friend bool operator==(const MarginModeSet&, const MarginModeSet&) = default;
};
struct LeverageSet {
  MarketId market = 0;
  AccountId account = 0;
  std::uint32_t leverage = 0;
  friend bool operator==(const LeverageSet&, const LeverageSet&) = default;
};

// IsolatedMarginChanged: `amount` moved from the account's cross cash into
// its isolated bucket in `market` (< 0: back to cross cash). Emitted for
// every move, so together with the fills these events account for every
// balance.
struct IsolatedMarginChanged {
  MarketId market = 0;
  AccountId account = 0;
  Quote amount;
  IsolatedMarginCause cause = IsolatedMarginCause::kUser;
  friend bool operator==(const IsolatedMarginChanged&, const IsolatedMarginChanged&) = default;
};

struct FeeTierSet {
  AccountId account = 0;
  std::uint32_t fee_tier = 0;
  friend bool operator==(const FeeTierSet&, const FeeTierSet&) = default;
};

// InsuranceFunded: money into the insurance fund from outside.
struct InsuranceFunded {
  Quote amount;
  friend bool operator==(const InsuranceFunded&, const InsuranceFunded&) = default;
};

struct SelfTradeScopeSet {
  AccountId account = 0;
  SelfTradeScope scope = SelfTradeScope::kOwner;
  friend bool operator==(const SelfTradeScopeSet&, const SelfTradeScopeSet&) = default;
};

// SourceRetired: oracle source `source` of `market` was retired (its slot
// is free). A PriceUpdate follows if the index or the mark changed.
struct SourceRetired {
  MarketId market = 0;
  SourceId source = 0;
  friend bool operator==(const SourceRetired&, const SourceRetired&) = default;
};

// FundingRateSet: a funding interval of `market` closed (funding/funding.hpp):
// [start, end) was the interval (or, with intervals > 1, a run of equal
// ones that passed without a tick, start being the first's start and end
// the last's end), its average premium (premium model), its rate per
// period and the price it was paid at (0: unpaid, the index was not
// usable). With interval-end payment the market's funding index moved by
// funding::IndexDelta(rate, end - start, period, price, atoms_per_tick_lot)
// (Engine::Funding() has the index); continuous payment reports its
// intervals too, the index having moved through them.
struct FundingRateSet {
  MarketId market = 0;
  TimeNs start, end;
  std::uint32_t intervals = 1;
  Rate premium;
  Rate rate;
  Ticks price;
  friend bool operator==(const FundingRateSet&, const FundingRateSet&) = default;
};

// FundingSettled: the funding a position accrued since it was last settled
// moved between its bucket (cross cash, or the isolated bucket) and the
// market's funding pool: amount > 0 the account paid, < 0 it received
// (funding::Owed(): rounded against the account). Emitted before the event that touched the position (a
// fill, an isolated-margin change, a money command of the account).
struct FundingSettled {
  MarketId market = 0;
  AccountId account = 0;
  Quote amount;
  friend bool operator==(const FundingSettled&, const FundingSettled&) = default;
};

// FundingResidual: whole atoms of settlement rounding (what accounts paid
// beyond their exact funding, or forwent of it) moved from the market's
// funding pool to the engine's funding residual sink.
struct FundingResidual {
  MarketId market = 0;
  Quote amount;
  friend bool operator==(const FundingResidual&, const FundingResidual&) = default;
};

// Liquidation: a Liquidate command closed `closed` lots (>= 0: the book may
// hold fewer within the protection price than it sent) of `account`'s position in
// `market` (its isolated bucket if `isolated`, else its cross account),
// sent as IOC order `order_id` (an engine-chosen id, never resting) with
// protection price `limit`; `position`: the position after (0: closed);
// `health`: the target's health before (liquidation/liquidation.hpp).
// closed_notional: sum of |lots| * price * atoms over its fills. The
// liquidated bucket paid `fee` (liquidation::LiquidationFee); `keeper_fee`
// of it went to the keeper's cross cash, the rest to the insurance fund.
// Follows the target's OrderCanceled events (reason kLiquidation) and its
// order's Fill events. After it: a Shortfall paid down by the fund's share
// of the fee (amount < 0); when the liquidation left a deficit with nothing
// to close, the isolated buckets' share of a cross deficit
// (IsolatedMarginChanged, kDeficit), InsuranceCover and Shortfall; then an
// emptied isolated bucket's release (IsolatedMarginChanged, kRelease).
struct Liquidation {
  MarketId market = 0;
  AccountId account = 0;
  AccountId keeper = 0;
  OrderId order_id = 0;
  bool isolated = false;
  std::uint8_t health = 0;  // a liquidation::Health value
  Lots closed;
  Lots position;
  Ticks limit;
  Quote closed_notional;
  Quote fee;
  Quote keeper_fee;
  friend bool operator==(const Liquidation&, const Liquidation&) = default;
};
// InsuranceCover: the insurance fund paid `amount` (> 0) into the bucket of
// `account` (its isolated bucket in `market`, or its cross cash for market
// 0) that a liquidation left below zero with nothing left to close.
struct InsuranceCover {
  MarketId market = 0;
  AccountId account = 0;
  Quote amount;
  friend bool operator==(const InsuranceCover&, const InsuranceCover&) = default;
};
// Shortfall: the shortfall bucket (Engine::shortfall(), a deficit nobody has
// covered yet) grew by `amount` > 0: what a liquidated bucket of `account`
// still lacked after the insurance fund was empty, the bucket being set to
// zero; or shrank by -amount (amount < 0, market and account 0) when money
// for the insurance fund paid it down: a FundInsurance, or the fund's share
// of a liquidation fee (then right after that Liquidation event).
// Withdrawals are refused while it is non-zero (kWithdrawalsGated).
struct Shortfall {
  MarketId market = 0;
  AccountId account = 0;
  Quote amount;
  friend bool operator==(const Shortfall&, const Shortfall&) = default;
};
// MarginWarning: the health of `account`'s cross account (market 0) or of
// its isolated bucket in `market` changed between healthy and worse
// (liquidation::ClassifyMargins: warning, liquidatable or bankrupt). set: it
// is now warning or worse (its equity reached its warning margin, or fell
// below maintenance or zero); false: it is healthy again. Once per crossing, with the exact equity and
// maintenance (quote atoms) at the moment it was detected; nothing while it
// stays on the same side. When it is detected: engine.hpp, "Margin
// warnings".
struct MarginWarning {
  AccountId account = 0;
  MarketId market = 0;
  bool set = false;
  Quote equity;
  Quote maintenance;
  friend bool operator==(const MarginWarning&, const MarginWarning&) = default;
};
// PositionSettled: the final settlement of delisted `market` closed
// `account`'s position of `size` lots (signed, + long: the position before)
// at the settlement price `price`, as a fill at that price with no fee
// would: `realized` is the PnL it realized (TradePosition: against its cost
// basis), and its bucket (cross cash, or the isolated bucket if `isolated`)
// received size * price * atoms (a short paid it) from the market's
// settlement pool. Follows the FundingSettled of the position and the
// OrderCanceled events (reason kMarketSettled) of the account's orders
// there; then, for an isolated bucket, the deficit's InsuranceCover and
// Shortfall and the bucket's release (IsolatedMarginChanged, kRelease); for
// a cross account left below zero with no cross position anywhere, the
// deficit's cover as after a liquidation (kDeficit moves from its isolated
// buckets, InsuranceCover, Shortfall). A record with orders and no position
// has its orders cancelled and no PositionSettled.
struct PositionSettled {
  MarketId market = 0;
  AccountId account = 0;
  bool isolated = false;
  Lots size;
  Ticks price;
  Quote realized;
  friend bool operator==(const PositionSettled&, const PositionSettled&) = default;
};
// MarketSettled: every position of delisted `market` is closed at `price`;
// the market is settled (final: nothing trades or settles there again).
struct MarketSettled {
  MarketId market = 0;
  Ticks price;
  friend bool operator==(const MarketSettled&, const MarketSettled&) = default;
};
// BackstopTakeover: a Liquidate moved `size` lots of `account`'s position in
// `market` (signed as that position: + a long) to the market's backstop
// account `backstop` at the mark `price`, off the book and with no fee
// (engine.hpp, "Backstop takeover"): each side's bucket moved
// size * price * atoms as a fill would (the target's cross cash or, if
// `isolated`, its bucket), and `equity` atoms moved from the target's
// bucket to the backstop's (< 0: the backstop paid them in, for a target
// below zero): the target's equity share of what was taken. `position` is
// the target's position left, `backstop_position` the backstop's after.
// Follows the FundingSettled of both positions; before any deficit cover.
struct BackstopTakeover {
  MarketId market = 0;
  AccountId account = 0;
  AccountId backstop = 0;
  bool isolated = false;
  Lots size;
  Ticks price;
  Quote equity;
  Lots position;
  Lots backstop_position;
  friend bool operator==(const BackstopTakeover&, const BackstopTakeover&) = default;
};
// Deleveraged: a Liquidate closed `size` lots of bankrupt `account`'s
// position in `market` (signed as that position: + a long) against
// `counterparty`'s opposite position, the next in the market's ADL ranking
// (engine.hpp, "Auto-deleveraging"), off the book and with no fee: both
// buckets moved size * price * atoms at the mark `price` as a fill would,
// and `equity` atoms (<= 0: the counterparty paid them) moved from the
// target's bucket (its cross cash, or its isolated bucket if `isolated`) to
// the counterparty's bucket of that position, so that the trade is at the
// target's bankruptcy price exactly. `position` is the target's position
// left, `counterparty_position` the counterparty's after. Follows the
// FundingSettled of both positions.
struct Deleveraged {
  MarketId market = 0;
  AccountId account = 0;
  AccountId counterparty = 0;
  bool isolated = false;
  Lots size;
  Ticks price;
  Quote equity;
  Lots position;
  Lots counterparty_position;
  friend bool operator==(const Deleveraged&, const Deleveraged&) = default;
};
}  // namespace events

// Event
//
// One thing that happened. The alternatives are in EventKind order (new
// kinds go last), so e.index() is the kind's value.
using Event =
    std::variant<events::OrderRested, events::Fill, events::OrderCanceled, events::OrderReduced,
                 events::OrderAmended, events::Deposit, events::Withdrawal, events::Transfer,
                 events::AccountCreated, events::MarketCreated, events::MarketUpdated,
                 events::MarketStatusChanged, events::PriceUpdate, events::CircuitBreaker,
                 events::MarginModeSet, events::LeverageSet, events::IsolatedMarginChanged,
                 events::FeeTierSet, events::InsuranceFunded, events::SelfTradeScopeSet,
                 events::SourceRetired, events::FundingRateSet, events::FundingSettled,
                 events::FundingResidual, events::Liquidation, events::InsuranceCover,
                 events::Shortfall, events::MarginWarning, events::PositionSettled,
                 events::MarketSettled, events::BackstopTakeover, events::Deleveraged>;

// KindOf(): the kind of an event.
constexpr EventKind KindOf(const Event& e) { return static_cast<EventKind>(e.index()); }

// EventOf<K>: the struct of kind K.
template <EventKind K>
using EventOf = std::variant_alternative_t<static_cast<std::size_t>(K), Event>;

static_assert(std::is_same_v<EventOf<EventKind::kOrderRested>, events::OrderRested>);
static_assert(std::is_same_v<EventOf<EventKind::kFill>, events::Fill>);
static_assert(std::is_same_v<EventOf<EventKind::kOrderCanceled>, events::OrderCanceled>);
static_assert(std::is_same_v<EventOf<EventKind::kOrderReduced>, events::OrderReduced>);
static_assert(std::is_same_v<EventOf<EventKind::kOrderAmended>, events::OrderAmended>);
static_assert(std::is_same_v<EventOf<EventKind::kDeposit>, events::Deposit>);
static_assert(std::is_same_v<EventOf<EventKind::kWithdrawal>, events::Withdrawal>);
static_assert(std::is_same_v<EventOf<EventKind::kTransfer>, events::Transfer>);
static_assert(std::is_same_v<EventOf<EventKind::kAccountCreated>, events::AccountCreated>);
static_assert(std::is_same_v<EventOf<EventKind::kMarketCreated>, events::MarketCreated>);
static_assert(std::is_same_v<EventOf<EventKind::kMarketUpdated>, events::MarketUpdated>);
static_assert(
    std::is_same_v<EventOf<EventKind::kMarketStatusChanged>, events::MarketStatusChanged>);
static_assert(std::is_same_v<EventOf<EventKind::kPriceUpdate>, events::PriceUpdate>);
static_assert(std::is_same_v<EventOf<EventKind::kCircuitBreaker>, events::CircuitBreaker>);
static_assert(std::is_same_v<EventOf<EventKind::kMarginModeSet>, events::MarginModeSet>);
static_assert(std::is_same_v<EventOf<EventKind::kLeverageSet>, events::LeverageSet>);
static_assert(
    std::is_same_v<EventOf<EventKind::kIsolatedMarginChanged>, events::IsolatedMarginChanged>);
static_assert(std::is_same_v<EventOf<EventKind::kFeeTierSet>, events::FeeTierSet>);
static_assert(std::is_same_v<EventOf<EventKind::kInsuranceFunded>, events::InsuranceFunded>);
static_assert(std::is_same_v<EventOf<EventKind::kSelfTradeScopeSet>, events::SelfTradeScopeSet>);
static_assert(std::is_same_v<EventOf<EventKind::kSourceRetired>, events::SourceRetired>);
static_assert(std::is_same_v<EventOf<EventKind::kFundingRateSet>, events::FundingRateSet>);
static_assert(std::is_same_v<EventOf<EventKind::kFundingSettled>, events::FundingSettled>);
static_assert(std::is_same_v<EventOf<EventKind::kFundingResidual>, events::FundingResidual>);
static_assert(std::is_same_v<EventOf<EventKind::kLiquidation>, events::Liquidation>);
static_assert(std::is_same_v<EventOf<EventKind::kInsuranceCover>, events::InsuranceCover>);
static_assert(std::is_same_v<EventOf<EventKind::kShortfall>, events::Shortfall>);
static_assert(std::is_same_v<EventOf<EventKind::kMarginWarning>, events::MarginWarning>);
static_assert(std::is_same_v<EventOf<EventKind::kPositionSettled>, events::PositionSettled>);
static_assert(std::is_same_v<EventOf<EventKind::kMarketSettled>, events::MarketSettled>);
static_assert(std::is_same_v<EventOf<EventKind::kBackstopTakeover>, events::BackstopTakeover>);
static_assert(std::is_same_v<EventOf<EventKind::kDeleveraged>, events::Deleveraged>);
static_assert(std::variant_size_v<Event> == 32);
static_assert(std::is_trivially_copyable_v<Event>);
static_assert(sizeof(Event) <= 160);

}  // namespace engine
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_ENGINE_EVENTS_HPP_
