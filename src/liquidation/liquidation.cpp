// Liquidation: the pure arithmetic of liquidation/liquidation.hpp.
//
// No floating point. The fillable price's numerator BA * (TMMR - TNC) *
// SMMR * PMMR can reach 2^254, so it is formed exactly in 256 bits (two
// uint128 halves) and divided by bit-serial long division (fixed 256 steps:
// constant work, no data-dependent loop bound).
#include "perpcore/liquidation/liquidation.hpp"

#include <algorithm>
#include <limits>

PERPCORE_NAMESPACE_BEGIN
namespace liquidation {
namespace {

using absl::int128;
using absl::uint128;

constexpr std::int64_t kOne = kRateScale;
constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kI64Min = std::numeric_limits<std::int64_t>::min();

// An unsigned 256-bit value.
struct U256 {
  uint128 hi = 0, lo = 0;
};

// a * b exactly.
U256 Mul(uint128 a, uint128 b) {
  const uint128 a0 = absl::Uint128Low64(a), a1 = absl::Uint128High64(a);
  const uint128 b0 = absl::Uint128Low64(b), b1 = absl::Uint128High64(b);
  const uint128 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  // The middle column: three 64-bit halves, below 2^66.
  const uint128 mid = (p00 >> 64) + absl::Uint128Low64(p01) + absl::Uint128Low64(p10);
  U256 r;
  r.lo = (mid << 64) | absl::Uint128Low64(p00);
  r.hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
  return r;
}

bool Less(const U256& a, const U256& b) { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo); }

// floor(n / d) for d > 0, as a U256 quotient. Bit-serial: the remainder
// stays below d < 2^128, and shifting it left by one bit needs 129 bits,
// so the step compares before shifting out (the carry bit).
U256 DivFloor(const U256& n, uint128 d) {
  U256 q;
  uint128 rem = 0;
  for (int i = 255; i >= 0; --i) {
    const bool top = (rem >> 127) != 0;
    const uint128 bit = i >= 128 ? (n.hi >> (i - 128)) & 1 : (n.lo >> i) & 1;
    rem = (rem << 1) | bit;
    if (top || rem >= d) {
      rem -= d;  // wraps correctly when `top`: the true value is below 2 * d
      if (i >= 128) {
        q.hi |= uint128(1) << (i - 128);
      } else {
        q.lo |= uint128(1) << i;
      }
    }
  }
  return q;
}

// A U256 narrowed to int64, saturating at INT64_MAX.
std::int64_t SatI64(const U256& v) {
  if (v.hi != 0 || v.lo > static_cast<uint128>(kI64Max)) return kI64Max;
  return static_cast<std::int64_t>(v.lo);
}

std::int64_t SatI64(int128 v) {
  if (v > kI64Max) return kI64Max;
  if (v < kI64Min) return kI64Min;
  return static_cast<std::int64_t>(v);
}

// floor(a / b) for b > 0 (C++ division truncates toward zero).
int128 FloorDiv(int128 a, int128 b) {
  int128 q = a / b;
  if (a % b != 0 && a < 0) --q;
  return q;
}

uint128 AbsSize(std::int64_t size) {
  return size < 0 ? uint128(~static_cast<std::uint64_t>(size)) + 1
                  : uint128(static_cast<std::uint64_t>(size));
}

bool InUnit(Rate r) { return r.raw() >= 0 && r.raw() <= kOne; }

// floor(spread / (|size| * m)) in ticks: the fillable price's distance from
// the mark (FillablePrice()).
std::int64_t SpreadTicks(std::int64_t size, int128 equity, int128 maintenance,
                         int128 position_maintenance, std::int64_t atoms_per_tick_lot,
                         const LiquidationParams& p) {
  if (maintenance <= 0 || position_maintenance <= 0 || equity >= maintenance) return 0;
  const uint128 lots_atoms = AbsSize(size) * uint128(static_cast<std::uint64_t>(atoms_per_tick_lot));
  const uint128 smmr = static_cast<std::uint64_t>(p.spread_to_maintenance.raw());
  const uint128 pmmr = static_cast<uint128>(position_maintenance);
  const uint128 tmmr = static_cast<uint128>(maintenance);
  const uint128 ba = static_cast<std::uint64_t>(p.bankruptcy_adjustment.raw());
  // ABR = min(1, BA * (TMMR - TNC) / (1e18 * TMMR)): 1 when TNC <= 0 (BA >= 1).
  // Then spread = ABR * SMMR * PMMR / 1e18 atoms, and the distance is
  // floor(spread / lots_atoms); nested floors by positive integers are one
  // floor of the whole quotient.
  U256 num;
  uint128 den_abr = 1;
  if (equity <= 0 || ba * static_cast<uint128>(maintenance - equity) >= uint128(kOne) * tmmr) {
    num = Mul(smmr, pmmr);  // ABR = 1; SMMR * PMMR < 2^63 * 2^64
  } else {
    // 0 < TNC < TMMR < 2^64: BA * (TMMR - TNC) < 2^127, SMMR * PMMR < 2^127.
    num = Mul(ba * static_cast<uint128>(maintenance - equity), smmr * pmmr);
    den_abr = uint128(kOne) * tmmr;  // < 2^124
  }
  U256 q = DivFloor(num, den_abr);
  q = DivFloor(q, uint128(kOne));
  q = DivFloor(q, lots_atoms);
  return SatI64(q);
}

}  // namespace

