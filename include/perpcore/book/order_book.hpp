// -----------------------------------------------------------------------------
// File: perpcore/book/order_book.hpp
// -----------------------------------------------------------------------------
//
// The order book of one market: price-time priority matching of limit and
// market orders with GTC/IOC/FOK/post-only, self-trade prevention (per account
// or per STP group of accounts: OrderRequest::stp_group), amend, cancel by
// id / client id / account, and the limits an exchange enforces.
// The book knows nothing of margin or balances: the engine checks risk first,
// asks the book to match, and settles the fills it gets back.
//
// Units: Ticks and Lots. Rounding: none (the book only adds and compares).
// Thread safety: not thread-safe. Determinism: integer-only; no iteration over
//   a hash container reaches events or the canonical encoding.
// Memory: orders, levels and the account records live in pools
//   that grow to their high-water mark and are then reused, so steady-state
//   operation does not allocate. The pools grow a chunk at a time and never move a record, and the lookup
//   indexes grow incrementally (detail/chunked_vector.hpp, slot_index.hpp),
//   so no operation pays for the size of the book when it grows.
//
// Placing an order runs these checks, in this order; the first that fails is
// the returned Reason and nothing changes:
//   1. id != 0 (kInvalidOrderId); account != 0 (kInvalidAccount);
//   2. enumerators valid (kInvalidSide, kInvalidOrderType,
//      kInvalidTimeInForce, kInvalidStpMode); a market order must be IOC or
//      FOK (kInvalidTimeInForce);
//   3. size > 0 (kInvalidSize), a multiple of size_step (kSizeNotOnStep),
//      <= max_order_size (kSizeAboveMax); max_fill >= 0 (kInvalidMaxFill);
//   4. price > 0 (kInvalidPrice), a multiple of price_step (kPriceNotOnStep);
//      with a reference price set, a limit price must lie in the band
//      (kPriceOutsideBand), and a market order's protection price is
//      tightened to the band edge;
//   5. the id is not live (kDuplicateOrderId); a non-zero client id is not
//      live for the account (kDuplicateClientOrderId);
//   6. post-only: crossing the opposite best is kPostOnlyWouldCross; a slide
//      order is re-priced to one price_step behind the opposite best, and the
//      new price must be > 0 and in the band (kPriceOutsideBand);
//   7. FOK: the whole effective size (min(size, max_fill)) must be fillable
//      now, counting self-trade prevention: orders of its STP group skipped
//      by cancel-maker are not liquidity, and any decrement-and-cancel
//      reduction fails the order (kFokNotFilled); and within the match cap
//      (below), else kFokNotFilled too;
//   8. if the order would rest a remainder: the book is below max_book_orders
//      (kBookFull), the account below max_orders_per_account (kTooManyOrders),
//      the price has a level or the side is below max_levels_per_side
//      (kTooManyLevels), and the level total stays in int64 (kOverflow).
//      These use the counts before the order matches; "would rest" means a
//      remainder is left after fills and decrement-and-cancel reductions.
// Then the order executes, emitting events in this order: the kMaxFill cut (if
// max_fill < size), then fills and self-trade cancels/reductions in matching
// order (best price first, then time priority), then the taker's final event:
// kRested for a remainder that rests, or kCanceled (kUnfilledRemainder) for an
// IOC/market remainder. A taker cancelled by self-trade prevention has its
// kCanceled (kSelfTrade) instead.
// The match cap: a taker meets at most config().max_matches_per_order
// resting orders (a fill, or a resting order that self-trade prevention
// cancels or reduces, is one). If it still has lots when it reaches the cap
// and a resting order it would meet next is left, its remainder is cancelled
// (kCanceled, kMatchLimit), whatever its time in force: it never rests
// crossing the book. So one order's work and events are O(cap).
// CheckPlace() runs checks 1-8 without placing, optionally as if one live
// order of the same account were cancelled first (an atomic cancel-replace).
//
// Example:
//   OrderBook book(BookConfig{});
//   PlaceResult r = book.Place({.id = 1, .account = 7, .side = Side::kBuy,
//                               .price = Ticks(30000), .size = Lots(5)});
//   for (const Event& e : book.events()) { ... }
#ifndef PERPCORE_BOOK_ORDER_BOOK_HPP_
#define PERPCORE_BOOK_ORDER_BOOK_HPP_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "perpcore/book/types.hpp"
#include "perpcore/detail/chunked_vector.hpp"
#include "perpcore/detail/node_pool.hpp"
#include "perpcore/detail/slot_index.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace book {

