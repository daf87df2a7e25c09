// -----------------------------------------------------------------------------
// File: tests/support/reference_book.hpp
// -----------------------------------------------------------------------------
//
// A deliberately simple reference order book for differential tests and for
// the benchmark's speed ratio. It is written from the contract in
// perpcore/book/types.hpp and perpcore/book/order_book.hpp only, never from
// src/book: std::map ladders of std::deque queues, linear scans, every check
// spelled out in the documented order. Speed is not a goal; being obviously
// right is.
//
// Units: Ticks and Lots (raw int64 inside). Rounding: the band edges only,
// lo = ceil(ref * (1 - band)), hi = floor(ref * (1 + band)), in 128 bits.
// Thread safety: not thread-safe. Header-only; no test framework dependency.
//
// BookConfig::expected_orders and hash_seed have no observable effect and are
// ignored here.
//
// Readings chosen where the header leaves room (marked R<n> in the code):
//   R1. Check 2: all four enumerators are validated first; the "market order
//       must be IOC or FOK" rule comes after them.
//   R2. The band is active iff a reference price is set (> 0) and
//       BookConfig::price_band > 0 ("0 = no band"). Edges are clamped to int64.
//   R3. (Now documented in types.hpp.) The incoming order's events carry
//       its effective price: band-tightened protection, or a slid post-only
//       order's new price, the kMaxFill cut included.
//   R4. The kMaxFill cut's `remaining` is the effective size min(size,
//       max_fill) for every order (0 when max_fill is 0).
//   R5. FOK succeeds iff the walk trades the whole effective size: an STP
//       decrement of the taker counts as not filled. Check 8's "would rest a
//       remainder", in contrast, is the size left after fills AND decrements.
//   R6. STP events come maker first, then taker (cancel-both, and
//       decrement-and-cancel in all three size cases); the taker's own
//       kCanceled(kSelfTrade) is its final event.
//   R7. Events other than kFill leave the maker_* fields zero; events other
//       than kCanceled/kReduced carry reason kUser (the zero value).
//   R8. PlaceResult::rest_price is Ticks(0) when nothing rests; a refused
//       request returns only its reason (all other fields zero).
//   R9. Amend never changes an order's place in its account's placement
//       order (the order CancelAll uses).
//   R10. A post-only slide whose new price would leave int64 is refused with
//       kPriceOutsideBand.
//   R11. Every mutating call (SetReferencePrice and refused requests
//       included) replaces events(); a call that emits nothing leaves it empty.
//   R12. Cancel/CancelByClientId/Amend do not check account 0 on their own
//       (account 0 owns nothing: kNotOrderOwner / kUnknownOrder); CancelAll
//       writes *canceled = 0 when refused.
//   R13. STP groups (OrderRequest::stp_group) are modelled as the header
//       words them, as sets of tagged keys: an order's keys are
//       (account, its id) and, if stp_group != 0, (group, stp_group); a pair
//       of orders self-trades iff the sets intersect (StpKeys/ShareStpKey).
//       The group is the one given at placement; amend keeps it.
//   R14. The match cap counts every resting order the taker meets in
//       Execute's loop (a fill, an STP cancel or reduction of a maker; the
//       cancel-taker and cancel-both stops too, which end the walk anyway).
//       Before meeting one more order at max_matches_per_order met, the
//       taker stops; its remainder is cancelled (kMatchLimit) for every time
//       in force, since an order to meet, which crosses, is left.
//
// Counters for test coverage (they change nothing): how many times STP
// triggered between orders of different accounts (by the taker's StpMode),
// and how many fills were between an order with an explicit group G and an
// order without one whose account id is G (ids that collide by number only).
//
// Example:
//   perpcore::testing::ReferenceBook ref(perpcore::book::BookConfig{});
//   perpcore::book::PlaceResult r = ref.Place(request);
//   for (const perpcore::book::Event& e : ref.events()) { ... }
#ifndef PERPCORE_TESTS_SUPPORT_REFERENCE_BOOK_HPP_
#define PERPCORE_TESTS_SUPPORT_REFERENCE_BOOK_HPP_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "absl/numeric/int128.h"
#include "perpcore/book/order_book.hpp"
#include "perpcore/book/types.hpp"

