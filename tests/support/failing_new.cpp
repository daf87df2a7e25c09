// The replaceable global allocation functions ([new.delete]), all twenty:
// plain and array; with and without std::align_val_t; throwing and nothrow
// new; unsized, sized and nothrow delete. See failing_new.hpp.
#include "failing_new.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace {

// Allocations to let through before the failure; -1 when disarmed.
// constinit and trivially destructible: no thread-local initialisation
// wrapper, so reading them never allocates.
constinit thread_local std::int64_t t_countdown = -1;
constinit thread_local std::int64_t t_count = 0;
constinit thread_local bool t_fired = false;
// Blocks allocated minus blocks freed on this thread (no atomic: the cost
// to a binary that links this but never arms it stays a few thread-local
// increments).
constinit thread_local std::int64_t t_live = 0;
// OnNextAllocation(): the hook to call at the thread's next allocation.
using Hook = void (*)(void*);
constinit thread_local Hook t_hook = nullptr;
constinit thread_local void* t_hook_arg = nullptr;

// True for the allocation that is to fail (then the thread is disarmed).
bool InjectFailure() noexcept {
  ++t_count;
  if (t_countdown < 0) return false;
  if (t_countdown > 0) {
    --t_countdown;
    return false;
  }
  t_countdown = -1;
  t_fired = true;
  return true;
}

void* TryAllocate(std::size_t size, std::size_t align) noexcept {
  if (size == 0) size = 1;
  if (align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) return std::malloc(size);
  void* p = nullptr;
  return posix_memalign(&p, align, size) == 0 ? p : nullptr;
}

// What the standard asks of operator new: try, call the new_handler while
// there is one, else throw.
void* Allocate(std::size_t size, std::size_t align) {
  if (t_hook != nullptr) {
    const Hook hook = t_hook;
    t_hook = nullptr;
    hook(t_hook_arg);
  }
  if (InjectFailure()) throw std::bad_alloc();
  for (;;) {
    if (void* p = TryAllocate(size, align)) {
      ++t_live;
      return p;
    }
    const std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* AllocateOrNull(std::size_t size, std::size_t align) noexcept {
  try {
    return Allocate(size, align);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

std::size_t Align(std::align_val_t a) { return static_cast<std::size_t>(a); }

void Free(void* p) noexcept {
  if (p == nullptr) return;
  --t_live;
  std::free(p);
}

}  // namespace

namespace perpcore::testing {

void FailAllocationAfter(std::int64_t n) {
  t_countdown = n < 0 ? -1 : n;
  t_count = 0;
  t_fired = false;
}

void StopFailingAllocations() { t_countdown = -1; }

std::int64_t AllocationsSinceArmed() { return t_count; }

bool AllocationFailureFired() { return t_fired; }

std::int64_t LiveAllocations() { return t_live; }

void OnNextAllocation(void (*hook)(void*), void* arg) {
  t_hook = hook;
  t_hook_arg = arg;
}

}  // namespace perpcore::testing

void* operator new(std::size_t size) { return Allocate(size, 0); }
void* operator new[](std::size_t size) { return Allocate(size, 0); }
void* operator new(std::size_t size, std::align_val_t align) {
  return Allocate(size, Align(align));
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return Allocate(size, Align(align));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return AllocateOrNull(size, 0);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return AllocateOrNull(size, 0);
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return AllocateOrNull(size, Align(align));
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return AllocateOrNull(size, Align(align));
}

// Every block came from malloc or posix_memalign: free() releases each.
void operator delete(void* p) noexcept { Free(p); }
void operator delete[](void* p) noexcept { Free(p); }
void operator delete(void* p, std::size_t) noexcept { Free(p); }
void operator delete[](void* p, std::size_t) noexcept { Free(p); }
void operator delete(void* p, std::align_val_t) noexcept { Free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { Free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { Free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { Free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { Free(p); }
