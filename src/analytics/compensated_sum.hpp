// Private to src/analytics: Neumaier's compensated sum. The cost terms of a
// long schedule differ by many orders of magnitude, so E and V are summed
// with it along every trajectory.
#ifndef PERPCORE_SRC_ANALYTICS_COMPENSATED_SUM_HPP_
#define PERPCORE_SRC_ANALYTICS_COMPENSATED_SUM_HPP_

#include <cmath>

#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace analytics {

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

}  // namespace analytics
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_SRC_ANALYTICS_COMPENSATED_SUM_HPP_
