// Differential property tests of perpcore::book::OrderBook against the naive
// testing::ReferenceBook (tests/support/reference_book.hpp), in the manner of
// exchange-core's OrderBookBaseTest and libsecp256k1's testrand:
//
//   1. Random command streams go to both books; every result, every event
//      (fill by fill) and the query answers must be identical, and
//      CheckInvariants() must hold after every operation.
//   2. A refused request leaves EncodeCanonical() byte-identical and emits
//      no event.
//   3. Books fed the same stream (one fresh with another hash_seed, one
//      copied and moved mid-stream) give the same answers and end in the
//      same state and Digest().
//   4. Before each placement, CheckPlace(order) answers what Place(order)
//      then does, and CheckPlace(order, replaced), for a live order of the
//      same account mostly, answers what the reference book does on a copy
//      when it cancels `replaced` and then places the order.
//
// Seeds are fixed and printed. PERPCORE_TEST_SEED=<n> runs only that seed,
// PERPCORE_TEST_ITERS=<n> sets the operations per seed (default 100000) and
// PERPCORE_TEST_SHRINK_SECONDS=<n> the time the shrinker may take (default
// 20). On a mismatch the test prints the seed, the failing prefix length (the
// stream is reproduced by PERPCORE_TEST_SEED=s PERPCORE_TEST_ITERS=k) and a
// delta-debugged op list as C++ statements that can be pasted into a unit test.
//
// The generator is a xoshiro256** written here, never std::*_distribution,
// whose output is implementation-defined.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "perpcore/book/order_book.hpp"
#include "perpcore/book/types.hpp"
#include "support/reference_book.hpp"
#include "support/rng.hpp"