// BookConfig
//
// Limits of one book. The steps, max_order_size and the four counts must be
// >= 1, and max_book_orders below 2^32 - 1 (slots are 32-bit); price_band is
// >= 0 (0 = no band, else a fraction as a Rate: Rate(kRateScale / 100) is
// +-1% around the reference price). expected_orders and hash_seed take any
// value: neither changes behaviour.
struct BookConfig {
  Ticks price_step{1};                   // prices must be multiples of this
  Lots size_step{1};                     // sizes must be multiples of this
  Lots max_order_size = Lots::Max();
  std::uint32_t max_orders_per_account = 1000;
  std::uint32_t max_levels_per_side = 10000;
  std::uint32_t max_book_orders = 1u << 24;
  Rate price_band{0};
  std::uint32_t expected_orders = 1024;  // capacity reserved up front (a hint)
  // Seeds the lookup hashes. It changes no state, event or digest, only where
  // ids land in the internal indexes: a host keeps it secret so that
  // attacker-chosen order and client ids cannot be aimed at one probe run.
  std::uint64_t hash_seed = 0x7065727063637265ULL;
  std::uint32_t max_matches_per_order = 1000;  // resting orders one taker meets
};

// OrderBook
//
// Not thread-safe.
class OrderBook {
 public:
  // Validate()
  //
  // kInvalidArgument naming the field if a BookConfig field is out of range.
  static absl::Status Validate(const BookConfig& config);

  // Create()
  //
  // A book with `config`, or Validate()'s error. Hosts that take a config from
  // outside use this; the constructor is for configs known to be valid.
  static absl::StatusOr<OrderBook> Create(const BookConfig& config);

  // Requires Validate(config).ok() (checked: a bad config is a bug here).
  explicit OrderBook(const BookConfig& config);

  // Copies are independent books. A moved-from book is an empty book with
  // the same config (no reference price, counters restarted); it shares its
  // empty ladders' node pool with the moved-to book, so keep both on one
  // thread.
  OrderBook(const OrderBook&) = default;
  OrderBook& operator=(const OrderBook&) = default;
  OrderBook(OrderBook&& other) noexcept;
  OrderBook& operator=(OrderBook&& other) noexcept;
  void Swap(OrderBook& other) noexcept;

  // Place()
  //
  // See the file comment for the checks and the order of events.
  // Complexity: O(log levels + fills), plus O(orders crossed) for FOK and for
  // an order that hits a resting limit in check 8.
  PlaceResult Place(const OrderRequest& order);

  // CheckPlace()
  //
  // The Reason Place(order) would return now (checks 1-8 of the file
  // comment), without changing anything or emitting an event. With
  // `replaced` != 0, the Reason Place(order) would return right after a
  // successful Cancel(order.account, replaced): that order counts as gone,
  // so its id and client id are free, its account's and the book's order
  // counts are one lower, its level is one order lighter (or gone), and it
  // is neither liquidity nor a self-trade for the new order. Checked first:
  // kUnknownOrder if `replaced` is not live, kNotOrderOwner if it belongs to
  // another account. The engine's cancel-replace decides with this before
  // it changes anything. Complexity: as Place()'s checks.
  Reason CheckPlace(const OrderRequest& order, OrderId replaced = 0) const;

