// Catch2 decomposes CHECK(a == b) into a call with `b` as a run-time value,
// which defeats the compile-time-only conversion of an integer constant to
// an id (core/ids.hpp): CHECK(order.id == 12) would not compile. These
// overloads, found by argument-dependent lookup from Catch's comparison,
// compare an id with the integer written in the test. Tests only.
#ifndef PERPCORE_TESTS_SUPPORT_CATCH_IDS_HPP_
#define PERPCORE_TESTS_SUPPORT_CATCH_IDS_HPP_

#include "perpcore/core/ids.hpp"

PERPCORE_NAMESPACE_BEGIN

template <class Tag, class Rep>
bool compareEqual(const Id<Tag, Rep>& lhs, const int& rhs) {
  return rhs >= 0 && lhs.value() == static_cast<Rep>(rhs);
}
template <class Tag, class Rep>
bool compareNotEqual(const Id<Tag, Rep>& lhs, const int& rhs) {
  return !compareEqual(lhs, rhs);
}

PERPCORE_NAMESPACE_END

#endif  // PERPCORE_TESTS_SUPPORT_CATCH_IDS_HPP_
