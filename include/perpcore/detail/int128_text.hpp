// -----------------------------------------------------------------------------
// File: perpcore/detail/int128_text.hpp
// -----------------------------------------------------------------------------
//
// Int128Text(): an absl::int128 in decimal, whole, for messages. Not API.
// absl::StrCat in the Abseil this builds with (20220623) takes no int128,
// and a cast to int64 for it truncates silently (a gap of 2^64 atoms would
// read "0"); absl's operator<< formats every value.
// Thread safety: pure. Allocates the string.
#ifndef PERPCORE_DETAIL_INT128_TEXT_HPP_
#define PERPCORE_DETAIL_INT128_TEXT_HPP_

#include <sstream>
#include <string>

#include "absl/numeric/int128.h"
#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace detail {

inline std::string Int128Text(absl::int128 v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace detail
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_DETAIL_INT128_TEXT_HPP_