namespace perpcore::testing {

// ReferenceBook
//
// Same public operations and result types as perpcore::book::OrderBook.
// Not thread-safe.
class ReferenceBook {
 public:
  using Side = book::Side;
  using Reason = perpcore::Reason;
  using Event = book::Event;
  using EventKind = book::EventKind;
  using CancelReason = book::CancelReason;
  using TimeInForce = book::TimeInForce;
  using OrderType = book::OrderType;
  using StpMode = book::StpMode;

  explicit ReferenceBook(const book::BookConfig& config) : config_(config) {}

  // ---------------------------------------------------------------- Place
  book::PlaceResult Place(const book::OrderRequest& o) {
    events_.clear();
    std::int64_t price = 0;  // effective: tightened (market) or slid (post-only)
    const Reason r = CheckNew(o, &price);
    book::PlaceResult result;
    result.reason = r;
    if (r != Reason::kOk) return result;  // R8
    return Execute(o, price);
  }

  // --------------------------------------------------------------- Cancel
  Reason Cancel(AccountId account, OrderId id) {
    events_.clear();
    const RefOrder* o = FindOrder(id);
    if (o == nullptr) return Reason::kUnknownOrder;
    if (o->account != account) return Reason::kNotOrderOwner;
    CancelResting(id, CancelReason::kUser);
    return Reason::kOk;
  }

  Reason CancelByClientId(AccountId account, ClientOrderId client_id) {
    events_.clear();
    if (client_id == 0) return Reason::kInvalidClientOrderId;
    const RefOrder* o = FindClient(account, client_id);
    if (o == nullptr) return Reason::kUnknownOrder;
    CancelResting(o->id, CancelReason::kUser);
    return Reason::kOk;
  }

  Reason CancelAll(AccountId account, std::uint32_t* canceled = nullptr) {
    events_.clear();
    if (canceled != nullptr) *canceled = 0;  // R12
    if (account == 0) return Reason::kInvalidAccount;
    std::vector<OrderId> ids;
    auto it = placement_.find(account);
    if (it != placement_.end()) ids = it->second;  // a copy: cancelling edits it
    for (OrderId id : ids) CancelResting(id, CancelReason::kCancelAll);
    if (canceled != nullptr) *canceled = static_cast<std::uint32_t>(ids.size());
    return Reason::kOk;
  }

  // ---------------------------------------------------------------- Amend
  Reason Amend(const book::AmendRequest& a) {
    events_.clear();
    const RefOrder* found = FindOrder(a.id);
    if (found == nullptr) return Reason::kUnknownOrder;
    if (found->account != a.account) return Reason::kNotOrderOwner;
    const RefOrder old = *found;
    const std::int64_t size = a.new_size.raw();
    const std::int64_t price = a.new_price.raw();
    if (size <= 0) return Reason::kInvalidSize;
    if (size % config_.size_step.raw() != 0) return Reason::kSizeNotOnStep;
    if (size > config_.max_order_size.raw()) return Reason::kSizeAboveMax;
    if (price <= 0) return Reason::kInvalidPrice;
    if (price % config_.price_step.raw() != 0) return Reason::kPriceNotOnStep;
    const bool price_changed = price != old.price;
    if (price_changed && !InBand(price)) return Reason::kPriceOutsideBand;
    if (!price_changed && size == old.remaining) return Reason::kAmendNoChange;
    if (price_changed && CrossesOppositeBest(old.side, price)) return Reason::kAmendWouldCross;
    const Ladder& own = LadderOf(old.side);
    if (price_changed && own.find(price) == own.end()) {
      std::size_t levels = own.size();
      if (own.at(old.price).size() == 1) --levels;  // its old level would be freed
      if (levels >= config_.max_levels_per_side) return Reason::kTooManyLevels;
    }
    if (price_changed) {
      if (LevelTotal(old.side, price) > kMax - size) return Reason::kOverflow;
    } else {
      if (LevelTotal(old.side, price) - old.remaining > kMax - size) return Reason::kOverflow;
    }

    const bool keep = !price_changed && size < old.remaining;
    if (keep) {
      const_cast<RefOrder&>(Live(a.id)).remaining = size;
    } else {
      // Re-queue at the back of the (new) level with a fresh stamp; its
      // place in placement_ stays (R9).
      RefOrder moved = old;
      EraseFromQueue(old.side, old.price, old.id);
      moved.price = price;
      moved.remaining = size;
      moved.priority = next_priority_++;
      LadderOf(old.side)[price].push_back(moved);
      where_[moved.id] = price;
    }
    Event e = BaseEvent(EventKind::kAmended, old.side, old.id, old.account, price);
    e.size = Lots(old.remaining);
    e.remaining = Lots(size);
    e.priority_kept = keep;
    events_.push_back(e);
    return Reason::kOk;
  }