namespace perpcore {
namespace {

using book::AmendRequest;
using book::BookConfig;
using book::CancelReason;
using book::Event;
using book::EventKind;
using book::LevelView;
using book::OrderBook;
using book::OrderRequest;
using book::OrderType;
using book::OrderView;
using book::PlaceResult;
using perpcore::Reason;
using book::Side;
using book::StpMode;
using book::TimeInForce;
using testing::ReferenceBook;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::int64_t kMid = 1000;       // prices cluster around here
constexpr std::int64_t kSpread = 30;      // +- price steps around kMid: 61 levels
constexpr std::uint64_t kAccounts = 8;    // few accounts: STP happens often
constexpr std::uint64_t kOwners = 3;      // STP owner groups 1..3 (see NewGroup)
constexpr std::uint64_t kClientIds = 16;  // few client ids: duplicates happen often
constexpr std::uint64_t kDefaultSeeds[] = {0x5eed0000, 0x5eed0001, 0x5eed0002,
                                           0x5eed0003, 0x5eed0004, 0x5eed0005};

using testing::Rng;

// -----------------------------------------------------------------------------
// Operations and their readable (C++) form.
// -----------------------------------------------------------------------------
enum class OpKind : std::uint8_t {
  kPlace,
  kCancel,
  kCancelByClientId,
  kCancelAll,
  kAmend,
  kSetReference
};

struct Op {
  OpKind kind = OpKind::kPlace;
  OrderRequest place;
  AmendRequest amend;
  AccountId account = 0;        // Cancel, CancelByClientId, CancelAll
  OrderId id = 0;               // Cancel
  ClientOrderId client_id = 0;  // CancelByClientId
  Ticks reference;              // SetReferencePrice
  OrderId replaced = 0;         // Place: CheckPlace(place, replaced) before it (0: none)
  OrderId probe_id = 0;         // Find() after the op
  AccountId probe_account = 0;  // FindByClientId() after the op
  ClientOrderId probe_client = 0;
};

std::string Fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string Fmt(const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  return buf;
}

std::string Num(std::int64_t v) {
  if (v == kMax) return "kMax";
  if (v == kMin) return "kMin";
  return Fmt("%" PRId64, v);
}
std::string Num(std::uint64_t v) {
  return Fmt(v > 0x7FFFFFFFFFFFFFFFull ? "%" PRIu64 "ull" : "%" PRIu64, v);
}
template <class Tag, class Rep>
std::string Num(Id<Tag, Rep> id) {
  return Num(std::uint64_t{id.value()});
}

std::string EnumName(Side v) {
  switch (v) {
    case Side::kBuy: return "Side::kBuy";
    case Side::kSell: return "Side::kSell";
  }
  return Fmt("static_cast<Side>(%u)", static_cast<unsigned>(v));
}
std::string EnumName(OrderType v) {
  switch (v) {
    case OrderType::kLimit: return "OrderType::kLimit";
    case OrderType::kMarket: return "OrderType::kMarket";
  }
  return Fmt("static_cast<OrderType>(%u)", static_cast<unsigned>(v));
}
std::string EnumName(TimeInForce v) {
  switch (v) {
    case TimeInForce::kGtc: return "TimeInForce::kGtc";
    case TimeInForce::kIoc: return "TimeInForce::kIoc";
    case TimeInForce::kFok: return "TimeInForce::kFok";
    case TimeInForce::kPostOnly: return "TimeInForce::kPostOnly";
    case TimeInForce::kPostOnlySlide: return "TimeInForce::kPostOnlySlide";
  }
  return Fmt("static_cast<TimeInForce>(%u)", static_cast<unsigned>(v));
}
std::string EnumName(StpMode v) {
  switch (v) {
    case StpMode::kCancelMaker: return "StpMode::kCancelMaker";
    case StpMode::kCancelTaker: return "StpMode::kCancelTaker";
    case StpMode::kCancelBoth: return "StpMode::kCancelBoth";
    case StpMode::kDecrementAndCancel: return "StpMode::kDecrementAndCancel";
  }
  return Fmt("static_cast<StpMode>(%u)", static_cast<unsigned>(v));
}
std::string EnumName(EventKind v) {
  switch (v) {
    case EventKind::kFill: return "kFill";
    case EventKind::kRested: return "kRested";
    case EventKind::kCanceled: return "kCanceled";
    case EventKind::kReduced: return "kReduced";
    case EventKind::kAmended: return "kAmended";
  }
  return Fmt("EventKind(%u)", static_cast<unsigned>(v));
}
std::string EnumName(CancelReason v) {
  switch (v) {
    case CancelReason::kUser: return "kUser";
    case CancelReason::kCancelAll: return "kCancelAll";
    case CancelReason::kUnfilledRemainder: return "kUnfilledRemainder";
    case CancelReason::kSelfTrade: return "kSelfTrade";
    case CancelReason::kMaxFill: return "kMaxFill";
    case CancelReason::kMatchLimit: return "kMatchLimit";
    case CancelReason::kAccountLocked: return "kAccountLocked";
    case CancelReason::kLiquidation: return "kLiquidation";
    case CancelReason::kMarketSettled: return "kMarketSettled";
  }
  return Fmt("CancelReason(%u)", static_cast<unsigned>(v));
}
std::string EnumName(Reason r) { return std::string(perpcore::ReasonName(r)); }

std::string ToString(const Op& op) {
  switch (op.kind) {
    case OpKind::kPlace: {
      const OrderRequest& o = op.place;
      std::string s = "book.Place({.id = " + Num(o.id) + ", .account = " + Num(o.account);
      if (o.client_id != 0) s += ", .client_id = " + Num(o.client_id);
      s += ", .side = " + EnumName(o.side) + ", .type = " + EnumName(o.type) +
           ", .tif = " + EnumName(o.tif) + ", .stp = " + EnumName(o.stp) + ", .price = Ticks(" +
           Num(o.price.raw()) + "), .size = Lots(" + Num(o.size.raw()) + ")";
      if (o.max_fill != Lots::Max()) s += ", .max_fill = Lots(" + Num(o.max_fill.raw()) + ")";
      if (o.stp_group != 0) s += ", .stp_group = " + Num(o.stp_group);
      s += "});";
      if (op.replaced != 0) s += "  // CheckPlace() replacing " + Num(op.replaced) + " first";
      return s;
    }
    case OpKind::kCancel: return "book.Cancel(" + Num(op.account) + ", " + Num(op.id) + ");";
    case OpKind::kCancelByClientId:
      return "book.CancelByClientId(" + Num(op.account) + ", " + Num(op.client_id) + ");";
    case OpKind::kCancelAll: return "book.CancelAll(" + Num(op.account) + ");";
    case OpKind::kAmend:
      return "book.Amend({.account = " + Num(op.amend.account) + ", .id = " + Num(op.amend.id) +
             ", .new_price = Ticks(" + Num(op.amend.new_price.raw()) + "), .new_size = Lots(" +
             Num(op.amend.new_size.raw()) + ")});";
    case OpKind::kSetReference:
      return "book.SetReferencePrice(Ticks(" + Num(op.reference.raw()) + "));";
  }
  return "?";
}

std::string ToString(const Event& e) {
  std::string s = "{" + EnumName(e.kind) + " " + EnumName(e.side) + " id=" + Num(e.order_id) +
                  " acct=" + Num(e.account) + " px=" + Num(e.price.raw()) +
                  " size=" + Num(e.size.raw()) + " rem=" + Num(e.remaining.raw());
  if (e.maker_order_id != 0 || e.maker_account != 0 || e.maker_remaining.raw() != 0) {
    s += " maker=" + Num(e.maker_order_id) + " maker_acct=" + Num(e.maker_account) +
         " maker_rem=" + Num(e.maker_remaining.raw());
  }
  s += " reason=" + EnumName(e.reason);
  if (e.priority_kept) s += " kept";
  return s + "}";
}

std::string ToString(const PlaceResult& r) {
  std::string s = "{";
  s += EnumName(r.reason);
  s += " filled=" + Num(r.filled.raw());
  s += " rested=" + Num(r.rested.raw());
  s += " rest_price=" + Num(r.rest_price.raw());
  s += "}";
  return s;
}

std::string ToString(const std::optional<LevelView>& v) {
  if (!v) return "none";
  return "{px=" + Num(v->price.raw()) + " total=" + Num(v->total.raw()) +
         " orders=" + Num(std::uint64_t{v->orders}) + "}";
}

std::string ToString(const std::optional<OrderView>& v) {
  if (!v) return "none";
  return "{id=" + Num(v->id) + " acct=" + Num(v->account) + " cid=" + Num(v->client_id) + " " +
         EnumName(v->side) + " px=" + Num(v->price.raw()) + " rem=" + Num(v->remaining.raw()) +
         " prio=" + Num(v->priority) + " group=" + Num(v->stp_group) + "}";
}

std::string ToString(const std::optional<Ticks>& v) { return v ? Num(v->raw()) : "none"; }

std::string ToString(const BookConfig& c) {
  return "BookConfig{.price_step = Ticks(" + Num(c.price_step.raw()) + "), .size_step = Lots(" +
         Num(c.size_step.raw()) + "), .max_order_size = Lots(" + Num(c.max_order_size.raw()) +
         "), .max_orders_per_account = " + Num(std::uint64_t{c.max_orders_per_account}) +
         ", .max_levels_per_side = " + Num(std::uint64_t{c.max_levels_per_side}) +
         ", .max_book_orders = " + Num(std::uint64_t{c.max_book_orders}) + ", .price_band = Rate(" +
         Num(c.price_band.raw()) + "), .max_matches_per_order = " +
         Num(std::uint64_t{c.max_matches_per_order}) + "}";
}

// -----------------------------------------------------------------------------
// Configurations: one per seed (seed % 6), steps of 1 or 2, small limits;
// three with a match cap small enough that sweeps reach it.
// -----------------------------------------------------------------------------
BookConfig ConfigForSeed(std::uint64_t seed) {
  BookConfig c;
  c.expected_orders = 64;
  switch (seed % 6) {
    case 0:  // tight limits, unbounded sizes (kOverflow), 2% band
      c.max_orders_per_account = 6;
      c.max_levels_per_side = 12;
      c.max_book_orders = 40;
      c.price_band = Rate(kRateScale / 50);
      c.max_matches_per_order = 3;
      break;
    case 1:  // price step 2, capped size, no band (a reference alone is inert)
      c.price_step = Ticks(2);
      c.max_order_size = Lots(60);
      break;
    case 2:  // size step 2, the largest even size, 1% band
      c.size_step = Lots(2);
      c.max_order_size = Lots(kMax - 1);
      c.max_orders_per_account = 20;
      c.max_levels_per_side = 30;
      c.max_book_orders = 100;
      c.price_band = Rate(kRateScale / 100);
      c.max_matches_per_order = 5;
      break;
    case 3:  // both steps 2, 3% band
      c.price_step = Ticks(2);
      c.size_step = Lots(2);
      c.max_order_size = Lots(1000);
      c.max_orders_per_account = 10;
      c.max_levels_per_side = 25;
      c.max_book_orders = 200;
      c.price_band = Rate(kRateScale / 100 * 3);
      break;
    case 4:  // a band wider than 100%: the low edge is negative
      c.max_orders_per_account = 50;
      c.max_levels_per_side = 40;
      c.max_book_orders = 300;
      c.price_band = Rate(kRateScale / 2 * 3);
      c.max_matches_per_order = 2;
      break;
    default:  // tiny book; the smallest band (only the reference itself is in it)
      c.max_order_size = Lots(100);
      c.max_orders_per_account = 4;
      c.max_levels_per_side = 6;
      c.max_book_orders = 16;
      c.price_band = Rate(1);
      break;
  }
  return c;
}

// -----------------------------------------------------------------------------
// Stream generator. It looks at the reference book to aim at live orders; the
// ops it returns are plain values, so a recorded stream replays on its own.
// -----------------------------------------------------------------------------
class Generator {
 public:
  Generator(std::uint64_t seed, const BookConfig& c)
      : rng_(seed),
        ps_(c.price_step.raw()),
        ss_(c.size_step.raw()),
        max_size_(c.max_order_size.raw()) {}

