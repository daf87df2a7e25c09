#include "perpcore/risk/account.hpp"

#include <algorithm>
#include <limits>

PERPCORE_NAMESPACE_BEGIN
namespace risk {
namespace {

using absl::int128;

constexpr std::int64_t kMaxI64 = std::numeric_limits<std::int64_t>::max();

int128 Abs(int128 v) { return v < 0 ? -v : v; }

// v * atoms for v >= 0 and 1 <= atoms < 2^63, saturating at INT64_MAX
// (a requirement no account can meet: the safe reading), with comparisons
// only: below 2^64 the product is below 2^127 and fits; from 2^64 on it is
// beyond INT64_MAX anyway.
std::int64_t TimesAtomsSat(int128 v, std::int64_t atoms) {
  if ((v >> 64) != 0) return kMaxI64;
  const int128 product = v * atoms;
  return product > kMaxI64 ? kMaxI64 : static_cast<std::int64_t>(product);
}

}  // namespace

// Every product is checked: admission keeps lots * mark * atoms below 2^54,
// but this is the margin of every order, and a bound broken elsewhere must
// read as an unmeetable requirement, never wrap. |size +- lots| < 2^64 and
// mark < 2^63 keep the lots * mark products below 2^127; the factor of
// atoms saturates; InitialScaled of at most INT64_MAX atoms and a loss of
// at most INT64_MAX atoms, each times 10^18 < 2^60, sum below 2^124.
int128 WorstCaseScaled(const TierTable& tiers, std::uint32_t leverage, std::int64_t size,
                       std::int64_t mark, std::int64_t atoms, const OrderExposure& o) {
  const std::int64_t long_notional = TimesAtomsSat(Abs(int128(size) + o.bid_lots) * mark, atoms);
  const std::int64_t short_notional =
      TimesAtomsSat(Abs(int128(size) - o.ask_lots) * mark, atoms);
  // The usual case, no open loss on either side: InitialScaled is
  // non-decreasing in the notional (continuous and piecewise linear, its
  // rates max(1/L, 1/L_i) rising with the tiers, which TierTable::Validate
  // guarantees), so the larger notional decides alone, exactly, with one
  // tier lookup instead of two.
  if (o.bid_loss == 0 && o.ask_loss == 0) {
    return tiers.InitialScaled(Quote(std::max(long_notional, short_notional)), leverage);
  }
  const int128 bid_case = tiers.InitialScaled(Quote(long_notional), leverage) +
                          int128(TimesAtomsSat(o.bid_loss, atoms)) * kRateScale;
  const int128 ask_case = tiers.InitialScaled(Quote(short_notional), leverage) +
                          int128(TimesAtomsSat(o.ask_loss, atoms)) * kRateScale;
  return std::max(bid_case, ask_case);
}

int128 CeilScaled(int128 v) {
  int128 q = v / kRateScale;
  if (q * kRateScale < v) q += 1;
  return q;
}

void AccountMargin::AddCross(int128 value, int128 initial_req, int128 maintenance_req,
                             int128 worst_case) {
  equity += value;
  initial += initial_req;
  maintenance += maintenance_req;
  initial_with_orders += worst_case;
}

void AccountMargin::AddIsolated(int128 bucket_equity, int128 worst_case) {
  initial_with_orders += std::max<int128>(0, worst_case - bucket_equity);
}

int128 AccountMargin::FreeCollateral() const {
  return std::max<int128>(0, equity - initial_with_orders);
}


Rate MarginRatio(int128 maintenance, int128 equity) {
  if (maintenance <= 0) return Rate(0);
  if (equity <= 0) return Rate::Max();
  auto r = DivRound(maintenance * kRateScale, equity, Round::kUp);
  return r.ok() ? Rate(*r) : Rate::Max();
}

}  // namespace risk
PERPCORE_NAMESPACE_END
