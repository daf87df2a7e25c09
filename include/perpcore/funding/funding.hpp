// -----------------------------------------------------------------------------
// File: perpcore/funding/funding.hpp
// -----------------------------------------------------------------------------
//
// Funding: what ties a perpetual's price to its index. Pure arithmetic over
// plain inputs (no engine types): the engine feeds each market's clock, book
// and open interest in and books the money the index says is owed (engine
// valuation and ledger).
//
// Vocabulary
//   rate        a Rate (1e18 = 1) per `period`: the fraction of a position's
//               notional a long pays a short over one period (negative: a
//               short pays a long). Every model yields its rate per period;
//               an interval of length T pays rate * T / period (dYdX v4 and
//               Hyperliquid compute an 8-hour rate and pay it hourly: period
//               8 h, interval 1 h; Binance pays its 8-hour rate at 8-hour
//               interval ends: period = interval = 8 h).
//   interval    funding intervals are aligned to multiples of `interval` since
//               time 0 (UTC 0:00, 8:00, 16:00 for 8 h), so every replica
//               closes the same intervals; a parameter change closes the
//               running one early (Funding::Close()).
//   index       the cumulative funding index of a market, in atoms per lot,
//               scaled by kIndexScale (so 1e18 index units = one atom per
//               lot). It moves by rate * (T / period) * price *
//               atoms_per_tick_lot * kIndexScale / kRateScale for T of
//               funding at `price` ticks: with rates at 1e18 the scaled
//               product is an exact integer when T = period (no rounding
//               at all for interval-end payments), and the sub-period share
//               rounds toward zero. A position of `size` lots whose funding
//               was last settled at index I0 owes Owed(I, I0, size) =
//               ceil((I - I0) * size / kIndexScale) atoms (< 0: receives), so
//               rounding always goes against the account (a payer pays the
//               fraction, a receiver forgoes it) and the engine's residual
//               sink collects the difference.
//
// Models (FundingModel):
//   kPremium       dYdX v4 / Hyperliquid / Binance. At each sample (at most
//                  one per `sample_cadence` slot, on time ticks) the premium
//                  P = (max(0, impact_bid - index) - max(0, index - impact_ask))
//                  / index, rounded toward zero, from the book's impact prices
//                  at `impact_notional` (a side too thin for it contributes
//                  0: dYdX's rule). The interval's premium is the average of
//                  its samples, equally weighted or (kTimeWeighted) with the
//                  sample of slot i (1-based within the interval) weighing i,
//                  as Binance weighs its minutes; rounded toward zero; 0
//                  without samples. The rate per period is then
//                    F = P + clamp(interest - P, -interest_band, +interest_band)
//                  clamped to [floor, cap] (CapMode::kFixed) or to
//                  +-cap_multiple * (initial - maintenance margin fraction of
//                  the first tier) (kMarginMultiple, dYdX's clamp factor).
//                  Interval-end payment pays F for the interval at its end;
//                  continuous payment accrues the last closed interval's F
//                  per second through the next (before the first close: 0).
//   kSkewLinear    PerpX: F = clamp(skew_kappa * skew, -skew_max, +skew_max),
//                  skew = (L - S) / (L + S) over the open interest of every
//                  account but the market's counterparty (the vault that takes
//                  the other side of traders; in an order book without one
//                  long and short open interest are equal and the skew is
//                  identically 0, so the skew models require one).
//   kSkewPower     GMX v2 non-adaptive: F = skew_factor * |skew|^skew_exponent,
//                  signed as the skew (the larger side pays), clamped to
//                  +-skew_max. GMX divides |imbalance|^e by the total open
//                  interest in USD; perpcore raises the dimensionless skew, so
//                  the rate does not depend on the quote unit (identical for
//                  e = 1).
//   kSkewAdaptive  GMX v2.1 adaptive: F is state. Over dt seconds, while the
//                  skew has F's sign (or F = 0) and |skew| > stable_threshold,
//                  F grows in the skew's direction by
//                    ramp_up * |skew|^skew_exponent * dt;
//                  while |skew| < decay_threshold it decays toward 0 by
//                    decay * dt (never past 0);
//                  in between it holds; a skew against F's sign ramps F toward
//                  the skew's side (through 0) by the ramp-up term. |F| <=
//                  skew_max. ramp_up and decay are rates per period per second.
//   Skew models move the index continuously (per elapsed second, with the
//   rate computed at the start of the elapsed time: the engine advances the
//   market's funding before any fill changes its open interest) or at
//   interval ends (F at the end, from the skew then: PerpX settles every 8 h).
//
// Price of payments (FundingPrice): the market's oracle index (Hyperliquid)
// or its mark (Binance), at the moment the index moves. While the market's
// index is not usable, no sample is taken and the index does not move (an
// interval closing then records its rate unpaid; continuous time passes
// unpaid): there is no price to pay at.
//
// Thread safety: pure functions and value types.
#ifndef PERPCORE_FUNDING_FUNDING_HPP_
#define PERPCORE_FUNDING_FUNDING_HPP_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "absl/numeric/int128.h"
#include "perpcore/core/fixed.hpp"
#include "perpcore/core/reason.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace funding {