  // The mix changes in phases of 2000 ops: balanced, building (few
  // cancels, little crossing: the book fills up to its limits) and draining.
  Op Next(const ReferenceBook& ref) {
    Op op;
    phase_ = (count_++ / 2000) % 3;
    std::uint64_t roll = rng_.Below(1000);
    if (phase_ == 1 && roll >= 540 && roll < 985 && rng_.Percent(60)) roll = 0;
    if (phase_ == 2 && roll < 540 && rng_.Percent(40)) roll = 540 + rng_.Below(200);
    if (roll < 540) {
      op.kind = OpKind::kPlace;
      op.place = NewOrder();
      op.replaced = PickReplaced(ref, op.place.account);
    } else if (roll < 660) {
      op.kind = OpKind::kCancel;
      op.id = PickLiveId(ref);
      op.account = OwnerOr(ref, op.id, 85);
    } else if (roll < 720) {
      op.kind = OpKind::kCancelByClientId;
      PickClient(ref, &op.account, &op.client_id);
    } else if (roll < 738) {
      op.kind = OpKind::kCancelAll;
      op.account = PickAccount();
    } else if (roll < 985) {
      op.kind = OpKind::kAmend;
      op.amend = NewAmend(ref);
    } else {
      op.kind = OpKind::kSetReference;
      op.reference = Ticks(NewReference());
    }
    op.probe_id = rng_.Percent(80) ? PickLiveId(ref) : OrderId(rng_.Below(next_id_ + 2));
    PickClient(ref, &op.probe_account, &op.probe_client);
    return op;
  }

  // Remembers orders that rested, to aim later ops at them.
  void Observe(const Op& op, const ReferenceBook& ref) {
    if (op.kind != OpKind::kPlace || !ref.Find(op.place.id)) return;
    if (recent_.size() < kRecent) {
      recent_.push_back(op.place.id);
    } else {
      recent_[cursor_++ % kRecent] = op.place.id;
    }
  }

 private:
  static constexpr std::size_t kRecent = 256;

  // A live order 70% of the time (if any), else a recent or made-up id.
  OrderId PickLiveId(const ReferenceBook& ref) {
    if (rng_.Percent(70)) {
      const Side side = static_cast<Side>(rng_.Below(2));
      std::array<LevelView, 64> levels{};
      const std::size_t n = ref.Depth(side, levels);
      if (n > 0) {
        std::array<OrderView, 64> orders{};
        const std::size_t m = ref.OrdersAt(side, levels[rng_.Below(n)].price, orders);
        if (m > 0) return orders[rng_.Below(m)].id;
      }
    }
    return PickId();
  }
  OrderId PickId() {
    if (recent_.empty() || rng_.Percent(10)) {
      const std::uint64_t r = rng_.Below(3);
      return OrderId(r == 0 ? 0 : r == 1 ? next_id_ + 1000 : 1 + rng_.Below(next_id_));
    }
    return recent_[rng_.Below(recent_.size())];
  }
  AccountId PickAccount() {
    const std::uint64_t r = rng_.Below(100);
    if (r < 2) return AccountId();
    if (r < 4) return AccountId(kAccounts + 1);  // a stranger
    if (r < 5) return AccountId(kMaxU64);        // the largest id is an id like any other
    return AccountId(1 + rng_.Below(kAccounts));
  }
  // The order a placement's CheckPlace counts as cancelled: mostly one of
  // the account's own live orders, else any id (0 now and then: none).
  OrderId PickReplaced(const ReferenceBook& ref, AccountId account) {
    const std::uint64_t r = rng_.Below(100);
    if (r < 75) {
      const std::vector<OrderId> own = ref.OrderIdsOf(account);
      if (!own.empty()) return own[rng_.Below(own.size())];
    }
    return r < 90 ? PickLiveId(ref) : 0;
  }
  AccountId OwnerOr(const ReferenceBook& ref, OrderId id, std::uint64_t pct) {
    std::optional<OrderView> v = ref.Find(id);
    if (v && rng_.Percent(pct)) return v->account;
    return PickAccount();
  }
  void PickClient(const ReferenceBook& ref, AccountId* account, ClientOrderId* client) {
    if (rng_.Percent(60)) {
      std::optional<OrderView> v = ref.Find(PickLiveId(ref));
      if (v && v->client_id != 0) {
        *account = v->account;
        *client = v->client_id;
        return;
      }
    }
    *account = PickAccount();
    *client = ClientOrderId(rng_.Percent(5) ? 0 : 1 + rng_.Below(kClientIds));
  }

  std::int64_t Near() { return (kMid / ps_ + rng_.Between(-kSpread, kSpread)) * ps_; }
  // While building, buys mostly sit below the middle and sells above it.
  std::int64_t NearFor(Side side) {
    if (phase_ != 1 || rng_.Percent(15)) return Near();
    const std::int64_t away = rng_.Between(1, kSpread);
    return (kMid / ps_ + (side == Side::kSell ? away : -away)) * ps_;
  }
  std::int64_t Huge(std::int64_t step) {
    switch (rng_.Below(4)) {
      case 0: return kMax / step * step;
      case 1: return (kMax / 2 / step + 1) * step;
      case 2: return (kMax / 3 / step + rng_.Between(0, 3)) * step;
      default: return kMax;
    }
  }
  std::int64_t Bad(std::int64_t step) {
    switch (rng_.Below(4)) {
      case 0: return 0;
      case 1: return -step;
      case 2: return kMin;
      default: return step > 1 ? step * rng_.Between(1, 600) + 1 : -rng_.Between(1, 5);
    }
  }

  std::int64_t NewPrice(bool market, Side side) {
    const std::uint64_t r = rng_.Below(100);
    if (market) {
      if (r < 50) return Near();
      if (r < 75) return (kMid / ps_ + (rng_.Percent(50) ? 1 : -1) * rng_.Between(40, 400)) * ps_;
      if (r < 88) return Huge(ps_);
      if (r < 94) return ps_;
      return Bad(ps_);
    }
    if (r < 92) return NearFor(side);
    if (r < 95) return ps_ > 1 ? Near() + 1 : Bad(ps_);
    if (r < 97) return Bad(ps_);
    return Huge(ps_);
  }

  std::int64_t NewSize() {
    const std::uint64_t r = rng_.Below(100);
    if (r < 80) return ss_ * rng_.Between(1, 8);
    if (r < 85) return ss_ * rng_.Between(9, 80);
    if (r < 88) return Bad(ss_);
    if (r < 91) return ss_ > 1 ? ss_ * rng_.Between(1, 8) + 1 : Bad(ss_);
    if (r < 96) return max_size_ / ss_ * ss_ - ss_ * rng_.Between(0, 1);
    return Huge(ss_);
  }

