// -----------------------------------------------------------------------------
// File: benchmarks/alloc_counter.cpp
// -----------------------------------------------------------------------------
//
// The replaced global operator new/delete of alloc_counter.hpp.
#include "alloc_counter.hpp"

#include <malloc.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace perpcore::bench {

constinit AllocCounters g_alloc;

namespace {

void NoteAlloc(std::size_t n, void* p) {
  ++g_alloc.allocs;
  g_alloc.bytes_in_use += static_cast<std::int64_t>(malloc_usable_size(p));
  if (g_alloc.histogram_on) {
    const int k = n <= 1 ? 0 : 64 - __builtin_clzll(static_cast<unsigned long long>(n - 1));
    ++g_alloc.by_log2_size[k];
  }
}

void* CountedMalloc(std::size_t n) noexcept {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p != nullptr) NoteAlloc(n, p);
  return p;
}

void* CountedAligned(std::size_t n, std::align_val_t al) noexcept {
  const auto align = static_cast<std::size_t>(al);
  const std::size_t rounded = (std::max<std::size_t>(n, 1) + align - 1) / align * align;
  void* p = std::aligned_alloc(align, rounded);
  if (p != nullptr) NoteAlloc(n, p);
  return p;
}

void CountedFree(void* p) noexcept {
  if (p == nullptr) return;
  ++g_alloc.frees;
  g_alloc.bytes_in_use -= static_cast<std::int64_t>(malloc_usable_size(p));
  std::free(p);
}

void* OrThrow(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace
}  // namespace perpcore::bench

using perpcore::bench::CountedAligned;
using perpcore::bench::CountedFree;
using perpcore::bench::CountedMalloc;
using perpcore::bench::OrThrow;

void* operator new(std::size_t n) { return OrThrow(CountedMalloc(n)); }
void* operator new[](std::size_t n) { return OrThrow(CountedMalloc(n)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return CountedMalloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return CountedMalloc(n); }
void* operator new(std::size_t n, std::align_val_t al) { return OrThrow(CountedAligned(n, al)); }
void* operator new[](std::size_t n, std::align_val_t al) { return OrThrow(CountedAligned(n, al)); }
void* operator new(std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  return CountedAligned(n, al);
}
void* operator new[](std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  return CountedAligned(n, al);
}
void operator delete(void* p) noexcept { CountedFree(p); }
void operator delete[](void* p) noexcept { CountedFree(p); }
void operator delete(void* p, std::size_t) noexcept { CountedFree(p); }
void operator delete[](void* p, std::size_t) noexcept { CountedFree(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { CountedFree(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { CountedFree(p); }
void operator delete(void* p, std::align_val_t) noexcept { CountedFree(p); }
void operator delete[](void* p, std::align_val_t) noexcept { CountedFree(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { CountedFree(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { CountedFree(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { CountedFree(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  CountedFree(p);
}
