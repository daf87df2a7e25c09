// Private to src/c_api: what the engine functions (perpcore_c.cpp) and the
// analytics functions (analytics_c.cpp) share at the C boundary.
#ifndef PERPCORE_SRC_C_API_C_API_SUPPORT_HPP_
#define PERPCORE_SRC_C_API_C_API_SUPPORT_HPP_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <string_view>
#include <utility>

#include "perpcore/perpcore.h"

namespace perpcore_c {

// CopyMessage()
//
// `msg` into the caller's buffer, truncated to len - 1 characters and always
// NUL-terminated; nothing when buf is NULL or len is 0.
inline void CopyMessage(char* buf, std::size_t len, std::string_view msg) {
  if (buf == nullptr || len == 0) return;
  const std::size_t n = std::min(len - 1, msg.size());
  std::memcpy(buf, msg.data(), n);
  buf[n] = '\0';
}

// CatchAll()
//
// Runs `body` (which returns a perpcore_status) so that no exception
// escapes: the library's one catch (...). *what is NULL when body returned,
// else it says which exception (the result is then PERPCORE_E_INTERNAL, and
// the caller records it).
template <class Body>
perpcore_status CatchAll(Body&& body, const char** what) noexcept {
  *what = nullptr;
  try {
    return std::forward<Body>(body)();
  } catch (const std::bad_alloc&) {
    *what = "out of memory";
  } catch (const std::exception& ex) {
    *what = ex.what();
  } catch (...) {
    *what = "unknown exception";
  }
  return PERPCORE_E_INTERNAL;
}

// kStructSizeV1<T>: a struct_size struct's version-1 size, the smallest
// struct_size accepted. A struct that grew fields at its end names its first
// size here; a caller's struct_size that ends before a later field leaves
// it unread (0, its "behave as before" value: read through WithDefaults()).
template <class T>
inline constexpr std::uint32_t kStructSizeV1 = sizeof(T);
template <>
inline constexpr std::uint32_t kStructSizeV1<perpcore_market_params> =
    offsetof(perpcore_market_params, max_market_open_interest);

// WithDefaults()
//
// A checked input struct as this library's full struct: the caller's bytes
// up to its struct_size, zero beyond.
template <class T>
T WithDefaults(const T* in) {
  T full;
  std::memset(static_cast<void*>(&full), 0, sizeof full);
  std::memcpy(static_cast<void*>(&full), in, std::min<std::size_t>(in->struct_size, sizeof(T)));
  return full;
}

// CheckInputSize()
//
// An input struct's struct_size: at least the version-1 size, at most
// PERPCORE_STRUCT_SIZE_MAX, and any bytes beyond the known fields zero.
template <class T>
perpcore_status CheckInputSize(const T* in) {
  const std::uint32_t size = in->struct_size;
  if (size < kStructSizeV1<T> || size > PERPCORE_STRUCT_SIZE_MAX) return PERPCORE_E_STRUCT_SIZE;
  const auto* bytes = static_cast<const unsigned char*>(static_cast<const void*>(in));
  for (std::size_t i = sizeof(T); i < size; ++i) {
    if (bytes[i] != 0) return PERPCORE_E_STRUCT_SIZE;
  }
  return PERPCORE_OK;
}

// CheckOutputSize()
//
// An output struct's struct_size, in [version-1 size, PERPCORE_STRUCT_SIZE_MAX].
// Writes nothing.
template <class T>
perpcore_status CheckOutputSize(const T* out) {
  const std::uint32_t size = out->struct_size;
  return size < kStructSizeV1<T> || size > PERPCORE_STRUCT_SIZE_MAX ? PERPCORE_E_STRUCT_SIZE
                                                                    : PERPCORE_OK;
}

// ZeroOutput()
//
// A checked output struct zeroed up to its struct_size (fields of a newer
// header included), its struct_size kept.
template <class T>
void ZeroOutput(T* out) {
  const std::uint32_t size = out->struct_size;
  std::memset(static_cast<void*>(out), 0, size);
  out->struct_size = size;
}

// Deliver()
//
// Copies `value` (whose struct_size is ignored) into a zeroed output,
// keeping the caller's struct_size: the fields it covers (an older caller's
// struct ends before the fields added since).
template <class T>
void Deliver(T* out, T value) {
  value.struct_size = out->struct_size;
  std::memcpy(static_cast<void*>(out), &value,
              std::min<std::size_t>(out->struct_size, sizeof(T)));
}

}  // namespace perpcore_c

#endif  // PERPCORE_SRC_C_API_C_API_SUPPORT_HPP_
