/*
 * The stable part of perpcore/perpcore.h alone: compiled as C99 with the
 * flags of header_check.c, but WITHOUT PERPCORE_EXPERIMENTAL. Two checks,
 * both made by the compiler (this file does not build if either fails):
 *
 * 1. The stable part spells no type keyword but char (text) and void: its
 *    integers are the fixed-width typedefs of <stdint.h> (and size_t for
 *    lengths). Around the include, every other type keyword is a macro
 *    naming an undeclared type, so a `double` (or int, long, ...) in the
 *    stable part fails with "unknown type name
 *    PERPCORE_STABLE_PART_USES_double". The standard headers perpcore.h
 *    includes are included first, so the macros never reach them. This
 *    also catches the experimental part (doubles) leaking out of its guard.
 * 2. Nothing of the experimental part is declared: this file declares each
 *    of its names itself, as something else (a struct, an enumerator),
 *    which is a redeclaration error if the header declared it. A name
 *    added to the experimental part gets a line here.
 *
 * It also runs, as a smoke test of the stable API.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef PERPCORE_EXPERIMENTAL
#error "header_check_stable.c checks the header without PERPCORE_EXPERIMENTAL"
#endif

#ifdef __clang__
#pragma clang diagnostic ignored "-Wkeyword-macro" /* deliberate, see above */
#endif
#define double PERPCORE_STABLE_PART_USES_double
#define float PERPCORE_STABLE_PART_USES_float
#define int PERPCORE_STABLE_PART_USES_int
#define long PERPCORE_STABLE_PART_USES_long
#define short PERPCORE_STABLE_PART_USES_short
#define signed PERPCORE_STABLE_PART_USES_signed
#define unsigned PERPCORE_STABLE_PART_USES_unsigned
#define _Bool PERPCORE_STABLE_PART_USES__Bool
#define _Complex PERPCORE_STABLE_PART_USES__Complex
#include "perpcore/perpcore.h"
#include "perpcore/perpcore.h" /* the include guard */
#undef double
#undef float
#undef int
#undef long
#undef short
#undef signed
#undef unsigned
#undef _Bool
#undef _Complex

#include <stdio.h>

/* 2. The experimental part's macros, then its types and functions. */
#if defined(PERPCORE_PERPCORE_H_EXPERIMENTAL_) || defined(PERPCORE_MESSAGE_CAPACITY)
#error "perpcore.h declared its experimental part without PERPCORE_EXPERIMENTAL"
#endif

/* A struct definition clashes with the header's struct of that tag and
 * with its typedef of that name. */
typedef struct perpcore_ac_params { char not_the_header_s; } perpcore_ac_params;
typedef struct perpcore_ac_cost { char not_the_header_s; } perpcore_ac_cost;
typedef struct perpcore_ac_result { char not_the_header_s; } perpcore_ac_result;
typedef struct perpcore_ac_frontier_point { char not_the_header_s; } perpcore_ac_frontier_point;
typedef struct perpcore_ext_params { char not_the_header_s; } perpcore_ext_params;
typedef struct perpcore_ext_options { char not_the_header_s; } perpcore_ext_options;
typedef struct perpcore_ext_cost { char not_the_header_s; } perpcore_ext_cost;
typedef struct perpcore_ext_result { char not_the_header_s; } perpcore_ext_result;

/* An enumerator clashes with the header's function, static inline
 * function or enumerator of that name. */
enum {
  perpcore_ac_params_init,
  perpcore_ac_result_init,
  perpcore_ext_params_init,
  perpcore_ext_options_init,
  perpcore_ext_result_init,
  perpcore_ac_optimal_schedule,
  perpcore_ac_naive_schedule,
  perpcore_ac_immediate_schedule,
  perpcore_ac_evaluate_schedule,
  perpcore_ac_efficient_frontier,
  perpcore_ext_optimal_schedule,
  perpcore_ext_evaluate_schedule,
  PERPCORE_EXT_ORDER_TAKER,
  PERPCORE_EXT_ORDER_MAKER,
  PERPCORE_EXT_SOLVER_AUTO,
  PERPCORE_EXT_SOLVER_NEWTON,
  PERPCORE_EXT_METHOD_CLOSED_FORM,
  PERPCORE_EXT_METHOD_TRIDIAGONAL,
  PERPCORE_EXT_METHOD_ACTIVE_SET,
  PERPCORE_EXT_METHOD_NEWTON
};

int main(void) {
  perpcore_engine *eng = NULL;
  uint8_t digest[PERPCORE_DIGEST_SIZE];
  char msg[64];
  int ok = 1;

  /* The statuses of the analytics stay pinned in the stable part. */
  ok = ok && PERPCORE_E_INVALID_PARAM == -1008 && PERPCORE_E_NOT_REPRESENTABLE == -1009 &&
       strcmp(perpcore_status_name(PERPCORE_E_INVALID_PARAM), "PERPCORE_E_INVALID_PARAM") == 0;
  ok = ok && perpcore_version_number() == PERPCORE_VERSION_NUMBER;
  ok = ok && perpcore_engine_create(&eng, NULL) == PERPCORE_OK;
  ok = ok && perpcore_engine_digest(eng, digest) == PERPCORE_OK;
  ok = ok && perpcore_engine_last_error(eng, msg, sizeof msg) == PERPCORE_OK && msg[0] == '\0';
  perpcore_engine_destroy(eng);

  printf("perpcore.h %s (C99, stable part only): %s\n", PERPCORE_VERSION_STRING,
         ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