// kIndexScale: index units per atom per lot.
inline constexpr std::int64_t kIndexScale = kRateScale;
inline constexpr std::int64_t kNsPerSecond = 1'000'000'000;

// Pinned enumerator values (they reach the C API, journals and digests).
enum class FundingModel : std::uint8_t {
  kNone = 0,  // no funding: the index never moves
  kPremium = 1,
  kSkewLinear = 2,
  kSkewPower = 3,
  kSkewAdaptive = 4,
};
enum class FundingPayment : std::uint8_t { kIntervalEnd = 0, kContinuous = 1 };
enum class FundingPrice : std::uint8_t { kIndex = 0, kMark = 1 };
enum class PremiumWeighting : std::uint8_t { kEqual = 0, kTimeWeighted = 1 };
enum class CapMode : std::uint8_t { kFixed = 0, kMarginMultiple = 1 };

// Bounds of the parameters (Validate()).
inline constexpr TimeNs kMinInterval{kNsPerSecond};                    // 1 s
inline constexpr TimeNs kMaxInterval{7 * 24 * 3600 * kNsPerSecond};    // 7 days
inline constexpr std::int64_t kMaxSamplesPerInterval = 1 << 20;
inline constexpr Rate kMaxExponent{3 * kRateScale};
inline constexpr Rate kMaxCapMultiple{9'200'000'000'000'000'000};  // 9.2
// The index stays within +-kIndexBound: Validate() refuses parameters whose
// largest index move per second, kept up for kIndexHorizon, could pass
// kIndexBound / 2 (the other half is headroom for the index already built).
// 2^32 s is 136 years. An index that would still pass it saturates there
// (documented, unreachable within the horizon).
inline constexpr absl::int128 kIndexBound = absl::int128(1) << 126;
inline constexpr std::int64_t kIndexHorizonSeconds = std::int64_t{1} << 32;