  // ---------------------------------------------------- SetReferencePrice
  Reason SetReferencePrice(Ticks reference) {
    events_.clear();  // R11
    if (reference.raw() < 0) return Reason::kInvalidPrice;
    reference_ = reference;
    return Reason::kOk;
  }

  const std::vector<Event>& events() const { return events_; }

  // -------------------------------------------------------------- Queries
  std::optional<book::LevelView> Best(Side side) const {
    const Ladder& l = LadderOf(side);
    if (l.empty()) return std::nullopt;
    return View(l.begin()->first, l.begin()->second);
  }
  std::optional<Ticks> BestBid() const { return BestPrice(Side::kBuy); }
  std::optional<Ticks> BestAsk() const { return BestPrice(Side::kSell); }

  std::size_t Depth(Side side, std::span<book::LevelView> out) const {
    std::size_t n = 0;
    for (const auto& [price, queue] : LadderOf(side)) {
      if (n == out.size()) break;
      out[n++] = View(price, queue);
    }
    return n;
  }

  std::size_t OrdersAt(Side side, Ticks price, std::span<book::OrderView> out) const {
    const Ladder& l = LadderOf(side);
    auto it = l.find(price.raw());
    if (it == l.end()) return 0;
    std::size_t n = 0;
    for (const RefOrder& o : it->second) {
      if (n == out.size()) break;
      out[n++] = View(o);
    }
    return n;
  }

  std::optional<book::OrderView> Find(OrderId id) const {
    const RefOrder* o = FindOrder(id);
    if (o == nullptr) return std::nullopt;
    return View(*o);
  }

  std::optional<book::OrderView> FindByClientId(AccountId account, ClientOrderId client_id) const {
    if (client_id == 0) return std::nullopt;
    const RefOrder* o = FindClient(account, client_id);
    if (o == nullptr) return std::nullopt;
    return View(*o);
  }

  std::size_t order_count() const { return where_.size(); }
  std::size_t level_count(Side side) const { return LadderOf(side).size(); }
  std::uint32_t account_order_count(AccountId account) const {
    auto it = placement_.find(account);
    return it == placement_.end() ? 0u : static_cast<std::uint32_t>(it->second.size());
  }
  // The live order ids of `account`, in placement order.
  std::vector<OrderId> OrderIdsOf(AccountId account) const {
    auto it = placement_.find(account);
    return it == placement_.end() ? std::vector<OrderId>{} : it->second;
  }
  const book::BookConfig& config() const { return config_; }
  Ticks reference_price() const { return reference_; }

  // Coverage counters (see the file comment).
  std::uint64_t cross_account_stp(StpMode mode) const {
    return cross_account_stp_[static_cast<std::size_t>(mode)];
  }
  std::uint64_t group_equals_account_fills() const { return group_equals_account_fills_; }

 private:
  static constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  static constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

