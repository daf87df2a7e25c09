// Oracle aggregation: index, bucketed time-weighted averages, deviation
// guards and the mark price. Integer-only; the header states every rule.
#include "perpcore/oracle/oracle.hpp"

#include <algorithm>
#include <limits>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "perpcore/detail/encode.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace oracle {
namespace {

using detail::PutI128;
using detail::PutI64;
using detail::PutU32;
using detail::PutU8;

constexpr std::int64_t kBuckets = static_cast<std::int64_t>(kTwapBuckets);

// True iff |price - reference| > max_deviation * reference, that is, the
// relative deviation exceeds the Rate, decided by cross-multiplying in 128
// bits: |price - reference| * 1e18 < 2^63 * 2^60 and Rate * reference < 2^126.
// Requires reference > 0 and max_deviation >= 0.
bool Deviates(std::int64_t price, std::int64_t reference, Rate max_deviation) {
  absl::int128 diff = absl::int128(price) - reference;
  if (diff < 0) diff = -diff;
  return diff * kRateScale > absl::int128(max_deviation.raw()) * reference;
}

// num / den rounded half-even, for quotients known to fit (a mean of int64
// values, or a midpoint).
std::int64_t HalfEven(absl::int128 num, absl::int128 den) {
  const absl::StatusOr<std::int64_t> q = DivRound(num, den, Round::kHalfEven);
  PERPCORE_CHECK(q.ok());
  return *q;
}

// Item 2. of the mark: the median of the book prices that exist (with two,
// the lower; with one, it), or 0 if none does.
std::int64_t BookPrice(const BookPrices& book) {
  const std::int64_t bid = book.impact_bid.raw();
  const std::int64_t ask = book.impact_ask.raw();
  const std::int64_t last = book.last_trade.raw();
  const int count = (bid > 0 ? 1 : 0) + (ask > 0 ? 1 : 0) + (last > 0 ? 1 : 0);
  if (count == 3) return MedianOfThree(bid, ask, last);
  if (count == 0) return 0;
  // With one or two, the smallest positive one: the lower of two.
  std::int64_t lowest = std::numeric_limits<std::int64_t>::max();
  for (std::int64_t p : {bid, ask, last}) {
    if (p > 0) lowest = std::min(lowest, p);
  }
  return lowest;
}

// num / den rounded down (kDown) or up, for num >= 0 and den > 0.
absl::int128 DivFloorCeil(absl::int128 num, absl::int128 den, bool up) {
  absl::int128 q = num / den;
  if (up && q * den < num) q += 1;
  return q;
}

}  // namespace

Ticks ImpactPrice(Side side, std::span<const LevelView> levels, std::int64_t notional,
                  std::int64_t atoms_per_tick_lot) {
  PERPCORE_CHECK(notional >= 1 && atoms_per_tick_lot >= 1);
  const absl::int128 atoms = atoms_per_tick_lot;
  absl::int128 lots_taken = 0;  // L: whole levels taken
  absl::int128 value_taken = 0;  // V < notional: their worth in atoms
  const std::size_t n = std::min(levels.size(), kImpactLevels);
  for (std::size_t i = 0; i < n; ++i) {
    const absl::int128 price = levels[i].price.raw();
    const absl::int128 lots = levels[i].total.raw();
    PERPCORE_CHECK(price > 0 && lots > 0);
    const absl::int128 rest = notional - value_taken;  // R > 0 atoms still to fill
    // Does this level hold R? lots * price * atoms >= R, decided without the
    // triple product (which may not fit 128 bits): lots * price < 2^126 is
    // compared with ceil(R / atoms).
    if (lots * price >= DivFloorCeil(rest, atoms, /*up=*/true)) {
      // notional * p_k < 2^126; atoms * L * p_k <= V * p_k < 2^126 (each
      // level's price is >= 1, so atoms * L <= V); the quotient lies between
      // prices taken, so it fits int64.
      const absl::int128 num = absl::int128(notional) * price;
      const absl::int128 den = atoms * lots_taken * price + rest;
      return Ticks(static_cast<std::int64_t>(DivFloorCeil(num, den, side == Side::kSell)));
    }
    // The whole level fits in R < 2^63: its worth is exact.
    lots_taken += lots;
    value_taken += lots * price * atoms;
  }
  return Ticks(0);
}