  OrderRequest NewOrder() {
    OrderRequest o;
    const std::uint64_t id_roll = rng_.Below(100);
    o.id = id_roll < 2   ? OrderId()
           : id_roll < 6 ? PickId()
           : id_roll < 7 ? OrderId(kMaxU64 - rng_.Below(4))
                         : OrderId(next_id_++);
    o.account = PickAccount();
    const std::uint64_t cid_roll = rng_.Below(100);
    o.client_id =
        ClientOrderId(cid_roll < 50 ? 0 : cid_roll < 52 ? kMaxU64 : 1 + rng_.Below(kClientIds));
    o.side =
        rng_.Percent(1) ? static_cast<Side>(2 + rng_.Below(254)) : static_cast<Side>(rng_.Below(2));
    const std::uint64_t type_roll = rng_.Below(100);
    o.type = type_roll < 1    ? static_cast<OrderType>(2 + rng_.Below(254))
             : type_roll < 19 ? OrderType::kMarket
                              : OrderType::kLimit;
    const std::uint64_t tif_roll = rng_.Below(100);
    if (tif_roll < 1) {
      o.tif = static_cast<TimeInForce>(5 + rng_.Below(251));
    } else if (o.type == OrderType::kMarket) {
      o.tif = tif_roll < 50   ? TimeInForce::kIoc
              : tif_roll < 92 ? TimeInForce::kFok
                              : static_cast<TimeInForce>(rng_.Below(5));
    } else {
      o.tif = tif_roll < 45   ? TimeInForce::kGtc
              : tif_roll < 60 ? TimeInForce::kIoc
              : tif_roll < 73 ? TimeInForce::kFok
              : tif_roll < 86 ? TimeInForce::kPostOnly
                              : TimeInForce::kPostOnlySlide;
    }
    o.stp = rng_.Percent(1) ? static_cast<StpMode>(4 + rng_.Below(252))
                            : static_cast<StpMode>(rng_.Below(4));
    o.price = Ticks(NewPrice(o.type == OrderType::kMarket, o.side));
    o.size = Lots(NewSize());
    const std::uint64_t mf = rng_.Below(100);
    if (mf < 84) {
      o.max_fill = Lots::Max();
    } else if (mf < 94) {
      o.max_fill = Lots(o.size.raw() > 0 ? rng_.Between(0, o.size.raw()) : 0);
    } else if (mf < 96) {
      o.max_fill = Lots(0);
    } else if (mf < 98) {
      o.max_fill = Lots(rng_.Percent(50) ? -1 : kMin);
    } else {
      o.max_fill = o.size;
    }
    o.stp_group = NewGroup(o.account);
    return o;
  }

  // Accounts 1..kAccounts belong to owners 1..kOwners (account a to owner
  // 1 + (a - 1) % kOwners), and an order often carries its owner's group, so
  // orders of different accounts share a group. Group ids 1..kAccounts are
  // also account ids: an explicit group meets an account with the same
  // number and no group, which must not count as one STP group.
  std::uint64_t NewGroup(AccountId account) {
    const std::uint64_t r = rng_.Below(100);
    if (r < 50) return 0;  // the account alone
    if (r < 85 && account.valid() && account.value() <= kAccounts) {
      return 1 + (account.value() - 1) % kOwners;
    }
    if (r < 97) return 1 + rng_.Below(kAccounts);  // any group (a stale or odd setting)
    return kMaxU64;
  }

  static std::int64_t Clamp(absl::int128 v) {
    if (v > absl::int128(kMax)) return kMax;
    if (v < absl::int128(kMin)) return kMin;
    return static_cast<std::int64_t>(v);
  }

  AmendRequest NewAmend(const ReferenceBook& ref) {
    AmendRequest a;
    a.id = PickLiveId(ref);
    std::optional<OrderView> v = ref.Find(a.id);
    a.account = v && rng_.Percent(92) ? v->account : PickAccount();
    const Side side = v ? v->side : Side::kBuy;
    const std::int64_t price = v ? v->price.raw() : Near();
    const std::int64_t size = v ? v->remaining.raw() : ss_ * 3;
    const std::uint64_t pr = rng_.Below(100);
    std::int64_t np = price;
    if (pr < 35) {
      np = price;
    } else if (pr < 75) {
      np = Clamp(absl::int128(price) + absl::int128(ps_) * rng_.Between(-6, 6));
    } else if (pr < 85) {
      std::optional<Ticks> best = side == Side::kBuy ? ref.BestAsk() : ref.BestBid();
      const std::int64_t b = best ? best->raw() : Near();
      np = Clamp(absl::int128(b) + absl::int128(ps_) * rng_.Between(-2, 2));
    } else if (pr < 89) {
      np = ps_ > 1 ? Clamp(absl::int128(price) + 1) : Bad(ps_);
    } else if (pr < 93) {
      np = Bad(ps_);
    } else if (pr < 98) {
      np = Near();
    } else {
      np = Huge(ps_);
    }
    const std::uint64_t sr = rng_.Below(100);
    std::int64_t ns = size;
    if (sr < 30) {
      ns = size;
    } else if (sr < 55) {
      ns = Clamp(absl::int128(size) - absl::int128(ss_) * rng_.Between(1, 4));
    } else if (sr < 85) {
      ns = Clamp(absl::int128(size) + absl::int128(ss_) * rng_.Between(1, 6));
    } else if (sr < 89) {
      ns = Bad(ss_);
    } else if (sr < 93) {
      ns = ss_ > 1 ? Clamp(absl::int128(size) + 1) : Bad(ss_);
    } else if (sr < 97) {
      ns = max_size_ / ss_ * ss_;
    } else {
      ns = Huge(ss_);
    }
    a.new_price = Ticks(np);
    a.new_size = Lots(ns);
    return a;
  }

  std::int64_t NewReference() {
    const std::uint64_t r = rng_.Below(100);
    if (r < 25) return 0;
    if (r < 33) return rng_.Percent(50) ? -1 : kMin;
    if (r < 92) return kMid + rng_.Between(-25, 25);
    if (r < 96) return rng_.Percent(50) ? kMax / 2 : kMax;
    return rng_.Between(1, 10);
  }

  Rng rng_;
  std::int64_t ps_, ss_, max_size_;
  std::uint64_t next_id_ = 1;  // the next fresh order id
  std::vector<OrderId> recent_;
  std::size_t cursor_ = 0;
  std::uint64_t count_ = 0, phase_ = 0;
};

// -----------------------------------------------------------------------------
// The harness: applies one op to every book and compares.
// -----------------------------------------------------------------------------
struct Options {
  bool differential = false;        // compare against the reference book
  bool invariants = false;          // OrderBook::CheckInvariants() after every op
  bool refusal = false;             // a refused op leaves EncodeCanonical() unchanged
  bool twins = false;               // a second fresh book and a mid-stream copy agree
  std::size_t snapshot_every = 16;  // and after the last op of a run
  std::size_t last_index = std::numeric_limits<std::size_t>::max();
};

struct Outcome {
  Reason reason = Reason::kOk;
  PlaceResult place;
  std::uint32_t canceled = 0;
  std::vector<Event> events;
};

template <class Book>
void Apply(Book& b, const Op& op, Outcome* out) {
  out->place = PlaceResult{};
  out->canceled = 0;
  switch (op.kind) {
    case OpKind::kPlace:
      out->place = b.Place(op.place);
      out->reason = out->place.reason;
      break;
    case OpKind::kCancel: out->reason = b.Cancel(op.account, op.id); break;
    case OpKind::kCancelByClientId:
      out->reason = b.CancelByClientId(op.account, op.client_id);
      break;
    case OpKind::kCancelAll: out->reason = b.CancelAll(op.account, &out->canceled); break;
    case OpKind::kAmend: out->reason = b.Amend(op.amend); break;
    case OpKind::kSetReference: out->reason = b.SetReferencePrice(op.reference); break;
  }
  const auto& ev = b.events();
  out->events.assign(ev.begin(), ev.end());
}

std::string EventsDiff(const std::vector<Event>& impl, const std::vector<Event>& ref) {
  std::string s = Fmt("events differ (impl %zu, ref %zu):\n", impl.size(), ref.size());
  const std::size_t n = std::max(impl.size(), ref.size());
  for (std::size_t i = 0; i < n; ++i) {
    const bool same = i < impl.size() && i < ref.size() && impl[i] == ref[i];
    s += Fmt("    %s [%zu] impl ", same ? " " : "*", i);
    s += i < impl.size() ? ToString(impl[i]) : "-";
    s += "\n        ref  ";
    s += i < ref.size() ? ToString(ref[i]) : "-";
    s += "\n";
  }
  return s;
}

// How often each outcome occurred, to show the stream reaches every branch.
struct Coverage {
  std::map<Reason, std::uint64_t> reasons;
  std::array<std::uint64_t, 8> kinds{};
  std::array<std::uint64_t, 8> cancel_reasons{};
  std::uint64_t kept = 0, requeued = 0, slid = 0, tightened = 0;
  // CheckPlace(order, replaced) answered kOk where Place(order) was refused:
  // the replaced order's slot, level, ids or liquidity made the difference.
  std::uint64_t freed_by_replace = 0;
  // From the reference's counters: STP between different accounts by the
  // taker's StpMode, and fills between a group and an account of the same
  // number (ReferenceBook::group_equals_account_fills()).
  std::array<std::uint64_t, 4> cross_account_stp{};
  std::uint64_t group_equals_account_fills = 0;