  struct RefOrder {
    OrderId id = 0;
    AccountId account = 0;
    ClientOrderId client_id = 0;
    Side side = Side::kBuy;
    std::int64_t price = 0;
    std::int64_t remaining = 0;
    std::uint64_t priority = 0;
    std::uint64_t stp_group = 0;
  };

  // R13: the STP keys of an order, tagged so that an account id and a group
  // id with the same number are different keys. Up to two keys; no
  // allocation, so the benchmark's reference timing is not distorted.
  enum class KeyKind : std::uint8_t { kAccount, kGroup };
  struct StpKey {
    KeyKind kind;
    std::uint64_t value;
    bool operator==(const StpKey&) const = default;
  };
  struct StpKeys {
    std::array<StpKey, 2> keys;
    std::size_t n;
  };
  static StpKeys KeysOf(AccountId account, std::uint64_t stp_group) {
    StpKeys k{{StpKey{KeyKind::kAccount, account.value()}, StpKey{KeyKind::kGroup, stp_group}}, 1};
    if (stp_group != 0) k.n = 2;
    return k;
  }
  static bool ShareStpKey(const RefOrder& maker, const book::OrderRequest& taker) {
    const StpKeys a = KeysOf(maker.account, maker.stp_group);
    const StpKeys b = KeysOf(taker.account, taker.stp_group);
    for (std::size_t i = 0; i < a.n; ++i) {
      for (std::size_t j = 0; j < b.n; ++j) {
        if (a.keys[i] == b.keys[j]) return true;
      }
    }
    return false;
  }

  // Orders a ladder best first: bids descending, asks ascending.
  struct BestFirst {
    bool descending = false;
    bool operator()(std::int64_t a, std::int64_t b) const { return descending ? a > b : a < b; }
  };
  using Ladder = std::map<std::int64_t, std::deque<RefOrder>, BestFirst>;

  // The outcome of walking the opposite side without changing it.
  struct Walk {
    std::int64_t filled = 0;
    std::int64_t remaining = 0;    // after fills and STP decrements
    bool taker_cancelled = false;  // STP would cancel the taker
    bool capped = false;           // R14: stopped at the match cap
  };

  // ------------------------------------------------------------- helpers
  static bool IsLimit(const book::OrderRequest& o) { return o.type == OrderType::kLimit; }
  static bool IsPostOnly(TimeInForce t) {
    return t == TimeInForce::kPostOnly || t == TimeInForce::kPostOnlySlide;
  }
  // True if an order of `taker` side limited at `limit` trades with a maker at `maker_price`.
  static bool Crosses(Side taker, std::int64_t limit, std::int64_t maker_price) {
    return taker == Side::kBuy ? maker_price <= limit : maker_price >= limit;
  }

  Ladder& LadderOf(Side s) { return s == Side::kBuy ? bids_ : asks_; }
  const Ladder& LadderOf(Side s) const { return s == Side::kBuy ? bids_ : asks_; }

  std::optional<Ticks> BestPrice(Side side) const {
    const Ladder& l = LadderOf(side);
    if (l.empty()) return std::nullopt;
    return Ticks(l.begin()->first);
  }

  bool CrossesOppositeBest(Side side, std::int64_t price) const {
    std::optional<Ticks> best = BestPrice(book::Opposite(side));
    return best.has_value() && Crosses(side, price, best->raw());
  }

  std::int64_t LevelTotal(Side side, std::int64_t price) const {
    const Ladder& l = LadderOf(side);
    auto it = l.find(price);
    if (it == l.end()) return 0;
    std::int64_t total = 0;
    for (const RefOrder& o : it->second) total += o.remaining;
    return total;
  }

