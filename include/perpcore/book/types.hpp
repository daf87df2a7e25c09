// -----------------------------------------------------------------------------
// File: perpcore/book/types.hpp
// -----------------------------------------------------------------------------
//
// The vocabulary of one market's order book: order types, time in force,
// self-trade prevention, requests and events (sides, levels and reasons are
// core vocabulary, perpcore/core/).
//
// Units: Ticks (price), Lots (size) from perpcore/core/fixed.hpp.
// Every enumerator value is pinned: it reaches the C API, journals and digests.
#ifndef PERPCORE_BOOK_TYPES_HPP_
#define PERPCORE_BOOK_TYPES_HPP_

#include <cstdint>
#include <string_view>

#include "perpcore/core/fixed.hpp"
#include "perpcore/core/ids.hpp"
#include "perpcore/core/level.hpp"
#include "perpcore/core/reason.hpp"
#include "perpcore/core/side.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace book {

// Side and LevelView are core vocabulary (perpcore/core/side.hpp, level.hpp),
// named here too so book::Side reads as the book's own.
using ::perpcore::LevelView;
using ::perpcore::Opposite;
using ::perpcore::Side;

// OrderType
//
// A market order carries a protection price in OrderRequest::price: it never
// fills beyond it (above it for a buy, below it for a sell). Market orders are
// IOC or FOK; they never rest.
enum class OrderType : std::uint8_t { kLimit = 0, kMarket = 1 };

// TimeInForce
//
//   kGtc            match, then rest the remainder.
//   kIoc            match, then cancel the remainder (kUnfilledRemainder).
//   kFok            fill the whole size now or be rejected (kFokNotFilled);
//                   decided before any fill, so a failed FOK changes nothing.
//   kPostOnly       rest without matching; rejected (kPostOnlyWouldCross) if
//                   its price would cross the opposite best.
//   kPostOnlySlide  like kPostOnly, but an order that would cross is re-priced
//                   one price step behind the opposite best instead.
enum class TimeInForce : std::uint8_t {
  kGtc = 0,
  kIoc = 1,
  kFok = 2,
  kPostOnly = 3,
  kPostOnlySlide = 4,
};

// StpMode
//
// Self-trade prevention, decided by the incoming (taker) order's mode when it
// meets a resting order of its own STP group (OrderRequest::stp_group):
//   kCancelMaker         cancel the resting order; keep matching (the default
//                        at Binance, dYdX and Hyperliquid).
//   kCancelTaker         cancel the taker's remainder; fills so far stand.
//   kCancelBoth          cancel both.
//   kDecrementAndCancel  reduce both by the smaller size: the smaller one is
//                        cancelled, the larger is decremented and (if it is
//                        the taker) keeps matching; equal sizes cancel both.
//                        No trade is printed (CME, Coinbase "dc").
enum class StpMode : std::uint8_t {
  kCancelMaker = 0,
  kCancelTaker = 1,
  kCancelBoth = 2,
  kDecrementAndCancel = 3,
};

// CancelReason
//
// Why an order (or part of one) left the book without trading.
enum class CancelReason : std::uint8_t {
  kUser = 0,               // cancel by order id or client order id
  kCancelAll = 1,          // cancel all of an account
  kUnfilledRemainder = 2,  // IOC, FOK or market remainder after matching
  kSelfTrade = 3,          // self-trade prevention
  kMaxFill = 4,            // the part of the order beyond OrderRequest::max_fill
  kMatchLimit = 5,         // the taker met BookConfig::max_matches_per_order resting
                           // orders; its remainder would still cross
  kAccountLocked = 6,      // the engine cancelled the account's orders: a cash
                           // balance passed its bound (engine/ledger)
  kLiquidation = 7,        // the engine cancelled the account's orders before
                           // liquidating it (engine: Liquidate)
  kMarketSettled = 8,      // the engine cancelled the account's orders in a
                           // delisted market it settled (engine: SettleMarket)
};