  // Cancel()
  //
  // Cancels a live order of `account`: kUnknownOrder if `id` is not live,
  // kNotOrderOwner if it belongs to another account. Emits kCanceled (kUser).
  // Complexity: O(1), plus O(log levels) if its level empties.
  Reason Cancel(AccountId account, OrderId id);

  // CancelByClientId()
  //
  // As Cancel(), by the account's client order id: kInvalidClientOrderId for
  // client id 0, kUnknownOrder if the account has no live order with it.
  Reason CancelByClientId(AccountId account, ClientOrderId client_id);

  // CancelAll()
  //
  // Cancels every live order of `account`, in the order they were placed,
  // each with a kCanceled event of `reason` (kCancelAll unless the caller
  // says why, e.g. the engine's kAccountLocked); an account with none is
  // fine. kInvalidAccount for account 0. Complexity: O(orders of the
  // account), bounded by max_orders_per_account.
  Reason CancelAll(AccountId account, std::uint32_t* canceled = nullptr,
                   CancelReason reason = CancelReason::kCancelAll);

  // Amend()
  //
  // Checks, in order: kUnknownOrder, kNotOrderOwner; new_size > 0
  // (kInvalidSize), on size_step (kSizeNotOnStep), <= max_order_size
  // (kSizeAboveMax); new_price > 0 (kInvalidPrice), on price_step
  // (kPriceNotOnStep); a changed price must lie in the band
  // (kPriceOutsideBand); price and size not both unchanged (kAmendNoChange);
  // a changed price must not cross the opposite best (kAmendWouldCross: an
  // amend never trades, cancel and place instead); a new level needs room
  // (kTooManyLevels, counting the old level as freed if the order was its
  // only one); the level total stays in int64 (kOverflow).
  // Emits one kAmended event. Complexity: O(log levels).
  Reason Amend(const AmendRequest& amend);

  // SetReferencePrice()
  //
  // The price the band is centred on (e.g. the index price); Ticks(0) clears
  // it and with it the band. kInvalidPrice if negative. Resting orders are
  // never touched: the band applies to new prices only. Emits nothing.
  Reason SetReferencePrice(Ticks reference);

  // SetPriceBand()
  //
  // Replaces config().price_band (kInvalidConfig if negative): the
  // band around the current reference price from the next order on.
  Reason SetPriceBand(Rate band);

  // events()
  //
  // The events of the last mutating call, in order; valid until the next one.
  std::span<const Event> events() const { return events_; }

  // event_capacity()
  //
  // The events buffer's capacity, in events (for memory accounting). The
  // buffer holds the last call's events; a mutating call that finds it
  // above kRetainedEvents releases it first. So between calls it holds at
  // most max(kRetainedEvents, twice the last call's events), and a call's
  // events are bounded: a placement's by 2 * max_matches_per_order + 3, a
  // cancel-all's by max_orders_per_account.
  std::size_t event_capacity() const { return events_.capacity(); }
  static constexpr std::size_t kRetainedEvents = 4096;

  // Queries. None mutates; all are O(1) or O(log levels) plus their output.
  std::optional<LevelView> Best(Side side) const;
  std::optional<Ticks> BestBid() const;
  std::optional<Ticks> BestAsk() const;

  // Depth()
  //
  // The best `out.size()` aggregated levels of `side`, best first. Returns
  // how many were written.
  std::size_t Depth(Side side, std::span<LevelView> out) const;

  // OrdersAt()
  //
  // The orders at one price level in queue order (L3), up to out.size().
  // Returns how many were written; 0 if there is no such level.
  std::size_t OrdersAt(Side side, Ticks price, std::span<OrderView> out) const;

  std::optional<OrderView> Find(OrderId id) const;
  std::optional<OrderView> FindByClientId(AccountId account, ClientOrderId client_id) const;

  // OrdersOf()
  //
  // The live orders of `account`, in the order they were placed, up to
  // out.size(). Returns how many were written. O(written).
  std::size_t OrdersOf(AccountId account, std::span<OrderView> out) const;