  static book::LevelView View(std::int64_t price, const std::deque<RefOrder>& q) {
    book::LevelView v;
    v.price = Ticks(price);
    std::int64_t total = 0;
    for (const RefOrder& o : q) total += o.remaining;
    v.total = Lots(total);
    v.orders = static_cast<std::uint32_t>(q.size());
    return v;
  }
  static book::OrderView View(const RefOrder& o) {
    book::OrderView v;
    v.id = o.id;
    v.account = o.account;
    v.client_id = o.client_id;
    v.side = o.side;
    v.price = Ticks(o.price);
    v.remaining = Lots(o.remaining);
    v.priority = o.priority;
    v.stp_group = o.stp_group;
    return v;
  }

  // Band (R2): lo = ceil(ref*(1e18-band)/1e18), hi = floor(ref*(1e18+band)/1e18).
  bool BandActive() const { return reference_.raw() > 0 && config_.price_band.raw() > 0; }
  static std::int64_t Clamp(absl::int128 v) {
    if (v > absl::int128(kMax)) return kMax;
    if (v < absl::int128(kMin)) return kMin;
    return static_cast<std::int64_t>(v);
  }
  static absl::int128 FloorDiv(absl::int128 n, absl::int128 d) {  // d > 0
    absl::int128 q = n / d;
    if (n % d != 0 && n < 0) q -= 1;
    return q;
  }
  static absl::int128 CeilDiv(absl::int128 n, absl::int128 d) {  // d > 0
    absl::int128 q = n / d;
    if (n % d != 0 && n > 0) q += 1;
    return q;
  }
  std::int64_t BandLo() const {
    const absl::int128 scale(kRateScale);
    return Clamp(
        CeilDiv(absl::int128(reference_.raw()) * (scale - config_.price_band.raw()), scale));
  }
  std::int64_t BandHi() const {
    const absl::int128 scale(kRateScale);
    return Clamp(
        FloorDiv(absl::int128(reference_.raw()) * (scale + config_.price_band.raw()), scale));
  }
  bool InBand(std::int64_t price) const {
    return !BandActive() || (BandLo() <= price && price <= BandHi());
  }

  const RefOrder* FindOrder(OrderId id) const {
    auto w = where_.find(id);
    if (w == where_.end()) return nullptr;
    for (Side s : {Side::kBuy, Side::kSell}) {
      const Ladder& l = LadderOf(s);
      auto lv = l.find(w->second);
      if (lv == l.end()) continue;
      for (const RefOrder& o : lv->second) {
        if (o.id == id) return &o;
      }
    }
    return nullptr;  // unreachable while where_ is consistent
  }
  // The live order `id`, which must exist (a broken reference aborts).
  const RefOrder& Live(OrderId id) const {
    const RefOrder* o = FindOrder(id);
    if (o == nullptr) std::abort();
    return *o;
  }

  const RefOrder* FindClient(AccountId account, ClientOrderId client_id) const {
    auto it = placement_.find(account);
    if (it == placement_.end()) return nullptr;
    for (OrderId id : it->second) {
      const RefOrder* o = FindOrder(id);
      if (o != nullptr && o->client_id == client_id) return o;
    }
    return nullptr;
  }

  static Event BaseEvent(EventKind kind, Side side, OrderId id, AccountId account,
                         std::int64_t price) {
    Event e;  // R7: maker_* zero, reason kUser, priority_kept false
    e.kind = kind;
    e.side = side;
    e.order_id = id;
    e.account = account;
    e.price = Ticks(price);
    return e;
  }
  void PushCancel(Side side, OrderId id, AccountId account, std::int64_t price, std::int64_t size,
                  std::int64_t remaining, CancelReason reason) {
    Event e = BaseEvent(EventKind::kCanceled, side, id, account, price);
    e.size = Lots(size);
    e.remaining = Lots(remaining);
    e.reason = reason;
    events_.push_back(e);
  }
  void PushReduced(Side side, OrderId id, AccountId account, std::int64_t price,
                   std::int64_t decrement, std::int64_t remaining) {
    Event e = BaseEvent(EventKind::kReduced, side, id, account, price);
    e.size = Lots(decrement);
    e.remaining = Lots(remaining);
    e.reason = CancelReason::kSelfTrade;
    events_.push_back(e);
  }

