// Worked examples for the oracle: every expected value below is computed by
// hand in the comment next to it. Times are in seconds unless a nanosecond
// matters; prices are plain ticks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "perpcore/oracle/oracle.hpp"
#include "support/rng.hpp"
#include "support/catch_ids.hpp"

namespace perpcore::oracle {
namespace {

constexpr std::int64_t kSec = 1'000'000'000;
constexpr TimeNs Sec(std::int64_t s) { return TimeNs(s * kSec); }
constexpr Rate Percent(std::int64_t pct) { return Rate(pct * (kRateScale / 100)); }
constexpr BookPrices kNoBook{};

// A config with short windows (60 s: one-second buckets) so that worked
// examples stay small, sources agreeing within 5%, and a 50% mark cap, so
// that the median rule of the mark shows before the clamp does (the clamp
// has tests of its own).
OracleConfig ShortWindows() {
  return OracleConfig{.staleness = Sec(1'000),
                      .max_source_deviation = Percent(5),
                      .twap_window = Sec(60),
                      .basis_window = Sec(60),
                      .mark_cap = Percent(50)};
}

std::string Encode(const PriceFeed& feed) {
  std::string out;
  feed.EncodeCanonical(&out);
  return out;
}
std::string Encode(const TimeWeightedAverage& avg) {
  std::string out;
  avg.EncodeCanonical(&out);
  return out;
}

std::optional<std::int64_t> Mean(const TimeWeightedAverage& avg, TimeNs now) {
  const TimeWeightedAverage::Mean m = avg.Average(now);
  if (!m.has_value) return std::nullopt;
  return m.value;
}

// ---------------------------------------------------------------------------
// Config and publishing
// ---------------------------------------------------------------------------

TEST_CASE("Oracle: Validate names the first field out of range", "[oracle]") {
  CHECK(PriceFeed::Validate(OracleConfig{}).ok());
  auto message = [](OracleConfig c) { return std::string(PriceFeed::Validate(c).message()); };
  OracleConfig c;
  c.staleness = TimeNs(0);
  CHECK(message(c) == "OracleConfig.staleness must be > 0 ns");
  c = OracleConfig{.min_sources = 0};
  CHECK(message(c) == "OracleConfig.min_sources must be in 1..kMaxSources (16)");
  c = OracleConfig{.min_sources = kMaxSources + 1};
  CHECK(message(c) == "OracleConfig.min_sources must be in 1..kMaxSources (16)");
  c = OracleConfig{.min_sources = kMaxSources};
  CHECK(PriceFeed::Validate(c).ok());
  c = OracleConfig{.max_source_deviation = Rate(-1)};
  CHECK(message(c) == "OracleConfig.max_source_deviation must be >= 0");
  c = OracleConfig{.max_twap_deviation = Rate(-1)};
  CHECK(message(c) == "OracleConfig.max_twap_deviation must be >= 0");
  c = OracleConfig{.twap_window = TimeNs(59)};
  CHECK(message(c) == "OracleConfig.twap_window must be >= kTwapBuckets (60) ns");
  c = OracleConfig{.basis_window = TimeNs(59)};
  CHECK(message(c) == "OracleConfig.basis_window must be >= kTwapBuckets (60) ns");
  c = OracleConfig{.twap_window = TimeNs(60), .basis_window = TimeNs(60)};
  CHECK(PriceFeed::Validate(c).ok());
  c = OracleConfig{.min_sources = 2, .max_source_deviation = Rate(0)};
  CHECK(message(c) ==
        "OracleConfig.max_source_deviation must be > 0 when min_sources >= 2 (the quorum's "
        "tolerance)");
  c = OracleConfig{.min_sources = 2, .max_source_deviation = Rate(1)};
  CHECK(PriceFeed::Validate(c).ok());
  c = OracleConfig{.min_sources = 1, .max_source_deviation = Rate(0)};
  CHECK(PriceFeed::Validate(c).ok());  // one source trusted: the host's choice
  c = OracleConfig{.impact_notional = 0};
  CHECK(message(c) == "OracleConfig.impact_notional must be >= 1 quote atom");
  c = OracleConfig{.impact_notional = 1};
  CHECK(PriceFeed::Validate(c).ok());
  c = OracleConfig{.mark_cap = Rate(-1)};
  CHECK(message(c) == "OracleConfig.mark_cap must be in [0, 1)");
  c = OracleConfig{.mark_cap = Rate(kRateScale)};
  CHECK(message(c) == "OracleConfig.mark_cap must be in [0, 1)");
  c = OracleConfig{.mark_cap = Rate(kRateScale - 1)};
  CHECK(PriceFeed::Validate(c).ok());
  c = OracleConfig{.mark_cap = Rate(0)};
  CHECK(PriceFeed::Validate(c).ok());
  c = OracleConfig{.max_mark_age = TimeNs(0)};
  CHECK(message(c) == "OracleConfig.max_mark_age must be > 0 ns");
  c = OracleConfig{.max_mark_age = TimeNs(1)};
  CHECK(PriceFeed::Validate(c).ok());
  CHECK(absl::IsInvalidArgument(PriceFeed::Validate(OracleConfig{.staleness = TimeNs(-5)})));
}

TEST_CASE("Oracle: publish refusals come in the order of PublishReason and change nothing",
          "[oracle]") {
  PriceFeed feed(ShortWindows());
  const TimeNs now = Sec(100);
  REQUIRE(feed.Publish(1, Ticks(500), Sec(90), now) == PublishReason::kOk);
  const std::string before = Encode(feed);

  // Each refusal also breaks every later rule, to show the order of checks.
  CHECK(feed.Publish(0, Ticks(0), Sec(101), now) == PublishReason::kInvalidSource);
  CHECK(feed.Publish(1, Ticks(0), Sec(101), now) == PublishReason::kInvalidPrice);
  CHECK(feed.Publish(1, Ticks(-7), Sec(80), now) == PublishReason::kInvalidPrice);
  CHECK(feed.Publish(1, Ticks(501), Sec(101), now) == PublishReason::kFromTheFuture);
  CHECK(feed.Publish(1, Ticks(501), TimeNs(90 * kSec - 1), now) == PublishReason::kOutOfOrder);
  CHECK(Encode(feed) == before);

  // An equal publish time is accepted and replaces the price.
  CHECK(feed.Publish(1, Ticks(502), Sec(90), now) == PublishReason::kOk);
  // publish_time == now is not from the future.
  CHECK(feed.Publish(2, Ticks(600), now, now) == PublishReason::kOk);
  const std::vector<PriceFeed::SourceView> sources = feed.Sources();
  REQUIRE(sources.size() == 2);
  CHECK(sources[0].id == 1);
  CHECK(sources[0].price == Ticks(502));
  CHECK(sources[0].publish_time == Sec(90));
  CHECK(sources[1].id == 2);
  CHECK(sources[1].publish_time == now);
  // Publishing alone does not move the index: that is Refresh()'s job.
  CHECK(feed.index() == Ticks(0));
}

TEST_CASE("Oracle: a seventeenth source is refused, known sources still publish", "[oracle]") {
  PriceFeed feed(ShortWindows());
  // Ids published out of order are still kept sorted by id.
  for (std::uint32_t id = kMaxSources; id >= 1; --id) {
    REQUIRE(feed.Publish(SourceId(id * 10), Ticks(1'000 + id), Sec(1), Sec(1)) ==
            PublishReason::kOk);
  }
  const std::string before = Encode(feed);
  // kTooManySources comes before the price and time checks.
  CHECK(feed.Publish(5, Ticks(0), Sec(2), Sec(1)) == PublishReason::kTooManySources);
  CHECK(Encode(feed) == before);
  CHECK(feed.Publish(160, Ticks(2'000), Sec(2), Sec(2)) == PublishReason::kOk);
  const std::vector<PriceFeed::SourceView> sources = feed.Sources();
  REQUIRE(sources.size() == kMaxSources);
  for (std::uint32_t i = 0; i < sources.size(); ++i) CHECK(sources[i].id == SourceId((i + 1) * 10));
  CHECK(sources.back().price == Ticks(2'000));
}

// ---------------------------------------------------------------------------
// Index
// ---------------------------------------------------------------------------

// All prices within 5% of each other, so every source agrees (the quorum
// has tests of its own).
TEST_CASE("Oracle: the index is the median of fresh sources, the lower middle for an even count",
          "[oracle]") {
  PriceFeed feed(ShortWindows());
  feed.Publish(1, Ticks(1'000), Sec(0), Sec(0));
  OracleUpdate u = feed.Refresh(Sec(0), kNoBook);
  CHECK(feed.index() == Ticks(1'000));  // one source: itself
  CHECK(u.index_changed);

  feed.Publish(2, Ticks(1'030), Sec(0), Sec(0));
  u = feed.Refresh(Sec(0), kNoBook);
  CHECK(feed.index() == Ticks(1'000));  // {1,000, 1,030}: the lower middle
  CHECK_FALSE(u.index_changed);

  feed.Publish(3, Ticks(1'020), Sec(0), Sec(0));
  u = feed.Refresh(Sec(0), kNoBook);
  CHECK(feed.index() == Ticks(1'020));  // {1,000, 1,020, 1,030}
  CHECK(u.index_changed);

  feed.Publish(4, Ticks(1'010), Sec(0), Sec(0));
  feed.Refresh(Sec(0), kNoBook);
  CHECK(feed.index() == Ticks(1'010));  // {1,000, 1,010, 1,020, 1,030}: the lower middle
  CHECK(feed.fresh_sources() == 4);

  feed.Publish(5, Ticks(1'010), Sec(0), Sec(0));
  feed.Refresh(Sec(0), kNoBook);
  CHECK(feed.index() == Ticks(1'010));  // {1,000, 1,010, 1,010, 1,020, 1,030}
}

// Issue 11, item 2: with two fresh sources the lower median is the minimum,
// so one faulty source reporting 1 tick used to set the index to 1.
TEST_CASE("Oracle: two fresh sources must agree within max_source_deviation", "[oracle]") {
  OracleConfig c = ShortWindows();
  c.max_source_deviation = Percent(1);
  PriceFeed feed(c);
  feed.Publish(1, Ticks(10'000), Sec(0), Sec(0));
  feed.Publish(2, Ticks(1), Sec(0), Sec(0));
  feed.Refresh(Sec(0), kNoBook);
  // Candidate 1 (the lower middle); 10,000 is far from it: 1 of 2 agree.
  CHECK(feed.fresh_sources() == 2);
  CHECK(feed.index() == Ticks(0));
  CHECK(feed.mark() == Ticks(0));

  // Exactly 1% apart: |10,100 - 10,000| * 1e18 = 1e20 is not > 1e16 * 10,000.
  feed.Publish(2, Ticks(10'100), Sec(1), Sec(1));
  feed.Refresh(Sec(1), kNoBook);
  CHECK(feed.index() == Ticks(10'000));
  // One tick further, 2 * 1 agreeing is not > 2 fresh.
  feed.Publish(2, Ticks(10'101), Sec(2), Sec(2));
  feed.Refresh(Sec(2), kNoBook);
  CHECK(feed.index() == Ticks(0));
}

TEST_CASE("Oracle: one faulty source of three is outvoted, two of three are not", "[oracle]") {
  OracleConfig c = ShortWindows();
  c.max_source_deviation = Percent(1);
  PriceFeed feed(c);
  feed.Publish(1, Ticks(10'000), Sec(0), Sec(0));
  feed.Publish(2, Ticks(10'010), Sec(0), Sec(0));
  feed.Publish(3, Ticks(1), Sec(0), Sec(0));
  feed.Refresh(Sec(0), kNoBook);
  // {1, 10,000, 10,010}: candidate 10,000, which 10,000 and 10,010 agree
  // with: 2 * 2 > 3.
  CHECK(feed.index() == Ticks(10'000));
  CHECK(feed.breaker());  // the outvoted source still trips the source guard

  // Two faulty sources that disagree with each other: {1, 2, 10,000},
  // candidate 2, which only 2 is within 1% of.
  feed.Publish(2, Ticks(2), Sec(1), Sec(1));
  feed.Refresh(Sec(1), kNoBook);
  CHECK(feed.index() == Ticks(0));
}

TEST_CASE("Oracle: a faulty half of an even count leaves no index", "[oracle]") {
  OracleConfig c = ShortWindows();
  c.max_source_deviation = Percent(1);
  PriceFeed feed(c);
  feed.Publish(1, Ticks(1), Sec(0), Sec(0));
  feed.Publish(2, Ticks(1), Sec(0), Sec(0));
  feed.Publish(3, Ticks(10'000), Sec(0), Sec(0));
  feed.Publish(4, Ticks(10'000), Sec(0), Sec(0));
  feed.Refresh(Sec(0), kNoBook);
  CHECK(feed.index() == Ticks(0));  // candidate 1: 2 of 4 agree, 4 is not > 4
  feed.Publish(5, Ticks(10'000), Sec(0), Sec(0));
  feed.Refresh(Sec(0), kNoBook);
  CHECK(feed.index() == Ticks(10'000));  // candidate 10,000: 3 of 5
}

TEST_CASE("Oracle: usable_until is the earliest source expiry, capped by the mark age",
          "[oracle]") {
  OracleConfig c = ShortWindows();
  c.staleness = Sec(10);
  c.max_mark_age = Sec(60);
  PriceFeed feed(c);
  CHECK(feed.usable_until() == TimeNs(-1));  // never had an index
  feed.Publish(1, Ticks(1'000), Sec(0), Sec(0));
  feed.Publish(2, Ticks(1'000), Sec(5), Sec(5));
  feed.Refresh(Sec(5), kNoBook);
  // min(0 + 10, 5 + 10, 5 + 60) s: source 1 expires first.
  CHECK(feed.usable_until() == Sec(10));
  feed.Publish(1, Ticks(1'000), Sec(8), Sec(8));
  feed.Refresh(Sec(8), kNoBook);
  CHECK(feed.usable_until() == Sec(15));  // source 2 now: 5 + 10

  c.max_mark_age = Sec(3);
  feed.Reconfigure(c);
  CHECK(feed.usable_until() == Sec(15));  // from the next Refresh on
  feed.Refresh(Sec(9), kNoBook);
  CHECK(feed.usable_until() == Sec(12));  // min(15, 9 + 3): the mark ages first

  feed.Refresh(TimeNs(15 * kSec + 1), kNoBook);  // source 2 stale, 1 left
  CHECK(feed.index() == Ticks(1'000));
  // min(8 + 10 s, 15 s + 1 ns + 3 s): source 1 expires first.
  CHECK(feed.usable_until() == Sec(18));
  feed.Refresh(TimeNs(18 * kSec + 1), kNoBook);  // both stale
  CHECK(feed.index() == Ticks(0));
  CHECK(feed.usable_until() == TimeNs(-1));
}

TEST_CASE("Oracle: a retired source no longer counts and frees its slot", "[oracle]") {
  PriceFeed feed(ShortWindows());
  for (std::uint32_t id = 1; id <= kMaxSources; ++id) {
    REQUIRE(feed.Publish(SourceId(id), Ticks(1'000), Sec(1), Sec(1)) == PublishReason::kOk);
  }
  CHECK(feed.Publish(99, Ticks(1'000), Sec(1), Sec(1)) == PublishReason::kTooManySources);
  CHECK_FALSE(feed.CheckRetire(99));
  const std::string before = Encode(feed);
  CHECK_FALSE(feed.Retire(99));  // unknown: nothing changes
  CHECK(Encode(feed) == before);

  CHECK(feed.CheckRetire(7));
  CHECK(feed.Retire(7));
  CHECK_FALSE(feed.CheckRetire(7));
  CHECK(feed.Sources().size() == kMaxSources - 1);
  CHECK(feed.Publish(99, Ticks(1'010), Sec(1), Sec(1)) == PublishReason::kOk);
  CHECK(feed.Sources().size() == kMaxSources);
  // A retired id that publishes again is a new source: its old publish time
  // is forgotten, so an earlier one is not out of order.
  CHECK(feed.Retire(3));
  CHECK(feed.Publish(3, Ticks(1'000), Sec(0), Sec(1)) == PublishReason::kOk);

  // Retiring takes effect at the next Refresh: a single source left.
  PriceFeed two(ShortWindows());
  two.Publish(1, Ticks(1'000), Sec(0), Sec(0));
  two.Publish(2, Ticks(1'040), Sec(0), Sec(0));
  two.Refresh(Sec(0), kNoBook);
  CHECK(two.index() == Ticks(1'000));
  CHECK(two.Retire(1));
  CHECK(two.index() == Ticks(1'000));
  two.Refresh(Sec(0), kNoBook);
  CHECK(two.index() == Ticks(1'040));
  CHECK(two.fresh_sources() == 1);
}

TEST_CASE("Oracle: a price exactly staleness old is fresh, one nanosecond later stale",
          "[oracle]") {
  OracleConfig c = ShortWindows();
  c.staleness = Sec(10);
  PriceFeed feed(c);
  feed.Publish(1, Ticks(1'025), Sec(0), Sec(0));
  feed.Publish(2, Ticks(1'000), Sec(5), Sec(5));
  feed.Publish(3, Ticks(1'030), Sec(5), Sec(5));

  OracleUpdate u = feed.Refresh(Sec(10), kNoBook);  // ages 10, 5, 5 s: all fresh
  CHECK(feed.fresh_sources() == 3);
  CHECK(feed.index() == Ticks(1'025));  // {1,000, 1,025, 1,030}
  CHECK(u.index_changed);

  // Source 1 drops out: {1,000, 1,030} has the lower middle 1,000.
  u = feed.Refresh(TimeNs(10 * kSec + 1), kNoBook);
  CHECK(feed.fresh_sources() == 2);
  CHECK(feed.index() == Ticks(1'000));
  CHECK(u.index_changed);

  u = feed.Refresh(Sec(15), kNoBook);  // sources 2 and 3 exactly 10 s old
  CHECK(feed.index() == Ticks(1'000));
  CHECK_FALSE(u.index_changed);

  u = feed.Refresh(TimeNs(15 * kSec + 1), kNoBook);
  CHECK(feed.fresh_sources() == 0);
  CHECK(feed.index() == Ticks(0));
  CHECK(feed.mark() == Ticks(0));
  CHECK(u.index_changed);
}

TEST_CASE("Oracle: fewer fresh sources than min_sources means no index and no mark",
          "[oracle]") {
  OracleConfig c = ShortWindows();
  c.staleness = Sec(10);
  c.min_sources = 3;
  c.max_source_deviation = Percent(10);  // 100 and 120 are within 10% of 110
  PriceFeed feed(c);
  feed.Publish(1, Ticks(100), Sec(0), Sec(0));
  feed.Publish(2, Ticks(110), Sec(0), Sec(0));
  OracleUpdate u = feed.Refresh(Sec(0), kNoBook);
  CHECK(feed.fresh_sources() == 2);
  CHECK(feed.index() == Ticks(0));
  CHECK(feed.mark() == Ticks(0));
  CHECK_FALSE(u.index_changed);  // 0 before, 0 after

  feed.Publish(3, Ticks(120), Sec(4), Sec(4));
  u = feed.Refresh(Sec(4), kNoBook);
  CHECK(feed.index() == Ticks(110));
  CHECK(feed.mark() == Ticks(110));  // no book, no basis: the index
  CHECK(u.index_changed);

  u = feed.Refresh(Sec(11), kNoBook);  // 1 and 2 are 11 s old
  CHECK(feed.fresh_sources() == 1);
  CHECK(feed.index() == Ticks(0));
  CHECK(feed.mark() == Ticks(0));
  CHECK(u.index_changed);
}

// ---------------------------------------------------------------------------
// Breaker
// ---------------------------------------------------------------------------

TEST_CASE("Oracle: source deviation at exactly the threshold does not trip, a tick beyond does",
          "[oracle]") {
  OracleConfig c = ShortWindows();
  c.max_source_deviation = Percent(1);
  PriceFeed feed(c);
  feed.Publish(1, Ticks(10'000), Sec(0), Sec(0));
  feed.Publish(2, Ticks(10'000), Sec(0), Sec(0));
  // median 10,000; 1% of it is 100 ticks. |10,100 - 10,000| * 1e18 = 1e20 is
  // not > 1e16 * 10,000 = 1e20.
  feed.Publish(3, Ticks(10'100), Sec(0), Sec(0));
  OracleUpdate u = feed.Refresh(Sec(0), kNoBook);
  CHECK_FALSE(feed.breaker());
  CHECK_FALSE(u.breaker_tripped);

  feed.Publish(3, Ticks(10'101), Sec(1), Sec(1));  // 101 ticks away
  u = feed.Refresh(Sec(1), kNoBook);
  CHECK(feed.breaker());
  CHECK(feed.breaker_cause() == BreakerCause::kSourceDeviation);
  CHECK(u.breaker_tripped);
  CHECK_FALSE(u.breaker_cleared);
  CHECK(u.cause == BreakerCause::kSourceDeviation);
  CHECK(feed.index() == Ticks(10'000));  // the outlier does not move the median

  u = feed.Refresh(Sec(2), kNoBook);  // still failing: no new event
  CHECK(feed.breaker());
  CHECK_FALSE(u.breaker_tripped);
  CHECK(u.cause == BreakerCause::kNone);

  feed.Publish(3, Ticks(10'050), Sec(3), Sec(3));  // the outlier returns
  u = feed.Refresh(Sec(3), kNoBook);
  CHECK_FALSE(feed.breaker());
  CHECK(feed.breaker_cause() == BreakerCause::kNone);
  CHECK(u.breaker_cleared);
  CHECK(u.cause == BreakerCause::kSourceDeviation);

  // Below the median the same: 9,900 is exactly 1% away, 9,899 beyond.
  feed.Publish(3, Ticks(9'900), Sec(4), Sec(4));
  feed.Refresh(Sec(4), kNoBook);
  CHECK_FALSE(feed.breaker());
  feed.Publish(3, Ticks(9'899), Sec(5), Sec(5));
  u = feed.Refresh(Sec(5), kNoBook);
  CHECK(feed.breaker());
  CHECK(u.breaker_tripped);
}

TEST_CASE("Oracle: a zero threshold disables its guard", "[oracle]") {
  OracleConfig c = ShortWindows();
  c.max_source_deviation = Rate(0);  // the quorum then needs equal prices
  PriceFeed feed(c);
  feed.Publish(1, Ticks(100), Sec(0), Sec(0));
  feed.Publish(2, Ticks(100), Sec(0), Sec(0));
  feed.Publish(3, Ticks(1'000'000), Sec(0), Sec(0));
  feed.Refresh(Sec(0), kNoBook);
  feed.Publish(1, Ticks(900'000), Sec(10), Sec(10));
  feed.Publish(2, Ticks(900'000), Sec(10), Sec(10));
  feed.Refresh(Sec(10), kNoBook);  // index 100 -> 900,000 against a TWAP of 100
  CHECK(feed.index() == Ticks(900'000));
  CHECK(feed.twap() == Ticks(100));
  CHECK_FALSE(feed.breaker());
}

TEST_CASE("Oracle: the breaker clears when the outlier goes stale", "[oracle]") {
  OracleConfig c = ShortWindows();
  c.staleness = Sec(10);
  c.max_source_deviation = Percent(10);
  PriceFeed feed(c);
  feed.Publish(1, Ticks(100), Sec(0), Sec(0));
  feed.Publish(2, Ticks(100), Sec(0), Sec(0));
  feed.Publish(3, Ticks(200), Sec(0), Sec(0));  // 100% away from the median
  CHECK(feed.Refresh(Sec(0), kNoBook).breaker_tripped);
  feed.Publish(1, Ticks(100), Sec(8), Sec(8));
  feed.Publish(2, Ticks(100), Sec(8), Sec(8));

  OracleUpdate u = feed.Refresh(Sec(10), kNoBook);  // the outlier is exactly 10 s old
  CHECK(feed.breaker());
  CHECK_FALSE(u.breaker_cleared);

  u = feed.Refresh(TimeNs(10 * kSec + 1), kNoBook);
  CHECK(feed.fresh_sources() == 2);
  CHECK_FALSE(feed.breaker());
  CHECK(u.breaker_cleared);
  CHECK(u.cause == BreakerCause::kSourceDeviation);
}

TEST_CASE("Oracle: without an index the breaker keeps its state", "[oracle]") {
  OracleConfig c = ShortWindows();
  c.staleness = Sec(10);
  c.min_sources = 2;
  c.max_source_deviation = Percent(10);
  PriceFeed feed(c);
  feed.Publish(1, Ticks(100), Sec(0), Sec(0));
  feed.Publish(2, Ticks(100), Sec(0), Sec(0));
  feed.Publish(3, Ticks(200), Sec(5), Sec(5));
  CHECK(feed.Refresh(Sec(5), kNoBook).breaker_tripped);

  // Only the outlier is fresh: no index, nothing to compare, still tripped.
  OracleUpdate u = feed.Refresh(Sec(11), kNoBook);
  CHECK(feed.index() == Ticks(0));
  CHECK(feed.breaker());
  CHECK(feed.breaker_cause() == BreakerCause::kSourceDeviation);
  CHECK_FALSE(u.breaker_cleared);
  CHECK_FALSE(u.breaker_tripped);

  // The others return; the outlier still deviates: tripped, no new event.
  feed.Publish(1, Ticks(100), Sec(12), Sec(12));
  feed.Publish(2, Ticks(100), Sec(12), Sec(12));
  u = feed.Refresh(Sec(12), kNoBook);
  CHECK(feed.breaker());
  CHECK_FALSE(u.breaker_tripped);
  feed.Publish(3, Ticks(105), Sec(12), Sec(12));
  CHECK(feed.Refresh(Sec(12), kNoBook).breaker_cleared);
}

TEST_CASE("Oracle: an index jump away from the TWAP trips the TWAP guard", "[oracle]") {
  OracleConfig c = ShortWindows();
  c.max_twap_deviation = Percent(5);
  PriceFeed feed(c);
  feed.Publish(1, Ticks(1'000), Sec(0), Sec(0));
  feed.Refresh(Sec(0), kNoBook);
  CHECK(feed.twap() == Ticks(0));  // no time has passed: no TWAP yet, guard idle
  feed.Refresh(Sec(10), kNoBook);
  CHECK(feed.twap() == Ticks(1'000));

  // 1,050 vs a TWAP of 1,000: 50 * 1e18 = 5e19 is not > 5e16 * 1,000 = 5e19.
  feed.Publish(1, Ticks(1'050), Sec(20), Sec(20));
  OracleUpdate u = feed.Refresh(Sec(20), kNoBook);
  CHECK(feed.twap() == Ticks(1'000));  // the new index has had no time yet
  CHECK_FALSE(feed.breaker());

  // A correction at the same publish time: 51 ticks away trips.
  feed.Publish(1, Ticks(1'051), Sec(20), Sec(20));
  u = feed.Refresh(Sec(20), kNoBook);
  CHECK(feed.breaker());
  CHECK(u.breaker_tripped);
  CHECK(u.cause == BreakerCause::kTwapDeviation);
  CHECK(feed.breaker_cause() == BreakerCause::kTwapDeviation);

  // One second later: (1,000 * 20 + 1,051 * 1) / 21 = 1,002.43 -> 1,002, and
  // 49 * 1e18 is not > 5e16 * 1,002 = 5.01e19.
  u = feed.Refresh(Sec(21), kNoBook);
  CHECK(feed.twap() == Ticks(1'002));
  CHECK_FALSE(feed.breaker());
  CHECK(u.breaker_cleared);
  CHECK(u.cause == BreakerCause::kTwapDeviation);
}

TEST_CASE("Oracle: with both guards failing the cause is source deviation", "[oracle]") {
  OracleConfig c = ShortWindows();
  c.max_source_deviation = Percent(1);
  c.max_twap_deviation = Percent(1);
  PriceFeed feed(c);
  feed.Publish(1, Ticks(1'000), Sec(0), Sec(0));
  feed.Refresh(Sec(0), kNoBook);
  feed.Publish(1, Ticks(2'000), Sec(10), Sec(10));
  feed.Publish(2, Ticks(2'000), Sec(10), Sec(10));
  feed.Publish(3, Ticks(3'000), Sec(10), Sec(10));
  const OracleUpdate u = feed.Refresh(Sec(10), kNoBook);
  CHECK(u.cause == BreakerCause::kSourceDeviation);
  // The outlier returns; the jump from a TWAP of 1,000 still fails.
  feed.Publish(3, Ticks(2'000), Sec(11), Sec(11));
  const OracleUpdate v = feed.Refresh(Sec(11), kNoBook);
  CHECK(feed.breaker());
  CHECK(feed.breaker_cause() == BreakerCause::kTwapDeviation);
  CHECK_FALSE(v.breaker_tripped);
  CHECK_FALSE(v.breaker_cleared);
}

// ---------------------------------------------------------------------------
// TWAP
// ---------------------------------------------------------------------------

TEST_CASE("Oracle: TWAP over a 60 s window with step changes", "[oracle]") {
  TimeWeightedAverage avg(Sec(60));  // 60 buckets of 1 s
  CHECK_FALSE(avg.Average(Sec(0)).has_value);
  avg.Set(Sec(0), 100);
  CHECK(Mean(avg, Sec(0)) == std::nullopt);  // no time counts yet
  avg.Set(Sec(10), 200);
  CHECK(Mean(avg, Sec(10)) == 100);
  avg.Set(Sec(40), 160);
  CHECK(Mean(avg, Sec(40)) == 175);  // (100*10 + 200*30) / 40 = 7,000 / 40
  CHECK(Mean(avg, Sec(60)) == 170);  // (7,000 + 160*20) / 60 = 10,200 / 60
  // Window (10, 70]: (200*30 + 160*30) / 60 = 10,800 / 60.
  CHECK(Mean(avg, Sec(70)) == 180);
  // Mid-bucket: the current bucket (75, 75.5] plus 59 full ones, (16, 75.5]:
  // (200*24 + 160*35.5) / 59.5 = 10,480 / 59.5 = 176.13 -> 176.
  CHECK(Mean(avg, TimeNs(75 * kSec + kSec / 2)) == 176);
  // Average() is const: asking about the future did not advance the average.
  avg.Set(Sec(70), 160);
  CHECK(Mean(avg, Sec(70)) == 180);
}

TEST_CASE("Oracle: TWAP rounds half-even", "[oracle]") {
  TimeWeightedAverage avg(Sec(60));
  avg.Set(Sec(0), 100);
  avg.Set(Sec(1), 101);
  CHECK(Mean(avg, Sec(2)) == 100);  // 100.5 -> 100
  TimeWeightedAverage odd(Sec(60));
  odd.Set(Sec(0), 101);
  odd.Set(Sec(1), 102);
  CHECK(Mean(odd, Sec(2)) == 102);  // 101.5 -> 102
  TimeWeightedAverage negative(Sec(60));
  negative.Set(Sec(0), -3);
  negative.Set(Sec(1), -4);
  CHECK(Mean(negative, Sec(2)) == -4);  // -3.5 -> -4
}

TEST_CASE("Oracle: TWAP after a gap longer than the window holds the last value", "[oracle]") {
  TimeWeightedAverage avg(Sec(60));
  avg.Set(Sec(0), 100);
  avg.Set(Sec(10), 200);
  // 490 s without an update: the window (440, 500] is all 200.
  CHECK(Mean(avg, Sec(500)) == 200);
  avg.Set(Sec(500), 300);
  // Window (450, 510]: (200*50 + 300*10) / 60 = 13,000 / 60 = 216.67 -> 217.
  // Had the gap merely cleared the buckets, this would be 300.
  CHECK(Mean(avg, Sec(510)) == 217);

  TimeWeightedAverage paused(Sec(60));
  paused.Set(Sec(0), 100);
  paused.Pause(Sec(10));
  CHECK(Mean(paused, Sec(69)) == 100);  // (9, 69] holds 1 s at 100
  CHECK(Mean(paused, Sec(70)) == std::nullopt);
  paused.Set(Sec(500), 300);
  CHECK(Mean(paused, Sec(510)) == 300);  // only (500, 510] counts
}

TEST_CASE("Oracle: TWAP excludes the time without an index", "[oracle]") {
  OracleConfig c = ShortWindows();
  c.staleness = Sec(10);
  PriceFeed feed(c);
  feed.Publish(1, Ticks(100), Sec(0), Sec(0));
  feed.Refresh(Sec(0), kNoBook);
  feed.Refresh(Sec(10), kNoBook);
  CHECK(feed.twap() == Ticks(100));
  // Stale at 20 s: (10, 20] still counts at 100 (the index until this
  // Refresh noticed), later time does not. The TWAP outlives the index.
  feed.Refresh(Sec(20), kNoBook);
  CHECK(feed.index() == Ticks(0));
  CHECK(feed.twap() == Ticks(100));
  feed.Publish(1, Ticks(200), Sec(30), Sec(30));
  feed.Refresh(Sec(30), kNoBook);
  CHECK(feed.twap() == Ticks(100));  // (20, 30] is excluded
  feed.Refresh(Sec(40), kNoBook);
  CHECK(feed.twap() == Ticks(133));  // (100*20 + 200*10) / 30 = 133.3
}

TEST_CASE("Oracle: TWAP encoding does not depend on the ring's rotation", "[oracle]") {
  TimeWeightedAverage jump(Sec(60));
  jump.Set(Sec(0), 7);
  jump.Set(Sec(1'000), 7);  // one update across the gap: skips ahead
  TimeWeightedAverage steps(Sec(60));
  steps.Set(Sec(0), 7);
  for (std::int64_t t = 13; t <= 1'000; t += 13) steps.Set(Sec(t), 7);
  steps.Set(Sec(1'000), 7);
  CHECK(Mean(jump, Sec(1'000)) == 7);
  CHECK(Encode(jump) == Encode(steps));
  steps.Set(Sec(1'001), 8);
  CHECK(Encode(jump) != Encode(steps));
}

// Brute force: the index as a list of steps, integrated exactly over
// (t - window, t]. At a bucket boundary the bucketed average covers exactly
// that window, so the two must agree to the tick.
TEST_CASE("Oracle: bucketed TWAP equals exact step integration at bucket boundaries",
          "[oracle][property]") {
  struct Step {
    std::int64_t start;
    std::optional<std::int64_t> value;  // nullopt: paused
  };
  const char* seed_env = std::getenv("PERPCORE_TEST_SEED");
  const char* iters_env = std::getenv("PERPCORE_TEST_ITERS");
  const std::uint64_t seed =
      seed_env != nullptr ? std::strtoull(seed_env, nullptr, 0) : 0x0AC1E5EEDull;
  const std::uint64_t iters = iters_env != nullptr ? std::strtoull(iters_env, nullptr, 0) : 20'000;
  std::printf("[property] oracle TWAP seed 0x%" PRIx64 " iterations %" PRIu64 "\n", seed, iters);
  testing::Rng rng(seed);

  for (std::int64_t width : {std::int64_t{1}, std::int64_t{7}, std::int64_t{1'000}}) {
    const std::int64_t window = width * static_cast<std::int64_t>(kTwapBuckets);
    TimeWeightedAverage avg{TimeNs(window)};
    std::vector<Step> steps;
    std::int64_t now = 0;
    auto exact = [&](std::int64_t t) -> std::optional<std::int64_t> {
      absl::int128 integral = 0;
      std::int64_t duration = 0;
      for (std::size_t i = 0; i < steps.size(); ++i) {
        if (!steps[i].value) continue;
        const std::int64_t end = i + 1 < steps.size() ? steps[i + 1].start : t;
        const std::int64_t lo = std::max(steps[i].start, t - window);
        const std::int64_t hi = std::min(end, t);
        if (hi <= lo) continue;
        integral += absl::int128(*steps[i].value) * (hi - lo);
        duration += hi - lo;
      }
      if (duration == 0) return std::nullopt;
      return *DivRound(integral, duration, Round::kHalfEven);
    };
    for (std::uint64_t i = 0; i < iters; ++i) {
      // Gaps: often none or within a bucket, sometimes across many buckets,
      // sometimes beyond the whole window.
      const std::uint64_t kind = rng.Below(10);
      if (kind < 2) {
        // same instant
      } else if (kind < 7) {
        now += rng.Between(1, width * 3);
      } else if (kind < 9) {
        now += rng.Between(1, window);
      } else {
        now += rng.Between(window, window * 4);
      }
      if (rng.Percent(15)) {
        avg.Pause(TimeNs(now));
        steps.push_back(Step{now, std::nullopt});
      } else {
        const std::int64_t v = rng.Between(-1'000'000'000'000, 1'000'000'000'000);
        avg.Set(TimeNs(now), v);
        steps.push_back(Step{now, v});
      }
      // Forget steps that ended before any window still to be asked about.
      while (steps.size() > 2 && steps[1].start <= now - window) steps.erase(steps.begin());
      // The next bucket boundaries at or after now.
      const std::int64_t boundary = (now + width - 1) / width * width;
      for (std::int64_t t : {boundary, boundary + width, boundary + 61 * width}) {
        INFO("seed " << seed << " width " << width << " step " << i << " t " << t);
        REQUIRE(Mean(avg, TimeNs(t)) == exact(t));
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Mark price
// ---------------------------------------------------------------------------

// Binance USD-M futures ("Mark Price and Price Index", Binance support FAQ):
//   Mark Price = median(Price 1, Price 2, Contract Price), where
//   Price 1 = index * (1 + last funding rate * (time until funding / funding interval)),
//   Price 2 = index + moving average (5-minute basis), and
//   Contract Price = median(best bid, best ask, last traded price).
// perpcore's three items map onto that as: our item 1 (index + time-weighted
// basis over basis_window) is Binance's Price 2; our item 2 (median of the
// book prices that exist) is Binance's Contract Price; our item 3 is the bare
// index, which stands where Binance's Price 1 stands -- Price 1 is the index
// adjusted by the pending funding, and the oracle does not know the funding
// rate, so that adjustment is left out. Binance's basis average is a mean of
// per-minute samples; ours is time-weighted between Refresh() calls.
// Unlike Binance, the book enters at its impact prices, not the touch, and
// the basis is averaged over the whole window (time without an impact mid
// counts as zero basis); then the mark is clamped to the index +- mark_cap.
TEST_CASE("Oracle: mark is the median of index + basis, book price and index", "[oracle]") {
  PriceFeed feed(ShortWindows());  // basis window 60 s, mark cap 50%
  feed.Publish(1, Ticks(10'000), Sec(0), Sec(0));

  // Both impact prices, no time in the window yet: 1. = the index; 2. =
  // the lower of {10,010, 10,030}.
  const BookPrices both{.impact_bid = Ticks(10'010), .impact_ask = Ticks(10'030)};
  feed.Refresh(Sec(0), both);
  CHECK(feed.mark() == Ticks(10'000));  // median(10,000, 10,010, 10,000)

  // The basis has held mid 10,020 - 10,000 = +20 over (0, 10], all the
  // time there is: 1. = 10,020.
  feed.Refresh(Sec(10), both);
  CHECK(feed.mark() == Ticks(10'010));  // median(10,020, 10,010, 10,000): the book
  feed.Refresh(Sec(10), BookPrices{.impact_bid = Ticks(10'010), .impact_ask = Ticks(10'030),
                                   .last_trade = Ticks(10'040)});
  CHECK(feed.mark() == Ticks(10'020));  // 2. = 10,030; median: index + basis
  feed.Refresh(Sec(10), BookPrices{.impact_bid = Ticks(10'010), .impact_ask = Ticks(10'030),
                                   .last_trade = Ticks(10'015)});
  CHECK(feed.mark() == Ticks(10'015));  // 2. = 10,015, between the others

  // One side missing from 10 s on: the basis samples 0, and 2. is that side.
  // (0, 20]: +20 over (0, 10] then... the last sample at 10 s was +20, so
  // (10, 20] still counts +20: 400 / 20 = +20.
  feed.Refresh(Sec(20), BookPrices{.impact_bid = Ticks(10'010)});
  CHECK(feed.mark() == Ticks(10'010));  // median(10,020, 10,010, 10,000)
  // (20, 30] at 0: 400 / 30 = 13.3 -> +13. (Paused, as before issue 11, it
  // would still be +20.)
  feed.Refresh(Sec(30), BookPrices{.impact_ask = Ticks(10'030)});
  CHECK(feed.mark() == Ticks(10'013));  // median(10,013, 10,030, 10,000)

  // No book at all: (30, 40] at 0, 400 / 40 = +10; the lower of 1. and 3.
  feed.Refresh(Sec(40), kNoBook);
  CHECK(feed.mark() == Ticks(10'000));  // min(10,010, 10,000)

  // A negative basis: mid 9,960 - 10,000 = -40 from 40 s on.
  const BookPrices low{.impact_bid = Ticks(9'950), .impact_ask = Ticks(9'970)};
  feed.Refresh(Sec(40), low);
  CHECK(feed.mark() == Ticks(10'000));  // basis +10 still: median(10,010, 9,950, 10,000)
  // Window (10, 70]: +20 over (10, 20], 0 over (20, 40], -40 over (40, 70]:
  // (200 - 1,200) / 60 = -16.7 -> -17, so 1. = 9,983.
  feed.Refresh(Sec(70), low);
  CHECK(feed.mark() == Ticks(9'983));  // median(9,983, 9,950, 10,000)
  feed.Refresh(Sec(70), BookPrices{.impact_bid = Ticks(9'950), .impact_ask = Ticks(9'970),
                                   .last_trade = Ticks(9'990)});
  CHECK(feed.mark() == Ticks(9'983));  // 2. = 9,970; median(9,983, 9,970, 10,000)
  // No book at 80 s: (70, 80] still counts the -40 sampled at 70 s; window
  // (20, 80]: -40 * 40 / 60 = -26.7 -> -27.
  feed.Refresh(Sec(80), kNoBook);
  CHECK(feed.mark() == Ticks(9'973));  // min(9,973, 10,000): below the index
  CHECK(feed.index() == Ticks(10'000));
}

TEST_CASE("Oracle: the impact mid rounds half-even", "[oracle]") {
  for (std::int64_t bid : {10'011, 10'013}) {  // mids 10,015.5 and 10,016.5
    PriceFeed feed(ShortWindows());
    feed.Publish(1, Ticks(10'000), Sec(0), Sec(0));
    const BookPrices book{.impact_bid = Ticks(bid), .impact_ask = Ticks(10'020),
                          .last_trade = Ticks(10'030)};
    feed.Refresh(Sec(0), book);
    feed.Refresh(Sec(1), book);
    // Both mids round to 10,016: basis +16 over all of (0, 1], 1. = 10,016;
    // 2. = 10,020.
    INFO("bid " << bid);
    CHECK(feed.mark() == Ticks(10'016));
  }
}

TEST_CASE("Oracle: index + basis is clamped so the mark stays positive", "[oracle]") {
  OracleConfig c = ShortWindows();
  c.mark_cap = Rate(kRateScale - 1);  // the widest cap: the lower bound is 1 tick
  PriceFeed feed(c);
  feed.Publish(1, Ticks(10'000), Sec(0), Sec(0));
  feed.Refresh(Sec(0), BookPrices{.impact_bid = Ticks(10), .impact_ask = Ticks(30)});
  feed.Refresh(Sec(10), kNoBook);  // basis -9,980 over all of (0, 10]
  feed.Publish(1, Ticks(5'000), Sec(10), Sec(10));
  feed.Refresh(Sec(10), kNoBook);
  // 5,000 - 9,980 = -4,980, clamped to 1; no book: min(1, 5,000); the cap's
  // lower bound ceil(5,000 * 1e-18) = 1.
  CHECK(feed.mark() == Ticks(1));
}

// Issue 11, item 1 (b): the basis used to pause while the book had no mid,
// so a manipulator could quote a pumped mid for one Refresh, pull the
// quotes, and keep the whole pumped basis.
TEST_CASE("Oracle: time without an impact mid counts as zero basis", "[oracle]") {
  PriceFeed feed(ShortWindows());  // 60 s window, 50% cap
  feed.Publish(1, Ticks(10'000), Sec(0), Sec(0));
  feed.Refresh(Sec(0), kNoBook);
  feed.Refresh(Sec(59), BookPrices{.impact_bid = Ticks(14'000), .impact_ask = Ticks(14'000)});
  feed.Refresh(Sec(60), kNoBook);
  // Window (0, 60]: 0 over (0, 59], +4,000 over (59, 60]: 4,000 / 60 =
  // 66.7 -> +67. No book: min(10,067, 10,000).
  CHECK(feed.mark() == Ticks(10'000));
  feed.Refresh(Sec(60), BookPrices{.last_trade = Ticks(14'000)});
  CHECK(feed.mark() == Ticks(10'067));  // median(10,067, 14,000, 10,000)
}

TEST_CASE("Oracle: the basis counts the time before the first Refresh as zero", "[oracle]") {
  PriceFeed feed(ShortWindows());
  feed.Publish(1, Ticks(10'000), Sec(100), Sec(100));
  const BookPrices pumped{.impact_bid = Ticks(12'000), .impact_ask = Ticks(12'000),
                          .last_trade = Ticks(12'000)};
  feed.Refresh(Sec(100), pumped);
  feed.Refresh(Sec(110), pumped);
  // Window (50, 110]: +2,000 over (100, 110] only: 20,000 / 60 = 333.3.
  CHECK(feed.mark() == Ticks(10'333));  // median(10,333, 12,000, 10,000)
}

// Issue 11, item 1 (c): the clamp. Index 10,001 and a 2% cap: the band is
// [ceil(9,800.98), floor(10,201.02)] = [9,801, 10,201], each rounded toward
// the index.
TEST_CASE("Oracle: the mark is clamped to the index +- mark_cap, rounded toward the index",
          "[oracle]") {
  OracleConfig c = ShortWindows();
  c.mark_cap = Percent(2);
  for (const std::int64_t book : {20'000, 10'202, 10'201, 10'200, 9'800, 9'801, 1}) {
    PriceFeed feed(c);
    feed.Publish(1, Ticks(10'001), Sec(0), Sec(0));
    const BookPrices b{.impact_bid = Ticks(book), .impact_ask = Ticks(book),
                       .last_trade = Ticks(book)};
    feed.Refresh(Sec(0), b);
    feed.Refresh(Sec(60), b);  // the whole window at basis book - 10,001
    // Unclamped the mark would be the book price (1. and 2. agree).
    const std::int64_t want = std::clamp<std::int64_t>(book, 9'801, 10'201);
    INFO("book " << book);
    CHECK(feed.mark() == Ticks(want));
  }
  // Exactly 2% of 10,000 is 200: the bounds are 9,800 and 10,200 themselves.
  PriceFeed even(c);
  even.Publish(1, Ticks(10'000), Sec(0), Sec(0));
  const BookPrices up{.impact_bid = Ticks(11'000), .impact_ask = Ticks(11'000),
                      .last_trade = Ticks(11'000)};
  even.Refresh(Sec(0), up);
  even.Refresh(Sec(60), up);
  CHECK(even.mark() == Ticks(10'200));
  // A zero cap: the mark is the index.
  c.mark_cap = Rate(0);
  PriceFeed zero(c);
  zero.Publish(1, Ticks(10'000), Sec(0), Sec(0));
  zero.Refresh(Sec(0), up);
  zero.Refresh(Sec(60), up);
  CHECK(zero.mark() == Ticks(10'000));
}

// ImpactPrice: bids 100 x 2 lots, 99 x 3, 95 x 10 at 10 atoms per tick-lot
// (level worths 2,000, 2,970 and 9,500 atoms).
TEST_CASE("Oracle: impact prices are the exact average fill price, rounded away from the mid",
          "[oracle]") {
  const std::vector<LevelView> bids{{Ticks(100), Lots(2), 1}, {Ticks(99), Lots(3), 1},
                                    {Ticks(95), Lots(10), 1}};
  // 4,000 atoms: 2 lots at 100 (2,000), then 2,000 atoms at 99, i.e.
  // 2,000 / 990 lots: 4,000 * 99 / (10 * 2 * 99 + 2,000) = 396,000 / 3,980
  // = 99.497 -> 99 (down for bids).
  CHECK(ImpactPrice(Side::kBuy, bids, 4'000, 10) == Ticks(99));
  // Exactly the first level: 2,000 * 100 / (0 + 2,000) = 100.
  CHECK(ImpactPrice(Side::kBuy, bids, 2'000, 10) == Ticks(100));
  // One atom more: 2,001 * 99 / (1,980 + 1) = 198,099 / 1,981 = 99.9995 -> 99.
  CHECK(ImpactPrice(Side::kBuy, bids, 2'001, 10) == Ticks(99));
  // The whole side, 14,470 atoms: 14,470 * 95 / (10 * 5 * 95 + 9,500) =
  // 1,374,650 / 14,250 = 96.47 -> 96; one atom more is too thin.
  CHECK(ImpactPrice(Side::kBuy, bids, 14'470, 10) == Ticks(96));
  CHECK(ImpactPrice(Side::kBuy, bids, 14'471, 10) == Ticks(0));
  CHECK(ImpactPrice(Side::kBuy, std::span<const LevelView>(), 1, 10) == Ticks(0));

  // Asks 100 x 2, 101 x 3, 105 x 10: 5,000 atoms = 2,000 at 100 and 3,000
  // at 101: 5,000 * 101 / (2,020 + 3,000) = 505,000 / 5,020 = 100.598 ->
  // 101 (up for asks).
  const std::vector<LevelView> asks{{Ticks(100), Lots(2), 1}, {Ticks(101), Lots(3), 1},
                                    {Ticks(105), Lots(10), 1}};
  CHECK(ImpactPrice(Side::kSell, asks, 5'000, 10) == Ticks(101));
  CHECK(ImpactPrice(Side::kSell, asks, 2'000, 10) == Ticks(100));  // exact: no rounding
  // 2,001: 2,001 * 101 / (2,020 + 1) = 202,101 / 2,021 = 100.0005 -> 101.
  CHECK(ImpactPrice(Side::kSell, asks, 2'001, 10) == Ticks(101));

  // Extreme values: one level of INT64_MAX lots at INT64_MAX ticks, with
  // INT64_MAX atoms, fills any notional at its own price.
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  const std::vector<LevelView> huge{{Ticks(kMax), Lots(kMax), 1}};
  CHECK(ImpactPrice(Side::kSell, huge, kMax, kMax) == Ticks(kMax));
  CHECK(ImpactPrice(Side::kBuy, huge, 1, kMax) == Ticks(kMax));
}

TEST_CASE("Oracle: an impact walk deeper than kImpactLevels levels counts as too thin",
          "[oracle]") {
  // kImpactLevels + 1 levels of 1 lot at 100 ticks, 1 atom each: each level
  // is worth 100 atoms.
  std::vector<LevelView> levels;
  for (std::size_t i = 0; i <= kImpactLevels; ++i) {
    levels.push_back({Ticks(100), Lots(1), 1});
  }
  const auto depth = static_cast<std::int64_t>(kImpactLevels) * 100;
  CHECK(ImpactPrice(Side::kSell, levels, depth, 1) == Ticks(100));  // the last level walked
  CHECK(ImpactPrice(Side::kSell, levels, depth + 1, 1) == Ticks(0));  // the next is too deep
}

TEST_CASE("Oracle: MedianOfThree picks the middle of every ordering", "[oracle]") {
  const std::int64_t v[3] = {-5, 2, 9};
  const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  for (const auto& o : orders) CHECK(MedianOfThree(v[o[0]], v[o[1]], v[o[2]]) == 2);
  CHECK(MedianOfThree(4, 4, 1) == 4);
  CHECK(MedianOfThree(1, 4, 1) == 1);
  CHECK(MedianOfThree(INT64_MIN, INT64_MAX, 0) == 0);
}

// ---------------------------------------------------------------------------
// Reconfigure and encoding
// ---------------------------------------------------------------------------

TEST_CASE("Oracle: Reconfigure applies from the next Refresh and restarts a changed window",
          "[oracle]") {
  PriceFeed feed(ShortWindows());
  feed.Publish(1, Ticks(100), Sec(0), Sec(0));
  feed.Refresh(Sec(0), kNoBook);
  feed.Publish(1, Ticks(200), Sec(30), Sec(30));
  feed.Refresh(Sec(30), kNoBook);
  feed.Refresh(Sec(60), kNoBook);
  CHECK(feed.twap() == Ticks(150));  // (100*30 + 200*30) / 60

  // Same windows, more sources required: nothing changes until Refresh.
  OracleConfig c = ShortWindows();
  c.min_sources = 2;
  feed.Reconfigure(c);
  CHECK(feed.config() == c);
  CHECK(feed.index() == Ticks(200));
  feed.Refresh(Sec(60), kNoBook);
  CHECK(feed.index() == Ticks(0));
  CHECK(feed.twap() == Ticks(150));  // the average was kept
  feed.Publish(2, Ticks(200), Sec(60), Sec(60));
  feed.Refresh(Sec(60), kNoBook);
  CHECK(feed.index() == Ticks(200));

  // A longer TWAP window restarts the TWAP from the last Refresh at the
  // index then: (60, 70] at 200. Kept, the 120 s window would have said
  // (100*30 + 200*40) / 70 = 157.
  c.twap_window = Sec(120);
  feed.Reconfigure(c);
  CHECK(feed.twap() == Ticks(150));
  feed.Refresh(Sec(70), kNoBook);
  CHECK(feed.twap() == Ticks(200));
  CHECK(feed.Sources().size() == 2);
}

TEST_CASE("Oracle: a restarted average keeps a pause", "[oracle]") {
  TimeWeightedAverage avg(Sec(60));
  avg.Set(Sec(0), 100);
  avg.Pause(Sec(10));
  TimeWeightedAverage restarted = avg.Restarted(Sec(120));
  restarted.Set(Sec(20), 300);
  CHECK(Mean(restarted, Sec(20)) == std::nullopt);  // (10, 20] was paused
  CHECK(Mean(restarted, Sec(30)) == 300);
  TimeWeightedAverage held(Sec(60));
  held.Set(Sec(0), 100);
  TimeWeightedAverage from_held = held.Restarted(Sec(120));
  CHECK(Mean(from_held, Sec(10)) == 100);  // (0, 10] at the held 100
}

// Builds a feed through a fixed script; `tweak` may change one thing.
struct Script {
  OracleConfig config = ShortWindows();
  Ticks source3 = Ticks(10'300);
  TimeNs source3_time = Sec(5);
  Ticks bid = Ticks(10'100);
  std::int64_t last_refresh_s = 40;
  bool extra_source = false;
};
std::string Run(const Script& s) {
  PriceFeed feed(s.config);
  feed.Publish(1, Ticks(10'000), Sec(0), Sec(0));
  feed.Publish(2, Ticks(10'200), Sec(0), Sec(0));
  feed.Refresh(Sec(0), kNoBook);
  feed.Publish(3, s.source3, s.source3_time, Sec(10));
  if (s.extra_source) feed.Publish(4, Ticks(10'200), Sec(10), Sec(10));
  feed.Refresh(Sec(10), BookPrices{.impact_bid = s.bid, .impact_ask = Ticks(10'400)});
  feed.Refresh(Sec(s.last_refresh_s), kNoBook);
  return Encode(feed);
}

TEST_CASE("Oracle: canonical encodings are equal for equal states and differ otherwise",
          "[oracle]") {
  CHECK(Run(Script{}) == Run(Script{}));
  std::vector<Script> variants(17);
  variants[1].config.staleness = TimeNs(variants[1].config.staleness.raw() + 1);
  variants[2].config.min_sources = 2;
  variants[3].config.max_source_deviation = Rate(1);
  variants[4].config.max_twap_deviation = Rate(1);
  variants[5].config.twap_window = Sec(61);
  variants[6].config.basis_window = Sec(61);
  variants[7].source3 = Ticks(10'301);          // the index is still 10,200
  variants[8].source3_time = TimeNs(5 * kSec + 1);
  variants[9].bid = Ticks(10'102);               // basis differs
  variants[10].last_refresh_s = 41;              // averages and refresh time
  variants[11].extra_source = true;              // a source more, same index
  variants[12].config.max_source_deviation = Percent(1);  // trips the breaker
  variants[13].config.impact_notional = 7;
  variants[14].config.mark_cap = Percent(3);
  variants[15].config.max_mark_age = Sec(59);
  variants[16].config.max_mark_age = Sec(61);          // usable_until only, at 40 s
  std::vector<std::string> encodings;
  for (const Script& s : variants) encodings.push_back(Run(s));
  for (std::size_t i = 0; i < encodings.size(); ++i) {
    for (std::size_t j = i + 1; j < encodings.size(); ++j) {
      INFO("variants " << i << " and " << j);
      CHECK(encodings[i] != encodings[j]);
    }
  }
  // Variant 12 differs in the breaker state as well as in the config.
  PriceFeed tripped(variants[12].config);
  tripped.Publish(1, Ticks(10'000), Sec(0), Sec(0));
  tripped.Publish(2, Ticks(10'200), Sec(0), Sec(0));
  tripped.Publish(3, Ticks(10'300), Sec(0), Sec(0));
  tripped.Refresh(Sec(0), kNoBook);
  CHECK(tripped.breaker());  // |10,000 - 10,200| = 200 > 1% of 10,200
}

}  // namespace
}  // namespace perpcore::oracle
