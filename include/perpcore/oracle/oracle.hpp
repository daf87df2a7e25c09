// -----------------------------------------------------------------------------
// File: perpcore/oracle/oracle.hpp
// -----------------------------------------------------------------------------
//
// Oracle aggregation for one market: prices from several named sources,
// the index (median of fresh sources), a time-weighted average (TWAP) of the
// index, the deviation guards that trip a circuit breaker, and the mark price.
//
// Index: the median of the fresh sources, if at least `min_sources` are
//   fresh; otherwise there is no index (Ticks(0)). A source is fresh at `now`
//   iff now - publish_time <= staleness: a price exactly `staleness` old still
//   counts, one nanosecond older does not. An even count takes the lower of
//   the two middle prices (rounding toward the smaller price, so the median is
//   always a price some source published).
// Breaker: tripped while either guard fails, cleared on the first Refresh()
//   at which both pass again. Without an index there is nothing to compare,
//   so the breaker keeps its state (losing the data does not resolve a
//   deviation; the engine stops new risk for want of an index anyway):
//   - source deviation: some fresh source differs from the median by more
//     than max_source_deviation of the median (|p - median| * 1e18 >
//     max_source_deviation * median, cross-multiplied in 128 bits);
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
// Mark price: the median of three prices (Binance USD-M's "mark price" rule):
//     1. index + basis, the basis being the time-weighted mean of
//        (book mid - index) over `basis_window` (bucketed like the TWAP),
//        sampled at each Refresh() that has both a book mid and an index and
//        paused at the others; mid = (bid + ask) / 2 rounded half-even, and
//        the mean rounded half-even. With no basis in the window, 1. is the
//        index. 1. is clamped to [1, INT64_MAX] ticks, so that a stale
//        negative basis can never make the mark non-positive;
//     2. the median of best bid, best ask and last trade price (the ones
//        that exist; with two, the lower; with one, it);
//     3. the index.
//   Without an index there is no mark (Ticks(0)). Missing book prices drop
//   out of the median of 2. and a missing 2. leaves the median of 1. and 3.
//   (the lower of the two).
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
//   OracleUpdate u = feed.Refresh(TimeNs(t), BookPrices{...});
//   Ticks mark = feed.mark();
#ifndef PERPCORE_ORACLE_ORACLE_HPP_
#define PERPCORE_ORACLE_ORACLE_HPP_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "perpcore/core/fixed.hpp"
#include "perpcore/core/ids.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace oracle {

inline constexpr std::size_t kMaxSources = 16;
inline constexpr std::size_t kTwapBuckets = 60;

// OracleConfig
//
// staleness, twap_window and basis_window are > 0 (windows at least
// kTwapBuckets ns); min_sources is 1..kMaxSources; the deviations are >= 0
// (0 disables the guard).
struct OracleConfig {
  TimeNs staleness{60'000'000'000};        // 60 s
  std::uint32_t min_sources = 1;
  Rate max_source_deviation{0};
  Rate max_twap_deviation{0};
  TimeNs twap_window{1'800'000'000'000};   // 30 min
  TimeNs basis_window{300'000'000'000};    // 5 min
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
// What the book says, for the mark price. Ticks(0) = does not exist.
struct BookPrices {
  Ticks best_bid, best_ask, last_trade;
};

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
  // the next Refresh().
  // CheckPublish() is the same verdict without recording anything.
  PublishReason Publish(SourceId source, Ticks price, TimeNs publish_time, TimeNs now);
  PublishReason CheckPublish(SourceId source, Ticks price, TimeNs publish_time,
                             TimeNs now) const;

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
  // average, see TimeWeightedAverage::Restarted()).
  void Reconfigure(const OracleConfig& config);

  Ticks index() const { return index_; }       // 0: none
  Ticks mark() const { return mark_; }         // 0: none
  Ticks twap() const { return twap_; }         // 0: none
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
  // count, breaker state and the last Refresh time, little-endian fixed width.
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
};

// MedianOfThree()
//
// The median of a, b, c (exposed for tests and the preview).
std::int64_t MedianOfThree(std::int64_t a, std::int64_t b, std::int64_t c);

}  // namespace oracle
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_ORACLE_ORACLE_HPP_
