// -----------------------------------------------------------------------------
// File: benchmarks/workload.hpp
// -----------------------------------------------------------------------------
//
// Seeded, documented order-flow workloads for the order book benchmark. Not
// part of the library: benchmarks may use doubles and wall clocks.
//
// A workload is generated once, before any timing, by driving a real book
// (any class with OrderBook's Place/Cancel/events()/BestBid()/BestAsk()) and
// recording every message it sent; the timed runs replay the recording into
// fresh books. Driving a book is how the generator knows the live orders and
// the best prices as the stream evolves: fills and self-trade cancels remove
// orders, and the generator reads them from the events.
//
// The reference workload (ReferenceSpec):
//   * one instrument, mid 30,000 ticks, reference price 30,000 with a +-20%
//     band; 1,000 accounts; every order carries a client order id that is
//     unique per account (a per-account counter), so the client-id index,
//     the per-account order lists and limits, the band and the level limit
//     are all switched on (MakeConfig: max_orders_per_account 1,000,
//     max_levels_per_side 5,000, expected_orders left at the library
//     default so the pools grow during the warm-up); STP is the default
//     kCancelMaker and is exercised because accounts repeat, so an
//     aggressive order sometimes meets an order of its own account.
//   * warm-up: 10,000 passive adds (not timed);
//   * then 1,000,000 messages. For each, with L = 10,000 and live = the book's
//     live orders:
//       - with probability 5%: an aggressive GTC limit order on a random side,
//         size uniform in [1, 200], priced 0..3 ticks (uniform) through the
//         opposite best (a buy at best_ask + k); what does not fill rests;
//       - else with probability min(0.95, 0.5 * live / L): a cancel of a live
//         order chosen uniformly (by its owner's account);
//       - else a passive GTC add on a random side, size uniform in [1, 100],
//         1 + floor(Exp(mean 20)) ticks behind the opposite best (a buy at
//         best_ask - 1 - floor(Exp)), so it never crosses.
//     With an empty opposite side, the mid stands in for the opposite best,
//     and an aggressive order becomes a passive add; with no live order, a
//     cancel becomes a passive add.
//   That settles near 9,000 live orders over about 250 levels (with the
//   default seed: 8,466..10,005 live while measured, 8,668 orders on 242
//   levels at the end; ~2.6 fills an aggressive order, and 118 self-trade
//   cancels in the million messages).
//
// Variants:
//   deep          L = 100,000 and a warm-up of 100,000 passive adds: the same
//                 flow over about ten times the live orders (~87,000 on
//                 ~340 levels at the end with the default seed).
//   many_markets  1,000 books; each message targets a uniformly chosen book;
//                 per book L = 1,000 and a warm-up of 1,000 passive adds (so
//                 about 910 live orders on ~150 levels per book, ~911,000
//                 orders in all); the same 1,000 accounts trade in every
//                 book; 1,000,000 messages in all (about 1,000 per book).
// The smoke variants (SmokeSpec) are the same flows with 20,000 messages and
// fewer live orders: L and warm-up 1,000 (reference), 5,000 (deep), and 10
// books of 200 (many_markets).
//
// Randomness: xoshiro256** seeded through splitmix64; uniform integers by
// rejection (no modulo bias), uniform doubles from the top 53 bits, and the
// exponential by inversion, -mean * log(1 - u). Nothing uses <random>'s
// distributions, whose output differs between standard libraries. The only
// libm call is std::log; glibc's log is correctly rounded in practice, so the
// same seed gives the same stream on any glibc machine.
//
// Thread safety: none needed; generation is single-threaded.
#ifndef PERPCORE_BENCHMARKS_WORKLOAD_HPP_
#define PERPCORE_BENCHMARKS_WORKLOAD_HPP_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "perpcore/book/order_book.hpp"
#include "perpcore/book/types.hpp"
#include "support/rng.hpp"