  // Removes a resting order from its queue only (its level goes if empty).
  void EraseFromQueue(Side side, std::int64_t price, OrderId id) {
    Ladder& l = LadderOf(side);
    auto lv = l.find(price);
    std::deque<RefOrder>& q = lv->second;
    for (auto it = q.begin(); it != q.end(); ++it) {
      if (it->id == id) {
        q.erase(it);
        break;
      }
    }
    if (q.empty()) l.erase(lv);
  }
  // Removes a resting order from every structure.
  void RemoveOrder(OrderId id) {
    const RefOrder o = Live(id);
    EraseFromQueue(o.side, o.price, id);
    where_.erase(id);
    std::vector<OrderId>& ids = placement_[o.account];
    ids.erase(std::find(ids.begin(), ids.end(), id));
    if (ids.empty()) placement_.erase(o.account);
  }
  void CancelResting(OrderId id, CancelReason reason) {
    const RefOrder o = Live(id);
    PushCancel(o.side, o.id, o.account, o.price, o.remaining, 0, reason);
    RemoveOrder(id);
  }

  // Walks the opposite side in matching order, counting STP, changing nothing.
  Walk Simulate(const book::OrderRequest& o, std::int64_t limit, std::int64_t want) const {
    Walk w;
    w.remaining = want;
    std::uint64_t met = 0;
    for (const auto& [price, queue] : LadderOf(book::Opposite(o.side))) {
      if (w.remaining == 0 || !Crosses(o.side, limit, price)) break;
      for (const RefOrder& m : queue) {
        if (w.remaining == 0) break;
        if (met == config_.max_matches_per_order) {  // R14
          w.capped = true;
          return w;
        }
        ++met;
        if (!ShareStpKey(m, o)) {
          const std::int64_t take = std::min(w.remaining, m.remaining);
          w.filled += take;
          w.remaining -= take;
          continue;
        }
        switch (o.stp) {
          case StpMode::kCancelMaker: break;  // the maker goes; keep walking
          case StpMode::kCancelTaker:
          case StpMode::kCancelBoth: w.taker_cancelled = true; return w;
          case StpMode::kDecrementAndCancel:
            if (m.remaining < w.remaining) {
              w.remaining -= m.remaining;
            } else {
              w.taker_cancelled = true;
              return w;
            }
            break;
        }
      }
    }
    return w;
  }

