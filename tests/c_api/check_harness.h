/* A tiny check harness for the C API's C tests: counts checks and failures
 * (g_checks, g_failures), prints each failure with file and line, and never
 * stops early. Each test file includes it once, after perpcore.h. */
#ifndef PERPCORE_TESTS_C_API_CHECK_HARNESS_H_
#define PERPCORE_TESTS_C_API_CHECK_HARNESS_H_

#include <stdio.h>

static int g_failures = 0;
static int g_checks = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    ++g_checks;                                                                \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++g_failures;                                                            \
    }                                                                          \
  } while (0)

#define CHECK_STATUS(call, want)                                                  \
  do {                                                                            \
    const perpcore_status s_ = (call);                                            \
    ++g_checks;                                                                   \
    if (s_ != (want)) {                                                           \
      fprintf(stderr, "%s:%d: %s returned %s, expected %s\n", __FILE__, __LINE__, \
              #call, perpcore_status_name(s_), perpcore_status_name(want));       \
      ++g_failures;                                                               \
    }                                                                             \
  } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, PERPCORE_OK)

#endif /* PERPCORE_TESTS_C_API_CHECK_HARNESS_H_ */