  void AddReference(const ReferenceBook& ref) {
    for (std::size_t m = 0; m < cross_account_stp.size(); ++m) {
      cross_account_stp[m] += ref.cross_account_stp(static_cast<StpMode>(m));
    }
    group_equals_account_fills += ref.group_equals_account_fills();
  }

  void Add(const Op& op, const Outcome& out) {
    ++reasons[out.reason];
    for (const Event& e : out.events) {
      ++kinds[std::min<std::size_t>(static_cast<std::size_t>(e.kind), kinds.size() - 1)];
      if (e.kind == EventKind::kCanceled) {
        ++cancel_reasons[std::min<std::size_t>(static_cast<std::size_t>(e.reason),
                                               cancel_reasons.size() - 1)];
      }
      if (e.kind == EventKind::kAmended) ++(e.priority_kept ? kept : requeued);
      if (op.kind == OpKind::kPlace && e.order_id == op.place.id && e.price != op.place.price) {
        if (e.kind == EventKind::kRested) ++slid;
        if (e.kind == EventKind::kCanceled && op.place.type == OrderType::kMarket) ++tightened;
      }
    }
  }
  void Merge(const Coverage& o) {
    for (const auto& [r, n] : o.reasons) reasons[r] += n;
    for (std::size_t i = 0; i < kinds.size(); ++i) kinds[i] += o.kinds[i];
    for (std::size_t i = 0; i < cancel_reasons.size(); ++i)
      cancel_reasons[i] += o.cancel_reasons[i];
    kept += o.kept;
    requeued += o.requeued;
    slid += o.slid;
    tightened += o.tightened;
    freed_by_replace += o.freed_by_replace;
    for (std::size_t i = 0; i < cross_account_stp.size(); ++i) {
      cross_account_stp[i] += o.cross_account_stp[i];
    }
    group_equals_account_fills += o.group_equals_account_fills;
  }
  std::string ToString() const {
    std::string s;
    for (const auto& [r, n] : reasons) s += Fmt(" %s=%" PRIu64, EnumName(r).c_str(), n);
    s += "\n[property]   events:";
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      if (kinds[i] != 0)
        s += Fmt(" %s=%" PRIu64, EnumName(static_cast<EventKind>(i)).c_str(), kinds[i]);
    }
    s += " | canceled:";
    for (std::size_t i = 0; i < cancel_reasons.size(); ++i) {
      if (cancel_reasons[i] != 0) {
        s += Fmt(" %s=%" PRIu64, EnumName(static_cast<CancelReason>(i)).c_str(), cancel_reasons[i]);
      }
    }
    s += Fmt(" | amend kept=%" PRIu64 " requeued=%" PRIu64 " | slid=%" PRIu64 " tightened=%" PRIu64
             " | refused but kOk as a replacement=%" PRIu64,
             kept, requeued, slid, tightened, freed_by_replace);
    s += "\n[property]   cross-account STP:";
    for (std::size_t i = 0; i < cross_account_stp.size(); ++i) {
      s += Fmt(" %s=%" PRIu64, EnumName(static_cast<StpMode>(i)).c_str(), cross_account_stp[i]);
    }
    s += Fmt(" | fills between a group and an account of the same number=%" PRIu64,
             group_equals_account_fills);
    return s;
  }
};

class Harness {
 public:
  Harness(const BookConfig& config, const Options& options)
      : options_(options), impl_(config), ref_(config) {
    if (options_.twins) {
      // Another hash seed moves every id inside the indexes, and must change
      // no result, event, encoding or digest (BookConfig::hash_seed).
      BookConfig other = config;
      other.hash_seed = ~config.hash_seed * 0x9E3779B97F4A7C15ull;
      twin_.emplace(other);
    }
  }

  const ReferenceBook& ref() const { return ref_; }
  const Coverage& coverage() const { return coverage_; }

  // Applies op number `index`; returns the first mismatch found, or "".
  std::string Step(const Op& op, std::size_t index) {
    if (options_.refusal) {
      before_.clear();
      impl_.EncodeCanonical(&before_);
    }
    if (options_.twins && index % 8192 == 4096) {  // a copy, then moved, joins mid-stream
      OrderBook copy(impl_);
      copy_.emplace(std::move(copy));
      copy_made_at_ = index;
    }
    if (options_.differential && op.kind == OpKind::kPlace) CheckBeforePlace(op);
    Apply(impl_, op, &a_);
    Apply(ref_, op, &b_);
    coverage_.Add(op, b_);
    if (options_.twins) {
      Apply(*twin_, op, &c_);
      if (copy_) Apply(*copy_, op, &d_);
    }
    std::string err;
    if (options_.differential) err = Compare(op, index);
    if (err.empty() && options_.invariants) {
      const absl::Status s = impl_.CheckInvariants();
      if (!s.ok()) err = "CheckInvariants: " + std::string(s.message());
    }
    if (err.empty() && options_.refusal && a_.reason != Reason::kOk) {
      after_.clear();
      impl_.EncodeCanonical(&after_);
      if (after_ != before_) {
        err = "refused with " + EnumName(a_.reason) + " but EncodeCanonical() changed";
      } else if (!a_.events.empty()) {
        err = "refused with " + EnumName(a_.reason) + " but emitted events:\n" +
              EventsDiff(a_.events, {});
      }
    }
    if (err.empty() && options_.twins) err = CompareTwins(index);
    return err;
  }

  // End-of-stream checks.
  std::string Finish() {
    if (!options_.twins) return "";
    if (impl_.Digest() != twin_->Digest()) return "Digest() differs from the fresh twin";
    if (copy_ && impl_.Digest() != copy_->Digest()) return "Digest() differs from the copy";
    return "";
  }

