// -----------------------------------------------------------------------------
// File: perpcore/oracle/oracle.hpp
// -----------------------------------------------------------------------------
//
// Oracle aggregation for one market: prices from several named sources,
// the index (median of fresh sources), a time-weighted average (TWAP) of the
// index, the deviation guards that trip a circuit breaker, and the mark price.
//
// Index (a quorum: no single source decides it). With n fresh sources, the
//   candidate is their median (for an even n the lower of the two middle
//   prices, so the candidate is always a price some source published). The
//   index is the candidate iff n >= min_sources and a strict majority of the
//   fresh sources (2 * agreeing > n) lie within max_source_deviation of it
//   (|p - candidate| * 1e18 <= max_source_deviation * candidate, exactly, in
//   128 bits); otherwise there is no index (Ticks(0)). So two fresh sources
//   must agree, one faulty source of three is outvoted, and a faulty half of
//   an even count leaves no index. min_sources >= 2 requires
//   max_source_deviation > 0 (Validate). min_sources = 1 (the default) is
//   the host's explicit choice to trust a single source when it is the only
//   fresh one: with one fresh source the index is its price.
//   A source is fresh at `now` iff now - publish_time <= staleness: a price
//   exactly `staleness` old still counts, one nanosecond older does not.
//   Sources can be retired (Retire()), which frees their slot.
// Usability at use time: an index is computed at a Refresh() and used by
//   later commands. usable_until() is the last time at which it may still be
//   used: the earliest publish_time + staleness over the fresh sources it was
//   computed from (after that one of them is stale), and at most the
//   Refresh time + max_mark_age (the mark is recomputed from the book only at
//   a Refresh). TimeNs(-1) without an index. After usable_until() the engine
//   refuses new risk in the market (kIndexStale) and values positions there
//   at a stressed value (engine.hpp, "Withdrawals") until a Refresh()
//   computes a new index.
// Breaker: tripped while either guard fails, cleared on the first Refresh()
//   at which both pass again. Without an index there is nothing to compare,
//   so the breaker keeps its state (losing the data does not resolve a
//   deviation; the engine stops new risk for want of an index anyway):
//   - source deviation: some fresh source differs from the index by more
//     than max_source_deviation of it (the quorum's rule: an outvoted
//     source trips it);
//   - TWAP deviation: the index differs from the TWAP by more than
//     max_twap_deviation of the TWAP (same rule; checked only once there is
//     a TWAP). The TWAP at a Refresh() does not yet contain that Refresh's
//     index, so a jump is measured against the history before it.
//   A zero threshold disables its guard. While tripped, the engine puts the
//   market in reduce-only.
// TWAP: the index is a step function of time; the TWAP is its time-weighted
//   mean over the last `twap_window`, kept in kTwapBuckets buckets of
//   twap_window / kTwapBuckets ns each (rounded down), so an update is O(1)
//   (amortized, and at most kTwapBuckets bucket rolls after a long gap).
//   Buckets are aligned to multiples of their width since time 0, and each
//   covers (start, start + width]. The window is exact to one bucket width: it
//   spans the full buckets behind the current one plus the current partial
//   bucket, so at a bucket boundary it is exactly kTwapBuckets widths long.
//   Periods without an index do not count. Rounded half-even to whole ticks.
// Book inputs at an impact notional: the book enters the mark only through
//   its impact prices (ImpactPrice(): the average price at which
//   impact_notional quote atoms fill against a side, as Binance's impact
//   bid/ask), never through the touch, so a few lots at an absurd price
//   move nothing; a side too thin to fill impact_notional within
//   kImpactLevels levels has no impact price.
// Mark price: the median of three prices (Binance USD-M's "mark price" rule),
//   then clamped to the index +- mark_cap:
//     1. index + basis, the basis being the time-weighted mean of
//        (impact mid - index) over the whole `basis_window`, sampled at each
//        Refresh(): impact mid = (impact bid + impact ask) / 2 rounded
//        half-even; a Refresh() without both impact prices or without an
//        index samples a basis of 0, and so does the time before the first
//        Refresh() (TimeWeightedAverage::WindowAverage()): a manipulated
//        book cannot keep the basis by withdrawing its quotes. The mean is
//        rounded half-even, and 1. is clamped to [1, INT64_MAX] ticks;
//     2. the median of impact bid, impact ask and last trade price (the
//        ones that exist; with two, the lower; with one, it);
//     3. the index.
//   A missing 2. leaves the lower of 1. and 3. The median is then clamped
//   to [ceil(index * (1 - mark_cap)), floor(index * (1 + mark_cap))] (both
//   rounded toward the index, and the lower bound at least 1 tick), so no
//   book, however thin or however priced, moves the mark further than
//   mark_cap from the index. Without an index there is no mark (Ticks(0)).
//
// Units: Ticks, TimeNs (>= 0: every clock here starts at 0), Rate.
// Rounding as stated above.
// Thread safety: not thread-safe. Determinism: integer-only; sources are kept
//   sorted by id.
//
// Example:
//   PriceFeed feed(OracleConfig{.min_sources = 2});
//   feed.Publish(1, Ticks(30000), TimeNs(t), TimeNs(t));
//   feed.Publish(2, Ticks(30010), TimeNs(t), TimeNs(t));
//   OracleUpdate u = feed.Refresh(TimeNs(t), BookPrices{...});  // impact prices
//   Ticks mark = feed.mark();
#ifndef PERPCORE_ORACLE_ORACLE_HPP_
#define PERPCORE_ORACLE_ORACLE_HPP_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "perpcore/core/fixed.hpp"
#include "perpcore/core/ids.hpp"
#include "perpcore/core/level.hpp"
#include "perpcore/core/side.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace oracle {