  std::size_t order_count() const { return order_index_.size(); }
  std::size_t level_count(Side side) const { return Ladder(side).size(); }
  std::uint32_t account_order_count(AccountId account) const;
  const BookConfig& config() const { return config_; }
  Ticks reference_price() const { return reference_; }

  // CheckInvariants()
  //
  // For tests; O(orders + levels). OK, or kInternal describing the first
  // violation: a crossed book, a level total or count that differs from its
  // orders, a queue out of arrival order, an order indexed zero or several
  // times (by id, client id, account list), a ladder key that disagrees
  // with its level, a price off price_step.
  absl::Status CheckInvariants() const;

  // EncodeCanonical()
  //
  // Appends a canonical byte encoding of the whole book to `out`: config,
  // reference price, counters, then each side's levels from best to worst
  // and each level's orders in queue order, then each account's orders in
  // placement order, little-endian fixed-width. Then, only if some live order
  // has a non-zero stp_group: the number of such orders and each one's
  // (id, stp_group), in the order of the level walk. The part before is
  // self-delimiting, so the encoding stays injective, and a book whose
  // orders all have stp_group 0 encodes exactly as before groups existed
  // (its digest is unchanged). Two books are in the same state iff their
  // encodings are equal; pool layout and hash-table state never reach it.
  void EncodeCanonical(std::string* out) const;

  // Digest()
  //
  // SHA-256 (BIP-340 tagged, tag "perpcore/book") of EncodeCanonical().
  std::array<std::uint8_t, 32> Digest() const;

 private:
  static constexpr std::uint32_t kNil = 0xFFFFFFFFu;
  static constexpr std::size_t kInitialEvents = 64;

  // One cache line, exactly, aligned to 64 so that no record straddles two
  // lines. The price and side live in the level, the account id in the
  // account record. The STP group id is the order's own: matching compares
  // it with the taker's without a lookup, and no group record has to be
  // found, made or freed per order.
  struct alignas(64) Order {
    OrderId id;
    ClientOrderId client_id;
    std::int64_t remaining;
    std::uint64_t priority;
    std::uint64_t stp_group;             // OrderRequest::stp_group; 0: none
    std::uint32_t account;               // AccountRecord slot
    std::uint32_t level;
    std::uint32_t prev, next;            // level queue
    std::uint32_t acct_prev, acct_next;  // account list, in placement order
  };
  static_assert(sizeof(Order) == 64, "an order record is one cache line");
  struct Level {
    std::int64_t price;
    std::int64_t total;
    std::uint32_t head, tail;
    std::uint32_t count;
    Side side;
  };
  // The live orders of one account; freed with its last order. The hash
  // fills what would be padding and saves rehashing the id when the record
  // is freed.
  struct AccountRecord {
    AccountId id;
    std::uint32_t head, tail;
    std::uint32_t count;
    std::uint32_t hash;  // AccountHash(id)
  };
  static_assert(sizeof(AccountRecord) == 24, "the hash costs no space");
  // Bids are keyed by -price so both ladders iterate best first.
  // Nodes are recycled, so levels coming and going do not allocate.
  using LadderMap =
      absl::btree_map<std::int64_t, std::uint32_t, std::less<std::int64_t>,
                      detail::PoolAllocator<std::pair<const std::int64_t, std::uint32_t>>>;

  // The outcome of walking the opposite side without changing it.
  struct Walk {
    std::int64_t filled = 0;
    std::int64_t remaining = 0;  // after fills and decrement-and-cancel cuts
    bool taker_survives = true;  // false if STP would cancel the taker
    bool capped = false;         // stopped by the match cap with a crossing order left
  };