 private:
  std::string CompareTwins(std::size_t index) {
    if (c_.reason != a_.reason || c_.place != a_.place || c_.events != a_.events) {
      return "the twin with another hash_seed answered differently:\n" +
             EventsDiff(a_.events, c_.events);
    }
    if (copy_ && (d_.reason != a_.reason || d_.place != a_.place || d_.events != a_.events)) {
      return "the copy answered differently:\n" + EventsDiff(a_.events, d_.events);
    }
    before_.clear();
    impl_.EncodeCanonical(&before_);
    after_.clear();
    twin_->EncodeCanonical(&after_);
    if (before_ != after_) {
      return "EncodeCanonical() differs from a fresh twin (another hash_seed) fed the same ops";
    }
    if (copy_) {
      after_.clear();
      copy_->EncodeCanonical(&after_);
      if (before_ != after_) {
        return "EncodeCanonical() differs from a copy made before op " +
               Num(std::uint64_t{copy_made_at_});
      }
    }
    if (index % 1024 == 0 && impl_.Digest() != twin_->Digest()) {
      return "Digest() differs from a fresh twin with equal encodings";
    }
    return "";
  }

  template <class T>
  static std::string Differ(const char* what, const T& impl, const T& ref) {
    return std::string(what) + " differs: impl " + ToString(impl) + ", ref " + ToString(ref);
  }

  // CheckPlace's answers before a placement: plain, and with op.replaced
  // against the reference book cancelling it and placing on a copy.
  void CheckBeforePlace(const Op& op) {
    check_plain_ = impl_.CheckPlace(op.place);
    if (op.replaced == 0) return;
    check_replaced_ = impl_.CheckPlace(op.place, op.replaced);
    ReferenceBook copy = ref_;
    ref_replaced_ = copy.Cancel(op.place.account, op.replaced);
    if (ref_replaced_ == Reason::kOk) ref_replaced_ = copy.Place(op.place).reason;
  }

  std::string Compare(const Op& op, std::size_t index) {
    if (op.kind == OpKind::kPlace) {
      if (a_.place != b_.place) return Differ("PlaceResult", a_.place, b_.place);
      if (check_plain_ != a_.reason) {
        return "CheckPlace() answered " + EnumName(check_plain_) + ", Place() " +
               EnumName(a_.reason);
      }
      if (op.replaced != 0 && check_replaced_ != ref_replaced_) {
        return "CheckPlace() replacing " + Num(op.replaced) + " answered " +
               EnumName(check_replaced_) + "; the reference book, cancelling it and placing, " +
               EnumName(ref_replaced_);
      }
      if (op.replaced != 0 && a_.reason != Reason::kOk && check_replaced_ == Reason::kOk) {
        ++coverage_.freed_by_replace;
      }
    } else if (a_.reason != b_.reason) {
      return "Reason differs: impl " + EnumName(a_.reason) + ", ref " + EnumName(b_.reason);
    }
    if (op.kind == OpKind::kCancelAll && a_.reason == Reason::kOk && a_.canceled != b_.canceled) {
      return Fmt("CancelAll count differs: impl %u, ref %u", a_.canceled, b_.canceled);
    }
    if (a_.events != b_.events) return EventsDiff(a_.events, b_.events);

    if (impl_.BestBid() != ref_.BestBid())
      return Differ("BestBid()", impl_.BestBid(), ref_.BestBid());
    if (impl_.BestAsk() != ref_.BestAsk())
      return Differ("BestAsk()", impl_.BestAsk(), ref_.BestAsk());
    for (Side s : {Side::kBuy, Side::kSell}) {
      if (impl_.Best(s) != ref_.Best(s)) return Differ("Best()", impl_.Best(s), ref_.Best(s));
      if (impl_.level_count(s) != ref_.level_count(s)) {
        return Fmt("level_count(%s) differs: impl %zu, ref %zu", EnumName(s).c_str(),
                   impl_.level_count(s), ref_.level_count(s));
      }
    }
    if (impl_.order_count() != ref_.order_count()) {
      return Fmt("order_count() differs: impl %zu, ref %zu", impl_.order_count(),
                 ref_.order_count());
    }
    if (impl_.reference_price() != ref_.reference_price()) {
      return "reference_price() differs";
    }
    const AccountId acct = op.kind == OpKind::kPlace   ? op.place.account
                           : op.kind == OpKind::kAmend ? op.amend.account
                                                       : op.account;
    if (impl_.account_order_count(acct) != ref_.account_order_count(acct)) {
      return Fmt("account_order_count(%" PRIu64 ") differs: impl %u, ref %u", acct.value(),
                 impl_.account_order_count(acct), ref_.account_order_count(acct));
    }
    if (impl_.Find(op.probe_id) != ref_.Find(op.probe_id)) {
      return Differ(("Find(" + Num(op.probe_id) + ")").c_str(), impl_.Find(op.probe_id),
                    ref_.Find(op.probe_id));
    }
    if (impl_.FindByClientId(op.probe_account, op.probe_client) !=
        ref_.FindByClientId(op.probe_account, op.probe_client)) {
      return Differ(
          ("FindByClientId(" + Num(op.probe_account) + ", " + Num(op.probe_client) + ")").c_str(),
          impl_.FindByClientId(op.probe_account, op.probe_client),
          ref_.FindByClientId(op.probe_account, op.probe_client));
    }
    if (index % options_.snapshot_every == 0 || index == options_.last_index) {
      return CompareSnapshot();
    }
    return "";
  }

  // Full L2 and L3 of both sides and every account's order count.
  std::string CompareSnapshot() {
    std::array<LevelView, 256> la{}, lb{};
    std::array<OrderView, 512> oa{}, ob{};
    for (Side s : {Side::kBuy, Side::kSell}) {
      for (std::size_t cap : {std::size_t{3}, la.size()}) {
        const std::size_t na = impl_.Depth(s, std::span<LevelView>(la.data(), cap));
        const std::size_t nb = ref_.Depth(s, std::span<LevelView>(lb.data(), cap));
        if (na != nb)
          return Fmt("Depth(%s, %zu) count differs: impl %zu, ref %zu", EnumName(s).c_str(), cap,
                     na, nb);
        for (std::size_t i = 0; i < na; ++i) {
          if (la[i] != lb[i])
            return Differ("Depth() level", std::optional(la[i]), std::optional(lb[i]));
        }
      }
      const std::size_t levels = ref_.Depth(s, std::span<LevelView>(lb.data(), lb.size()));
      for (std::size_t i = 0; i < levels; ++i) {
        for (std::size_t cap : {std::size_t{2}, oa.size()}) {
          const std::size_t na = impl_.OrdersAt(s, lb[i].price, std::span(oa.data(), cap));
          const std::size_t nb = ref_.OrdersAt(s, lb[i].price, std::span(ob.data(), cap));
          if (na != nb) {
            return Fmt("OrdersAt(%" PRId64 ", %zu) count differs: impl %zu, ref %zu",
                       lb[i].price.raw(), cap, na, nb);
          }
          for (std::size_t j = 0; j < na; ++j) {
            if (oa[j] != ob[j]) {
              return Differ("OrdersAt() order", std::optional(oa[j]), std::optional(ob[j]));
            }
          }
        }
      }
      // A price with no level answers 0.
      const Ticks nowhere(kMid + 1 + kSpread * 4);
      if (impl_.OrdersAt(s, nowhere, oa) != ref_.OrdersAt(s, nowhere, ob)) {
        return "OrdersAt() of an empty price differs";
      }
    }
    for (std::uint64_t a = 0; a <= kAccounts + 1; ++a) {
      const AccountId acct(a);
      if (impl_.account_order_count(acct) != ref_.account_order_count(acct)) {
        return Fmt("account_order_count(%" PRIu64 ") differs: impl %u, ref %u", a,
                   impl_.account_order_count(acct), ref_.account_order_count(acct));
      }
    }
    return "";
  }