inline constexpr std::size_t kMaxSources = 16;
inline constexpr std::size_t kTwapBuckets = 60;
// The deepest an impact price walks into a side: a side that needs more
// levels than this to fill impact_notional counts as too thin (it has no
// impact price), which bounds the walk at every Refresh().
inline constexpr std::size_t kImpactLevels = 64;

// OracleConfig
//
// staleness, twap_window, basis_window and max_mark_age are > 0 (windows at
// least kTwapBuckets ns); min_sources is 1..kMaxSources; the deviations are
// >= 0 (0 disables the breaker guard), and max_source_deviation > 0 when
// min_sources >= 2 (the quorum needs a tolerance); impact_notional >= 1;
// mark_cap in [0, 1) (0: the mark is the index).
// Defaults, and why:
//   max_source_deviation 1%: sources of one asset agree far closer than
//     that, so a source more than 1% away is faulty: it is outvoted (and
//     trips the breaker); two sources more than 1% apart give no index.
//   impact_notional 10,000 quote units (1e10 atoms at 6 decimals, e.g.
//     10,000 USDC): the order of Binance's impact margin notional (200 USDT
//     over the initial margin rate: 4,000 USDT at 20x, 25,000 at 125x);
//     large enough that a few lots at the touch are not a price.
//   mark_cap 2%: above any ordinary perp premium (tens of basis points), so
//     an honest mark is never clamped, and well under the default initial
//     margin (5% at 20x): a mark pushed to the cap cannot take a position
//     opened at initial margin to its maintenance margin (1%).
//   max_mark_age 60 s: equal to the default staleness, so by default the
//     sources' freshness binds; a host lowers it to require ticks at least
//     that often (the book moves between ticks; the mark does not).
struct OracleConfig {
  TimeNs staleness{60'000'000'000};        // 60 s
  std::uint32_t min_sources = 1;
  Rate max_source_deviation{kRateScale / 100};  // 1%
  Rate max_twap_deviation{0};
  TimeNs twap_window{1'800'000'000'000};   // 30 min
  TimeNs basis_window{300'000'000'000};    // 5 min
  std::int64_t impact_notional = 10'000'000'000;  // quote atoms
  Rate mark_cap{kRateScale / 50};          // 2%
  TimeNs max_mark_age{60'000'000'000};     // 60 s
  friend bool operator==(const OracleConfig&, const OracleConfig&) = default;
};

// PublishReason
//
// Why a source price was refused; kOk if it was taken.
enum class PublishReason : std::uint8_t {
  kOk = 0,
  kInvalidSource = 1,      // source id 0
  kTooManySources = 2,     // a new source beyond kMaxSources
  kInvalidPrice = 3,       // price <= 0
  kFromTheFuture = 4,      // publish_time > now
  kOutOfOrder = 5,         // publish_time older than this source's last one
};

// BookPrices
//
// What the book says, for the mark price: its impact prices (ImpactPrice())
// and its last trade. Ticks(0) = does not exist.
struct BookPrices {
  Ticks impact_bid, impact_ask, last_trade;
};

// ImpactPrice()
//
// The average price, in ticks, at which `notional` quote atoms (>= 1) fill
// against `levels` of one side of a book (best first; a bid side for the
// impact bid, an ask side for the impact ask), each tick of each lot worth
// atoms_per_tick_lot (>= 1) atoms; Ticks(0) if the levels hold less than
// `notional` or the fill needs more than kImpactLevels of them.
// Exactly: with levels 0..k-1 taken whole (L lots, worth V < notional atoms)
// and the remaining R = notional - V atoms taken from level k at price p_k,
// the fill is L + R / (p_k * atoms) lots, so the average is
//     notional * p_k / (atoms * L * p_k + R)   ticks,
// rounded down for a bid side and up for an ask side (away from the book's
// middle: the price a seller gets at most, a buyer pays at least). It lies
// between the best and the worst price taken. O(levels taken).
Ticks ImpactPrice(Side side, std::span<const LevelView> levels, std::int64_t notional,
                  std::int64_t atoms_per_tick_lot);

// BreakerCause
enum class BreakerCause : std::uint8_t {
  kNone = 0,
  kSourceDeviation = 1,
  kTwapDeviation = 2,
};

// OracleUpdate
//
// What a Refresh() changed, for the engine's events.
struct OracleUpdate {
  bool index_changed = false;     // index() differs from before (incl. to/from 0)
  bool breaker_tripped = false;   // went from clear to tripped
  bool breaker_cleared = false;   // went from tripped to clear
  // The guard that failed (tripped) or that had failed (cleared); kNone when
  // the breaker did not change.
  BreakerCause cause = BreakerCause::kNone;
};

// TimeWeightedAverage
//
// The time-weighted mean of a step function over a sliding window, in
// kTwapBuckets buckets (see the file comment). Values are int64 (ticks, or a
// signed basis in ticks); integrals are int128, where |value| * width always
// fits. Times are >= 0 and never go back (checked).
//
// Not thread-safe.
class TimeWeightedAverage {
 public:
  TimeWeightedAverage() = default;
  // Requires window >= kTwapBuckets (checked).
  explicit TimeWeightedAverage(TimeNs window);

  // Restarted()
  //
  // An average over `window` with no history, whose function keeps this one's
  // current value (or lack of one) from this one's last update on: what a
  // changed window needs, so the next update still counts the time since the
  // last one.
  TimeWeightedAverage Restarted(TimeNs window) const;

  // Set()
  //
  // The function takes `value` from `now` on (now >= the last call's now,
  // checked). The time since the last call counts at the previous value.
  void Set(TimeNs now, std::int64_t value);

  // Pause()
  //
  // The function is undefined from `now` on (e.g. no index): the time since
  // the last call counts at the previous value, later time does not count.
  void Pause(TimeNs now);

  // Average()
  //
  // The mean over the window ending at `now` (>= the last update; time since
  // then counts at the current value), rounded half-even; `has_value` false
  // if no time counts in the window. O(kTwapBuckets).
  struct Mean {
    std::int64_t value = 0;
    bool has_value = false;
  };
  Mean Average(TimeNs now) const;

  // WindowAverage()
  //
  // The integral over the window ending at `now` divided by the whole
  // window's length (the span the buckets cover, and at most `now`: time
  // starts at 0), rounded half-even: time without a value counts as 0.
  // has_value false only for an empty window (now = 0). O(kTwapBuckets).
  Mean WindowAverage(TimeNs now) const;

  // EncodeCanonical()
  //
  // Appends width, the current step and the buckets oldest first (so the
  // ring's rotation, which nothing observes, is not part of the encoding).
  void EncodeCanonical(std::string* out) const;

 private:
  struct Bucket {
    absl::int128 integral = 0;  // sum of value * dt
    std::int64_t duration = 0;  // ns counted
  };
  // Counts the time from last_ to `now` at the current value, rolling
  // buckets as their ends pass.
  void Advance(TimeNs now);
  // Counts `dt` ns at the current value in the current bucket.
  void Accrue(std::int64_t dt);

  std::int64_t width_ = 1;
  std::int64_t last_ = 0;        // time of the last update
  std::int64_t value_ = 0;
  bool defined_ = false;
  std::int64_t head_start_ = 0;  // start time of the current bucket
  std::size_t head_ = 0;         // the current bucket's slot in the ring
  std::array<Bucket, kTwapBuckets> buckets_{};
};

// PriceFeed
//
// Not thread-safe.
class PriceFeed {
 public:
  // Validate()
  //
  // kInvalidArgument naming the field unless the config is in range.
  static absl::Status Validate(const OracleConfig& config);

  // Requires Validate(config).ok() (checked).
  explicit PriceFeed(const OracleConfig& config);

  // Publish()
  //
  // Records source `source`'s price published at `publish_time`. Checks in
  // the order of PublishReason; a refusal changes nothing. Takes effect at
  // the next Refresh(). A retired id may publish again: it is a new source
  // (its earlier publish times are forgotten).
  // CheckPublish() is the same verdict without recording anything.
  PublishReason Publish(SourceId source, Ticks price, TimeNs publish_time, TimeNs now);
  PublishReason CheckPublish(SourceId source, Ticks price, TimeNs publish_time,
                             TimeNs now) const;

  // Retire()
  //
  // Removes source `source` and frees its slot (so a new source can join
  // after kMaxSources ids were used). False, changing nothing, if there is
  // no such source; CheckRetire() is the same verdict. Takes effect at the
  // next Refresh(). O(kMaxSources).
  bool Retire(SourceId source);
  bool CheckRetire(SourceId source) const;

  // Refresh()
  //
  // Recomputes the index at `now` (>= the last Refresh, checked), advances
  // the TWAP and the basis average, re-evaluates the breaker and the mark
  // price from `book`. Complexity O(kMaxSources + kTwapBuckets).
  OracleUpdate Refresh(TimeNs now, const BookPrices& book);

  // Reconfigure()
  //
  // A new config (Validate()d by the caller, checked) from the next Refresh()
  // on; the sources and averages are kept (a changed window restarts its
  // average, see TimeWeightedAverage::Restarted()), and so is usable_until()
  // until that Refresh().
  void Reconfigure(const OracleConfig& config);

  Ticks index() const { return index_; }       // 0: none
  Ticks mark() const { return mark_; }         // 0: none
  Ticks twap() const { return twap_; }         // 0: none
  // The last time the index may be used (see the file comment); -1: none.
  TimeNs usable_until() const { return usable_until_; }
  bool breaker() const { return breaker_; }
  BreakerCause breaker_cause() const { return cause_; }
  std::uint32_t fresh_sources() const { return fresh_; }
  const OracleConfig& config() const { return config_; }

  // SourceView: one source as last published.
  struct SourceView {
    SourceId id = 0;
    Ticks price;
    TimeNs publish_time;
  };
  std::vector<SourceView> Sources() const;

  // EncodeCanonical()
  //
  // Appends config, sources (by id), averages, index, mark, TWAP, fresh
  // count, breaker state, the last Refresh time and usable_until,
  // little-endian fixed width.
  void EncodeCanonical(std::string* out) const;

 private:
  OracleConfig config_;
  std::vector<SourceView> sources_;  // sorted by id
  TimeWeightedAverage twap_avg_;
  TimeWeightedAverage basis_avg_;
  Ticks index_{0}, mark_{0}, twap_{0};
  std::uint32_t fresh_ = 0;
  bool breaker_ = false;
  BreakerCause cause_ = BreakerCause::kNone;
  TimeNs last_refresh_{0};
  TimeNs usable_until_{-1};
};

// MedianOfThree()
//
// The median of a, b, c (exposed for tests and the preview).
std::int64_t MedianOfThree(std::int64_t a, std::int64_t b, std::int64_t c);

}  // namespace oracle
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_ORACLE_ORACLE_HPP_
