#include "perpcore/book/order_book.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "perpcore/detail/digest.hpp"
#include "perpcore/detail/encode.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace book {
namespace {

constexpr std::int64_t kMaxI64 = std::numeric_limits<std::int64_t>::max();

template <class E>
constexpr std::uint8_t Raw(E e) {
  return static_cast<std::uint8_t>(e);
}

bool IsPostOnly(TimeInForce tif) {
  return tif == TimeInForce::kPostOnly || tif == TimeInForce::kPostOnlySlide;
}

using detail::PutI64;
using detail::PutU64;

}  // namespace

absl::Status OrderBook::Validate(const BookConfig& c) {
  auto bad = [](const char* field, const char* rule) {
    return absl::InvalidArgumentError(absl::StrCat("BookConfig.", field, " ", rule));
  };
  if (c.price_step.raw() < 1) return bad("price_step", "must be >= 1 tick");
  if (c.size_step.raw() < 1) return bad("size_step", "must be >= 1 lot");
  if (c.max_order_size.raw() < 1) return bad("max_order_size", "must be >= 1 lot");
  if (c.max_orders_per_account < 1) return bad("max_orders_per_account", "must be >= 1");
  if (c.max_levels_per_side < 1) return bad("max_levels_per_side", "must be >= 1");
  if (c.max_matches_per_order < 1) return bad("max_matches_per_order", "must be >= 1");
  // Slots are 32-bit with kNil reserved.
  if (c.max_book_orders < 1 || c.max_book_orders == kNil) {
    return bad("max_book_orders", "must be in [1, 2^32 - 2]");
  }
  if (c.price_band.raw() < 0) return bad("price_band", "must be >= 0 (0 disables the band)");
  return absl::OkStatus();
}

absl::StatusOr<OrderBook> OrderBook::Create(const BookConfig& config) {
  if (absl::Status s = Validate(config); !s.ok()) return s;
  return OrderBook(config);
}

OrderBook::OrderBook(const BookConfig& config) : config_(config) {
  PERPCORE_CHECK(Validate(config).ok());
  // A hint, so it is capped rather than refused: a huge value must not make
  // the constructor ask for gigabytes up front.
  constexpr std::uint32_t kMaxReserve = 1u << 20;
  const std::uint32_t expected =
      std::min({config.expected_orders, config.max_book_orders, kMaxReserve});
  const std::uint32_t expected_levels =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(expected, 2ull * config.max_levels_per_side));
  orders_.reserve(expected);
  levels_.reserve(expected_levels);
  accounts_.reserve(std::min<std::uint32_t>(expected, 4096));
  order_index_.Reserve(expected);
  client_index_.Reserve(expected);
  level_index_.Reserve(expected_levels);
  account_index_.Reserve(std::min<std::uint32_t>(expected, 4096));
  events_.reserve(kInitialEvents);
}

OrderBook::OrderBook(OrderBook&& other) noexcept
    : config_(other.config_),
      reference_(other.reference_),
      band_lo_(other.band_lo_),
      band_hi_(other.band_hi_),
      next_priority_(other.next_priority_),
      orders_(std::move(other.orders_)),
      free_order_(other.free_order_),
      levels_(std::move(other.levels_)),
      free_level_(other.free_level_),
      accounts_(std::move(other.accounts_)),
      free_account_(other.free_account_),
      bids_(std::move(other.bids_)),
      asks_(std::move(other.asks_)),
      order_index_(std::move(other.order_index_)),
      client_index_(std::move(other.client_index_)),
      level_index_(std::move(other.level_index_)),
      account_index_(std::move(other.account_index_)),
      events_(std::move(other.events_)) {
  other.ResetMovedFrom();
}

OrderBook& OrderBook::operator=(OrderBook&& other) noexcept {
  if (this != &other) {
    OrderBook taken(std::move(other));
    Swap(taken);
  }
  return *this;
}

// Every member: a member missing here would leave two books mixed.
void OrderBook::Swap(OrderBook& other) noexcept {
  using std::swap;
  swap(config_, other.config_);
  swap(reference_, other.reference_);
  swap(band_lo_, other.band_lo_);
  swap(band_hi_, other.band_hi_);
  swap(next_priority_, other.next_priority_);
  swap(orders_, other.orders_);
  swap(free_order_, other.free_order_);
  swap(levels_, other.levels_);
  swap(free_level_, other.free_level_);
  swap(accounts_, other.accounts_);
  swap(free_account_, other.free_account_);
  bids_.swap(other.bids_);
  asks_.swap(other.asks_);
  swap(order_index_, other.order_index_);
  swap(client_index_, other.client_index_);
  swap(level_index_, other.level_index_);
  swap(account_index_, other.account_index_);
  swap(events_, other.events_);
}

