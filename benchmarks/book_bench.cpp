// -----------------------------------------------------------------------------
// File: benchmarks/book_bench.cpp
// -----------------------------------------------------------------------------
//
// Order book benchmark: replays the seeded workloads of workload.hpp through
// perpcore's OrderBook ("book/<workload>") and through the naive
// testing::ReferenceBook ("refbook/<workload>") in the same process, checks
// that both produced identical results, and reports:
//
//   ops_per_sec   messages / wall time of the whole measured replay, timed
//                 with std::chrono::steady_clock around the loop, with no
//                 per-operation timing inside it. The median of up to --reps
//                 passes (default 5; each on fresh books after an untimed
//                 warm-up; repeats stop once 3 s have been spent), and the
//                 best of them. The reference book is timed on the first
//                 WorkloadSpec::refbook_timed_messages measured messages
//                 (100,000 for deep, where it needs ~100 us a message; all
//                 of them elsewhere; --ref-messages overrides).
//   p50/p99/p99.9/max latency, overall and per operation class (passive add,
//                 aggressive add, cancel): a separate pass that reads the TSC
//                 around every message (x86: lfence; rdtsc; lfence before,
//                 rdtscp; lfence after), converted to ns by a calibration of
//                 the TSC against steady_clock over 200 ms. The cost of an
//                 empty start/stop pair is measured and printed as the timer
//                 overhead; it is included in (not subtracted from) the
//                 figures, and that pass's own throughput is printed next to
//                 the untimed one so the overhead can be judged.
//                 (Elsewhere than x86-64, steady_clock is read instead.)
//   allocs_per_op heap allocations during the measured messages / messages,
//                 counted by the replaced global operator new (alloc_counter.cpp; every
//                 form: sized, array, aligned, nothrow), in the first
//                 throughput pass; their requested sizes are binned by
//                 power of two and printed, to say where they come from.
//                 Target 0.
//   bytes_per_order  heap bytes in use attributable to the book(s) after the
//                 replay (bytes in use, by malloc_usable_size, when the
//                 replay ends minus before the books were built) / live
//                 orders at the end. bytes_per_peak_order divides by the
//                 highest live count instead, since pools keep their
//                 high-water mark.
//   peak_rss_bytes  VmHWM of /proc/self/status after the implementation's
//                 passes; the peak is reset (/proc/self/clear_refs "5") and
//                 free memory returned (malloc_trim) before its first pass.
//                 This is the whole process, recorded workload included;
//                 book_rss_bytes is VmHWM minus VmRSS just before the pass.
//   speedup_vs_refbook  book ops_per_sec / refbook ops_per_sec.
//   harness_floor_ns  ns a message through the same replay loop into a
//                 no-op book (message fetch, decode, call, tally): the part
//                 of every figure that is not the book.
//
// Validation: before timing, each implementation replays the whole workload
// once while hashing every result and event field, and then hashes its final
// L3 state (every level and every order in queue order; priority stamps
// excluded) after running CheckInvariants() where the class has it. The two
// must agree, or the run prints the first diverging message with both
// results and event lists and exits with status 1. Every timed pass must
// then reproduce its validated replay's tally (lots filled, events, rejects)
// and live order count, or the run exits with status 1. The benchmark cannot
// silently time wrong behaviour.
//
// Usage: book_bench [--smoke] [--json PATH] [--workload NAME[,NAME...]]
//                   [--messages N] [--seed S] [--reps N] [--ref-messages N]
//   NAME: reference, deep, many_markets, all (default all). --smoke runs every
//   workload with 20,000 messages (10 books for many_markets) and one pass.
//   Pin with taskset for steadier figures, e.g. `taskset -c 1 book_bench`.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alloc_counter.hpp"
#include "bench_common.hpp"
#include "fmt/format.h"
#include "perpcore/book/order_book.hpp"
#include "perpcore/book/types.hpp"
#include "support/reference_book.hpp"
#include "workload.hpp"

