// Test support: run a piece of a test in a forked child, for code that may
// crash the process (a known defect a test documents without taking the
// whole test executable down with it). POSIX only.
#ifndef PERPCORE_TESTS_SUPPORT_CHILD_PROCESS_HPP_
#define PERPCORE_TESTS_SUPPORT_CHILD_PROCESS_HPP_

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>

namespace perpcore::testing {

// RunsCleanlyInChild()
//
// Runs body() in a forked child and returns true if it returned true there
// (the child then exits 0). A body that returns false, throws, or dies of a
// signal (an abort, or a sanitizer report) gives false. The body must not use
// Catch's assertion macros: the child reports through its exit status only.
// The child restores the default handlers of the fatal signals first, so
// Catch's handlers do not report a crash there a second time.
template <class Body>
bool RunsCleanlyInChild(Body&& body) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE}) std::signal(sig, SIG_DFL);
    bool ok = false;
    try {
      ok = body();
    } catch (...) {
      ok = false;
    }
    std::fflush(nullptr);
    std::_Exit(ok ? 0 : 1);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace perpcore::testing

#endif  // PERPCORE_TESTS_SUPPORT_CHILD_PROCESS_HPP_
