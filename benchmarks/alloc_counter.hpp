// -----------------------------------------------------------------------------
// File: benchmarks/alloc_counter.hpp
// -----------------------------------------------------------------------------
//
// Heap accounting for the benchmarks: alloc_counter.cpp replaces every global
// operator new and delete (sized, array, aligned, nothrow) with versions that
// count allocations and frees and keep the usable bytes in use (by
// malloc_usable_size), and can bin requested sizes by power of two. Link
// alloc_counter.cpp into a benchmark executable to switch it on; memory
// malloc'ed directly (not through new) is not seen.
//
// Thread safety: none; the counters are plain integers for single-threaded
// benchmarks.
#ifndef PERPCORE_BENCHMARKS_ALLOC_COUNTER_HPP_
#define PERPCORE_BENCHMARKS_ALLOC_COUNTER_HPP_

#include <cstdint>

namespace perpcore::bench {

// AllocCounters
struct AllocCounters {
  std::uint64_t allocs = 0;
  std::uint64_t frees = 0;
  std::int64_t bytes_in_use = 0;
  bool histogram_on = false;            // while true, sizes are binned:
  std::uint64_t by_log2_size[65] = {};  // [k]: requests of 2^(k-1) < n <= 2^k bytes
};

// g_alloc: the process's counters (defined in alloc_counter.cpp).
extern AllocCounters g_alloc;

}  // namespace perpcore::bench

#endif  // PERPCORE_BENCHMARKS_ALLOC_COUNTER_HPP_