std::int64_t MedianOfThree(std::int64_t a, std::int64_t b, std::int64_t c) {
  return std::max(std::min(a, b), std::min(std::max(a, b), c));
}

// ---------------------------------------------------------------------------
// TimeWeightedAverage
// ---------------------------------------------------------------------------

TimeWeightedAverage::TimeWeightedAverage(TimeNs window) {
  PERPCORE_CHECK(window.raw() >= kBuckets);
  width_ = window.raw() / kBuckets;
}

TimeWeightedAverage TimeWeightedAverage::Restarted(TimeNs window) const {
  TimeWeightedAverage fresh(window);
  if (defined_) {
    fresh.Set(TimeNs(last_), value_);
  } else {
    fresh.Pause(TimeNs(last_));
  }
  return fresh;
}

void TimeWeightedAverage::Set(TimeNs now, std::int64_t value) {
  Advance(now);
  value_ = value;
  defined_ = true;
}

void TimeWeightedAverage::Pause(TimeNs now) {
  Advance(now);
  // An undefined function has no value; zero keeps equal states encoding
  // equally.
  value_ = 0;
  defined_ = false;
}

void TimeWeightedAverage::Accrue(std::int64_t dt) {
  if (!defined_ || dt == 0) return;
  Bucket& b = buckets_[head_];
  b.integral += absl::int128(value_) * dt;
  b.duration += dt;
}

void TimeWeightedAverage::Advance(TimeNs now) {
  const std::int64_t t = now.raw();
  PERPCORE_CHECK(t >= last_);
  // Invariant: head_start_ <= last_ <= head_start_ + width_, all >= 0, so
  // t - head_start_ cannot overflow and neither can a bucket end below t.
  std::int64_t rolls = t - head_start_ > width_ ? (t - head_start_ - 1) / width_ : 0;
  if (rolls > kBuckets) {
    // Every bucket before the last kBuckets ends outside the window: skip
    // them without accruing. The kBuckets rolls below clear every slot, and
    // each refills with the held value from last_, the start of the first
    // bucket that still matters.
    head_start_ += (rolls - kBuckets) * width_;
    last_ = head_start_ + width_;
    rolls = kBuckets;
  }
  for (; rolls > 0; --rolls) {
    const std::int64_t end = head_start_ + width_;
    Accrue(end - last_);
    last_ = end;
    head_start_ = end;
    head_ = (head_ + 1) % kTwapBuckets;
    buckets_[head_] = Bucket{};
  }
  Accrue(t - last_);
  last_ = t;
}

TimeWeightedAverage::Mean TimeWeightedAverage::Average(TimeNs now) const {
  if (now.raw() != last_) {
    // Const: advance a copy (2 KB) rather than the average itself.
    TimeWeightedAverage at_now = *this;
    at_now.Advance(now);
    return at_now.Average(now);
  }
  absl::int128 integral = 0;
  std::int64_t duration = 0;  // <= kTwapBuckets * width_ <= the window
  for (const Bucket& b : buckets_) {
    integral += b.integral;
    duration += b.duration;
  }
  if (duration == 0) return Mean{};
  return Mean{.value = HalfEven(integral, duration), .has_value = true};
}

TimeWeightedAverage::Mean TimeWeightedAverage::WindowAverage(TimeNs now) const {
  if (now.raw() != last_) {
    TimeWeightedAverage at_now = *this;
    at_now.Advance(now);
    return at_now.WindowAverage(now);
  }
  absl::int128 integral = 0;
  for (const Bucket& b : buckets_) integral += b.integral;
  // The window: the current bucket up to now and the kBuckets - 1 before it,
  // none of it before time 0. (now - head_start_ <= width_, so no overflow.)
  const absl::int128 span = std::min<absl::int128>(
      absl::int128(now.raw() - head_start_) + absl::int128(kBuckets - 1) * width_, now.raw());
  if (span == 0) return Mean{};
  return Mean{.value = HalfEven(integral, span), .has_value = true};
}