// FundingParams: per market, in MarketParams::funding. Rates are per
// `period` unless named otherwise.
struct FundingParams {
  FundingModel model = FundingModel::kPremium;
  FundingPayment payment = FundingPayment::kIntervalEnd;
  FundingPrice price = FundingPrice::kIndex;
  TimeNs interval{8 * 3600 * kNsPerSecond};  // kMinInterval..kMaxInterval
  TimeNs period{8 * 3600 * kNsPerSecond};    // kMinInterval..kMaxInterval
  // Premium model.
  TimeNs sample_cadence{60 * kNsPerSecond};  // > 0, divides interval,
                                             // <= kMaxSamplesPerInterval slots
  PremiumWeighting weighting = PremiumWeighting::kEqual;
  std::int64_t impact_notional = 10'000'000'000;  // atoms, >= 1
  Rate interest{kRateScale / 10'000};             // 0.01% per period, |.| <= 1
  Rate interest_band{5 * kRateScale / 10'000};    // 0.05%, in [0, 1]
  CapMode cap_mode = CapMode::kFixed;
  Rate cap{kRateScale / 10'000 * 75};             // 0.75%; floor <= cap, |.| <= 1
  Rate floor{-(kRateScale / 10'000 * 75)};
  Rate cap_multiple{6 * kRateScale};              // kMarginMultiple: (0, 9.2]
  // Skew models.
  std::uint64_t counterparty = 0;  // AccountId; required (!= 0) by them
  Rate skew_kappa{kRateScale / 100};   // kSkewLinear: >= 0 (the Rate's range, 9.22, bounds it)
  Rate skew_factor{0};                 // kSkewPower: in [0, 1]
  Rate skew_exponent{kRateScale};      // kSkewPower/Adaptive: [1, kMaxExponent]
  Rate skew_max{kRateScale / 100};     // all skew models: |F| cap, (0, 1]
  Rate ramp_up{0};                     // kSkewAdaptive, per period per second, [0, 1]
  Rate decay{0};                       // kSkewAdaptive, per period per second, [0, 1]
  Rate stable_threshold{0};            // kSkewAdaptive: [0, 1]
  Rate decay_threshold{0};             // kSkewAdaptive: [0, stable_threshold]
  friend bool operator==(const FundingParams&, const FundingParams&) = default;
};

// MarketBounds: what Validate() needs of the market around the funding.
struct MarketBounds {
  std::int64_t max_price = 0;           // ticks
  std::int64_t atoms_per_tick_lot = 1;  // atoms
  Rate initial_minus_maintenance;       // first tier: 1/max_leverage - maintenance_rate
};

// Validate(): kOk, or the first fault in the order of the fields above:
//   kFundingInvalidModel, kFundingInvalidPayment (payment or price enum),
//   kFundingInvalidInterval (interval or period out of range),
//   kFundingInvalidCadence (0, not dividing interval, too many slots),
//   kFundingInvalidWeighting, kFundingInvalidImpactNotional,
//   kFundingInvalidInterest (|interest| > 1 or interest_band outside [0, 1]),
//   kFundingCapBelowFloor (cap < floor, |cap| or |floor| > 1, invalid
//   cap_mode or cap_multiple),
//   kFundingNoCounterparty (a skew model without one),
//   kFundingInvalidSkew (kappa, factor, max, ramp, decay, thresholds),
//   kFundingInvalidExponent,
//   kFundingIndexOverflow (the largest index move per second times
//   kIndexHorizonSeconds passes kIndexBound / 2).
// Fields of models other than `model` are checked too: a host switching
// models later finds them valid (the counterparty only under a skew model).
// The index move per second is
//   floor(MaxRate * max_price * atoms_per_tick_lot * (kIndexScale /
//         kRateScale = 1) * 1e9 / period_ns),
// formed exactly in 256 bits, and must be <= 2^93 (= 2^125 / 2^32 s), so no
// market bound can overflow the check itself. O(1).
Reason Validate(const FundingParams& p, const MarketBounds& market);

// MaxRate(): the largest |F| per period the parameters allow (the premium
// model's max(|cap|, |floor|), or cap_multiple * max(0, imm) rounded toward
// zero under kMarginMultiple; a skew model's skew_max; kNone: 0).
Rate MaxRate(const FundingParams& p, Rate initial_minus_maintenance);

// --- the pieces of arithmetic (each tested against the venues' examples) ---

// PremiumSample(): P above, in Rate, rounded toward zero; 0 when index <= 0.
// impact_bid/impact_ask: Ticks(0) when that side is too thin (that side then
// contributes 0, not index - 0). Saturates at the Rate's range (+-9.22: an
// impact price ten times the index).
Rate PremiumSample(Ticks impact_bid, Ticks impact_ask, Ticks index);

// PremiumRate(): F = P + clamp(interest - P, +-band), then clamped to
// [floor, cap] (or +-cap_multiple * initial_minus_maintenance, that product
// rounded toward zero, a negative margin gap counting as 0). Exact: the only
// rounding is the margin multiple's.
Rate PremiumRate(Rate premium, const FundingParams& p, Rate initial_minus_maintenance);

// Skew(): (long - short) / (long + short) in Rate, rounded toward zero; 0
// when both are 0. long, short >= 0.
Rate Skew(std::int64_t long_lots, std::int64_t short_lots);

// Pow(): x^e for x in [0, 1e18] and e in [1e18, kMaxExponent], in Rate,
// rounded down, exact for whole e and within 1e-15 relative for fractional e
// (deterministic integer arithmetic: log2 and exp2 by bits).
// Whole e: x^e / 1e18^(e-1) formed exactly (256 bits), one floor. Fractional
// e: 2^-(e * (log2 1e18 - log2 x)), the log2 to 64 fraction bits by
// squaring, the exp2 as a product of 2^(2^-j) constants in Q1.63; every step
// truncates (below 2^-55 relative in all), then the result is floored (so
// within 1e-15 relative plus one raw unit). Inputs outside the ranges are
// clamped into them. O(1) (64-step loops).
Rate Pow(Rate x, Rate e);

// SkewRate(): kSkewLinear and kSkewPower's F for a skew: kappa * skew, or
// skew_factor * Pow(|skew|, skew_exponent) signed as the skew, each product
// rounded toward zero, then clamped to +-skew_max. 0 for other models.
Rate SkewRate(Rate skew, const FundingParams& p);

// AdaptiveStep(): kSkewAdaptive's F after dt nanoseconds at `skew`,
// starting from `rate` (the rule above; dt may be any length: the step is
// the closed form of constant skew over dt). With F0 = rate clamped to
// +-skew_max, ramp = ramp_up * Pow(|skew|, e) * dt / 1e9 and decay =
// decay * dt / 1e9 (each rounded toward zero):
//   |skew| > stable_threshold, or skew against F0: F0 + sign(skew) * ramp,
//     clamped to +-skew_max; but a skew against F0 with |skew| <=
//     stable_threshold stops at 0 (at F = 0 the hold/decay rules apply);
//   else |skew| < decay_threshold: F0 moved toward 0 by decay, never past;
//   else: F0 (holds). A skew of 0 has no side: it holds or decays.
// The thresholds are strict: |skew| = stable_threshold holds, and so does
// |skew| = decay_threshold. O(1).
Rate AdaptiveStep(Rate rate, Rate skew, TimeNs dt, const FundingParams& p);

// IndexDelta(): the index move for funding `rate` over `elapsed` at `price`
// ticks: rate * elapsed / period * price * atoms * kIndexScale / kRateScale,
// rounded toward zero, saturating at +-kIndexBound. The product is formed
// exactly in 256 bits and divided once. 0 when elapsed, price, atoms or
// period is <= 0.
absl::int128 IndexDelta(Rate rate, TimeNs elapsed, TimeNs period, Ticks price,
                        std::int64_t atoms_per_tick_lot);

// Owed(): what a position of `size` lots owes for the index moving from
// `settled` to `now`: ceil((now - settled) * size / kIndexScale) atoms (< 0:
// it receives), exact for any inputs within kIndexBound and |size| < 2^63
// (the product is formed in 256 bits when it must be), saturating at
// +-2^126 atoms. Its exact value times kIndexScale is
// (now - settled) * size; the rounding excess Owed * kIndexScale -
// (now - settled) * size lies in [0, kIndexScale) and is ExcessOf().
absl::int128 Owed(absl::int128 now, absl::int128 settled, std::int64_t size);
// ExcessOf(): the rounding excess above, in index units (< kIndexScale).
// Where Owed() saturates it is the excess of the unsaturated value (0 once
// that passes 2^128 atoms): no settlement within kIndexBound gets there.
std::int64_t ExcessOf(absl::int128 now, absl::int128 settled, std::int64_t size);
// SettlementOf(): Owed() and ExcessOf() from one product (what a settlement
// and the invariant check need together).
struct Settlement {
  absl::int128 owed = 0;
  std::int64_t excess = 0;
};
Settlement SettlementOf(absl::int128 now, absl::int128 settled, std::int64_t size);

// ---------------------------------------------------------------------------
// Funding: one market's funding state and its clock.
// ---------------------------------------------------------------------------

// Inputs: what the engine observes of the market when it advances funding.
// Everything is read at `now`.
struct Inputs {
  TimeNs now;
  Ticks index;            // 0: the index is not usable (no sample, no payment)
  Ticks mark;             // the market's mark (0: none)
  Ticks impact_bid;       // at FundingParams::impact_notional; 0: too thin
  Ticks impact_ask;
  bool book_open = true;  // false while halted: no premium sample
  // Open interest without the counterparty's position. The engine advances
  // a market's funding before any fill changes its open interest, so these
  // are the open interest that held since the previous advance: skew models
  // accrue the span since then at the skew they give.
  std::int64_t long_lots = 0;
  std::int64_t short_lots = 0;
  std::int64_t atoms_per_tick_lot = 1;
  Rate initial_minus_maintenance;
};

// RateSet: one closed interval (or a run of `intervals` equal ones that
// passed without a tick: their premium is 0 and their F is the same).
struct RateSet {
  TimeNs start, end;           // of the (first) interval; run: end of the last
  std::uint32_t intervals = 1;
  Rate premium;                // the interval's average premium (premium model)
  Rate rate;                   // F per period
  Ticks price;                 // what it was paid at; 0: not paid (no index)
  absl::int128 index_delta = 0;  // the index move it caused (interval-end)
  friend bool operator==(const RateSet&, const RateSet&) = default;
};

// HistoryEntry: the bounded history of closed intervals (kHistory newest).
inline constexpr std::size_t kHistory = 32;

// Advanced: what one Advance() did (at most two closes: the interval in
// progress at the last advance, then the run of empty ones after it).
struct Advanced {
  bool sampled = false;
  Rate sample;
  std::uint32_t closes = 0;
  std::array<RateSet, 2> closed;
  absl::int128 index_delta = 0;  // total over this Advance()
};

class Funding {
 public:
  Funding() = default;
  // Starts the clock at `now` with `p` (validated): the interval in progress
  // is the one holding `now`; the index starts at 0.
  Funding(const FundingParams& p, TimeNs now);

  // SampleDue(): whether Advance(now) takes a premium sample (the premium
  // model, and no sample in now's cadence slot yet, or now at or past the
  // interval's end, which starts a new one): the engine computes impact
  // prices only then. Advance() also needs in.index > 0 and in.book_open.
  bool SampleDue(const FundingParams& p, TimeNs now) const;

  // Advance(): brings the state to in.now (>= the last advance; equal does
  // nothing but may sample; earlier does nothing): closes every interval
  // that ended at or before in.now (O(1) however many), accrues continuous
  // funding up to in.now, then takes a sample if due. O(1). In order:
  //  (a) if interval_end() <= in.now: continuous funding accrues up to the
  //      end as in (b); the interval closes there with F = premium:
  //      PremiumRate(RunningPremium()); skew linear/power: SkewRate(Skew(in));
  //      adaptive: rate() stepped to the end; interval-end payment adds
  //      IndexDelta(F, end - start, period, price, atoms); a RateSet is
  //      recorded and the samples restart. Then the k >= 1 further whole
  //      intervals that ended by in.now (a run without a tick) close as ONE
  //      RateSet with intervals = k (saturating at 2^32 - 1; start/end are
  //      exact), premium 0, and F = the model's rate without samples
  //      (premium: PremiumRate(0); skew linear/power: from in; adaptive:
  //      rate() stepped over the run); interval-end payment adds
  //      IndexDelta(F, k * interval, ...) (for the adaptive model an
  //      approximation: its F at the run's end over the whole run).
  //      Continuous payment accrues over the run the rate each interval has
  //      in effect: premium: the F closed in (a) for the run's first
  //      interval, the run's F for the others; skew linear/power: F;
  //      adaptive: rate() at the run's start.
  //  (b) continuous funding from advanced_to() to in.now: skew linear/power
  //      accrue at SkewRate(Skew(in)) (the open interest that held since the
  //      last advance), which becomes rate(); adaptive accrues at rate() (at
  //      the span's start), then rate() = AdaptiveStep(rate(), skew, dt);
  //      premium accrues the last closed F (0 before the first close). Each
  //      accrual is one IndexDelta(), rounded toward zero, so continuous
  //      funding depends (by less than one index unit per advance) on how
  //      often the market is advanced. Under interval-end payment the
  //      adaptive rate still steps; rate() of the others is the last F set.
  //  (c) a premium sample if the model is premium, no sample holds the slot
  //      (in.now - interval_start()) / sample_cadence yet, in.index > 0 and
  //      in.book_open: weight 1 (kEqual) or slot + 1 (kTimeWeighted).
  // Payments are at in.index (kIndex) or in.mark (kMark) at this advance;
  // with in.index == 0 nothing is paid (a RateSet's price is then 0 and its
  // index_delta 0), also under kMark. Under continuous payment a RateSet
  // records the price of the advance that closed it and index_delta 0 (its
  // funding was paid as it accrued). Model kNone: the clock re-aligns to the
  // interval holding in.now; nothing accrues, closes, records or samples.
  // The index saturates at +-kIndexBound.
  Advanced Advance(const FundingParams& p, const Inputs& in);

  // Close(): closes the interval in progress at in.now early, after
  // Advance(old, in): a parameter change, so the running interval pays its
  // elapsed part (interval-end payment: IndexDelta over now - start) with the
  // old parameters. The next interval runs from in.now to the next multiple
  // of next.interval; the samples restart; the rate in effect becomes 0 if
  // the model changes. Nothing to close (in.now == interval_start(), or
  // model kNone): std::nullopt, and only the clock is re-aligned. O(1).
  // F is computed as at an interval end (Advance() (a)) with `old`; under
  // continuous payment nothing more is paid (the advance accrued it). If
  // in.now is past advanced_to(), Advance(old, in) runs first (its Advanced
  // is not returned). The rate in effect stays the closed F unless the model
  // changes.
  std::optional<RateSet> Close(const FundingParams& old, const FundingParams& next,
                               const Inputs& in);

  // IndexAt(): the index Advance(p, in) would leave, without advancing: the
  // engine values pending funding at the command's time with it before it
  // advances (a rejected command changes nothing). Samples do not move the
  // index, so none is taken. O(1).
  absl::int128 IndexAt(const FundingParams& p, const Inputs& in) const;

  // Queries.
  absl::int128 index() const { return index_; }
  Rate rate() const { return rate_; }          // F in effect (continuous) or last set
  Rate last_sample() const { return last_sample_; }
  std::uint32_t samples() const { return samples_; }
  // The interval's weighted average premium so far, rounded toward zero; 0
  // without samples.
  Rate RunningPremium(const FundingParams& p) const;
  // PredictedRate(): F if the interval closed now with its samples so far
  // (premium model), or F from the skew now (skew models; adaptive: rate()
  // stepped from advanced_to() to in.now). kNone: 0.
  Rate PredictedRate(const FundingParams& p, const Inputs& in) const;
  TimeNs interval_start() const { return interval_start_; }
  TimeNs interval_end() const { return interval_end_; }
  TimeNs advanced_to() const { return advanced_to_; }
  // EncodeCanonical(): the tag "perpcore/funding/v1", then every field in
  // declaration order (detail/encode.hpp: little-endian, fixed width).
  void EncodeCanonical(std::string* out) const;

  friend bool operator==(const Funding&, const Funding&) = default;

 private:
  absl::int128 index_ = 0;
  Rate rate_{0};
  Rate last_sample_{0};
  TimeNs interval_start_{0};
  TimeNs interval_end_{0};
  TimeNs advanced_to_{0};
  std::int64_t last_slot_ = -1;  // cadence slot of the last sample
  absl::int128 premium_sum_ = 0;  // sum of weight * sample
  std::int64_t weight_sum_ = 0;
  std::uint32_t samples_ = 0;

  void ResetSamples();
  void AddToIndex(absl::int128 d);
  absl::int128 Accrue(const FundingParams& p, const Inputs& in, Ticks price, TimeNs to);
  // The rate continuous funding accrues at over the span up to in.now.
  Rate AccrualRate(const FundingParams& p, const Inputs& in) const;
  Rate CloseRate(const FundingParams& p, const Inputs& in) const;
  RateSet CloseAt(const FundingParams& p, const Inputs& in, Ticks price, TimeNs end);
};

// RateHistory: the newest kHistory closes of a market (what Advance() and
// Close() return), kept apart from the clock so that the clock stays small
// enough to copy for IndexAt().
class RateHistory {
 public:
  void Record(const RateSet& r);
  // Newest first, at most kHistory; returns how many were written.
  std::size_t Newest(std::span<RateSet> out) const;
  std::size_t size() const { return size_; }
  // EncodeCanonical(): the size (u32) and the entries newest first (start,
  // end, intervals, premium, rate, price, index_delta), not the ring's layout.
  void EncodeCanonical(std::string* out) const;
  friend bool operator==(const RateHistory&, const RateHistory&) = default;

 private:
  std::array<RateSet, kHistory> ring_{};
  std::uint32_t size_ = 0, head_ = 0;
};

}  // namespace funding
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_FUNDING_FUNDING_HPP_