  // Checks 1-8 of the file comment of order_book.hpp, in order.
  Reason CheckNew(const book::OrderRequest& o, std::int64_t* effective_price) const {
    // 1.
    if (o.id == 0) return Reason::kInvalidOrderId;
    if (o.account == 0) return Reason::kInvalidAccount;
    // 2. (R1: enumerators first, then the market/TIF rule)
    if (static_cast<unsigned>(o.side) > 1u) return Reason::kInvalidSide;
    if (static_cast<unsigned>(o.type) > 1u) return Reason::kInvalidOrderType;
    if (static_cast<unsigned>(o.tif) > 4u) return Reason::kInvalidTimeInForce;
    if (static_cast<unsigned>(o.stp) > 3u) return Reason::kInvalidStpMode;
    if (o.type == OrderType::kMarket && o.tif != TimeInForce::kIoc && o.tif != TimeInForce::kFok) {
      return Reason::kInvalidTimeInForce;
    }
    // 3.
    const std::int64_t size = o.size.raw();
    if (size <= 0) return Reason::kInvalidSize;
    if (size % config_.size_step.raw() != 0) return Reason::kSizeNotOnStep;
    if (size > config_.max_order_size.raw()) return Reason::kSizeAboveMax;
    if (o.max_fill.raw() < 0) return Reason::kInvalidMaxFill;
    // 4.
    std::int64_t price = o.price.raw();
    if (price <= 0) return Reason::kInvalidPrice;
    if (price % config_.price_step.raw() != 0) return Reason::kPriceNotOnStep;
    if (BandActive()) {
      if (IsLimit(o)) {
        if (price < BandLo() || price > BandHi()) return Reason::kPriceOutsideBand;
      } else if (o.side == Side::kBuy) {
        price = std::min(price, BandHi());
      } else {
        price = std::max(price, BandLo());
      }
    }
    // 5.
    if (where_.count(o.id) != 0) return Reason::kDuplicateOrderId;
    if (o.client_id != 0 && FindClient(o.account, o.client_id) != nullptr) {
      return Reason::kDuplicateClientOrderId;
    }
    // 6.
    if (o.tif == TimeInForce::kPostOnly && CrossesOppositeBest(o.side, price)) {
      return Reason::kPostOnlyWouldCross;
    }
    if (o.tif == TimeInForce::kPostOnlySlide && CrossesOppositeBest(o.side, price)) {
      const std::int64_t best = BestPrice(book::Opposite(o.side))->raw();
      const absl::int128 slid = o.side == Side::kBuy
                                    ? absl::int128(best) - config_.price_step.raw()
                                    : absl::int128(best) + config_.price_step.raw();
      if (slid <= 0 || slid > absl::int128(kMax)) return Reason::kPriceOutsideBand;  // R10
      price = static_cast<std::int64_t>(slid);
      if (!InBand(price)) return Reason::kPriceOutsideBand;
    }
    // 7.
    const std::int64_t want = std::min(size, o.max_fill.raw());
    if (o.tif == TimeInForce::kFok) {
      const Walk w = Simulate(o, price, want);
      if (w.taker_cancelled || w.capped || w.filled != want) return Reason::kFokNotFilled;
    }
    // 8. Counts before matching.
    std::int64_t rest = 0;
    if (IsPostOnly(o.tif)) {
      rest = want;
    } else if (IsLimit(o) && o.tif == TimeInForce::kGtc) {
      const Walk w = Simulate(o, price, want);
      rest = w.taker_cancelled || w.capped ? 0 : w.remaining;  // R5, R14
    }
    if (rest > 0) {
      if (order_count() >= config_.max_book_orders) return Reason::kBookFull;
      if (account_order_count(o.account) >= config_.max_orders_per_account) {
        return Reason::kTooManyOrders;
      }
      const Ladder& own = LadderOf(o.side);
      if (own.find(price) == own.end() && own.size() >= config_.max_levels_per_side) {
        return Reason::kTooManyLevels;
      }
      if (LevelTotal(o.side, price) > kMax - rest) return Reason::kOverflow;
    }
    *effective_price = price;
    return Reason::kOk;
  }

