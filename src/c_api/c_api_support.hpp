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

// kSizeV1<T> .. kSizeV4<T>: the struct's older sizes (perpcore.h):
// sizeof(T) unless fields were appended since, as to the engine config and
// market params in issue 11, to the market params (again), the account
// summary and the market stats in issue 12, to the market params and the
// account summary (again) in issue 13, and to the market stats (again) and
// the market params' liquidation in issue 14.
template <class T>
inline constexpr std::uint32_t kSizeV1 = sizeof(T);
template <>
inline constexpr std::uint32_t kSizeV1<perpcore_engine_config> = PERPCORE_ENGINE_CONFIG_SIZE_V1;
template <>
inline constexpr std::uint32_t kSizeV1<perpcore_market_params> = PERPCORE_MARKET_PARAMS_SIZE_V1;
template <>
inline constexpr std::uint32_t kSizeV1<perpcore_account_summary> =
    PERPCORE_ACCOUNT_SUMMARY_SIZE_V1;
template <>
inline constexpr std::uint32_t kSizeV1<perpcore_market_stats> = PERPCORE_MARKET_STATS_SIZE_V1;
template <class T>
inline constexpr std::uint32_t kSizeV2 = sizeof(T);
template <>
inline constexpr std::uint32_t kSizeV2<perpcore_market_params> = PERPCORE_MARKET_PARAMS_SIZE_V2;
template <>
inline constexpr std::uint32_t kSizeV2<perpcore_account_summary> =
    PERPCORE_ACCOUNT_SUMMARY_SIZE_V2;
template <>
inline constexpr std::uint32_t kSizeV2<perpcore_market_stats> = PERPCORE_MARKET_STATS_SIZE_V2;
template <class T>
inline constexpr std::uint32_t kSizeV3 = sizeof(T);
template <>
inline constexpr std::uint32_t kSizeV3<perpcore_market_params> = PERPCORE_MARKET_PARAMS_SIZE_V3;
template <class T>
inline constexpr std::uint32_t kSizeV4 = sizeof(T);
template <>
inline constexpr std::uint32_t kSizeV4<perpcore_market_params> = PERPCORE_MARKET_PARAMS_SIZE_V4;

// KnownSize(): exactly the size of a version the library knows: an older
// version's size or this library's. A size between two would cut an
// appended field; a larger one has fields the library cannot honour.
template <class T>
bool KnownSize(std::uint32_t size) {
  return size == kSizeV1<T> || size == kSizeV2<T> || size == kSizeV3<T> || size == kSizeV4<T> ||
         size == sizeof(T);
}

// Has(): whether a struct of `struct_size` bytes holds the field that ends
// at byte `end` (offsetof + sizeof): fields appended after version 1.
inline bool Has(std::uint32_t struct_size, std::size_t end) { return struct_size >= end; }

// CheckInputSize()
//
// An input struct's struct_size: KnownSize(). A larger one is refused rather
// than trusted, so the library never reads a byte beyond the fields it
// knows, whatever struct_size says (perpcore.h, "struct_size").
template <class T>
perpcore_status CheckInputSize(const T* in) {
  return KnownSize<T>(in->struct_size) ? PERPCORE_OK : PERPCORE_E_STRUCT_SIZE;
}

// CheckOutputSize()
//
// An output struct's struct_size, as CheckInputSize(): never above the size
// the library knows, so ZeroOutput() and Deliver() write nothing beyond it.
// Writes nothing.
template <class T>
perpcore_status CheckOutputSize(const T* out) {
  return CheckInputSize(out);
}

// ZeroOutput()
//
// A checked output struct zeroed up to its struct_size, its struct_size
// kept.
template <class T>
void ZeroOutput(T* out) {
  const std::uint32_t size = out->struct_size;
  std::memset(static_cast<void*>(out), 0, size);
  out->struct_size = size;
}

// Deliver()
//
// Copies `value` (whose struct_size is ignored) into a zeroed output,
// keeping the caller's struct_size, and only as much as the caller's
// version of the struct holds.
template <class T>
void Deliver(T* out, T value) {
  value.struct_size = out->struct_size;
  std::memcpy(static_cast<void*>(out), &value, std::min<std::size_t>(sizeof(T), out->struct_size));
}

}  // namespace perpcore_c

#endif  // PERPCORE_SRC_C_API_C_API_SUPPORT_HPP_