namespace perpcore::bench {
namespace {

using book::OrderBook;
using testing::ReferenceBook;

// -----------------------------------------------------------------------------
// Replay
// -----------------------------------------------------------------------------

// Tally
//
// A cheap summary every timed pass accumulates, so no call can be optimised
// away and each pass can be checked against the validated replay.
struct Tally {
  std::int64_t filled = 0;
  std::uint64_t events = 0;
  std::uint64_t rejects = 0;
  friend bool operator==(const Tally&, const Tally&) = default;
};

template <class Book>
PERPCORE_BENCH_INLINE void Apply(Book& b, const Message& m, Tally* t) {
  if (m.kind == MsgKind::kCancel) {
    t->rejects += b.Cancel(AccountId(m.account), m.id) != perpcore::Reason::kOk;
  } else {
    const book::PlaceResult r = b.Place(ToRequest(m));
    t->filled += r.filled.raw();
    t->rejects += !r.ok();
  }
  t->events += b.events().size();
}

template <class Book>
std::vector<Book> MakeBooks(const WorkloadSpec& spec) {
  const book::BookConfig config = MakeConfig(spec);
  std::vector<Book> books;
  books.reserve(spec.books);
  for (std::uint32_t i = 0; i < spec.books; ++i) {
    books.emplace_back(config);
    if (!InitBook(spec, &books.back())) {
      std::fprintf(stderr, "error: SetReferencePrice(%" PRId64 ") refused\n", spec.mid);
      std::exit(1);
    }
  }
  return books;
}

template <class Book>
void WarmUp(const Workload& w, std::vector<Book>* books) {
  Tally t;
  for (const Message& m : w.warmup) Apply((*books)[m.book], m, &t);
}

// NullBook
//
// Does nothing, behind an out-of-line call the compiler cannot see through:
// replaying through it measures the harness itself (message fetch, decode,
// call, tally), the floor under every figure.
class NullBook {
 public:
  explicit NullBook(const book::BookConfig&) {}
  __attribute__((noinline)) book::PlaceResult Place(const book::OrderRequest& o) {
    asm volatile("" : : "r"(&o) : "memory");
    return {};
  }
  __attribute__((noinline)) perpcore::Reason Cancel(AccountId account, OrderId id) {
    asm volatile("" : : "r"(account), "r"(id) : "memory");
    return perpcore::Reason::kOk;
  }
  std::span<const book::Event> events() const { return {}; }
};

// HarnessFloorNs(): ns per measured message through NullBook (best of 3).
double HarnessFloorNs(const Workload& w) {
  double best = 1e300;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<NullBook> books;
    books.reserve(w.spec.books);
    for (std::uint32_t i = 0; i < w.spec.books; ++i) books.emplace_back(book::BookConfig{});
    Tally t;
    const auto t0 = Clock::now();
    for (const Message& m : w.measured) Apply(books[m.book], m, &t);
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    best = std::min(best, ns / static_cast<double>(w.measured.size()));
  }
  return best;
}

void HashEvent(const book::Event& e, Hasher* h) {
  h->Add(static_cast<std::uint64_t>(e.kind));
  h->Add(static_cast<std::uint64_t>(e.side));
  h->Add(static_cast<std::uint64_t>(e.reason));
  h->Add(static_cast<std::uint64_t>(e.priority_kept));
  h->Add(e.order_id);
  h->Add(e.account);
  h->Add(e.price.raw());
  h->Add(e.size.raw());
  h->Add(e.remaining.raw());
  h->Add(e.maker_order_id);
  h->Add(e.maker_account);
  h->Add(e.maker_remaining.raw());
}

// The outcome of one message, for hashing and for diagnosing a divergence.
struct Outcome {
  perpcore::Reason reason = perpcore::Reason::kOk;
  book::PlaceResult place;
  std::vector<book::Event> events;
};

template <class Book>
Outcome ApplyRecorded(Book& b, const Message& m) {
  Outcome o;
  if (m.kind == MsgKind::kCancel) {
    o.reason = b.Cancel(AccountId(m.account), m.id);
  } else {
    o.place = b.Place(ToRequest(m));
    o.reason = o.place.reason;
  }
  const std::span<const book::Event> ev = b.events();
  o.events.assign(ev.begin(), ev.end());
  return o;
}

// StateSummary: the final L3 state, implementation-independently hashed.
struct StateSummary {
  std::uint64_t hash = 0;
  std::uint64_t live = 0;
  std::uint64_t bid_levels = 0;
  std::uint64_t ask_levels = 0;
};

template <class Book>
StateSummary Summarise(const std::vector<Book>& books) {
  StateSummary s;
  Hasher h;
  std::vector<book::LevelView> levels;
  std::vector<book::OrderView> orders;
  for (const Book& b : books) {
    s.live += b.order_count();
    h.Add(static_cast<std::uint64_t>(b.order_count()));
    for (const book::Side side : {book::Side::kBuy, book::Side::kSell}) {
      const std::size_t n = b.level_count(side);
      (side == book::Side::kBuy ? s.bid_levels : s.ask_levels) += n;
      h.Add(static_cast<std::uint64_t>(n));
      levels.resize(n);
      const std::size_t got = b.Depth(side, std::span<book::LevelView>(levels));
      h.Add(static_cast<std::uint64_t>(got));
      for (std::size_t i = 0; i < got; ++i) {
        const book::LevelView& lv = levels[i];
        h.Add(lv.price.raw());
        h.Add(lv.total.raw());
        h.Add(static_cast<std::uint64_t>(lv.orders));
        orders.resize(lv.orders);
        const std::size_t k = b.OrdersAt(side, lv.price, std::span<book::OrderView>(orders));
        h.Add(static_cast<std::uint64_t>(k));
        // Priority stamps are implementation-specific; queue order is not.
        for (std::size_t j = 0; j < k; ++j) {
          const book::OrderView& o = orders[j];
          h.Add(o.id);
          h.Add(o.account);
          h.Add(o.client_id);
          h.Add(static_cast<std::uint64_t>(o.side));
          h.Add(o.price.raw());
          h.Add(o.remaining.raw());
        }
      }
    }
  }
  s.hash = h.h;
  return s;
}

// Validation
//
// One implementation's untimed replay: a hash of every result and event, the
// measured-phase tally, and the final state.
// What a timed pass over the first `messages` measured messages must
// reproduce: its tally, the live orders after it, and the peak live count.
struct Checkpoint {
  std::uint64_t messages = 0;
  Tally tally;
  std::uint64_t live = 0;
  std::uint64_t peak_live = 0;
};

struct Validation {
  std::uint64_t stream_hash = 0;
  Tally tally;
  StateSummary state;
  Checkpoint prefix;  // after the first `prefix_messages` measured messages
};

template <class Book>
Validation Validate(const Workload& w, std::uint64_t prefix_messages) {
  Validation v;
  Hasher h;
  std::vector<Book> books = MakeBooks<Book>(w.spec);
  std::uint64_t live = 0;
  auto run = [&](const std::vector<Message>& msgs, Tally* t, bool measured) {
    for (const Message& m : msgs) {
      Book& b = books[m.book];
      const std::uint64_t live_before = b.order_count();
      if (m.kind == MsgKind::kCancel) {
        const perpcore::Reason r = b.Cancel(AccountId(m.account), m.id);
        h.Add(static_cast<std::uint64_t>(r));
        t->rejects += r != perpcore::Reason::kOk;
      } else {
        const book::PlaceResult r = b.Place(ToRequest(m));
        h.Add(static_cast<std::uint64_t>(r.reason));
        h.Add(r.filled.raw());
        h.Add(r.rested.raw());
        h.Add(r.rest_price.raw());
        t->filled += r.filled.raw();
        t->rejects += !r.ok();
      }
      t->events += b.events().size();
      h.Add(static_cast<std::uint64_t>(b.events().size()));
      for (const book::Event& e : b.events()) HashEvent(e, &h);
      live = live + b.order_count() - live_before;
      if (measured && v.prefix.messages < prefix_messages) {
        ++v.prefix.messages;
        v.prefix.peak_live = std::max(v.prefix.peak_live, live);
        if (v.prefix.messages == prefix_messages) {
          v.prefix.tally = *t;
          v.prefix.live = live;
        }
      }
    }
  };
  Tally warm;
  run(w.warmup, &warm, false);
  v.prefix.peak_live = live;
  run(w.measured, &v.tally, true);
  if constexpr (requires(const Book& b) { b.CheckInvariants(); }) {
    for (const Book& b : books) {
      const absl::Status st = b.CheckInvariants();
      if (!st.ok()) {
        std::fprintf(stderr, "error: CheckInvariants failed after the %s replay: %s\n",
                     w.spec.name.c_str(), std::string(st.message()).c_str());
        std::exit(1);
      }
    }
  }
  v.stream_hash = h.h;
  v.state = Summarise(books);
  return v;
}

std::string DescribeMessage(const Message& m) {
  if (m.kind == MsgKind::kCancel) {
    return fmt::format("Cancel(book {}, account {}, id {})", m.book, m.account, m.id);
  }
  return fmt::format("Place(book {}, {} id {} account {} client {} {} {} @ {})", m.book,
                     MsgKindName(m.kind), m.id, m.account, m.client_id,
                     m.side == book::Side::kBuy ? "buy" : "sell", m.size, m.price);
}

std::string DescribeOutcome(const Outcome& o) {
  std::string s = fmt::format("reason {} filled {} rested {} @ {}; {} events",
                              static_cast<int>(o.reason), o.place.filled.raw(),
                              o.place.rested.raw(), o.place.rest_price.raw(), o.events.size());
  for (const book::Event& e : o.events) {
    s += fmt::format(
        "\n      kind {} side {} reason {} kept {} order {} acct {} price {} size {} rem {} "
        "maker {} macct {} mrem {}",
        static_cast<int>(e.kind), static_cast<int>(e.side), static_cast<int>(e.reason),
        e.priority_kept, e.order_id, e.account, e.price.raw(), e.size.raw(), e.remaining.raw(),
        e.maker_order_id, e.maker_account, e.maker_remaining.raw());
  }
  return s;
}

// Diagnose(): replays both implementations in lockstep and prints the first
// message whose result or events differ, then exits with status 1.
[[noreturn]] void Diagnose(const Workload& w, const char* what) {
  std::fprintf(stderr, "\nerror: OrderBook and ReferenceBook disagree on workload %s (%s)\n",
               w.spec.name.c_str(), what);
  std::vector<OrderBook> a = MakeBooks<OrderBook>(w.spec);
  std::vector<ReferenceBook> b = MakeBooks<ReferenceBook>(w.spec);
  std::uint64_t index = 0;
  for (const std::vector<Message>* part : {&w.warmup, &w.measured}) {
    for (const Message& m : *part) {
      const Outcome x = ApplyRecorded(a[m.book], m);
      const Outcome y = ApplyRecorded(b[m.book], m);
      if (x.place != y.place || x.reason != y.reason || x.events != y.events) {
        std::fprintf(stderr,
                     "  first difference at message %" PRIu64 " (%s message %" PRIu64
                     "): %s\n"
                     "    OrderBook:     %s\n    ReferenceBook: %s\n",
                     index, part == &w.warmup ? "warm-up" : "measured",
                     part == &w.warmup ? index : index - w.warmup.size(),
                     DescribeMessage(m).c_str(), DescribeOutcome(x).c_str(),
                     DescribeOutcome(y).c_str());
        std::exit(1);
      }
      ++index;
    }
  }
  std::fprintf(stderr,
               "  every result and event matched; the final L3 states differ "
               "(a query disagrees)\n");
  std::exit(1);
}

// -----------------------------------------------------------------------------
// Measurement
// -----------------------------------------------------------------------------

struct Result {
  std::string name;                     // "book/reference"
  std::string impl;                     // "book" / "refbook"
  std::string workload;                 // "reference"
  std::uint64_t messages = 0;           // timed (a prefix for some refbook runs)
  std::uint64_t workload_messages = 0;  // the workload's measured messages
  std::uint64_t warmup_messages = 0;
  std::uint32_t books = 0;
  std::vector<double> ops_per_sec_runs;
  double ops_per_sec = 0;       // median of the untimed-per-op passes
  double ops_per_sec_best = 0;  // the fastest of them
  double latency_pass_ops_per_sec = 0;
  Percentiles all;
  Percentiles by_kind[kNumMsgKinds];
  std::uint64_t allocs = 0;  // during the measured messages (first pass)
  double allocs_per_op = 0;
  std::string alloc_sizes;  // "<=256B:900 ..." for those allocations
  std::uint64_t warmup_allocs = 0;
  std::int64_t book_heap_bytes = 0;
  double bytes_per_order = 0;
  double bytes_per_peak_order = 0;
  std::uint64_t live_orders = 0;
  std::uint64_t peak_live_orders = 0;
  std::uint64_t bid_levels = 0, ask_levels = 0;
  std::uint64_t peak_rss_bytes = 0;
  std::int64_t book_rss_bytes = 0;
  double speedup_vs_refbook = 0;
  double harness_floor_ns = 0;  // per message, through NullBook
  Tally tally;
};

struct Options {
  bool smoke = false;
  std::string json_path;
  std::vector<std::string> workloads = {"reference", "deep", "many_markets"};
  std::optional<std::uint64_t> messages;
  std::optional<std::uint64_t> ref_messages;  // cap on the refbook's timed messages
  std::uint64_t seed = 20240601;
  std::uint32_t reps = 5;
  double rep_budget_s = 3.0;  // stop repeating a pass once this much time is spent
};

void CheckTally(const Workload& w, const char* impl, const Tally& got, const Tally& want) {
  if (got == want) return;
  std::fprintf(stderr,
               "error: %s/%s: a timed pass diverged from its validated replay (filled %" PRId64
               " vs %" PRId64 ", events %" PRIu64 " vs %" PRIu64 ", rejects %" PRIu64 " vs %" PRIu64
               ")\n",
               impl, w.spec.name.c_str(), got.filled, want.filled, got.events, want.events,
               got.rejects, want.rejects);
  std::exit(1);
}

// Measure()
//
// Times the first want.messages measured messages (all of them, except for
// the reference book on a workload where that would take minutes).
template <class Book>
Result Measure(const Workload& w, const char* impl, const Checkpoint& want, const Options& opt,
               double ns_per_stamp) {
  Result r;
  r.impl = impl;
  r.workload = w.spec.name;
  r.name = r.impl + "/" + r.workload;
  const std::span<const Message> measured(w.measured.data(), want.messages);
  r.messages = measured.size();
  r.workload_messages = w.measured.size();
  r.warmup_messages = w.warmup.size();
  r.books = w.spec.books;
  r.peak_live_orders = want.peak_live;
  const auto n = static_cast<double>(measured.size());

  const bool hwm_reset = ResetPeakRss();
  const std::uint64_t rss_before = ProcStatusBytes("VmRSS:");

  // Throughput passes: nothing but the replay inside the timed region.
  const auto budget_start = Clock::now();
  for (std::uint32_t rep = 0; rep < opt.reps; ++rep) {
    const std::int64_t heap_before = g_alloc.bytes_in_use;
    const std::uint64_t allocs_before_books = g_alloc.allocs;
    std::vector<Book> books = MakeBooks<Book>(w.spec);
    WarmUp(w, &books);
    const std::uint64_t allocs_before = g_alloc.allocs;
    std::fill(std::begin(g_alloc.by_log2_size), std::end(g_alloc.by_log2_size), 0);
    g_alloc.histogram_on = rep == 0;
    Tally t;
    const auto t0 = Clock::now();
    for (const Message& m : measured) Apply(books[m.book], m, &t);
    const auto t1 = Clock::now();
    g_alloc.histogram_on = false;
    const std::uint64_t allocs_after = g_alloc.allocs;
    const double secs = std::chrono::duration<double>(t1 - t0).count();
    r.ops_per_sec_runs.push_back(n / secs);
    CheckTally(w, impl, t, want.tally);
    if (rep == 0) {
      for (int k = 0; k < 65; ++k) {
        if (g_alloc.by_log2_size[k] == 0) continue;
        r.alloc_sizes += fmt::format("{}<={}B:{}", r.alloc_sizes.empty() ? "" : " ",
                                     std::uint64_t{1} << k, g_alloc.by_log2_size[k]);
      }
      r.tally = t;
      r.allocs = allocs_after - allocs_before;
      r.allocs_per_op = static_cast<double>(r.allocs) / n;
      r.warmup_allocs = allocs_before - allocs_before_books;
      r.book_heap_bytes = g_alloc.bytes_in_use - heap_before;
      for (const Book& b : books) {
        r.live_orders += b.order_count();
        r.bid_levels += b.level_count(book::Side::kBuy);
        r.ask_levels += b.level_count(book::Side::kSell);
      }
      if (r.live_orders != want.live) {
        std::fprintf(stderr,
                     "error: %s: %" PRIu64 " live orders after a timed pass, %" PRIu64
                     " after the validated replay\n",
                     r.name.c_str(), r.live_orders, want.live);
        std::exit(1);
      }
      r.bytes_per_order = r.live_orders == 0 ? 0
                                             : static_cast<double>(r.book_heap_bytes) /
                                                   static_cast<double>(r.live_orders);
      r.bytes_per_peak_order =
          r.peak_live_orders == 0
              ? 0
              : static_cast<double>(r.book_heap_bytes) / static_cast<double>(r.peak_live_orders);
    }
    if (SecondsSince(budget_start) > opt.rep_budget_s) break;
  }
  std::vector<double> sorted = r.ops_per_sec_runs;
  std::sort(sorted.begin(), sorted.end());
  r.ops_per_sec = sorted[sorted.size() / 2];
  r.ops_per_sec_best = sorted.back();

  // Latency pass: a stamp pair around every message.
  {
    std::vector<std::uint32_t> stamps(measured.size());
    std::vector<Book> books = MakeBooks<Book>(w.spec);
    WarmUp(w, &books);
    Tally t;
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < measured.size(); ++i) {
      const Message& m = measured[i];
      const std::uint64_t s0 = StartStamp();
      Apply(books[m.book], m, &t);
      const std::uint64_t s1 = StopStamp();
      stamps[i] = static_cast<std::uint32_t>(std::min<std::uint64_t>(s1 - s0, UINT32_MAX));
    }
    r.latency_pass_ops_per_sec = n / SecondsSince(t0);
    CheckTally(w, impl, t, want.tally);
    books.clear();
    books.shrink_to_fit();

    std::vector<std::uint32_t> by_kind[kNumMsgKinds];
    for (int k = 0; k < kNumMsgKinds; ++k) {
      by_kind[k].reserve(w.stats.count[k]);
    }
    for (std::size_t i = 0; i < measured.size(); ++i) {
      by_kind[static_cast<int>(measured[i].kind)].push_back(stamps[i]);
    }
    r.all = ComputePercentiles(&stamps, ns_per_stamp);
    for (int k = 0; k < kNumMsgKinds; ++k) {
      r.by_kind[k] = ComputePercentiles(&by_kind[k], ns_per_stamp);
    }
  }