namespace perpcore::bench {

using testing::Rng;

// MsgKind
//
// The operation class of a message; the benchmark reports latency per class.
enum class MsgKind : std::uint8_t {
  kPassiveAdd = 0,     // GTC limit that rests without crossing
  kAggressiveAdd = 1,  // GTC limit priced at or through the opposite best
  kCancel = 2,         // Cancel(account, id) of a live order
};
inline constexpr int kNumMsgKinds = 3;

inline const char* MsgKindName(MsgKind k) {
  switch (k) {
    case MsgKind::kPassiveAdd:
      return "passive_add";
    case MsgKind::kAggressiveAdd:
      return "aggressive_add";
    case MsgKind::kCancel:
      return "cancel";
  }
  return "unknown";
}

// Message
//
// One recorded request, 32 bytes so a million of them stream from memory at
// little cost. Places decode to an OrderRequest with ToRequest().
struct Message {
  OrderId id = 0;             // the new order's id, or the cancelled order's
  std::uint32_t account = 0;  // the owner
  std::uint32_t client_id = 0;
  std::int32_t price = 0;  // ticks; unused by a cancel
  std::uint32_t size = 0;  // lots; unused by a cancel
  std::uint32_t book = 0;  // which book (index) the message targets
  MsgKind kind = MsgKind::kPassiveAdd;
  book::Side side = book::Side::kBuy;
  std::uint16_t unused = 0;
};
static_assert(sizeof(Message) == 32, "Message is meant to be 32 bytes");

// ToRequest()
//
// The OrderRequest a place message stands for: a GTC limit order with the
// default STP mode (kCancelMaker) and no max_fill.
inline book::OrderRequest ToRequest(const Message& m) {
  book::OrderRequest r;
  r.id = m.id;
  r.account = AccountId(m.account);
  r.client_id = ClientOrderId(m.client_id);
  r.side = m.side;
  r.type = book::OrderType::kLimit;
  r.tif = book::TimeInForce::kGtc;
  r.stp = book::StpMode::kCancelMaker;
  r.price = Ticks(m.price);
  r.size = Lots(m.size);
  return r;
}

// WorkloadSpec
//
// Every parameter of a workload. See the file comment for what they mean.
struct WorkloadSpec {
  std::string name;
  std::uint64_t seed = 1;
  std::uint32_t books = 1;
  std::uint32_t accounts = 1000;
  std::uint64_t warmup_per_book = 10'000;  // passive adds per book, not timed
  std::uint64_t messages = 1'000'000;      // measured messages over all books
  double target_live_per_book = 10'000;    // L in min(0.95, 0.5 * live / L)
  double aggressive_prob = 0.05;
  double max_cancel_prob = 0.95;
  std::int64_t mid = 30'000;
  double depth_mean_ticks = 20.0;       // passive adds: 1 + floor(Exp(mean))
  std::int64_t passive_max_size = 100;  // sizes uniform in [1, max]
  std::int64_t aggressive_max_size = 200;
  std::int64_t max_through_ticks = 3;  // aggressive: 0..max through the best
  // Book limits (BookConfig): every feature switched on.
  std::uint32_t max_orders_per_account = 1000;
  std::uint32_t max_levels_per_side = 5000;
  std::int64_t band_percent = 20;  // +-20% around the reference price
  // BookConfig's capacity hint per book: the library default, so the pools
  // grow during the warm-up like an untuned deployment's.
  std::uint32_t expected_orders = book::BookConfig{}.expected_orders;
  // How many measured messages the benchmark times through the (slow)
  // reference book; 0 = all. Validation always replays all of them.
  std::uint64_t refbook_timed_messages = 0;
};

// MakeConfig()
//
// The BookConfig every book of the workload uses; the reference price is set
// to spec.mid with InitBook().
inline book::BookConfig MakeConfig(const WorkloadSpec& spec) {
  book::BookConfig c;
  c.price_step = Ticks(1);
  c.size_step = Lots(1);
  c.max_order_size = Lots(1'000'000);
  c.max_orders_per_account = spec.max_orders_per_account;
  c.max_levels_per_side = spec.max_levels_per_side;
  c.max_book_orders = 1u << 24;
  c.price_band = Rate(kRateScale / 100 * spec.band_percent);
  c.expected_orders = spec.expected_orders;
  return c;
}

// InitBook()
//
// Sets the reference price (and so the band). Returns false if refused.
template <class Book>
bool InitBook(const WorkloadSpec& spec, Book* b) {
  return b->SetReferencePrice(Ticks(spec.mid)) == book::Reason::kOk;
}

// ReferenceSpec() / DeepSpec() / ManyMarketsSpec()
//
// The three workloads of the file comment at full size.
inline WorkloadSpec ReferenceSpec(std::uint64_t seed) {
  WorkloadSpec s;
  s.name = "reference";
  s.seed = seed;
  return s;
}

inline WorkloadSpec DeepSpec(std::uint64_t seed) {
  WorkloadSpec s = ReferenceSpec(seed);
  s.name = "deep";
  s.warmup_per_book = 100'000;
  s.target_live_per_book = 100'000;
  s.refbook_timed_messages = 100'000;  // ~100 us a message at this depth
  return s;
}

inline WorkloadSpec ManyMarketsSpec(std::uint64_t seed) {
  WorkloadSpec s = ReferenceSpec(seed);
  s.name = "many_markets";
  s.books = 1000;
  s.warmup_per_book = 1'000;
  s.target_live_per_book = 1'000;
  return s;
}

// SmokeSpec()
//
// A small version of a named workload for the test command.
inline WorkloadSpec SmokeSpec(WorkloadSpec s) {
  s.messages = 20'000;
  if (s.books > 1) {
    s.books = 10;
    s.warmup_per_book = 200;
    s.target_live_per_book = 200;
  } else {
    // 1,000 for reference, 5,000 for deep: quick even under ASan.
    s.warmup_per_book = std::min<std::uint64_t>(s.warmup_per_book / 10, 5'000);
    s.target_live_per_book = static_cast<double>(s.warmup_per_book);
  }
  return s;
}

// WorkloadStats
//
// What the generator saw while driving its book. The replays must see the
// same: the benchmark checks live_at_end and rejects against them.
struct WorkloadStats {
  std::uint64_t count[kNumMsgKinds] = {};  // measured messages per kind
  std::uint64_t warmup_rejects = 0;        // refused warm-up requests (expected 0)
  std::uint64_t rejects = 0;               // refused measured requests (expected 0)
  std::uint64_t fills = 0;                 // kFill events, measured phase
  std::uint64_t stp_cancels = 0;           // kCanceled kSelfTrade, measured phase
  std::uint64_t live_at_start = 0;         // after the warm-up, all books
  std::uint64_t live_at_end = 0;
  std::uint64_t peak_live = 0;  // highest total during the measured phase
  std::uint64_t min_live = 0;   // lowest total during the measured phase
};

// Workload
//
// The recorded stream: `warmup` is applied before timing, `measured` is what
// the timed loops replay. Orders ids are globally unique (1, 2, ...).
struct Workload {
  WorkloadSpec spec;
  std::vector<Message> warmup;
  std::vector<Message> measured;
  WorkloadStats stats;
};

namespace detail {

// LiveEntry: what the book workload keeps of a live order.
struct LiveEntry {
  OrderId id;
  std::uint32_t account;
};

// LiveSetOf<Entry>
//
// Live orders of every book, each book's in a vector with swap-remove so a
// uniform pick is O(1); pos_ maps an order id to its slot (ids are dense).
// Entry is any struct with an `OrderId id` member (the engine benchmark keeps
// side, price and size as well).
template <class EntryT>
class LiveSetOf {
 public:
  using Entry = EntryT;
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

  LiveSetOf(std::uint32_t books, std::uint64_t max_id)
      : per_book_(books), pos_(max_id + 1, kNone) {}

  void Add(std::uint32_t b, const Entry& e) {
    pos_[e.id.value()] = static_cast<std::uint32_t>(per_book_[b].size());
    per_book_[b].push_back(e);
    ++total_;
  }
  // Removes `id` from book b if it is live there; a no-op otherwise (e.g. a
  // taker cancelled by self-trade prevention was never live).
  void Remove(std::uint32_t b, OrderId order) {
    const std::uint64_t id = order.value();
    if (id >= pos_.size() || pos_[id] == kNone) return;
    std::vector<Entry>& v = per_book_[b];
    const std::uint32_t slot = pos_[id];
    v[slot] = v.back();
    pos_[v[slot].id.value()] = slot;
    v.pop_back();
    pos_[id] = kNone;
    --total_;
  }
  // The live entry of `id` (live in book b, if at all), or nullptr.
  Entry* Find(std::uint32_t b, OrderId order) {
    const std::uint64_t id = order.value();
    if (id >= pos_.size() || pos_[id] == kNone) return nullptr;
    return &per_book_[b][pos_[id]];
  }
  const std::vector<Entry>& Book(std::uint32_t b) const { return per_book_[b]; }
  std::uint64_t total() const { return total_; }

 private:
  std::vector<std::vector<Entry>> per_book_;
  std::vector<std::uint32_t> pos_;
  std::uint64_t total_ = 0;
};

using LiveSet = LiveSetOf<LiveEntry>;

}  // namespace detail

// Generate()
//
// Builds the workload of `spec` by driving spec.books fresh `Book`s
// (constructed from MakeConfig(spec), then InitBook()) and recording every
// message. Deterministic in spec (and so in spec.seed).
template <class Book>
Workload Generate(const WorkloadSpec& spec) {
  Workload w;
  w.spec = spec;
  const std::uint64_t total_warmup = spec.warmup_per_book * spec.books;
  w.warmup.reserve(total_warmup);
  w.measured.reserve(spec.messages);

  const book::BookConfig config = MakeConfig(spec);
  std::vector<Book> books;
  books.reserve(spec.books);
  for (std::uint32_t b = 0; b < spec.books; ++b) {
    books.emplace_back(config);
    InitBook(spec, &books.back());
  }

  Rng rng(spec.seed);
  detail::LiveSet live(spec.books, total_warmup + spec.messages);
  std::vector<std::uint32_t> next_client(spec.accounts + 1, 0);
  std::uint64_t next_id = 1;  // the next OrderId
  bool measuring = false;

  // Applies one message to its book, updates the live set from the events,
  // and records it.
  auto apply = [&](const Message& m, std::vector<Message>* out) {
    Book& bk = books[m.book];
    bool ok;
    if (m.kind == MsgKind::kCancel) {
      ok = bk.Cancel(AccountId(m.account), m.id) == book::Reason::kOk;
    } else {
      ok = bk.Place(ToRequest(m)).ok();
    }
    if (!ok) ++(measuring ? w.stats.rejects : w.stats.warmup_rejects);
    for (const book::Event& e : bk.events()) {
      switch (e.kind) {
        case book::EventKind::kFill:
          if (measuring) ++w.stats.fills;
          if (e.maker_remaining.raw() == 0) live.Remove(m.book, e.maker_order_id);
          break;
        case book::EventKind::kCanceled:
          if (measuring && e.reason == book::CancelReason::kSelfTrade) ++w.stats.stp_cancels;
          if (e.remaining.raw() == 0) live.Remove(m.book, e.order_id);
          break;
        case book::EventKind::kRested:
          live.Add(m.book, {e.order_id, static_cast<std::uint32_t>(e.account.value())});
          break;
        case book::EventKind::kReduced:
        case book::EventKind::kAmended:
          break;
      }
    }
    out->push_back(m);
    if (measuring) {
      ++w.stats.count[static_cast<int>(m.kind)];
      w.stats.peak_live = std::max(w.stats.peak_live, live.total());
      w.stats.min_live = std::min(w.stats.min_live, live.total());
    }
  };

  // A new order of a random account with a fresh client id.
  auto new_order = [&](std::uint32_t b, MsgKind kind) {
    Message m;
    m.id = OrderId(next_id++);
    m.account = static_cast<std::uint32_t>(1 + rng.Below(spec.accounts));
    m.client_id = ++next_client[m.account];
    m.book = b;
    m.kind = kind;
    m.side = rng.Below(2) == 0 ? book::Side::kBuy : book::Side::kSell;
    return m;
  };

  auto passive = [&](std::uint32_t b) {
    Message m = new_order(b, MsgKind::kPassiveAdd);
    const Book& bk = books[b];
    const auto behind = 1 + static_cast<std::int64_t>(rng.Exp(spec.depth_mean_ticks));
    std::int64_t price;
    if (m.side == book::Side::kBuy) {
      const auto ask = bk.BestAsk();
      price = (ask ? ask->raw() : spec.mid) - behind;
    } else {
      const auto bid = bk.BestBid();
      price = (bid ? bid->raw() : spec.mid) + behind;
    }
    m.price = static_cast<std::int32_t>(price);
    m.size = static_cast<std::uint32_t>(rng.Between(1, spec.passive_max_size));
    return m;
  };

  // Warm-up: passive adds only, book by book.
  for (std::uint32_t b = 0; b < spec.books; ++b) {
    for (std::uint64_t i = 0; i < spec.warmup_per_book; ++i) apply(passive(b), &w.warmup);
  }

  w.stats.live_at_start = live.total();
  w.stats.min_live = live.total();
  measuring = true;
  for (std::uint64_t i = 0; i < spec.messages; ++i) {
    const auto b = static_cast<std::uint32_t>(spec.books == 1 ? 0 : rng.Below(spec.books));
    const Book& bk = books[b];
    const std::vector<detail::LiveSet::Entry>& lv = live.Book(b);
    const double p_cancel = std::min(
        spec.max_cancel_prob, 0.5 * static_cast<double>(lv.size()) / spec.target_live_per_book);
    const double u = rng.Uniform01();
    if (u < spec.aggressive_prob) {
      Message m = new_order(b, MsgKind::kAggressiveAdd);
      const auto opposite = m.side == book::Side::kBuy ? bk.BestAsk() : bk.BestBid();
      if (opposite) {
        const std::int64_t through = rng.Between(0, spec.max_through_ticks);
        const std::int64_t price =
            m.side == book::Side::kBuy ? opposite->raw() + through : opposite->raw() - through;
        m.price = static_cast<std::int32_t>(price);
        m.size = static_cast<std::uint32_t>(rng.Between(1, spec.aggressive_max_size));
        apply(m, &w.measured);
        continue;
      }
      --next_id;  // nothing to hit: fall through to a passive add instead
      --next_client[m.account];
    } else if (u < spec.aggressive_prob + p_cancel && !lv.empty()) {
      const detail::LiveSet::Entry victim = lv[rng.Below(lv.size())];
      Message m;
      m.id = victim.id;
      m.account = victim.account;
      m.book = b;
      m.kind = MsgKind::kCancel;
      apply(m, &w.measured);
      continue;
    }
    apply(passive(b), &w.measured);
  }
  w.stats.live_at_end = live.total();
  return w;
}

}  // namespace perpcore::bench

#endif  // PERPCORE_BENCHMARKS_WORKLOAD_HPP_