void TimeWeightedAverage::EncodeCanonical(std::string* out) const {
  PutI64(out, width_);
  PutI64(out, last_);
  PutI64(out, value_);
  PutU8(out, defined_ ? 1 : 0);
  PutI64(out, head_start_);
  for (std::size_t i = 1; i <= kTwapBuckets; ++i) {
    const Bucket& b = buckets_[(head_ + i) % kTwapBuckets];
    PutI128(out, b.integral);
    PutI64(out, b.duration);
  }
}

// ---------------------------------------------------------------------------
// PriceFeed
// ---------------------------------------------------------------------------

absl::Status PriceFeed::Validate(const OracleConfig& c) {
  auto bad = [](const char* field, const char* rule) {
    return absl::InvalidArgumentError(absl::StrCat("OracleConfig.", field, " ", rule));
  };
  if (c.staleness.raw() <= 0) return bad("staleness", "must be > 0 ns");
  if (c.min_sources < 1 || c.min_sources > kMaxSources) {
    return bad("min_sources", "must be in 1..kMaxSources (16)");
  }
  if (c.max_source_deviation.raw() < 0) return bad("max_source_deviation", "must be >= 0");
  if (c.min_sources >= 2 && c.max_source_deviation.raw() == 0) {
    return bad("max_source_deviation", "must be > 0 when min_sources >= 2 (the quorum's tolerance)");
  }
  if (c.max_twap_deviation.raw() < 0) return bad("max_twap_deviation", "must be >= 0");
  if (c.twap_window.raw() < kBuckets) {
    return bad("twap_window", "must be >= kTwapBuckets (60) ns");
  }
  if (c.basis_window.raw() < kBuckets) {
    return bad("basis_window", "must be >= kTwapBuckets (60) ns");
  }
  if (c.impact_notional < 1) return bad("impact_notional", "must be >= 1 quote atom");
  if (c.mark_cap.raw() < 0 || c.mark_cap.raw() >= kRateScale) {
    return bad("mark_cap", "must be in [0, 1)");
  }
  if (c.max_mark_age.raw() <= 0) return bad("max_mark_age", "must be > 0 ns");
  return absl::OkStatus();
}

PriceFeed::PriceFeed(const OracleConfig& config)
    : config_(config), twap_avg_(config.twap_window), basis_avg_(config.basis_window) {
  PERPCORE_CHECK(Validate(config).ok());
}

PublishReason PriceFeed::CheckPublish(SourceId source, Ticks price, TimeNs publish_time,
                                      TimeNs now) const {
  if (source == 0) return PublishReason::kInvalidSource;
  const auto it = std::lower_bound(
      sources_.begin(), sources_.end(), source,
      [](const SourceView& s, SourceId id) { return s.id < id; });
  const bool known = it != sources_.end() && it->id == source;
  if (!known && sources_.size() >= kMaxSources) return PublishReason::kTooManySources;
  if (price.raw() <= 0) return PublishReason::kInvalidPrice;
  if (publish_time > now) return PublishReason::kFromTheFuture;
  // An equal time is a correction of the same observation: it replaces.
  if (known && publish_time < it->publish_time) return PublishReason::kOutOfOrder;
  return PublishReason::kOk;
}

PublishReason PriceFeed::Publish(SourceId source, Ticks price, TimeNs publish_time, TimeNs now) {
  if (const PublishReason r = CheckPublish(source, price, publish_time, now);
      r != PublishReason::kOk) {
    return r;
  }
  const auto it = std::lower_bound(
      sources_.begin(), sources_.end(), source,
      [](const SourceView& s, SourceId id) { return s.id < id; });
  const bool known = it != sources_.end() && it->id == source;
  if (known) {
    it->price = price;
    it->publish_time = publish_time;
  } else {
    sources_.insert(it, SourceView{.id = source, .price = price, .publish_time = publish_time});
  }
  return PublishReason::kOk;
}