  r.peak_rss_bytes = PeakRssBytes();
  r.book_rss_bytes = hwm_reset ? static_cast<std::int64_t>(r.peak_rss_bytes) -
                                     static_cast<std::int64_t>(rss_before)
                               : -1;
  return r;
}

// -----------------------------------------------------------------------------
// Reporting
// -----------------------------------------------------------------------------

void PrintWorkloadHeader(const Workload& w, double gen_secs) {
  const WorkloadStats& s = w.stats;
  const auto n = static_cast<double>(w.measured.size());
  fmt::print(
      "\nworkload {}: {} book(s), {} accounts, seed {}, warm-up {} passive adds, {} measured "
      "messages (generated in {:.2f} s)\n"
      "  mix: {:.2f}% passive add, {:.2f}% aggressive add, {:.2f}% cancel; {} fills, {} STP "
      "cancels, rejects {} (warm-up {})\n"
      "  live orders: {} after warm-up, {} at end, min {} / peak {} while measured\n",
      w.spec.name, w.spec.books, w.spec.accounts, w.spec.seed, w.warmup.size(), w.measured.size(),
      gen_secs, 100.0 * static_cast<double>(s.count[0]) / n,
      100.0 * static_cast<double>(s.count[1]) / n, 100.0 * static_cast<double>(s.count[2]) / n,
      s.fills, s.stp_cancels, s.rejects, s.warmup_rejects, s.live_at_start, s.live_at_end,
      s.min_live, s.peak_live);
  std::fflush(stdout);
}