  static std::int64_t Key(Side side, std::int64_t price) {
    return side == Side::kBuy ? -price : price;
  }
  const LadderMap& Ladder(Side side) const { return side == Side::kBuy ? bids_ : asks_; }
  LadderMap& Ladder(Side side) { return side == Side::kBuy ? bids_ : asks_; }
  static bool Crosses(Side taker, std::int64_t limit, std::int64_t maker_price) {
    return taker == Side::kBuy ? maker_price <= limit : maker_price >= limit;
  }
  std::uint32_t IdHash(OrderId id) const { return detail::Hash32(id.value(), config_.hash_seed); }
  std::uint32_t ClientHash(AccountId account, ClientOrderId client_id) const {
    return detail::Hash32(detail::Mix64(account.value()) ^ client_id.value(), config_.hash_seed);
  }
  std::uint32_t LevelHash(Side side, std::int64_t price) const {
    return detail::Hash32(static_cast<std::uint64_t>(Key(side, price)), config_.hash_seed);
  }
  std::uint32_t AccountHash(AccountId account) const {
    return detail::Hash32(account.value(), ~config_.hash_seed);
  }
  std::uint32_t FindSlot(OrderId id) const;
  std::uint32_t FindClientSlot(AccountId account, ClientOrderId client_id) const;
  std::uint32_t FindLevel(Side side, std::int64_t price) const;
  std::uint32_t FindAccount(AccountId account) const;
  Side SideOf(const Order& o) const { return levels_[o.level].side; }
  std::int64_t PriceOf(const Order& o) const { return levels_[o.level].price; }
  AccountId AccountOf(const Order& o) const { return accounts_[o.account].id; }

  // Who the incoming order must not trade with: its AccountRecord slot (kNil
  // if the account has no resting order) and its STP group (0: none).
  struct StpKey {
    std::uint32_t account;
    std::uint64_t group;
  };
  // True if the resting order `m` shares an STP key with the incoming order.
  static bool SharesStpKey(const Order& m, StpKey k) {
    return m.account == k.account || (k.group != 0 && m.stp_group == k.group);
  }

  // The incoming order while it matches: its effective price and size.
  struct Taker {
    const OrderRequest& order;
    StpKey key;  // STP identity, looked up once
    std::int64_t limit;
    std::int64_t remaining;
    std::int64_t filled;
    std::uint32_t matches = 0;  // resting orders met (the match cap)
  };

  // What validating a new order learned, kept for applying it: each lookup's
  // hash and probe, so that Rest() inserts without hashing or probing again.
  struct Admission {
    std::int64_t limit = 0;  // the effective price
    std::uint32_t id_hash = 0, client_hash = 0, account_hash = 0, level_hash = 0;
    detail::SlotIndex::Probe id_probe{}, client_probe{}, account_probe{}, level_probe{};
    StpKey key{kNil, 0};             // the account's record, if it exists, and group
    std::uint32_t own_level = kNil;  // the level a remainder joins, if it exists
  };
  // What check 8 compares with the limits.
  struct Counts {
    std::uint32_t own_level;  // kNil: a remainder needs a new level
    std::int64_t own_total;
    std::size_t book_orders;
    std::uint32_t account_orders;
    std::size_t side_levels;
  };