  Options options_;
  OrderBook impl_;
  ReferenceBook ref_;
  std::optional<OrderBook> twin_, copy_;
  Outcome a_, b_, c_, d_;
  Reason check_plain_ = Reason::kOk, check_replaced_ = Reason::kOk, ref_replaced_ = Reason::kOk;
  std::size_t copy_made_at_ = 0;
  Coverage coverage_;
  std::string before_, after_;
};

// -----------------------------------------------------------------------------
// Running, replaying and shrinking.
// -----------------------------------------------------------------------------
struct Failure {
  std::size_t index = 0;  // the failing op; the failing prefix is ops[0..index]
  std::string message;
};

// What the fatal handler prints if the implementation trips a PERPCORE_CHECK.
struct Context {
  std::uint64_t seed = 0;
  std::size_t index = 0;
  const std::vector<Op>* ops = nullptr;
  const char* phase = "";
};
Context g_context;

void OnFatal(const char* condition, const char* file, int line) {
  std::printf("\n[property] PERPCORE_CHECK(%s) failed at %s:%d\n", condition, file, line);
  std::printf("[property] %s seed=0x%" PRIx64 " at op #%zu (failing prefix length %zu)\n",
              g_context.phase, g_context.seed, g_context.index, g_context.index + 1);
  std::printf("[property] rerun: PERPCORE_TEST_SEED=0x%" PRIx64 " PERPCORE_TEST_ITERS=%zu\n",
              g_context.seed, g_context.index + 1);
  if (g_context.ops != nullptr) {
    const std::vector<Op>& ops = *g_context.ops;
    const std::size_t end = std::min(g_context.index + 1, ops.size());
    const std::size_t begin = end > 30 ? end - 30 : 0;
    std::printf("[property] the last %zu ops:\n", end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      std::printf("  /* #%zu */ %s\n", i, ToString(ops[i]).c_str());
    }
  }
  std::fflush(stdout);
  // Returning makes perpcore abort.
}

std::optional<Failure> Replay(const BookConfig& config, Options options,
                              const std::vector<Op>& ops) {
  options.snapshot_every = 1;
  Harness h(config, options);
  const std::vector<Op>* outer = g_context.ops;
  g_context.ops = &ops;
  std::optional<Failure> failure;
  for (std::size_t i = 0; i < ops.size() && !failure; ++i) {
    g_context.index = i;
    std::string err = h.Step(ops[i], i);
    if (!err.empty()) failure = Failure{i, std::move(err)};
  }
  if (!failure && !ops.empty()) {
    std::string err = h.Finish();
    if (!err.empty()) failure = Failure{ops.size() - 1, std::move(err)};
  }
  g_context.ops = outer;
  return failure;
}

// Replays `ops` on fresh books and lists each op with both books' answers,
// so a shrunk repro reads as a story.
std::string Trace(const BookConfig& config, const std::vector<Op>& ops) {
  OrderBook impl(config);
  ReferenceBook ref(config);
  Outcome a, b;
  std::string s;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    Apply(impl, ops[i], &a);
    Apply(ref, ops[i], &b);
    s += Fmt("  /* #%zu */ ", i) + ToString(ops[i]) + "\n";
    const std::string ra = ops[i].kind == OpKind::kPlace ? ToString(a.place) : EnumName(a.reason);
    const std::string rb = ops[i].kind == OpKind::kPlace ? ToString(b.place) : EnumName(b.reason);
    if (ra == rb && a.events == b.events) {
      s += "      // both: " + ra + "\n";
      for (const Event& e : a.events) s += "      //   " + ToString(e) + "\n";
      continue;
    }
    s += "      // impl: " + ra + "\n";
    for (const Event& e : a.events) s += "      //   " + ToString(e) + "\n";
    s += "      // ref:  " + rb + "\n";
    for (const Event& e : b.events) s += "      //   " + ToString(e) + "\n";
  }
  return s;
}

// Delta debugging: drops chunks of ops, halving the chunk size, while the
// stream still fails on fresh books; each failure truncates to its prefix.
std::vector<Op> Shrink(const BookConfig& config, const Options& options, std::vector<Op> ops,
                       std::int64_t budget_ms, Failure* last) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(budget_ms);
  std::size_t chunk = std::max<std::size_t>(ops.size() / 2, 1);
  while (chunk >= 1 && Clock::now() < deadline) {
    bool removed = false;
    for (std::size_t start = 0; start < ops.size() && Clock::now() < deadline;) {
      std::vector<Op> candidate;
      candidate.reserve(ops.size());
      candidate.insert(candidate.end(), ops.begin(),
                       ops.begin() + static_cast<std::ptrdiff_t>(start));
      const std::size_t stop = std::min(ops.size(), start + chunk);
      candidate.insert(candidate.end(), ops.begin() + static_cast<std::ptrdiff_t>(stop), ops.end());
      if (candidate.empty()) {
        start = stop;
        continue;
      }
      std::optional<Failure> f = Replay(config, options, candidate);
      if (f) {
        candidate.resize(f->index + 1);
        ops = std::move(candidate);
        *last = std::move(*f);
        removed = true;
      } else {
        start = stop;
      }
    }
    if (!removed) {
      if (chunk == 1) break;
      chunk /= 2;
    }
  }
  return ops;
}

std::optional<std::uint64_t> EnvU64(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::strtoull(v, nullptr, 0);
}

std::vector<std::uint64_t> Seeds() {
  if (std::optional<std::uint64_t> s = EnvU64("PERPCORE_TEST_SEED")) return {*s};
  return {std::begin(kDefaultSeeds), std::end(kDefaultSeeds)};
}

std::size_t Iterations() {
  std::optional<std::uint64_t> n = EnvU64("PERPCORE_TEST_ITERS");
  return n ? static_cast<std::size_t>(*n) : std::size_t{100000};
}