void PrintTables(const std::vector<Result>& results) {
  fmt::print(
      "\nThroughput (M messages/s: median and best of the untimed-per-op passes, and the\n"
      "per-op-timed pass) and latency over all messages (ns, timer overhead included)\n");
  fmt::print("{:<22} {:>8} {:>7} {:>7} {:>7} {:>6} {:>6} {:>7} {:>9} {:>7} {:>7}\n", "name",
             "timed", "Mmsg/s", "best", "(timed)", "p50", "p99", "p99.9", "max", "mean", "vs ref");
  for (const Result& r : results) {
    fmt::print(
        "{:<22} {:>8} {:>7} {:>7} {:>7} {:>6.0f} {:>6.0f} {:>7.0f} {:>9.0f} {:>7.1f} "
        "{:>7}\n",
        r.name, r.messages, Mps(r.ops_per_sec), Mps(r.ops_per_sec_best),
        Mps(r.latency_pass_ops_per_sec), r.all.p50_ns, r.all.p99_ns, r.all.p999_ns, r.all.max_ns,
        r.all.mean_ns, r.impl == "book" ? fmt::format("{:.1f}x", r.speedup_vs_refbook) : "-");
  }
  fmt::print("\nLatency per operation class (ns: p50 / p99 / p99.9 / max)\n");
  fmt::print("{:<22} {:>32} {:>32} {:>32}\n", "name", "passive add", "aggressive add", "cancel");
  for (const Result& r : results) {
    std::string cols[kNumMsgKinds];
    for (int k = 0; k < kNumMsgKinds; ++k) {
      const Percentiles& p = r.by_kind[k];
      cols[k] =
          fmt::format("{:.0f} / {:.0f} / {:.0f} / {:.0f}", p.p50_ns, p.p99_ns, p.p999_ns, p.max_ns);
    }
    fmt::print("{:<22} {:>32} {:>32} {:>32}\n", r.name, cols[0], cols[1], cols[2]);
  }
  fmt::print("\nMemory and state at the end of the replay\n");
  fmt::print("{:<22} {:>10} {:>10} {:>11} {:>9} {:>9} {:>8} {:>12} {:>11} {:>11}\n", "name",
             "allocs/op", "allocs", "heap MiB", "B/order", "B/peak", "live", "levels b+a",
             "peakRSS MiB", "bookRSS MiB");
  for (const Result& r : results) {
    fmt::print(
        "{:<22} {:>10.6f} {:>10} {:>11.2f} {:>9.1f} {:>9.1f} {:>8} {:>12} {:>11.1f} {:>11}\n",
        r.name, r.allocs_per_op, r.allocs, static_cast<double>(r.book_heap_bytes) / 1048576.0,
        r.bytes_per_order, r.bytes_per_peak_order, r.live_orders,
        fmt::format("{}+{}", r.bid_levels, r.ask_levels),
        static_cast<double>(r.peak_rss_bytes) / 1048576.0,
        r.book_rss_bytes < 0 ? std::string("n/a")
                             : Fmt1(static_cast<double>(r.book_rss_bytes) / 1048576.0));
  }
  fmt::print("\nHeap allocations during the measured messages, by requested size\n");
  for (const Result& r : results) {
    if (r.impl != "book") continue;
    fmt::print("  {:<20} {}\n", r.name, r.alloc_sizes.empty() ? "none" : r.alloc_sizes);
  }
}

