// -----------------------------------------------------------------------------
// File: perpcore/detail/encode.hpp
// -----------------------------------------------------------------------------
//
// Not API. The primitives of every canonical encoding: little-endian,
// fixed-width, no padding, so an encoding never depends on the host.
#ifndef PERPCORE_DETAIL_ENCODE_HPP_
#define PERPCORE_DETAIL_ENCODE_HPP_

#include <cstdint>
#include <string>

#include "absl/numeric/int128.h"
#include "perpcore/core/ids.hpp"
#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace detail {

inline void PutU64(std::string* out, std::uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  out->append(buf, 8);
}
inline void PutI64(std::string* out, std::int64_t v) { PutU64(out, static_cast<std::uint64_t>(v)); }
inline void PutU32(std::string* out, std::uint32_t v) {
  char buf[4];
  for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  out->append(buf, 4);
}
inline void PutU8(std::string* out, std::uint8_t v) { out->push_back(static_cast<char>(v)); }
// An id as its integer, at its own width.
template <class Tag>
void PutU64(std::string* out, Id<Tag, std::uint64_t> id) {
  PutU64(out, id.value());
}
template <class Tag>
void PutU32(std::string* out, Id<Tag, std::uint32_t> id) {
  PutU32(out, id.value());
}
inline void PutI128(std::string* out, absl::int128 v) {
  PutU64(out, absl::Int128Low64(v));
  PutU64(out, static_cast<std::uint64_t>(absl::Int128High64(v)));
}

}  // namespace detail
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_DETAIL_ENCODE_HPP_