// Runs one seed's stream; returns "" or a full report of the failure.
std::string RunSeed(const char* property, std::uint64_t seed, std::size_t iters,
                    const Options& options, Coverage* coverage) {
  const BookConfig config = ConfigForSeed(seed);
  std::printf("[property] %s: seed=0x%" PRIx64 " ops=%zu config=%s\n", property, seed, iters,
              ToString(config).c_str());
  std::fflush(stdout);
  g_context = Context{seed, 0, nullptr, property};
  const FatalHandler previous = SetFatalHandler(&OnFatal);

  Generator gen(seed, config);
  Options run = options;
  if (iters > 0) run.last_index = iters - 1;
  Harness h(config, run);
  std::vector<Op> ops;
  ops.reserve(iters);
  g_context.ops = &ops;
  std::optional<Failure> failure;
  for (std::size_t i = 0; i < iters && !failure; ++i) {
    ops.push_back(gen.Next(h.ref()));
    g_context.index = i;
    std::string err = h.Step(ops.back(), i);
    if (!err.empty()) {
      failure = Failure{i, std::move(err)};
    } else {
      gen.Observe(ops.back(), h.ref());
    }
  }
  if (!failure && !ops.empty()) {
    std::string err = h.Finish();
    if (!err.empty()) failure = Failure{ops.size() - 1, std::move(err)};
  }
  Coverage reached = h.coverage();
  reached.AddReference(h.ref());
  coverage->Merge(reached);
  if (!failure) {
    SetFatalHandler(previous);
    return "";
  }
  // The shortest failing prefix: replay with every check after every op.
  ops.resize(failure->index + 1);
  if (std::optional<Failure> first = Replay(config, options, ops)) failure = std::move(first);

  std::string report =
      Fmt("[property] %s: MISMATCH seed=0x%" PRIx64 " at op #%zu: failing prefix length %zu\n",
          property, seed, failure->index, failure->index + 1);
  report += Fmt("[property] rerun: PERPCORE_TEST_SEED=0x%" PRIx64 " PERPCORE_TEST_ITERS=%zu\n",
                seed, failure->index + 1);
  report += "[property] op: " + ToString(ops[failure->index]) + "\n";
  report += "[property] " + failure->message + "\n";
  std::printf("%s", report.c_str());
  std::fflush(stdout);

  ops.resize(failure->index + 1);
  const std::int64_t budget_ms =
      static_cast<std::int64_t>(EnvU64("PERPCORE_TEST_SHRINK_SECONDS").value_or(20)) * 1000;
  Failure last = *failure;
  g_context.phase = "shrinking";
  std::vector<Op> shrunk = Shrink(config, options, ops, budget_ms, &last);
  SetFatalHandler(previous);
  std::string tail = Fmt("[property] shrunk from %zu to %zu ops; it fails with:\n[property] ",
                         ops.size(), shrunk.size());
  tail += last.message + "\n";
  tail += "  " + ToString(config) + "\n";
  tail += options.differential ? Trace(config, shrunk) : [&] {
    std::string list;
    for (std::size_t i = 0; i < shrunk.size(); ++i) {
      list += Fmt("  /* #%zu */ ", i) + ToString(shrunk[i]) + "\n";
    }
    return list;
  }();
  std::printf("%s", tail.c_str());
  std::fflush(stdout);
  return report + tail;
}

// Runs every seed; returns what the streams reached.
Coverage RunProperty(const char* property, const Options& options) {
  const std::size_t iters = Iterations();
  Coverage coverage;
  for (std::uint64_t seed : Seeds()) {
    const std::string report = RunSeed(property, seed, iters, options, &coverage);
    INFO(report);
    CHECK(report.empty());
  }
  std::printf("[property] %s coverage (reference answers):%s\n", property,
              coverage.ToString().c_str());
  return coverage;
}

TEST_CASE("OrderBook: matches the reference book on random command streams", "[book][property]") {
  Options o;
  o.differential = true;
  o.invariants = true;
  const Coverage c = RunProperty("differential", o);
  // With the default seeds and length, the streams reach every outcome (a
  // generator that rots into testing nothing fails here).
  if (!EnvU64("PERPCORE_TEST_SEED") && Iterations() >= 100000) {
    // Every answer of Place, Cancel, CancelByClientId and Amend (kInvalidConfig
    // is the constructor's).
    constexpr Reason kBookAnswers[] = {
        Reason::kOk,                  Reason::kInvalidOrderId,
        Reason::kInvalidAccount,      Reason::kInvalidSide,
        Reason::kInvalidOrderType,    Reason::kInvalidTimeInForce,
        Reason::kInvalidStpMode,      Reason::kInvalidSize,
        Reason::kSizeNotOnStep,       Reason::kSizeAboveMax,
        Reason::kInvalidMaxFill,      Reason::kInvalidPrice,
        Reason::kPriceNotOnStep,      Reason::kPriceOutsideBand,
        Reason::kDuplicateOrderId,    Reason::kDuplicateClientOrderId,
        Reason::kPostOnlyWouldCross,  Reason::kFokNotFilled,
        Reason::kTooManyOrders,       Reason::kTooManyLevels,
        Reason::kBookFull,            Reason::kOverflow,
        Reason::kUnknownOrder,        Reason::kNotOrderOwner,
        Reason::kAmendNoChange,       Reason::kAmendWouldCross,
        Reason::kInvalidClientOrderId,
    };
    for (const Reason r : kBookAnswers) {
      INFO("reason " << EnumName(r));
      CHECK(c.reasons.contains(r));
    }
    for (std::size_t k = 0; k <= static_cast<std::size_t>(EventKind::kAmended); ++k) {
      INFO("event kind " << EnumName(static_cast<EventKind>(k)));
      CHECK(c.kinds[k] > 0);
    }
    for (std::size_t k = 0; k <= static_cast<std::size_t>(CancelReason::kMaxFill); ++k) {
      INFO("cancel reason " << EnumName(static_cast<CancelReason>(k)));
      CHECK(c.cancel_reasons[k] > 0);
    }
    CHECK(c.kept > 0);
    CHECK(c.requeued > 0);
    CHECK(c.slid > 0);
    CHECK(c.tightened > 0);
    CHECK(c.freed_by_replace > 0);
    for (std::size_t m = 0; m < c.cross_account_stp.size(); ++m) {
      INFO("cross-account STP with " << EnumName(static_cast<StpMode>(m)));
      CHECK(c.cross_account_stp[m] > 0);
    }
    CHECK(c.group_equals_account_fills > 0);
  }
  // Shorter runs (the sanitizer build's) must still reach STP across accounts.
  if (!EnvU64("PERPCORE_TEST_SEED") && Iterations() >= 10000) {
    std::uint64_t cross = 0;
    for (std::uint64_t n : c.cross_account_stp) cross += n;
    CHECK(cross > 0);
  }
}

TEST_CASE("OrderBook: a refused request leaves the canonical encoding unchanged",
          "[book][property]") {
  Options o;
  o.refusal = true;
  RunProperty("refusal", o);
}

TEST_CASE("OrderBook: books fed the same stream end with the same digest", "[book][property]") {
  Options o;
  o.twins = true;
  RunProperty("determinism", o);
}

TEST_CASE("ReferenceBook: a refused request leaves it unchanged", "[book][property]") {
  // A self-check of the reference on the same streams: its answers to every
  // query are compared before and after each refused op.
  for (std::uint64_t seed : Seeds()) {
    const BookConfig config = ConfigForSeed(seed);
    Generator gen(seed, config);
    ReferenceBook ref(config);
    const std::size_t iters = std::min<std::size_t>(Iterations(), 20000);
    std::size_t refused = 0;
    for (std::size_t i = 0; i < iters; ++i) {
      const Op op = gen.Next(ref);
      const ReferenceBook before = ref;
      Outcome out;
      Apply(ref, op, &out);
      if (out.reason != Reason::kOk) {
        ++refused;
        INFO("seed " << seed << " op #" << i << ": " << ToString(op));
        REQUIRE(out.events.empty());
        REQUIRE(ref.order_count() == before.order_count());
        for (Side s : {Side::kBuy, Side::kSell}) {
          std::array<LevelView, 256> x{}, y{};
          REQUIRE(ref.Depth(s, x) == before.Depth(s, y));
          REQUIRE(x == y);
        }
      }
      gen.Observe(op, ref);
    }
    CHECK(refused > 0);
  }
}

}  // namespace
}  // namespace perpcore