const Result* FindResult(const std::vector<Result>& results, std::string_view name) {
  for (const Result& r : results) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

void PrintTargets(const std::vector<Result>& results, bool smoke) {
  fmt::print("\nTargets{}\n",
             smoke ? " (smoke run: sizes too small to judge; shown for form)" : "");
  const Result* ref = FindResult(results, "book/reference");
  const Result* deep = FindResult(results, "book/deep");
  auto line = [](const char* what, bool measured, bool met, const std::string& got) {
    fmt::print("  [{}] {:<44} {}\n",
               !measured ? "n/a    "
               : met     ? "MET    "
                         : "NOT MET",
               what, measured ? got : std::string("(workload not run)"));
  };
  line(">= 20 million messages/s (book/reference)", ref != nullptr, ref && ref->ops_per_sec >= 20e6,
       ref ? fmt::format("{:.2f} M/s", ref->ops_per_sec / 1e6) : "");
  line("p99 <= 250 ns (book/reference)", ref != nullptr, ref && ref->all.p99_ns <= 250,
       ref ? fmt::format("{:.0f} ns", ref->all.p99_ns) : "");
  line("<= 64 bytes per resting order (book/reference)", ref != nullptr,
       ref && ref->bytes_per_order <= 64,
       ref ? fmt::format("{:.1f} B ({:.1f} B per peak-live order)", ref->bytes_per_order,
                         ref->bytes_per_peak_order)
           : "");
  {
    bool any = false, all_zero = true;
    std::string got;
    for (const Result& r : results) {
      if (r.impl != "book") continue;
      any = true;
      all_zero = all_zero && r.allocs == 0;
      got += fmt::format("{}{}={}", got.empty() ? "" : ", ", r.workload, r.allocs);
    }
    line("0 heap allocations per op (book/*, measured)", any, all_zero, got);
  }
  line(">= 20x the reference book (book/reference)", ref != nullptr,
       ref && ref->speedup_vs_refbook >= 20,
       ref ? fmt::format("{:.1f}x", ref->speedup_vs_refbook) : "");
  line("deep within 1.5x of shallow (ops/s)", ref && deep,
       ref && deep && deep->ops_per_sec * 1.5 >= ref->ops_per_sec,
       ref && deep ? fmt::format("reference/deep = {:.2f}x", ref->ops_per_sec / deep->ops_per_sec)
                   : "");
}

void JsonPercentiles(std::string* out, const char* prefix, const Percentiles& p) {
  *out += fmt::format(
      ",\n    \"{0}count\": {1}, \"{0}mean_ns\": {2:.1f}, \"{0}p50_ns\": {3:.1f}, "
      "\"{0}p99_ns\": {4:.1f}, \"{0}p999_ns\": {5:.1f}, \"{0}p9999_ns\": {6:.1f}, "
      "\"{0}max_ns\": {7:.1f}",
      prefix, p.count, p.mean_ns, p.p50_ns, p.p99_ns, p.p999_ns, p.p9999_ns, p.max_ns);
}

bool WriteJson(const std::string& path, const std::vector<Result>& results, const Options& opt,
               double ns_per_stamp, const Percentiles& overhead) {
  std::string out = "[";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const Result& r = results[i];
    out += i == 0 ? "\n  {" : ",\n  {";
    out += fmt::format(
        "\n    \"name\": \"{}\", \"impl\": \"{}\", \"workload\": \"{}\", \"smoke\": {}, "
        "\"seed\": {}, \"books\": {}, \"messages\": {}, \"workload_messages\": {}, "
        "\"warmup_messages\": {},"
        "\n    \"ops_per_sec\": {:.1f}, \"ops_per_sec_best\": {:.1f}, "
        "\"ops_per_sec_runs\": [{:.1f}], \"latency_pass_ops_per_sec\": {:.1f}, "
        "\"speedup_vs_refbook\": {:.3f}",
        r.name, r.impl, r.workload, opt.smoke, opt.seed, r.books, r.messages, r.workload_messages,
        r.warmup_messages, r.ops_per_sec, r.ops_per_sec_best, fmt::join(r.ops_per_sec_runs, ", "),
        r.latency_pass_ops_per_sec, r.speedup_vs_refbook);
    JsonPercentiles(&out, "", r.all);
    for (int k = 0; k < kNumMsgKinds; ++k) {
      JsonPercentiles(&out, (std::string(MsgKindName(static_cast<MsgKind>(k))) + "_").c_str(),
                      r.by_kind[k]);
    }
    out += fmt::format(
        ",\n    \"allocs\": {}, \"allocs_per_op\": {:.9f}, \"alloc_sizes\": \"{}\", "
        "\"warmup_allocs\": {}, "
        "\"book_heap_bytes\": {}, \"bytes_per_order\": {:.2f}, \"bytes_per_peak_order\": {:.2f},"
        "\n    \"live_orders\": {}, \"peak_live_orders\": {}, \"levels\": {}, \"bid_levels\": {}, "
        "\"ask_levels\": {}, \"peak_rss_bytes\": {}, \"book_rss_bytes\": {},"
        "\n    \"timer\": \"{}\", \"ns_per_stamp\": {:.6f}, \"timer_overhead_p50_ns\": {:.1f}, "
        "\"harness_floor_ns\": {:.2f}, \"filled_lots\": {}, \"events\": {}, "
        "\"rejects\": {}\n  }}",
        r.allocs, r.allocs_per_op, r.alloc_sizes, r.warmup_allocs, r.book_heap_bytes,
        r.bytes_per_order, r.bytes_per_peak_order, r.live_orders, r.peak_live_orders,
        r.bid_levels + r.ask_levels, r.bid_levels, r.ask_levels, r.peak_rss_bytes, r.book_rss_bytes,
        kStampSource, ns_per_stamp, overhead.p50_ns, r.harness_floor_ns, r.tally.filled,
        r.tally.events, r.tally.rejects);
  }
  out += "\n]\n";
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  return std::fclose(f) == 0 && ok;
}