bool PriceFeed::CheckRetire(SourceId source) const {
  return std::any_of(sources_.begin(), sources_.end(),
                     [source](const SourceView& s) { return s.id == source; });
}

bool PriceFeed::Retire(SourceId source) {
  const auto it = std::find_if(sources_.begin(), sources_.end(),
                               [source](const SourceView& s) { return s.id == source; });
  if (it == sources_.end()) return false;
  sources_.erase(it);
  return true;
}

OracleUpdate PriceFeed::Refresh(TimeNs now, const BookPrices& book) {
  PERPCORE_CHECK(now >= last_refresh_);
  last_refresh_ = now;
  OracleUpdate update;

  // Index: the candidate is the lower median of the fresh prices, and it
  // stands only with a strict majority within max_source_deviation of it. In
  // 128 bits because nothing bounds how old a publish time may be.
  std::array<std::int64_t, kMaxSources> fresh{};
  std::size_t n = 0;
  absl::int128 expires = std::numeric_limits<std::int64_t>::max();
  for (const SourceView& s : sources_) {
    if (absl::int128(now.raw()) - s.publish_time.raw() <= config_.staleness.raw()) {
      fresh[n++] = s.price.raw();
      expires = std::min(expires, absl::int128(s.publish_time.raw()) + config_.staleness.raw());
    }
  }
  std::sort(fresh.begin(), fresh.begin() + static_cast<std::ptrdiff_t>(n));
  fresh_ = static_cast<std::uint32_t>(n);
  const Ticks old_index = index_;
  bool has_index = n > 0 && n >= config_.min_sources;
  if (has_index) {
    const std::int64_t candidate = fresh[(n - 1) / 2];
    std::size_t agreeing = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!Deviates(fresh[i], candidate, config_.max_source_deviation)) ++agreeing;
    }
    has_index = 2 * agreeing > n;
  }
  index_ = has_index ? Ticks(fresh[(n - 1) / 2]) : Ticks(0);
  update.index_changed = index_ != old_index;
  if (has_index) {
    expires = std::min(expires, absl::int128(now.raw()) + config_.max_mark_age.raw());
    usable_until_ = TimeNs(static_cast<std::int64_t>(
        std::min<absl::int128>(expires, std::numeric_limits<std::int64_t>::max())));
  } else {
    usable_until_ = TimeNs(-1);
  }

  // The TWAP is read after the step to the new index is recorded but before
  // any time passes at it: the mean of the history, which the guard compares
  // the new index against.
  if (has_index) {
    twap_avg_.Set(now, index_.raw());
  } else {
    twap_avg_.Pause(now);
  }
  const TimeWeightedAverage::Mean twap = twap_avg_.Average(now);
  twap_ = Ticks(twap.has_value ? twap.value : 0);

  // Breaker: both guards are evaluated only with an index (see the header).
  if (has_index) {
    BreakerCause failing = BreakerCause::kNone;
    if (config_.max_source_deviation.raw() > 0) {
      for (std::size_t i = 0; i < n; ++i) {
        if (Deviates(fresh[i], index_.raw(), config_.max_source_deviation)) {
          failing = BreakerCause::kSourceDeviation;
          break;
        }
      }
    }
    if (failing == BreakerCause::kNone && config_.max_twap_deviation.raw() > 0 &&
        twap_.raw() > 0 && Deviates(index_.raw(), twap_.raw(), config_.max_twap_deviation)) {
      failing = BreakerCause::kTwapDeviation;
    }
    if (failing != BreakerCause::kNone) {
      update.breaker_tripped = !breaker_;
      if (update.breaker_tripped) update.cause = failing;
      breaker_ = true;
      cause_ = failing;
    } else if (breaker_) {
      update.breaker_cleared = true;
      update.cause = cause_;
      breaker_ = false;
      cause_ = BreakerCause::kNone;
    }
  }

  // Basis: a sample needs both impact prices and an index; any other
  // Refresh() samples 0, so the basis is the mean over the whole window.
  const bool has_mid = book.impact_bid.raw() > 0 && book.impact_ask.raw() > 0;
  if (has_index && has_mid) {
    const std::int64_t mid =
        HalfEven(absl::int128(book.impact_bid.raw()) + book.impact_ask.raw(), 2);
    basis_avg_.Set(now, mid - index_.raw());  // both > 0: cannot overflow
  } else {
    basis_avg_.Set(now, 0);
  }

  if (!has_index) {
    mark_ = Ticks(0);
    return update;
  }
  // 1. index + basis, clamped to a positive int64 price.
  const TimeWeightedAverage::Mean basis = basis_avg_.WindowAverage(now);
  const absl::int128 with_basis = absl::int128(index_.raw()) + (basis.has_value ? basis.value : 0);
  const std::int64_t price1 = static_cast<std::int64_t>(std::clamp<absl::int128>(
      with_basis, 1, std::numeric_limits<std::int64_t>::max()));
  // 3. the index; without 2., the lower of 1. and 3.
  const std::int64_t price2 = BookPrice(book);
  const std::int64_t median = price2 == 0 ? std::min(price1, index_.raw())
                                          : MedianOfThree(price1, price2, index_.raw());
  // The clamp to index * (1 -+ mark_cap), each bound rounded toward the
  // index: index * (kRateScale -+ cap) < 2^63 * 2^61.
  const absl::int128 index = index_.raw();
  const absl::int128 cap = config_.mark_cap.raw();
  const absl::int128 lo = std::max<absl::int128>(
      1, DivFloorCeil(index * (kRateScale - cap), kRateScale, /*up=*/true));
  const absl::int128 hi = std::min<absl::int128>(
      DivFloorCeil(index * (kRateScale + cap), kRateScale, /*up=*/false),
      std::numeric_limits<std::int64_t>::max());
  mark_ = Ticks(static_cast<std::int64_t>(std::clamp<absl::int128>(median, lo, hi)));
  return update;
}