Health Classify(int128 equity, int128 maintenance, Rate warning_threshold) {
  if (equity < 0) return Health::kBankrupt;
  if (equity < maintenance) return Health::kLiquidatable;
  if (maintenance <= 0) return Health::kHealthy;
  // Here equity >= maintenance > 0. A threshold <= 0 is reached by any
  // requirement.
  if (warning_threshold.raw() <= 0) return Health::kWarning;
  const U256 lhs = Mul(static_cast<uint128>(maintenance), uint128(kOne));
  const U256 rhs = Mul(static_cast<uint128>(warning_threshold.raw()), static_cast<uint128>(equity));
  return Less(lhs, rhs) ? Health::kHealthy : Health::kWarning;
}

int128 WarningMargin(int128 maintenance, Rate warning_threshold) {
  if (maintenance <= 0 || warning_threshold.raw() <= 0) return 0;
  // Every real requirement: the product fits 128 bits (a 1e18 scale is
  // below 2^60), one native division.
  if (maintenance < (int128(1) << 66)) {
    return maintenance * kOne / warning_threshold.raw();
  }
  const U256 q = DivFloor(Mul(static_cast<uint128>(maintenance), uint128(kOne)),
                          static_cast<uint128>(warning_threshold.raw()));
  if (q.hi != 0 || q.lo > static_cast<uint128>(absl::Int128Max())) return absl::Int128Max();
  return static_cast<int128>(q.lo);
}

Health ClassifyMargins(int128 equity, int128 maintenance, int128 warning_margin) {
  if (equity < 0) return Health::kBankrupt;
  if (equity < maintenance) return Health::kLiquidatable;
  return warning_margin > 0 && equity <= warning_margin ? Health::kWarning : Health::kHealthy;
}

Reason Validate(const LiquidationParams& p) {
  if (p.warning_threshold.raw() < kOne / 100 || p.warning_threshold.raw() >= kOne) {
    return Reason::kLiquidationInvalidWarningThreshold;
  }
  if (!InUnit(p.fee)) return Reason::kLiquidationInvalidFee;
  if (!InUnit(p.keeper_share)) return Reason::kLiquidationInvalidKeeperShare;
  if (!InUnit(p.buffer)) return Reason::kLiquidationInvalidBuffer;
  if (p.chunk_threshold < 0) return Reason::kLiquidationInvalidChunkThreshold;
  if (p.chunk_fraction.raw() <= 0 || p.chunk_fraction.raw() > kOne) {
    return Reason::kLiquidationInvalidChunkFraction;
  }
  if (p.cooldown.raw() < 0 || p.cooldown > kMaxCooldown) return Reason::kLiquidationInvalidCooldown;
  if (p.bankruptcy_adjustment.raw() < kOne) return Reason::kLiquidationInvalidBankruptcyAdjustment;
  if (p.spread_to_maintenance.raw() <= 0) return Reason::kLiquidationInvalidSpread;
  if (p.max_notional_per_command < 1) return Reason::kLiquidationInvalidMaxNotional;
  if (!InUnit(p.backstop_threshold)) return Reason::kLiquidationInvalidBackstopThreshold;
  if (p.loss_policy != LossPolicy::kAdl && p.loss_policy != LossPolicy::kNone) {
    return Reason::kLiquidationInvalidLossPolicy;
  }
  return Reason::kOk;
}