// -----------------------------------------------------------------------------
// main
// -----------------------------------------------------------------------------

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "book_bench: %s\nusage: book_bench [--smoke] [--json PATH] "
               "[--workload reference|deep|many_markets|all[,...]] [--messages N] [--seed S] "
               "[--reps N] [--ref-messages N]\n",
               why);
  std::exit(2);
}

std::uint64_t ParseU64(const char* flag, const char* text) {
  const std::optional<std::uint64_t> v = ParseU64Text(text);
  if (!v.has_value()) {
    Usage(fmt::format("{} needs a non-negative integer, got '{}'", flag, text).c_str());
  }
  return *v;
}

Options ParseArgs(int argc, char** argv) {
  Options opt;
  bool reps_given = false;
  std::span<char*> args(argv, static_cast<std::size_t>(argc));
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view a = args[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= args.size()) Usage(fmt::format("{} needs a value", a).c_str());
      return args[++i];
    };
    if (a == "--smoke") {
      opt.smoke = true;
    } else if (a == "--json") {
      opt.json_path = value();
    } else if (a == "--messages") {
      opt.messages = ParseU64("--messages", value());
    } else if (a == "--ref-messages") {
      opt.ref_messages = ParseU64("--ref-messages", value());
    } else if (a == "--seed") {
      opt.seed = ParseU64("--seed", value());
    } else if (a == "--reps") {
      opt.reps = static_cast<std::uint32_t>(
          std::clamp<std::uint64_t>(ParseU64("--reps", value()), 1, 1000));
      reps_given = true;
    } else if (a == "--workload") {
      const std::string_view list = value();
      opt.workloads.clear();
      std::size_t start = 0;
      while (start <= list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        const std::string_view name = list.substr(start, comma - start);
        if (name == "all") {
          opt.workloads = {"reference", "deep", "many_markets"};
        } else if (name == "reference" || name == "deep" || name == "many_markets") {
          opt.workloads.emplace_back(name);
        } else {
          Usage(fmt::format("unknown workload '{}'", name).c_str());
        }
        start = comma + 1;
      }
    } else if (a == "--help" || a == "-h") {
      Usage("help");
    } else {
      Usage(fmt::format("unknown argument '{}'", a).c_str());
    }
  }
  if (opt.smoke && !reps_given) opt.reps = 1;
  if (opt.messages && *opt.messages == 0) Usage("--messages must be >= 1");
  if (opt.ref_messages && *opt.ref_messages == 0) Usage("--ref-messages must be >= 1");
  return opt;
}