  // Checks 1-8 of a new order. kReplacing: `freed` is the slot of a live
  // order of the same account to count as cancelled, or kNil (CheckPlace);
  // without it (Place) the order-by-order `freed` tests are compiled out of
  // the hot path. Only Admit<false> fills an admission valid for Rest().
  template <bool kReplacing>
  Reason Admit(const OrderRequest& o, std::uint32_t freed, Admission* adm) const;
  template <bool kReplacing>
  Reason ValidateNew(const OrderRequest& o, std::uint32_t freed, Admission* adm) const;
  // Check 6 once the order crosses: kPostOnlyWouldCross, or the slid price.
  // Out of line and cold, so the hot path stays compact.
  [[gnu::cold, gnu::noinline]] Reason PostOnlyCrossing(const OrderRequest& o, std::int64_t best,
                                                       std::int64_t* price) const;
  // Check 8 against a remainder of `rest`.
  Reason Blocked(const Counts& c, std::int64_t rest) const;
  // Check 8 when the whole order would not fit: whether the remainder left
  // after matching does.
  [[gnu::cold, gnu::noinline]] Reason BlockedRemainder(const OrderRequest& o, StpKey key,
                                                       std::int64_t limit, std::int64_t effective,
                                                       std::uint32_t freed, const Counts& c) const;
  // The best level of `side` (kNil if none); with `freed`, counting the
  // order in that slot as gone.
  std::uint32_t BestLevel(Side side) const;
  std::uint32_t BestLevel(Side side, std::uint32_t freed) const;
  Walk Simulate(Side side, StpKey key, StpMode stp, std::int64_t limit, std::int64_t want,
                std::uint32_t freed) const;
  // Returns true if self-trade prevention cancelled the taker. Stops with
  // t->remaining > 0 at the match cap (t->matches == the cap).
  bool Match(Taker* t);
  void CancelTaker(Taker* t);
  // Whether a resting order the taker would meet next is left (its remainder
  // would rest crossing the book).
  bool CrossedAtCap(const Taker& t) const;
  // The start of every mutating call: the last call's events go, and a
  // buffer grown past kRetainedEvents is released (out of line: rare).
  void ClearEvents() {
    events_.clear();
    if (events_.capacity() > kRetainedEvents) ReleaseEvents();
  }
  [[gnu::cold, gnu::noinline]] void ReleaseEvents();
  void Rest(const OrderRequest& o, const Admission& adm, std::int64_t size,
            std::uint32_t level, StpKey key);
  // A free slot, else a new one. Growing the pool (AppendOrder) is rare
  // once the book has reached its high-water mark: out of line, so the
  // free-list path inlines into Rest().
  std::uint32_t AllocOrder();
  [[gnu::noinline]] std::uint32_t AppendOrder();
  // `hash` and `probe` from a lookup of the same key (probe: may be null).
  std::uint32_t CreateLevel(Side side, std::int64_t price, std::uint32_t hash,
                            const detail::SlotIndex::Probe* probe);
  std::uint32_t CreateAccount(AccountId account, std::uint32_t hash,
                              const detail::SlotIndex::Probe& probe);
  void LinkToLevel(std::uint32_t slot, std::uint32_t level);
  // These three return true if the order's level emptied and was freed.
  bool UnlinkFromLevel(std::uint32_t slot);
  bool RemoveOrder(std::uint32_t slot);
  bool CancelSlot(std::uint32_t slot, CancelReason reason);
  void PushOrderEvent(EventKind kind, const Order& o, std::int64_t price,
                      CancelReason reason, std::int64_t size);
  void PushTakerEvent(EventKind kind, const Taker& t, CancelReason reason,
                      std::int64_t size);
  OrderView View(const Order& o) const;
  // The scalars of an empty book, for a book whose containers were moved.
  void ResetMovedFrom() noexcept;
  bool InBand(std::int64_t price) const;

  BookConfig config_;
  Ticks reference_{0};
  std::int64_t band_lo_ = 0, band_hi_ = 0;  // inclusive; valid if reference_ > 0
  std::uint64_t next_priority_ = 1;

  detail::ChunkedVector<Order> orders_;
  std::uint32_t free_order_ = kNil;
  detail::ChunkedVector<Level> levels_;
  std::uint32_t free_level_ = kNil;
  detail::ChunkedVector<AccountRecord> accounts_;
  std::uint32_t free_account_ = kNil;
  LadderMap bids_, asks_;

  // Lookup only; never iterated into events or the encoding.
  detail::SlotIndex order_index_;
  detail::SlotIndex client_index_;
  detail::SlotIndex level_index_;
  detail::SlotIndex account_index_;

  std::vector<Event> events_;
};

}  // namespace book
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_BOOK_ORDER_BOOK_HPP_
