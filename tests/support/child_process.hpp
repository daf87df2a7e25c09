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

namespace perpcore::testing {

// ChildOutcome
//
// How a child ended: `signal` is the signal that killed it (0 if it exited),
// `exit_code` its exit status otherwise.
struct ChildOutcome {
  int signal = 0;
  int exit_code = 0;
  bool ok() const { return signal == 0 && exit_code == 0; }
  bool crashed() const { return signal != 0; }
};

// RunInChild()
//
// Runs body() in a forked child, which exits 0 if body returned true and 1
// if it returned false or threw. The body must not use Catch's assertion
// macros: the child reports through its exit status only. The child
// restores the default handlers of the fatal signals first, so a crash kills
// it with its signal (Catch's and the sanitizers' handlers do not report it
// a second time or turn it into an exit code), and it leaves with _Exit, so
// LeakSanitizer does not run there.
template <class Body>
ChildOutcome RunInChild(Body&& body) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return ChildOutcome{.signal = 0, .exit_code = -1};
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
  if (waitpid(pid, &status, 0) != pid) return ChildOutcome{.signal = 0, .exit_code = -1};
  if (WIFSIGNALED(status)) return ChildOutcome{.signal = WTERMSIG(status), .exit_code = 0};
  return ChildOutcome{.signal = 0, .exit_code = WEXITSTATUS(status)};
}

}  // namespace perpcore::testing

#endif  // PERPCORE_TESTS_SUPPORT_CHILD_PROCESS_HPP_
