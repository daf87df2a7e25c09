// Private to src/analytics: what the classic and the perpetual model share
// when they score a schedule.
#ifndef PERPCORE_SRC_ANALYTICS_SCHEDULE_SUPPORT_HPP_
#define PERPCORE_SRC_ANALYTICS_SCHEDULE_SUPPORT_HPP_

#include <cmath>
#include <cstddef>
#include <span>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace analytics {

// Neumaier's compensated sum. The cost terms of a long schedule differ by
// many orders of magnitude, so E and V are summed with it along every
// trajectory.
class CompensatedSum {
 public:
  void Add(double v) {
    const double t = sum_ + v;
    comp_ += std::fabs(sum_) >= std::fabs(v) ? (sum_ - t) + v : (v - t) + sum_;
    sum_ = t;
  }
  double value() const { return sum_ + comp_; }

 private:
  double sum_ = 0;
  double comp_ = 0;
};

// CheckHoldingsPath()
//
// A caller's holdings path: intervals + 1 finite values from `shares` to 0.
// The message is "<model>: holdings <rule> (got <value>)", as for every
// other parameter of the model.
inline absl::Status CheckHoldingsPath(absl::string_view model, std::span<const double> holdings,
                                      int intervals, double shares) {
  const auto bad = [model](absl::string_view rule, double value) {
    return absl::InvalidArgumentError(
        absl::StrCat(model, ": holdings ", rule, " (got ", value, ")"));
  };
  if (holdings.size() != static_cast<std::size_t>(intervals) + 1) {
    return bad(absl::StrCat("must have intervals + 1 = ", intervals + 1, " entries"),
               static_cast<double>(holdings.size()));
  }
  for (double h : holdings) {
    if (!std::isfinite(h)) return bad("must be finite", h);
  }
  if (holdings.front() != shares) return bad("must start at shares", holdings.front());
  if (holdings.back() != 0) return bad("must end at 0", holdings.back());
  return absl::OkStatus();
}

}  // namespace analytics
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_SRC_ANALYTICS_SCHEDULE_SUPPORT_HPP_
