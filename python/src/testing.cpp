// -----------------------------------------------------------------------------
// File: python/src/testing.cpp
// -----------------------------------------------------------------------------
//
// PRIVATE, for perpcore's own tests (python/tests/test_alloc_failure.py),
// and compiled only into a build with the tests (PERPCORE_PYTHON_TEST_HOOKS,
// python/CMakeLists.txt), so the module pip builds has neither the hook nor
// the replaced operator new:
// allocation-failure injection into this extension module, so a test can
// make std::bad_alloc escape from the middle of an engine command. Not API:
// it may change or disappear in any release.
//
//   _fail_allocations_after(n)   arms the calling thread: its next n C++
//                                allocations inside the module succeed and
//                                the one after fails; n < 0 disarms.
//   _stop_failing_allocations()  disarms; returns (allocations counted since
//                                arming, whether the failure happened).
//
// How: the module links the C++ tests' replacement operator new/delete
// (tests/support/failing_new.cpp) as a static library whose symbols the
// linker keeps local to the module (--exclude-libs, python/CMakeLists.txt).
// Calls to operator new from code compiled into the module - these
// bindings, pybind11, the statically linked perpcore libraries, Abseil's
// header-only containers - bind to it when the module is linked, and nothing
// outside the module does: not the interpreter, not other extensions, not
// allocations made inside shared libraries (libstdc++'s out-of-line
// members, Abseil's compiled parts). Disarmed, which is always unless a test
// arms it, it is malloc and free behind the standard new_handler loop; the
// cost to everyone else is two thread-local increments and a compare per
// allocation, one decrement per free.
//
// Both functions are plain CPython functions, not pybind11 ones: pybind11's
// dispatcher allocates through operator new, which would count against (or
// trip) the countdown before or after the call being tested.

#include <pybind11/pybind11.h>

#include <cstdint>

#include "support/failing_new.hpp"

namespace perpcore_py {
namespace {

namespace py = pybind11;

PyObject* FailAllocationsAfter(PyObject* /*module*/, PyObject* arg) {
  const long long n = PyLong_AsLongLong(arg);
  if (n == -1 && PyErr_Occurred() != nullptr) return nullptr;
  perpcore::testing::FailAllocationAfter(static_cast<std::int64_t>(n));
  Py_RETURN_NONE;
}

PyObject* StopFailingAllocations(PyObject* /*module*/, PyObject* /*unused*/) {
  perpcore::testing::StopFailingAllocations();
  return Py_BuildValue("(LO)", static_cast<long long>(perpcore::testing::AllocationsSinceArmed()),
                       perpcore::testing::AllocationFailureFired() ? Py_True : Py_False);
}

// The "name(...)\n--\n\n" prefix is CPython's __text_signature__.
PyMethodDef kTestingMethods[] = {
    {"_fail_allocations_after", FailAllocationsAfter, METH_O,
     "_fail_allocations_after($module, n, /)\n--\n\n"
     "PRIVATE, for perpcore's tests only. Arm the calling thread: its next n C++ "
     "allocations inside this module succeed and the next one raises MemoryError "
     "(std::bad_alloc); then it is disarmed again. n < 0 disarms."},
    {"_stop_failing_allocations", StopFailingAllocations, METH_NOARGS,
     "_stop_failing_allocations($module, /)\n--\n\n"
     "PRIVATE, for perpcore's tests only. Disarm the calling thread; return (the number of "
     "C++ allocations inside this module since _fail_allocations_after(), whether the "
     "armed failure happened)."},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace

void BindTesting(py::module_& m) {
  if (PyModule_AddFunctions(m.ptr(), kTestingMethods) != 0) throw py::error_already_set();
}

}  // namespace perpcore_py