void OrderBook::ResetMovedFrom() noexcept {
  reference_ = Ticks(0);
  band_lo_ = band_hi_ = 0;
  next_priority_ = 1;
  orders_.clear();
  levels_.clear();
  accounts_.clear();
  events_.clear();
  free_order_ = free_level_ = free_account_ = kNil;
  bids_.clear();
  asks_.clear();
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

bool OrderBook::InBand(std::int64_t price) const {
  if (reference_.raw() == 0 || config_.price_band.raw() == 0) return true;
  return price >= band_lo_ && price <= band_hi_;
}

template <bool kReplacing>
Reason OrderBook::ValidateNew(const OrderRequest& o, std::uint32_t freed, Admission* adm) const {
  if (o.id == 0) return Reason::kInvalidOrderId;
  if (o.account == 0) return Reason::kInvalidAccount;
  if (Raw(o.side) > Raw(Side::kSell)) return Reason::kInvalidSide;
  if (Raw(o.type) > Raw(OrderType::kMarket)) return Reason::kInvalidOrderType;
  if (Raw(o.tif) > Raw(TimeInForce::kPostOnlySlide)) return Reason::kInvalidTimeInForce;
  if (Raw(o.stp) > Raw(StpMode::kDecrementAndCancel)) return Reason::kInvalidStpMode;
  if (o.type == OrderType::kMarket && o.tif != TimeInForce::kIoc &&
      o.tif != TimeInForce::kFok) {
    return Reason::kInvalidTimeInForce;
  }
  const std::int64_t size = o.size.raw();
  if (size <= 0) return Reason::kInvalidSize;
  if (config_.size_step.raw() != 1 && size % config_.size_step.raw() != 0) return Reason::kSizeNotOnStep;
  if (size > config_.max_order_size.raw()) return Reason::kSizeAboveMax;
  if (o.max_fill.raw() < 0) return Reason::kInvalidMaxFill;
  std::int64_t price = o.price.raw();
  if (price <= 0) return Reason::kInvalidPrice;
  if (config_.price_step.raw() != 1 && price % config_.price_step.raw() != 0) return Reason::kPriceNotOnStep;
  if (o.type == OrderType::kLimit) {
    if (!InBand(price)) return Reason::kPriceOutsideBand;
  } else if (reference_.raw() != 0 && config_.price_band.raw() != 0) {
    price = o.side == Side::kBuy ? std::min(price, band_hi_) : std::max(price, band_lo_);
  }
  adm->id_hash = IdHash(o.id);
  adm->id_probe = order_index_.Lookup(adm->id_hash,
                                      [&](std::uint32_t s) { return orders_[s].id == o.id; });
  if (adm->id_probe.slot != kNil && !(kReplacing && adm->id_probe.slot == freed)) {
    return Reason::kDuplicateOrderId;
  }
  if (o.client_id != 0) {
    adm->client_hash = ClientHash(o.account, o.client_id);
    adm->client_probe = client_index_.Lookup(adm->client_hash, [&](std::uint32_t s) {
      return orders_[s].client_id == o.client_id && AccountOf(orders_[s]) == o.account;
    });
    if (adm->client_probe.slot != kNil && !(kReplacing && adm->client_probe.slot == freed)) {
      return Reason::kDuplicateClientOrderId;
    }
  }
  if (IsPostOnly(o.tif)) {
    const std::uint32_t best_level =
        kReplacing ? BestLevel(Opposite(o.side), freed) : BestLevel(Opposite(o.side));
    if (best_level != kNil && Crosses(o.side, price, levels_[best_level].price)) {
      const Reason r = PostOnlyCrossing(o, levels_[best_level].price, &price);
      if (r != Reason::kOk) return r;
    }
  }
  adm->limit = price;
  return Reason::kOk;
}

Reason OrderBook::PostOnlyCrossing(const OrderRequest& o, std::int64_t best,
                                   std::int64_t* price) const {
  if (o.tif == TimeInForce::kPostOnly) return Reason::kPostOnlyWouldCross;
  const std::int64_t step = config_.price_step.raw();
  // best is a resting price, so +-step stays in int64 unless best is
  // within one step of the edge; then the slide has nowhere to go.
  if (o.side == Side::kBuy) {
    *price = best - step;
  } else if (best > kMaxI64 - step) {
    return Reason::kPriceOutsideBand;
  } else {
    *price = best + step;
  }
  if (*price <= 0 || !InBand(*price)) return Reason::kPriceOutsideBand;
  return Reason::kOk;
}

std::uint32_t OrderBook::BestLevel(Side side) const {
  const LadderMap& ladder = Ladder(side);
  return ladder.empty() ? kNil : ladder.begin()->second;
}

std::uint32_t OrderBook::BestLevel(Side side, std::uint32_t freed) const {
  const LadderMap& ladder = Ladder(side);
  auto it = ladder.begin();
  if (it != ladder.end() && freed != kNil && orders_[freed].level == it->second &&
      levels_[it->second].count == 1) {
    ++it;
  }
  return it == ladder.end() ? kNil : it->second;
}

OrderBook::Walk OrderBook::Simulate(Side side, StpKey key, StpMode stp, std::int64_t limit,
                                    std::int64_t want, std::uint32_t freed) const {
  Walk w;
  std::int64_t need = want;
  // Resting orders met so far, against the match cap.
  const std::uint32_t cap = config_.max_matches_per_order;
  std::uint32_t matches = 0;
  // A freed order belongs to the account, so it is skipped order by order.
  const bool has_own = key.account != kNil || key.group != 0;
  const LadderMap& ladder = Ladder(Opposite(side));
  for (auto it = ladder.begin(); it != ladder.end() && need > 0; ++it) {
    const Level& lv = levels_[it->second];
    if (!Crosses(side, limit, lv.price)) break;
    // No self-trade possible and the whole level within the cap: the level
    // at once. The count is exact whenever it matters: the walk goes on
    // past this level only if the taker took all of it.
    if (!has_own && cap - matches >= lv.count) {
      const std::int64_t q = std::min(need, lv.total);
      w.filled += q;
      need -= q;
      matches += lv.count;
      continue;
    }
    for (std::uint32_t s = lv.head; s != kNil && need > 0; s = orders_[s].next) {
      if (s == freed) continue;
      if (matches == cap) {
        w.capped = true;
        w.remaining = need;
        return w;
      }
      ++matches;
      const Order& m = orders_[s];
      if (SharesStpKey(m, key)) {
        switch (stp) {
          case StpMode::kCancelMaker:
            continue;
          case StpMode::kCancelTaker:
          case StpMode::kCancelBoth:
            w.taker_survives = false;
            return w;
          case StpMode::kDecrementAndCancel:
            if (m.remaining < need) {
              need -= m.remaining;
              continue;
            }
            w.taker_survives = false;
            return w;
        }
      }
      const std::int64_t q = std::min(need, m.remaining);
      w.filled += q;
      need -= q;
    }
  }
  w.remaining = need;
  return w;
}

// ---------------------------------------------------------------------------
// Place
// ---------------------------------------------------------------------------

template <bool kReplacing>
Reason OrderBook::Admit(const OrderRequest& o, std::uint32_t freed, Admission* adm) const {
  const Reason invalid = ValidateNew<kReplacing>(o, freed, adm);
  if (invalid != Reason::kOk) return invalid;
  const std::int64_t limit = adm->limit;

  const std::int64_t effective = std::min(o.size.raw(), o.max_fill.raw());
  const bool post_only = IsPostOnly(o.tif);
  const bool may_rest =
      post_only || (o.type == OrderType::kLimit && o.tif == TimeInForce::kGtc);

  adm->account_hash = AccountHash(o.account);
  adm->account_probe = account_index_.Lookup(
      adm->account_hash, [&](std::uint32_t ai) { return accounts_[ai].id == o.account; });
  const StpKey key{adm->account_probe.slot, o.stp_group};
  adm->key = key;
  if (o.tif == TimeInForce::kFok &&
      Simulate(o.side, key, o.stp, limit, effective, freed).filled < effective) {
    return Reason::kFokNotFilled;
  }

  // Check 8. Matching never touches the taker's own side, so the own level
  // found here is still valid when the remainder rests.
  if (may_rest && effective > 0) {
    adm->level_hash = LevelHash(o.side, limit);
    adm->level_probe = level_index_.Lookup(adm->level_hash, [&](std::uint32_t li) {
      return levels_[li].price == limit && levels_[li].side == o.side;
    });
    Counts c{.own_level = adm->level_probe.slot,
             .own_total = 0,
             .book_orders = order_index_.size(),
             .account_orders = key.account == kNil ? 0 : accounts_[key.account].count,
             .side_levels = Ladder(o.side).size()};
    adm->own_level = c.own_level;
    if (c.own_level != kNil) c.own_total = levels_[c.own_level].total;
    if constexpr (kReplacing) {
      if (freed != kNil) {  // the counts after cancelling it
        const Order& f = orders_[freed];
        const Level& fl = levels_[f.level];
        --c.book_orders;
        --c.account_orders;
        if (fl.count == 1 && fl.side == o.side) --c.side_levels;
        if (f.level == c.own_level) {
          c.own_total -= f.remaining;
          if (fl.count == 1) c.own_level = kNil;
        }
      }
    }
    if (Blocked(c, effective) != Reason::kOk) {
      return BlockedRemainder(o, key, limit, effective, freed, c);
    }
  }
  return Reason::kOk;
}

Reason OrderBook::Blocked(const Counts& c, std::int64_t rest) const {
  if (c.book_orders >= config_.max_book_orders) return Reason::kBookFull;
  if (c.account_orders >= config_.max_orders_per_account) return Reason::kTooManyOrders;
  if (c.own_level == kNil && c.side_levels >= config_.max_levels_per_side) {
    return Reason::kTooManyLevels;
  }
  if (c.own_total > kMaxI64 - rest) return Reason::kOverflow;
  return Reason::kOk;
}

Reason OrderBook::BlockedRemainder(const OrderRequest& o, StpKey key, std::int64_t limit,
                                   std::int64_t effective, std::uint32_t freed,
                                   const Counts& c) const {
  std::int64_t rest = effective;
  if (!IsPostOnly(o.tif)) {
    const Walk w = Simulate(o.side, key, o.stp, limit, effective, freed);
    // A remainder left at the match cap is cancelled, never rested.
    rest = w.taker_survives && !w.capped ? w.remaining : 0;
  }
  return rest > 0 ? Blocked(c, rest) : Reason::kOk;
}

Reason OrderBook::CheckPlace(const OrderRequest& o, OrderId replaced) const {
  std::uint32_t freed = kNil;
  if (replaced != 0) {
    freed = FindSlot(replaced);
    if (freed == kNil) return Reason::kUnknownOrder;
    if (AccountOf(orders_[freed]) != o.account) return Reason::kNotOrderOwner;
  }
  Admission adm;
  return Admit<true>(o, freed, &adm);
}

PlaceResult OrderBook::Place(const OrderRequest& o) {
  ClearEvents();
  Admission adm;
  const Reason refused = Admit<false>(o, kNil, &adm);
  if (refused != Reason::kOk) return PlaceResult{.reason = refused};
  const std::int64_t limit = adm.limit;
  const std::int64_t effective = std::min(o.size.raw(), o.max_fill.raw());
  const bool post_only = IsPostOnly(o.tif);
  const bool may_rest =
      post_only || (o.type == OrderType::kLimit && o.tif == TimeInForce::kGtc);
  const StpKey key = adm.key;
  const std::uint32_t own_level = adm.own_level;

  // Validated: from here on the order is accepted and applied in full.
  Taker t{o, key, limit, effective, 0};
  if (effective < o.size.raw()) {
    PushTakerEvent(EventKind::kCanceled, t, CancelReason::kMaxFill, o.size.raw() - effective);
  }
  bool taker_canceled = false;
  if (!post_only && t.remaining > 0) taker_canceled = Match(&t);

  PlaceResult result{.reason = Reason::kOk, .filled = Lots(t.filled)};
  if (!taker_canceled && t.remaining > 0) {
    if (t.matches == config_.max_matches_per_order && CrossedAtCap(t)) {
      // The cap stopped it with a crossing order left: resting would cross
      // the book, so the remainder goes, whatever the time in force.
      const std::int64_t left = t.remaining;
      t.remaining = 0;
      PushTakerEvent(EventKind::kCanceled, t, CancelReason::kMatchLimit, left);
    } else if (may_rest) {
      result.rested = Lots(t.remaining);
      result.rest_price = Ticks(limit);
      // Self-trade prevention may have freed the account's record (a freed
      // record has count 0).
      StpKey live = key;
      if (live.account != kNil && accounts_[live.account].count == 0) live.account = kNil;
      Rest(o, adm, t.remaining, own_level, live);
    } else {
      const std::int64_t left = t.remaining;
      t.remaining = 0;
      PushTakerEvent(EventKind::kCanceled, t, CancelReason::kUnfilledRemainder, left);
    }
  }
  return result;
}

bool OrderBook::Match(Taker* t) {
  const OrderRequest& o = t->order;
  LadderMap& ladder = Ladder(Opposite(o.side));
  while (t->remaining > 0 && !ladder.empty()) {
    const std::uint32_t li = ladder.begin()->second;
    Level& lv = levels_[li];
    if (!Crosses(o.side, t->limit, lv.price)) break;
    bool level_gone = false;
    while (t->remaining > 0 && !level_gone) {
      // The cap: one comparison per resting order met. Place() tells a stop
      // here from running out of crossing liquidity.
      if (t->matches == config_.max_matches_per_order) return false;
      ++t->matches;
      const std::uint32_t ms = lv.head;
      Order& m = orders_[ms];
      if (SharesStpKey(m, t->key)) {
        switch (o.stp) {
          case StpMode::kCancelMaker:
            level_gone = CancelSlot(ms, CancelReason::kSelfTrade);
            continue;
          case StpMode::kCancelTaker:
            CancelTaker(t);
            return true;
          case StpMode::kCancelBoth:
            CancelSlot(ms, CancelReason::kSelfTrade);
            CancelTaker(t);
            return true;
          case StpMode::kDecrementAndCancel:
            if (m.remaining < t->remaining) {
              const std::int64_t dec = m.remaining;
              level_gone = CancelSlot(ms, CancelReason::kSelfTrade);
              t->remaining -= dec;
              PushTakerEvent(EventKind::kReduced, *t, CancelReason::kSelfTrade, dec);
              continue;
            }
            if (m.remaining > t->remaining) {
              m.remaining -= t->remaining;
              lv.total -= t->remaining;
              PushOrderEvent(EventKind::kReduced, m, lv.price, CancelReason::kSelfTrade,
                             t->remaining);
            } else {
              CancelSlot(ms, CancelReason::kSelfTrade);
            }
            CancelTaker(t);
            return true;
        }
      }
      const std::int64_t q = std::min(t->remaining, m.remaining);
      t->remaining -= q;
      t->filled += q;
      m.remaining -= q;
      lv.total -= q;
      events_.push_back(Event{.kind = EventKind::kFill,
                              .side = o.side,
                              .order_id = o.id,
                              .account = o.account,
                              .price = Ticks(lv.price),
                              .size = Lots(q),
                              .remaining = Lots(t->remaining),
                              .maker_order_id = m.id,
                              .maker_account = accounts_[m.account].id,
                              .maker_remaining = Lots(m.remaining)});
      if (m.remaining == 0) level_gone = RemoveOrder(ms);
    }
  }
  return false;
}

bool OrderBook::CrossedAtCap(const Taker& t) const {
  const std::uint32_t best = BestLevel(Opposite(t.order.side));
  return best != kNil && Crosses(t.order.side, t.limit, levels_[best].price);
}

void OrderBook::ReleaseEvents() {
  std::vector<Event>().swap(events_);
  events_.reserve(kInitialEvents);
}

void OrderBook::CancelTaker(Taker* t) {
  const std::int64_t left = t->remaining;
  t->remaining = 0;
  PushTakerEvent(EventKind::kCanceled, *t, CancelReason::kSelfTrade, left);
}

void OrderBook::Rest(const OrderRequest& o, const Admission& adm, std::int64_t size,
                     std::uint32_t level, StpKey key) {
  const std::int64_t price = adm.limit;
  if (level == kNil) level = CreateLevel(o.side, price, adm.level_hash, &adm.level_probe);
  const std::uint32_t account = key.account == kNil
                                    ? CreateAccount(o.account, adm.account_hash, adm.account_probe)
                                    : key.account;
  const std::uint32_t slot = AllocOrder();
  Order& n = orders_[slot];
  n.id = o.id;
  n.client_id = o.client_id;
  n.remaining = size;
  n.stp_group = o.stp_group;
  n.account = account;
  LinkToLevel(slot, level);
  order_index_.Insert(adm.id_hash, slot, adm.id_probe);
  if (o.client_id != 0) client_index_.Insert(adm.client_hash, slot, adm.client_probe);
  AccountRecord& a = accounts_[account];
  n.acct_prev = a.tail;
  n.acct_next = kNil;
  if (a.tail == kNil) {
    a.head = slot;
  } else {
    orders_[a.tail].acct_next = slot;
  }
  a.tail = slot;
  ++a.count;
  PushOrderEvent(EventKind::kRested, n, price, CancelReason::kUser, size);
}

// ---------------------------------------------------------------------------
// Pools, levels, links
// ---------------------------------------------------------------------------

std::uint32_t OrderBook::AllocOrder() {
  if (free_order_ != kNil) {
    const std::uint32_t slot = free_order_;
    free_order_ = orders_[slot].next;
    return slot;
  }
  return AppendOrder();
}

std::uint32_t OrderBook::AppendOrder() {
  orders_.emplace_back();
  return static_cast<std::uint32_t>(orders_.size() - 1);
}

std::uint32_t OrderBook::CreateLevel(Side side, std::int64_t price, std::uint32_t hash,
                                     const detail::SlotIndex::Probe* probe) {
  std::uint32_t li;
  if (free_level_ != kNil) {
    li = free_level_;
    free_level_ = levels_[li].head;
  } else {
    levels_.emplace_back();
    li = static_cast<std::uint32_t>(levels_.size() - 1);
  }
  levels_[li] = Level{price, 0, kNil, kNil, 0, side};
  Ladder(side).emplace(Key(side, price), li);
  if (probe != nullptr) {
    level_index_.Insert(hash, li, *probe);
  } else {
    level_index_.Insert(hash, li);
  }
  return li;
}

std::uint32_t OrderBook::CreateAccount(AccountId account, std::uint32_t hash,
                                       const detail::SlotIndex::Probe& probe) {
  std::uint32_t ai;
  if (free_account_ != kNil) {
    ai = free_account_;
    free_account_ = accounts_[ai].head;
  } else {
    accounts_.emplace_back();
    ai = static_cast<std::uint32_t>(accounts_.size() - 1);
  }
  accounts_[ai] = AccountRecord{account, kNil, kNil, 0, hash};
  account_index_.Insert(hash, ai, probe);
  return ai;
}

std::uint32_t OrderBook::FindSlot(OrderId id) const {
  return order_index_.Find(IdHash(id), [&](std::uint32_t s) { return orders_[s].id == id; });
}

std::uint32_t OrderBook::FindClientSlot(AccountId account, ClientOrderId client_id) const {
  return client_index_.Find(ClientHash(account, client_id), [&](std::uint32_t s) {
    const Order& o = orders_[s];
    return o.client_id == client_id && AccountOf(o) == account;
  });
}

std::uint32_t OrderBook::FindLevel(Side side, std::int64_t price) const {
  return level_index_.Find(LevelHash(side, price), [&](std::uint32_t li) {
    return levels_[li].price == price && levels_[li].side == side;
  });
}

std::uint32_t OrderBook::FindAccount(AccountId account) const {
  return account_index_.Find(AccountHash(account),
                             [&](std::uint32_t ai) { return accounts_[ai].id == account; });
}

void OrderBook::LinkToLevel(std::uint32_t slot, std::uint32_t li) {
  Order& o = orders_[slot];
  Level& lv = levels_[li];
  o.level = li;
  o.priority = next_priority_++;
  o.prev = lv.tail;
  o.next = kNil;
  if (lv.tail == kNil) {
    lv.head = slot;
  } else {
    orders_[lv.tail].next = slot;
  }
  lv.tail = slot;
  lv.total += o.remaining;
  ++lv.count;
}

bool OrderBook::UnlinkFromLevel(std::uint32_t slot) {
  Order& o = orders_[slot];
  const std::uint32_t li = o.level;
  Level& lv = levels_[li];
  if (o.prev == kNil) {
    lv.head = o.next;
  } else {
    orders_[o.prev].next = o.next;
  }
  if (o.next == kNil) {
    lv.tail = o.prev;
  } else {
    orders_[o.next].prev = o.prev;
  }
  lv.total -= o.remaining;
  if (--lv.count != 0) return false;
  Ladder(lv.side).erase(Key(lv.side, lv.price));
  level_index_.Erase(LevelHash(lv.side, lv.price), li);
  lv.head = free_level_;
  free_level_ = li;
  return true;
}

bool OrderBook::RemoveOrder(std::uint32_t slot) {
  Order& o = orders_[slot];
  const bool level_gone = UnlinkFromLevel(slot);
  AccountRecord& a = accounts_[o.account];
  order_index_.Erase(IdHash(o.id), slot);
  if (o.client_id != 0) client_index_.Erase(ClientHash(a.id, o.client_id), slot);
  if (o.acct_prev == kNil) {
    a.head = o.acct_next;
  } else {
    orders_[o.acct_prev].acct_next = o.acct_next;
  }
  if (o.acct_next == kNil) {
    a.tail = o.acct_prev;
  } else {
    orders_[o.acct_next].acct_prev = o.acct_prev;
  }
  if (--a.count == 0) {
    account_index_.Erase(a.hash, o.account);
    a.head = free_account_;
    free_account_ = o.account;
  }
  o.id = 0;
  o.next = free_order_;
  free_order_ = slot;
  return level_gone;
}

bool OrderBook::CancelSlot(std::uint32_t slot, CancelReason reason) {
  Order& o = orders_[slot];
  const std::int64_t left = o.remaining;
  PushOrderEvent(EventKind::kCanceled, o, PriceOf(o), reason, left);
  events_.back().remaining = Lots(0);
  return RemoveOrder(slot);
}

void OrderBook::PushOrderEvent(EventKind kind, const Order& o, std::int64_t price,
                               CancelReason reason, std::int64_t size) {
  events_.push_back(Event{.kind = kind,
                          .side = SideOf(o),
                          .reason = reason,
                          .order_id = o.id,
                          .account = AccountOf(o),
                          .price = Ticks(price),
                          .size = Lots(size),
                          .remaining = Lots(o.remaining)});
}

void OrderBook::PushTakerEvent(EventKind kind, const Taker& t, CancelReason reason,
                               std::int64_t size) {
  events_.push_back(Event{.kind = kind,
                          .side = t.order.side,
                          .reason = reason,
                          .order_id = t.order.id,
                          .account = t.order.account,
                          .price = Ticks(t.limit),
                          .size = Lots(size),
                          .remaining = Lots(t.remaining)});
}

// ---------------------------------------------------------------------------
// Cancel, amend, reference price
// ---------------------------------------------------------------------------

Reason OrderBook::Cancel(AccountId account, OrderId id) {
  ClearEvents();
  const std::uint32_t slot = FindSlot(id);
  if (slot == kNil) return Reason::kUnknownOrder;
  if (AccountOf(orders_[slot]) != account) return Reason::kNotOrderOwner;
  CancelSlot(slot, CancelReason::kUser);
  return Reason::kOk;
}

Reason OrderBook::CancelByClientId(AccountId account, ClientOrderId client_id) {
  ClearEvents();
  if (client_id == 0) return Reason::kInvalidClientOrderId;
  const std::uint32_t slot = FindClientSlot(account, client_id);
  if (slot == kNil) return Reason::kUnknownOrder;
  CancelSlot(slot, CancelReason::kUser);
  return Reason::kOk;
}

Reason OrderBook::CancelAll(AccountId account, std::uint32_t* canceled, CancelReason reason) {
  ClearEvents();
  if (canceled != nullptr) *canceled = 0;
  if (account == 0) return Reason::kInvalidAccount;
  const std::uint32_t ai = FindAccount(account);
  if (ai == kNil) return Reason::kOk;
  std::uint32_t n = 0;
  // The record is freed with the account's last order; walk by saved links.
  std::uint32_t slot = accounts_[ai].head;
  while (slot != kNil) {
    const std::uint32_t next = orders_[slot].acct_next;
    CancelSlot(slot, reason);
    ++n;
    slot = next;
  }
  if (canceled != nullptr) *canceled = n;
  return Reason::kOk;
}

Reason OrderBook::Amend(const AmendRequest& a) {
  ClearEvents();
  const std::uint32_t slot = FindSlot(a.id);
  if (slot == kNil) return Reason::kUnknownOrder;
  Order& o = orders_[slot];
  if (AccountOf(o) != a.account) return Reason::kNotOrderOwner;
  const std::int64_t size = a.new_size.raw();
  if (size <= 0) return Reason::kInvalidSize;
  if (config_.size_step.raw() != 1 && size % config_.size_step.raw() != 0) return Reason::kSizeNotOnStep;
  if (size > config_.max_order_size.raw()) return Reason::kSizeAboveMax;
  const std::int64_t price = a.new_price.raw();
  if (price <= 0) return Reason::kInvalidPrice;
  if (config_.price_step.raw() != 1 && price % config_.price_step.raw() != 0) return Reason::kPriceNotOnStep;
  const Level& old = levels_[o.level];
  const bool price_changed = price != old.price;
  if (price_changed && !InBand(price)) return Reason::kPriceOutsideBand;
  if (!price_changed && size == o.remaining) return Reason::kAmendNoChange;
  std::uint32_t new_level = o.level;
  if (price_changed) {
    const Side side = old.side;
    const LadderMap& opposite = Ladder(Opposite(side));
    if (!opposite.empty() &&
        Crosses(side, price, levels_[opposite.begin()->second].price)) {
      return Reason::kAmendWouldCross;
    }
    new_level = FindLevel(side, price);
    if (new_level == kNil) {
      const std::size_t after_removal = Ladder(side).size() - (old.count == 1 ? 1 : 0);
      if (after_removal >= config_.max_levels_per_side) return Reason::kTooManyLevels;
    } else if (levels_[new_level].total > kMaxI64 - size) {
      return Reason::kOverflow;
    }
  } else if (old.total - o.remaining > kMaxI64 - size) {
    return Reason::kOverflow;
  }

  const std::int64_t old_size = o.remaining;
  const bool keep_priority = !price_changed && size < old_size;
  if (keep_priority) {
    levels_[o.level].total -= old_size - size;
    o.remaining = size;
  } else {
    // Re-queue at the back. At an unchanged price the order may be its
    // level's only one: the level is then freed and created again.
    const bool old_gone = UnlinkFromLevel(slot);
    if (!price_changed && old_gone) new_level = kNil;
    o.remaining = size;
    if (new_level == kNil) {
      const Side side = levels_[o.level].side;
      new_level = CreateLevel(side, price, LevelHash(side, price), nullptr);
    }
    LinkToLevel(slot, new_level);
  }
  PushOrderEvent(EventKind::kAmended, o, price, CancelReason::kUser, old_size);
  events_.back().priority_kept = keep_priority;
  return Reason::kOk;
}

Reason OrderBook::SetReferencePrice(Ticks reference) {
  ClearEvents();
  const std::int64_t ref = reference.raw();
  if (ref < 0) return Reason::kInvalidPrice;
  reference_ = reference;
  const absl::int128 band = config_.price_band.raw();
  const absl::int128 scaled_lo = absl::int128(ref) * (kRateScale - band);
  const absl::int128 scaled_hi = absl::int128(ref) * (kRateScale + band);
  // lo rounds up and hi rounds down: the band never admits a price outside it.
  absl::int128 lo = scaled_lo / kRateScale;
  if (lo * kRateScale < scaled_lo) lo += 1;
  absl::int128 hi = scaled_hi / kRateScale;
  band_lo_ = lo < 1 ? 1 : static_cast<std::int64_t>(lo);
  band_hi_ = hi > kMaxI64 ? kMaxI64 : static_cast<std::int64_t>(hi);
  return Reason::kOk;
}

Reason OrderBook::SetPriceBand(Rate band) {
  ClearEvents();
  if (band.raw() < 0) return Reason::kInvalidConfig;
  config_.price_band = band;
  return SetReferencePrice(reference_);
}

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

std::optional<LevelView> OrderBook::Best(Side side) const {
  const LadderMap& ladder = Ladder(side);
  if (ladder.empty()) return std::nullopt;
  const Level& lv = levels_[ladder.begin()->second];
  return LevelView{Ticks(lv.price), Lots(lv.total), lv.count};
}

std::optional<Ticks> OrderBook::BestBid() const {
  if (bids_.empty()) return std::nullopt;
  return Ticks(levels_[bids_.begin()->second].price);
}

std::optional<Ticks> OrderBook::BestAsk() const {
  if (asks_.empty()) return std::nullopt;
  return Ticks(levels_[asks_.begin()->second].price);
}

std::size_t OrderBook::Depth(Side side, std::span<LevelView> out) const {
  std::size_t n = 0;
  const LadderMap& ladder = Ladder(side);
  for (auto it = ladder.begin(); it != ladder.end() && n < out.size(); ++it, ++n) {
    const Level& lv = levels_[it->second];
    out[n] = LevelView{Ticks(lv.price), Lots(lv.total), lv.count};
  }
  return n;
}

std::size_t OrderBook::OrdersAt(Side side, Ticks price, std::span<OrderView> out) const {
  if (price.raw() <= 0) return 0;  // no level there, and Key() must not negate INT64_MIN
  const std::uint32_t li = FindLevel(side, price.raw());
  if (li == kNil) return 0;
  std::size_t n = 0;
  for (std::uint32_t s = levels_[li].head; s != kNil && n < out.size();
       s = orders_[s].next) {
    out[n++] = View(orders_[s]);
  }
  return n;
}

std::optional<OrderView> OrderBook::Find(OrderId id) const {
  const std::uint32_t slot = FindSlot(id);
  if (slot == kNil) return std::nullopt;
  return View(orders_[slot]);
}

std::optional<OrderView> OrderBook::FindByClientId(AccountId account,
                                                   ClientOrderId client_id) const {
  if (client_id == 0) return std::nullopt;
  const std::uint32_t slot = FindClientSlot(account, client_id);
  if (slot == kNil) return std::nullopt;
  return View(orders_[slot]);
}

std::uint32_t OrderBook::account_order_count(AccountId account) const {
  const std::uint32_t ai = FindAccount(account);
  return ai == kNil ? 0 : accounts_[ai].count;
}

std::size_t OrderBook::OrdersOf(AccountId account, std::span<OrderView> out) const {
  const std::uint32_t ai = FindAccount(account);
  if (ai == kNil) return 0;
  std::size_t n = 0;
  for (std::uint32_t s = accounts_[ai].head; s != kNil && n < out.size(); s = orders_[s].acct_next) {
    out[n++] = View(orders_[s]);
  }
  return n;
}

OrderView OrderBook::View(const Order& o) const {
  return OrderView{o.id,      AccountOf(o),      o.client_id, SideOf(o),
                   Ticks(PriceOf(o)), Lots(o.remaining), o.priority, o.stp_group};
}

// ---------------------------------------------------------------------------
// Invariants and canonical encoding
// ---------------------------------------------------------------------------

absl::Status OrderBook::CheckInvariants() const {
  auto fail = [](auto&&... parts) { return absl::InternalError(absl::StrCat(Printable(parts)...)); };
  std::size_t seen_orders = 0;
  std::size_t seen_client_ids = 0;
  for (Side side : {Side::kBuy, Side::kSell}) {
    const LadderMap& ladder = Ladder(side);
    if (ladder.size() > config_.max_levels_per_side) {
      return fail("side ", Raw(side), " has ", ladder.size(), " levels, above the limit");
    }
    for (const auto& [key, li] : ladder) {
      if (li >= levels_.size()) return fail("ladder key ", key, " points past the level pool");
      const Level& lv = levels_[li];
      if (lv.side != side || Key(side, lv.price) != key) {
        return fail("ladder key ", key, " disagrees with level price ", lv.price);
      }
      if (lv.price <= 0 || lv.price % config_.price_step.raw() != 0) {
        return fail("level price ", lv.price, " is not a positive multiple of the step");
      }
      std::int64_t sum = 0;
      std::uint32_t count = 0;
      std::uint64_t last_priority = 0;
      std::uint32_t prev = kNil;
      for (std::uint32_t s = lv.head; s != kNil; s = orders_[s].next) {
        const Order& o = orders_[s];
        if (o.prev != prev) return fail("order ", o.id, " has a broken prev link");
        if (o.level != li) return fail("order ", o.id, " is in the wrong level");
        if (o.account >= accounts_.size() || accounts_[o.account].count == 0) {
          return fail("order ", o.id, " points to a free account record");
        }
        if (o.remaining <= 0) return fail("order ", o.id, " rests with size ", o.remaining);
        if (o.priority <= last_priority) return fail("order ", o.id, " is out of arrival order");
        if (o.priority >= next_priority_) return fail("order ", o.id, " has a future priority");
        if (FindSlot(o.id) != s) return fail("order ", o.id, " is not indexed by id at its slot");
        if (o.client_id != 0) {
          if (FindClientSlot(AccountOf(o), o.client_id) != s) {
            return fail("order ", o.id, " is not indexed by its client id");
          }
          ++seen_client_ids;
        }
        if (__builtin_add_overflow(sum, o.remaining, &sum)) {
          return fail("level ", lv.price, " total overflows");
        }
        last_priority = o.priority;
        prev = s;
        ++count;
        if (count > orders_.size()) return fail("level ", lv.price, " queue has a cycle");
      }
      if (lv.tail != prev) return fail("level ", lv.price, " has a stale tail");
      if (FindLevel(side, lv.price) != li) return fail("level ", lv.price, " is not indexed");
      if (sum != lv.total) return fail("level ", lv.price, " total ", lv.total, " != sum ", sum);
      if (count != lv.count || count == 0) {
        return fail("level ", lv.price, " count ", lv.count, " != ", count);
      }
      seen_orders += count;
    }
  }
  if (auto bid = BestBid(), ask = BestAsk(); bid && ask && *bid >= *ask) {
    return fail("book is crossed at rest: bid ", bid->raw(), " >= ask ", ask->raw());
  }
  if (seen_orders != order_index_.size()) {
    return fail(order_index_.size(), " orders indexed by id, ", seen_orders, " in levels");
  }
  if (seen_client_ids != client_index_.size()) {
    return fail(client_index_.size(), " client ids indexed, ", seen_client_ids, " live");
  }
  if (seen_orders > config_.max_book_orders) return fail("book holds more than max_book_orders");
  std::size_t in_accounts = 0;
  std::size_t live_accounts = 0;
  for (std::uint32_t ai = 0; ai < accounts_.size(); ++ai) {
    const AccountRecord& a = accounts_[ai];
    if (a.count == 0) continue;  // a free record
    ++live_accounts;
    if (FindAccount(a.id) != ai) return fail("account ", a.id, " is not indexed");
    std::uint32_t count = 0;
    std::uint32_t prev = kNil;
    for (std::uint32_t s = a.head; s != kNil; s = orders_[s].acct_next) {
      const Order& o = orders_[s];
      if (o.account != ai || o.acct_prev != prev || o.id == 0) {
        return fail("account ", a.id, " list is broken at slot ", s);
      }
      prev = s;
      if (++count > orders_.size()) return fail("account ", a.id, " list has a cycle");
    }
    if (a.tail != prev || count != a.count) {
      return fail("account ", a.id, " count ", a.count, " != ", count);
    }
    if (count > config_.max_orders_per_account) {
      return fail("account ", a.id, " holds more than max_orders_per_account");
    }
    in_accounts += count;
  }
  if (live_accounts != account_index_.size()) {
    return fail(account_index_.size(), " accounts indexed, ", live_accounts, " live");
  }
  if (level_index_.size() != bids_.size() + asks_.size()) {
    return fail(level_index_.size(), " levels indexed, ", bids_.size() + asks_.size(), " live");
  }
  if (in_accounts != seen_orders) {
    return fail(in_accounts, " orders in account lists, ", seen_orders, " in levels");
  }
  return absl::OkStatus();
}

void OrderBook::EncodeCanonical(std::string* out) const {
  out->append("perpcore/book/v1");
  PutI64(out, config_.price_step.raw());
  PutI64(out, config_.size_step.raw());
  PutI64(out, config_.max_order_size.raw());
  PutU64(out, config_.max_orders_per_account);
  PutU64(out, config_.max_levels_per_side);
  PutU64(out, config_.max_book_orders);
  PutU64(out, config_.max_matches_per_order);
  PutI64(out, config_.price_band.raw());
  PutI64(out, reference_.raw());
  PutU64(out, next_priority_);
  std::uint64_t grouped = 0;  // orders with an STP group, for the last part
  for (Side side : {Side::kBuy, Side::kSell}) {
    const LadderMap& ladder = Ladder(side);
    PutU64(out, ladder.size());
    for (const auto& [key, li] : ladder) {
      const Level& lv = levels_[li];
      PutI64(out, lv.price);
      PutI64(out, lv.total);
      PutU64(out, lv.count);
      for (std::uint32_t s = lv.head; s != kNil; s = orders_[s].next) {
        const Order& o = orders_[s];
        PutU64(out, o.id);
        PutU64(out, AccountOf(o));
        PutU64(out, o.client_id);
        PutI64(out, o.remaining);
        PutU64(out, o.priority);
        grouped += o.stp_group != 0;
      }
    }
  }
  // Placement order per account decides CancelAll's event order, so it is
  // state; accounts are sorted by id because record slots are not state.
  std::vector<std::pair<AccountId, std::uint32_t>> live;
  for (std::uint32_t ai = 0; ai < accounts_.size(); ++ai) {
    if (accounts_[ai].count != 0) live.emplace_back(accounts_[ai].id, ai);
  }
  std::sort(live.begin(), live.end());
  PutU64(out, live.size());
  for (const auto& [id, ai] : live) {
    PutU64(out, id);
    PutU64(out, accounts_[ai].count);
    for (std::uint32_t s = accounts_[ai].head; s != kNil; s = orders_[s].acct_next) {
      PutU64(out, orders_[s].id);
    }
  }
  // STP groups, only if there are any, so that a book without them encodes
  // as it did before groups existed (see the header).
  if (grouped == 0) return;
  PutU64(out, grouped);
  for (Side side : {Side::kBuy, Side::kSell}) {
    for (const auto& [key, li] : Ladder(side)) {
      for (std::uint32_t s = levels_[li].head; s != kNil; s = orders_[s].next) {
        const Order& o = orders_[s];
        if (o.stp_group == 0) continue;
        PutU64(out, o.id);
        PutU64(out, o.stp_group);
      }
    }
  }
}

std::array<std::uint8_t, 32> OrderBook::Digest() const {
  std::string bytes;
  EncodeCanonical(&bytes);
  return detail::TaggedDigest("perpcore/book", bytes);
}

}  // namespace book
PERPCORE_NAMESPACE_END