  // Runs an accepted order: cut, match, then rest or cancel the remainder.
  book::PlaceResult Execute(const book::OrderRequest& o, std::int64_t price) {
    const std::int64_t size = o.size.raw();
    const std::int64_t want = std::min(size, o.max_fill.raw());
    if (want < size) {  // R4
      PushCancel(o.side, o.id, o.account, price, size - want, want, CancelReason::kMaxFill);
    }
    std::int64_t rem = want;
    std::int64_t filled = 0;
    bool taker_cancelled = false;
    Ladder& opp = LadderOf(book::Opposite(o.side));
    const bool matches = !IsPostOnly(o.tif);
    std::uint64_t met = 0;
    bool capped = false;
    while (matches && rem > 0 && !taker_cancelled && !opp.empty()) {
      auto level = opp.begin();
      if (!Crosses(o.side, price, level->first)) break;
      if (met == config_.max_matches_per_order) {  // R14
        capped = true;
        break;
      }
      ++met;
      RefOrder& m = level->second.front();
      if (!ShareStpKey(m, o)) {
        if ((m.stp_group != 0 && o.stp_group == 0 && m.stp_group == o.account.value()) ||
            (o.stp_group != 0 && m.stp_group == 0 && o.stp_group == m.account.value())) {
          ++group_equals_account_fills_;
        }
        const std::int64_t take = std::min(rem, m.remaining);
        rem -= take;
        m.remaining -= take;
        filled += take;
        Event e = BaseEvent(EventKind::kFill, o.side, o.id, o.account, m.price);
        e.size = Lots(take);
        e.remaining = Lots(rem);
        e.maker_order_id = m.id;
        e.maker_account = m.account;
        e.maker_remaining = Lots(m.remaining);
        events_.push_back(e);
        if (m.remaining == 0) RemoveOrder(m.id);
        continue;
      }
      // Self-trade prevention, by the taker's mode (R6: maker first).
      if (m.account != o.account) ++cross_account_stp_[static_cast<std::size_t>(o.stp)];
      switch (o.stp) {
        case StpMode::kCancelMaker: CancelResting(m.id, CancelReason::kSelfTrade); break;
        case StpMode::kCancelTaker:
          PushCancel(o.side, o.id, o.account, price, rem, 0, CancelReason::kSelfTrade);
          rem = 0;
          taker_cancelled = true;
          break;
        case StpMode::kCancelBoth:
          CancelResting(m.id, CancelReason::kSelfTrade);
          PushCancel(o.side, o.id, o.account, price, rem, 0, CancelReason::kSelfTrade);
          rem = 0;
          taker_cancelled = true;
          break;
        case StpMode::kDecrementAndCancel:
          if (m.remaining < rem) {
            const std::int64_t d = m.remaining;
            CancelResting(m.id, CancelReason::kSelfTrade);
            rem -= d;
            PushReduced(o.side, o.id, o.account, price, d, rem);
          } else if (m.remaining == rem) {
            CancelResting(m.id, CancelReason::kSelfTrade);
            PushCancel(o.side, o.id, o.account, price, rem, 0, CancelReason::kSelfTrade);
            rem = 0;
            taker_cancelled = true;
          } else {
            m.remaining -= rem;
            PushReduced(m.side, m.id, m.account, m.price, rem, m.remaining);
            PushCancel(o.side, o.id, o.account, price, rem, 0, CancelReason::kSelfTrade);
            rem = 0;
            taker_cancelled = true;
          }
          break;
      }
    }

    book::PlaceResult result;
    result.filled = Lots(filled);
    if (taker_cancelled || rem == 0) return result;
    if (capped) {
      PushCancel(o.side, o.id, o.account, price, rem, 0, CancelReason::kMatchLimit);
      return result;
    }
    if (IsLimit(o) && (o.tif == TimeInForce::kGtc || IsPostOnly(o.tif))) {
      RefOrder r;
      r.id = o.id;
      r.account = o.account;
      r.client_id = o.client_id;
      r.side = o.side;
      r.price = price;
      r.remaining = rem;
      r.priority = next_priority_++;
      r.stp_group = o.stp_group;
      LadderOf(o.side)[price].push_back(r);
      where_[o.id] = price;
      placement_[o.account].push_back(o.id);
      Event e = BaseEvent(EventKind::kRested, o.side, o.id, o.account, price);
      e.size = Lots(rem);
      e.remaining = Lots(rem);
      events_.push_back(e);
      result.rested = Lots(rem);
      result.rest_price = Ticks(price);
    } else {
      PushCancel(o.side, o.id, o.account, price, rem, 0, CancelReason::kUnfilledRemainder);
    }
    return result;
  }

  book::BookConfig config_;
  Ticks reference_{0};
  std::uint64_t next_priority_ = 1;
  Ladder bids_{BestFirst{true}};
  Ladder asks_{BestFirst{false}};
  std::map<OrderId, std::int64_t> where_;                // id -> price (side from the order)
  std::map<AccountId, std::vector<OrderId>> placement_;  // placement order, for CancelAll
  std::vector<Event> events_;
  std::uint64_t cross_account_stp_[4] = {};
  std::uint64_t group_equals_account_fills_ = 0;
};

}  // namespace perpcore::testing

#endif  // PERPCORE_TESTS_SUPPORT_REFERENCE_BOOK_HPP_