// OrderRequest
//
// A new order. `max_fill` is the engine's hook for reduce-only orders: the
// order never fills or rests more than max_fill lots; the part of `size`
// beyond it is cancelled up front (one kCanceled event, reason kMaxFill).
//
// `stp_group` widens self-trade prevention from one account to a group of
// accounts (e.g. all accounts of one owner). An order's STP identity is the
// set of keys
//   {account}               if stp_group == 0 (the account is its own group),
//   {account, group:G}      if stp_group == G != 0,
// where account keys and group keys live in separate namespaces: group 5 and
// account 5 are unrelated, so an explicit group never matches an account that
// merely has the same number. Self-trade prevention triggers when the
// incoming order and a resting order share a key, that is when they belong
// to the same account (whatever their groups: an account never trades with
// itself, even while its orders carry different groups) or carry the same
// non-zero stp_group. The group is fixed when the order is placed and kept
// while it rests (amend does not change it). Every value is valid; the
// default 0 is the book's behaviour before groups existed.
struct OrderRequest {
  OrderId id = 0;
  AccountId account = 0;
  ClientOrderId client_id = 0;  // 0 = none; else unique per account among live orders
  Side side = Side::kBuy;
  OrderType type = OrderType::kLimit;
  TimeInForce tif = TimeInForce::kGtc;
  StpMode stp = StpMode::kCancelMaker;
  Ticks price;                  // limit price, or a market order's protection price
  Lots size;                    // > 0
  Lots max_fill = Lots::Max();  // >= 0
  std::uint64_t stp_group = 0;  // 0 = the account alone; else a group id (see above)
};

// AmendRequest
//
// New price and new open size of a live order. Size down at the same price
// keeps time priority; a price change or a size increase re-queues the order
// at the back of its (new) level.
struct AmendRequest {
  AccountId account = 0;
  OrderId id = 0;
  Ticks new_price;
  Lots new_size;  // the new open (unfilled) size, > 0
};

// EventKind
enum class EventKind : std::uint8_t {
  kFill = 0,      // a trade between the incoming order and a resting one
  kRested = 1,    // the incoming order (or its remainder) joined the book
  kCanceled = 2,  // an order or part of one left the book without trading
  kReduced = 3,   // an order's open size was decremented (STP decrement-and-cancel)
  kAmended = 4,   // a live order's price and/or size changed
};

// Event
//
// One thing that happened, in the order it happened. Fields by kind:
//   kFill      order_id/account/side: the taker; price: the maker's price;
//              size: lots traded; remaining: the taker's open size after the
//              fill; maker_order_id/maker_account/maker_remaining: the maker.
//   kRested    price: where it rests (a slid post-only order's new price);
//              size = remaining: the resting size.
//   kCanceled  size: the lots cancelled; remaining: the order's open size
//              after the cancel (0, except for a kMaxFill cut, after which
//              the order keeps max_fill lots to match or rest); reason: why.
//   kReduced   size: the decrement; remaining: the open size after it;
//              reason: kSelfTrade.
// A kSelfTrade kCanceled or kReduced event names the order it acts on
// (order_id, account, side): a resting order of the incoming order's STP
// group, possibly of another account, or the incoming order itself. The
// other order of the pair is the incoming order (for a resting order's
// event) or the resting order whose event precedes it (cancel-both,
// decrement-and-cancel); cancel-taker leaves the resting order untouched and
// unnamed.
//   kAmended   price/remaining: the new price and open size; size: the old
//              open size; priority_kept: whether it kept its queue place.
// price is always set. For the incoming order it is its effective price: the
// limit, the protection price after tightening to the band, or a slid
// post-only order's new price. For a resting order it is its level's price.
struct Event {
  EventKind kind = EventKind::kFill;
  Side side = Side::kBuy;
  CancelReason reason = CancelReason::kUser;
  bool priority_kept = false;
  OrderId order_id = 0;
  AccountId account = 0;
  Ticks price;
  Lots size;
  Lots remaining;
  OrderId maker_order_id = 0;
  AccountId maker_account = 0;
  Lots maker_remaining;

  friend bool operator==(const Event&, const Event&) = default;
};

// PlaceResult
//
// reason == kOk iff the order was accepted. filled: lots traded; rested: lots
// left resting (at rest_price); the rest of the size was cancelled.
struct PlaceResult {
  Reason reason = Reason::kOk;
  Lots filled;
  Lots rested;
  Ticks rest_price;

  bool ok() const { return reason == Reason::kOk; }
  friend bool operator==(const PlaceResult&, const PlaceResult&) = default;
};

// OrderView: one live order (L3 and lookups).
struct OrderView {
  OrderId id = 0;
  AccountId account = 0;
  ClientOrderId client_id = 0;
  Side side = Side::kBuy;
  Ticks price;
  Lots remaining;
  std::uint64_t priority = 0;  // arrival stamp: smaller is earlier in its queue
  std::uint64_t stp_group = 0;  // OrderRequest::stp_group as placed
  friend bool operator==(const OrderView&, const OrderView&) = default;
};

}  // namespace book
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_BOOK_TYPES_HPP_
