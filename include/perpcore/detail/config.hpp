// -----------------------------------------------------------------------------
// File: perpcore/detail/config.hpp
// -----------------------------------------------------------------------------
//
// Not API. Namespace macros and the invariant check used across perpcore.
//
// PERPCORE_CHECK(cond) is for broken invariants (bugs), never for bad input:
// bad input is a reject reason or an absl::Status. A failed check calls the
// fatal handler, which the host may replace (as libsecp256k1 lets a host
// replace its error callback); the default prints the location and aborts.
#ifndef PERPCORE_DETAIL_CONFIG_HPP_
#define PERPCORE_DETAIL_CONFIG_HPP_

#define PERPCORE_NAMESPACE_BEGIN \
  namespace perpcore {           \
  inline namespace v0 {
#define PERPCORE_NAMESPACE_END \
  }                            \
  }

PERPCORE_NAMESPACE_BEGIN

// FatalHandler
//
// Called with the failed condition and its location. Must not return; if it
// does, perpcore aborts.
using FatalHandler = void (*)(const char* condition, const char* file, int line);

// SetFatalHandler()
//
// Replaces the handler process-wide and returns the previous one (nullptr
// when that was the default). Passing nullptr restores the default. Not
// thread-safe: set it once at start-up.
FatalHandler SetFatalHandler(FatalHandler handler);

namespace detail {
[[noreturn]] void Fatal(const char* condition, const char* file, int line);
}  // namespace detail

PERPCORE_NAMESPACE_END

#define PERPCORE_CHECK(cond)                                          \
  do {                                                                \
    if (__builtin_expect(!(cond), 0)) {                               \
      ::perpcore::detail::Fatal(#cond, __FILE__, __LINE__);           \
    }                                                                 \
  } while (0)

#ifdef NDEBUG
#define PERPCORE_DCHECK(cond) \
  do {                        \
  } while (0)
#else
#define PERPCORE_DCHECK(cond) PERPCORE_CHECK(cond)
#endif

#endif  // PERPCORE_DETAIL_CONFIG_HPP_