void PriceFeed::Reconfigure(const OracleConfig& config) {
  PERPCORE_CHECK(Validate(config).ok());
  if (config.twap_window != config_.twap_window) {
    twap_avg_ = twap_avg_.Restarted(config.twap_window);
  }
  if (config.basis_window != config_.basis_window) {
    basis_avg_ = basis_avg_.Restarted(config.basis_window);
  }
  config_ = config;
}

std::vector<PriceFeed::SourceView> PriceFeed::Sources() const { return sources_; }

void PriceFeed::EncodeCanonical(std::string* out) const {
  out->append("perpcore/oracle/v2");
  PutI64(out, config_.staleness.raw());
  PutU32(out, config_.min_sources);
  PutI64(out, config_.max_source_deviation.raw());
  PutI64(out, config_.max_twap_deviation.raw());
  PutI64(out, config_.twap_window.raw());
  PutI64(out, config_.basis_window.raw());
  PutI64(out, config_.impact_notional);
  PutI64(out, config_.mark_cap.raw());
  PutI64(out, config_.max_mark_age.raw());
  PutU32(out, static_cast<std::uint32_t>(sources_.size()));
  for (const SourceView& s : sources_) {
    PutU32(out, s.id);
    PutI64(out, s.price.raw());
    PutI64(out, s.publish_time.raw());
  }
  twap_avg_.EncodeCanonical(out);
  basis_avg_.EncodeCanonical(out);
  PutI64(out, index_.raw());
  PutI64(out, mark_.raw());
  PutI64(out, twap_.raw());
  PutU32(out, fresh_);
  PutU8(out, breaker_ ? 1 : 0);
  PutU8(out, static_cast<std::uint8_t>(cause_));
  PutI64(out, last_refresh_.raw());
  PutI64(out, usable_until_.raw());
}

}  // namespace oracle
PERPCORE_NAMESPACE_END
