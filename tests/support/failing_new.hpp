// Test support: allocation-failure injection. failing_new.cpp replaces the
// global operator new and operator delete (every form the standard lets a
// program replace: plain, array, aligned, nothrow, sized) with a malloc-based
// pair that can be told to fail one allocation of the calling thread, so a
// test can make std::bad_alloc escape from the middle of a command.
//
// Linking failing_new.cpp into a binary replaces the allocator for all of
// it; a binary links it at most once. The tests that use it are executables
// of their own (tests/engine/engine_alloc_failure_test.cpp,
// tests/c_api/c_api_alloc_failure_test.cpp); the Python module links it as
// a hidden static library behind a private hook (python/src/testing.cpp)
// in a build with the tests only (PERPCORE_PYTHON_TEST_HOOKS).
//
// Disarmed (the default) the replacement behaves as the standard one:
// malloc (posix_memalign for over-aligned types), the new_handler loop, then
// std::bad_alloc or nullptr. Under AddressSanitizer the pair still goes
// through ASan's malloc and free, so leaks and misuse are still reported
// (only ASan's new/delete-mismatch check is lost).
//
// Thread safety: the countdown and the counters are thread-local; arming on
// one thread never makes another thread's allocations fail.
#ifndef PERPCORE_TESTS_SUPPORT_FAILING_NEW_HPP_
#define PERPCORE_TESTS_SUPPORT_FAILING_NEW_HPP_

#include <cstdint>

namespace perpcore::testing {

// FailAllocationAfter()
//
// Arms the calling thread: its next `n` allocations succeed and the one
// after them fails (the throwing forms throw std::bad_alloc, the nothrow
// forms return nullptr); then the thread is disarmed again (one failure per
// arming). n < 0 disarms. Either way the counters below restart at zero.
void FailAllocationAfter(std::int64_t n);

// StopFailingAllocations()
//
// Disarms the calling thread, keeping the counters.
void StopFailingAllocations();

// AllocationsSinceArmed()
//
// Allocation calls (operator new of any form) on this thread since the last
// FailAllocationAfter(), the failed one included.
std::int64_t AllocationsSinceArmed();

// AllocationFailureFired()
//
// True if the armed failure happened since the last FailAllocationAfter().
bool AllocationFailureFired();

// LiveAllocations()
//
// Blocks handed out by operator new on this thread minus blocks given back
// to operator delete on this thread: two readings around a piece of
// single-threaded code give a leak check that needs no LeakSanitizer.
std::int64_t LiveAllocations();

// OnNextAllocation()
//
// Arms the calling thread's allocation hook: its next allocation (operator
// new of any form) first calls hook(arg), then goes on as usual. One call
// per arming: the hook is disarmed before it runs, so it may allocate, and
// its own allocations count as the thread's. nullptr disarms. A test uses
// it to run code at a fixed point inside a library call, as a callback the
// library would invoke (tests/c_api/c_api_misuse_test.cpp re-enters the C
// API there, and holds one thread inside a call while another calls in).
void OnNextAllocation(void (*hook)(void*), void* arg);

// AllocationFailure
//
// FailAllocationAfter(n) for a scope; disarms when it ends.
class AllocationFailure {
 public:
  explicit AllocationFailure(std::int64_t n) { FailAllocationAfter(n); }
  ~AllocationFailure() { StopFailingAllocations(); }
  AllocationFailure(const AllocationFailure&) = delete;
  AllocationFailure& operator=(const AllocationFailure&) = delete;
};

}  // namespace perpcore::testing

#endif  // PERPCORE_TESTS_SUPPORT_FAILING_NEW_HPP_