Ticks BankruptcyPrice(std::int64_t size, Ticks mark, int128 equity,
                      std::int64_t atoms_per_tick_lot) {
  PERPCORE_CHECK(size != 0 && atoms_per_tick_lot >= 1);
  const int128 lots_atoms = static_cast<int128>(AbsSize(size) * uint128(atoms_per_tick_lot));
  const int128 q = FloorDiv(equity, lots_atoms);
  // mark +- q could pass int128 only for |q| near 2^127: clamp q to +-2^100
  // first (the result saturates at int64 all the same).
  const int128 kBig = int128(1) << 100;
  const int128 qc = std::clamp(q, -kBig, kBig);
  return Ticks(SatI64(size > 0 ? int128(mark.raw()) - qc : int128(mark.raw()) + qc));
}

Ticks FillablePrice(std::int64_t size, Ticks mark, int128 equity, int128 maintenance,
                    int128 position_maintenance, std::int64_t atoms_per_tick_lot,
                    const LiquidationParams& p) {
  PERPCORE_CHECK(size != 0 && atoms_per_tick_lot >= 1);
  PERPCORE_CHECK(maintenance < kMaxRequirement && position_maintenance >= 0 &&
                 position_maintenance < kMaxRequirement);
  PERPCORE_CHECK(p.bankruptcy_adjustment.raw() >= kOne && p.spread_to_maintenance.raw() > 0);
  const std::int64_t d =
      SpreadTicks(size, equity, maintenance, position_maintenance, atoms_per_tick_lot, p);
  return Ticks(SatI64(size > 0 ? int128(mark.raw()) - d : int128(mark.raw()) + d));
}

Ticks LimitPrice(std::int64_t size, Ticks mark, int128 equity, int128 maintenance,
                 int128 position_maintenance, std::int64_t atoms_per_tick_lot, Ticks max_price,
                 const LiquidationParams& p) {
  PERPCORE_CHECK(mark.raw() >= 1 && mark <= max_price);
  Ticks limit = FillablePrice(size, mark, equity, maintenance, position_maintenance,
                              atoms_per_tick_lot, p);
  if (equity >= 0) {
    const Ticks bankruptcy = BankruptcyPrice(size, mark, equity, atoms_per_tick_lot);
    limit = size > 0 ? std::max(limit, bankruptcy) : std::min(limit, bankruptcy);
  }
  return std::clamp(limit, Ticks(1), max_price);
}

FeeSplit LiquidationFee(int128 closed_notional, int128 equity_after_close,
                        const LiquidationParams& p) {
  PERPCORE_CHECK(closed_notional >= 0 && InUnit(p.fee) && InUnit(p.keeper_share));
  // ceil(rate * n / 1e18) with n = hi * 1e18 + lo: rate * hi + ceil(rate *
  // lo / 1e18); rate <= 1e18 keeps rate * hi <= n and rate * lo < 1e36.
  const int128 hi = closed_notional / kOne, lo = closed_notional % kOne;
  const int128 rate = p.fee.raw();
  const int128 gross = rate * hi + (rate * lo + (kOne - 1)) / kOne;
  const int128 cap = std::max(int128(0), equity_after_close);
  const std::int64_t fee = SatI64(std::min(gross, cap));
  // fee * share < 2^63 * 2^60: floor.
  const std::int64_t keeper =
      static_cast<std::int64_t>(int128(fee) * p.keeper_share.raw() / kOne);
  return {fee, keeper};
}

std::int64_t ChunkLots(std::int64_t abs_size, int128 notional, const LiquidationParams& p) {
  PERPCORE_CHECK(abs_size >= 0 && p.chunk_fraction.raw() > 0 && p.chunk_fraction.raw() <= kOne);
  if (notional <= p.chunk_threshold) return abs_size;
  // ceil(fraction * abs_size / 1e18): product < 2^63 * 2^60.
  const int128 chunk = (int128(p.chunk_fraction.raw()) * abs_size + (kOne - 1)) / kOne;
  return std::clamp(static_cast<std::int64_t>(chunk), std::min<std::int64_t>(1, abs_size),
                    abs_size);
}

bool CooledDown(TimeNs last_chunk, TimeNs now, const LiquidationParams& p) {
  return int128(now.raw()) - last_chunk.raw() >= p.cooldown.raw();
}

}  // namespace liquidation
PERPCORE_NAMESPACE_END