WorkloadSpec SpecFor(const std::string& name, const Options& opt) {
  WorkloadSpec s = name == "deep"           ? DeepSpec(opt.seed)
                   : name == "many_markets" ? ManyMarketsSpec(opt.seed)
                                            : ReferenceSpec(opt.seed);
  if (opt.smoke) s = SmokeSpec(s);
  if (opt.messages) s.messages = *opt.messages;
  return s;
}

int Main(int argc, char** argv) {
  const Options opt = ParseArgs(argc, argv);

  const double ns_per_stamp = CalibrateStamp(opt.smoke ? 0.05 : 0.2);
  const Percentiles overhead = TimerOverhead(opt.smoke ? 100'000 : 1'000'000, ns_per_stamp);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  fmt::print(
      "perpcore book_bench{}: seed {}, up to {} timed pass(es) per implementation, host {}, "
      "{} CPUs online, load average {}\n"
      "timer: {}, {:.4f} ns per tick ({:.3f} GHz, calibrated against steady_clock); empty "
      "start/stop pair: p50 {:.1f} ns, p99 {:.1f} ns (included in latencies)\n",
      opt.smoke ? " (smoke)" : "", opt.seed, opt.reps, host, sysconf(_SC_NPROCESSORS_ONLN),
      LoadAverage(), kStampSource, ns_per_stamp, 1.0 / ns_per_stamp, overhead.p50_ns,
      overhead.p99_ns);

  std::vector<Result> results;
  bool stream_rejects = false;
  for (const std::string& name : opt.workloads) {
    const WorkloadSpec spec = SpecFor(name, opt);
    const auto g0 = Clock::now();
    Workload w = Generate<OrderBook>(spec);
    PrintWorkloadHeader(w, SecondsSince(g0));
    stream_rejects = stream_rejects || w.stats.rejects != 0 || w.stats.warmup_rejects != 0;

    const auto v0 = Clock::now();
    const std::uint64_t n = w.measured.size();
    const std::uint64_t ref_n = std::min<std::uint64_t>(
        n, opt.ref_messages.value_or(
               spec.refbook_timed_messages == 0 ? n : spec.refbook_timed_messages));
    const Validation vb = Validate<OrderBook>(w, n);
    const Validation vr = Validate<ReferenceBook>(w, ref_n);
    if (vb.stream_hash != vr.stream_hash || !(vb.tally == vr.tally)) {
      Diagnose(w, "results or events differ");
    }
    if (vb.state.hash != vr.state.hash) Diagnose(w, "final L3 state differs");
    if (vb.state.live != w.stats.live_at_end) {
      std::fprintf(stderr,
                   "error: %s: %" PRIu64 " live orders on replay, %" PRIu64 " when generated\n",
                   name.c_str(), vb.state.live, w.stats.live_at_end);
      return 1;
    }
    fmt::print(
        "  validated in {:.2f} s: OrderBook and ReferenceBook agree on {} results and "
        "{} events (stream hash {:016x}, final L3 hash {:016x}, {} live, {}+{} levels)\n",
        SecondsSince(v0), w.warmup.size() + w.measured.size(), vb.tally.events, vb.stream_hash,
        vb.state.hash, vb.state.live, vb.state.bid_levels, vb.state.ask_levels);
    std::fflush(stdout);

    const double floor_ns = HarnessFloorNs(w);
    fmt::print("  harness floor: {:.1f} ns a message (the same replay loop into a no-op book)\n",
               floor_ns);
    Result book_r = Measure<OrderBook>(w, "book", vb.prefix, opt, ns_per_stamp);
    book_r.harness_floor_ns = floor_ns;
    fmt::print("  {}: {} M msg/s, p99 {:.0f} ns\n", book_r.name, Mps(book_r.ops_per_sec),
               book_r.all.p99_ns);
    std::fflush(stdout);
    if (ref_n < n) {
      fmt::print("  refbook/{} is timed on the first {} measured messages only (--ref-messages)\n",
                 name, ref_n);
    }
    Result ref_r = Measure<ReferenceBook>(w, "refbook", vr.prefix, opt, ns_per_stamp);
    fmt::print("  {}: {} M msg/s, p99 {:.0f} ns\n", ref_r.name, Mps(ref_r.ops_per_sec),
               ref_r.all.p99_ns);
    ref_r.harness_floor_ns = floor_ns;
    book_r.speedup_vs_refbook = book_r.ops_per_sec / ref_r.ops_per_sec;
    ref_r.speedup_vs_refbook = 1.0;
    results.push_back(std::move(book_r));
    results.push_back(std::move(ref_r));
  }

  fmt::print("\nload average at the end: {}\n", LoadAverage());
  PrintTables(results);
  PrintTargets(results, opt.smoke);
  if (stream_rejects) {
    fmt::print(
        "\nwarning: the generated stream contains refused requests (see the rejects "
        "counts above); both books agreed on them\n");
  }
  if (!opt.json_path.empty()) {
    if (!WriteJson(opt.json_path, results, opt, ns_per_stamp, overhead)) {
      std::fprintf(stderr, "error: cannot write %s\n", opt.json_path.c_str());
      return 1;
    }
    fmt::print("\nwrote {}\n", opt.json_path);
  }
  return 0;
}

}  // namespace
}  // namespace perpcore::bench

int main(int argc, char** argv) { return perpcore::bench::Main(argc, argv); }
