/*
 * -----------------------------------------------------------------------------
 * File: perpcore/perpcore.h
 * -----------------------------------------------------------------------------
 *
 * The C API of perpcore: the only ABI-stable surface of the library. C99,
 * usable from C++ (extern "C"). One header; it includes only <stddef.h>,
 * <stdint.h> and <string.h>.
 *
 * Stable and experimental parts. Everything before the "EXPERIMENTAL API"
 * banner near the end is the stable API: what a program gets by default,
 * bound by every promise of this comment. Its types are fixed-width
 * integers only (with char for text, size_t for array lengths, and an
 * opaque handle); no floating point. The experimental part after the
 * banner (today the Almgren-Chriss execution analytics, perpcore_ac_* and
 * perpcore_ext_*, in doubles) is declared only when the program defines
 * PERPCORE_EXPERIMENTAL before including this header:
 *     #define PERPCORE_EXPERIMENTAL
 *     #include <perpcore/perpcore.h>
 * and carries no API or ABI stability promise: it may change or go away in
 * any release, minor and patch releases included (after zstd's
 * ZSTD_STATIC_LINKING_ONLY). A program that uses it builds against the
 * header of the exact version it runs with (static linking, or a pinned
 * shared library).
 *
 * Conventions (after libsecp256k1 and zstd):
 *   - Every function is perpcore_<object>_<verb>. Arguments come in the order
 *     context (the engine), outputs, inputs; an array's length follows the
 *     array, and a "written" count follows the length.
 *   - Every status-returning function returns a perpcore_status: PERPCORE_OK
 *     (0) or a negative PERPCORE_E_* code. The codes are pinned forever.
 *     perpcore_status_name() turns one into text.
 *   - API misuse (a NULL pointer, a value that is not an enumerator of this
 *     header, a struct_size too small, a buffer too small) returns a negative
 *     status and changes nothing in the engine. Scalar and struct outputs
 *     are zeroed at entry wherever that is safe (as libsecp256k1 defines its
 *     outputs), so they are never left uninitialized by a failed call;
 *     output arrays are written only by a call that succeeds. (The
 *     experimental analytics functions, which take no engine, write no
 *     output at all on failure, only their message buffer: see their
 *     section.)
 *   - Business outcomes are not errors. A command the engine processed
 *     returns PERPCORE_OK, whether the engine accepted it or rejected it;
 *     the engine's verdict is perpcore_result.reason, a PERPCORE_REASON_*
 *     value (0 = accepted). A rejected command changes nothing and emits no
 *     event. perpcore_reason_name() / perpcore_reason_message() explain it.
 *   - No C++ exception and no abort crosses this API on bad input. An
 *     internal failure (out of memory) returns PERPCORE_E_INTERNAL.
 *   - Memory: the caller owns every buffer it passes and every buffer it
 *     gets data in; the library never returns a pointer into its state. The
 *     only pointers the library returns are to static, immutable strings
 *     (names and messages), valid for the life of the process.
 *
 * Units: prices in ticks and sizes in lots of their market (int64, a size
 * signed + long / buy); money in quote atoms (int64, 10^-quote_decimals of the
 * quote asset); rates (fees, margin fractions, deviations) in units of
 * 1/PERPCORE_RATE_SCALE (1e-18), so PERPCORE_RATE_SCALE is 1 and
 * PERPCORE_RATE_SCALE / 10000 is one basis point; times in nanoseconds chosen
 * by the host. Ids are chosen by the host; 0 is never a valid id. (The
 * experimental analytics functions are the exception: doubles in the
 * caller's units, and they never touch an engine.)
 *
 * Versioning and ABI (of the stable part; the experimental part has none):
 *   - Structs the caller fills or receives singly carry uint32_t struct_size
 *     first. Set it with the perpcore_<struct>_init() functions below (they
 *     are static inline, so struct_size is the size this header was compiled
 *     with). The library accepts exactly the size of a version of the
 *     struct it knows: the version-1 size, or the size in the version of the
 *     library running (the engine config and the market params grew in
 *     issue 11: PERPCORE_ENGINE_CONFIG_SIZE_V1, PERPCORE_MARKET_PARAMS_SIZE_V1;
 *     the market params again in issue 12, PERPCORE_MARKET_PARAMS_SIZE_V2,
 *     and the account summary and market stats there too,
 *     PERPCORE_ACCOUNT_SUMMARY_SIZE_V1, PERPCORE_MARKET_STATS_SIZE_V1; the
 *     market params and the account summary in issue 13,
 *     PERPCORE_MARKET_PARAMS_SIZE_V3, PERPCORE_ACCOUNT_SUMMARY_SIZE_V2; the
 *     market stats in issue 14, PERPCORE_MARKET_STATS_SIZE_V2: each
 *     of those sizes is accepted as well; every other struct is at version
 *     1, so its struct_size is exactly its sizeof). It never reads or writes a byte beyond struct_size; any other
 *     struct_size is PERPCORE_E_STRUCT_SIZE, with nothing read past the
 *     struct_size field and nothing written. An older caller's struct is
 *     read as far as it goes, and the fields appended since take their
 *     defaults. What this catches and what it cannot:
 *       caught: a struct_size of 0, of garbage, or of another struct of a
 *         different size (an uninitialized struct, a forgotten
 *         perpcore_<struct>_init()); and a program built against a newer
 *         header whose struct grew, run with an older library (the library
 *         cannot honour fields it does not know; compare
 *         perpcore_version_number() with PERPCORE_VERSION_NUMBER at start-up);
 *       not caught: a struct_size that is valid for the struct while the
 *         object the pointer really points at is smaller (a cast from
 *         another type, a truncated buffer): the library reads or writes
 *         struct_size bytes, up to its own size of the struct and never
 *         more. Nor, once a struct has grown, the version-1 struct_size on
 *         a current-size object: it is read as an older caller's, and the
 *         fields beyond it take their defaults. No C
 *         library can see the size of the caller's object; the _init()
 *         functions and the compiler's type checks are the defence.
 *   - Structs passed in arrays (events, levels, positions, open orders) and
 *     perpcore_result have a frozen layout; a change means a new _v2 struct
 *     and new functions. Every struct has explicit padding and a static size
 *     check below, so its layout is the same on every ABI.
 *
 * Thread safety: an engine is not thread-safe; use each engine from one
 * thread at a time (a host that shares one between threads serialises the
 * calls itself, e.g. with a mutex). Different engines are independent. The
 * functions that take no engine are thread-safe. Concurrent use of one
 * engine is DETECTED, not prevented (after SQLite's SQLITE_MISUSE): every
 * function that takes an engine handle - every perpcore_engine_*,
 * perpcore_market_*, perpcore_account_*, perpcore_order_*, perpcore_book_*,
 * perpcore_oracle_* and perpcore_insurance_* function but
 * perpcore_engine_create(), perpcore_engine_config_check() and the static
 * inline perpcore_<struct>_init() functions, which take none; and
 * perpcore_engine_destroy() - holds an atomic in-use flag of that engine
 * from entry to return. A call that finds the flag held (another thread is
 * inside a call on the same engine, or the call re-enters it from code the
 * first call runs) returns PERPCORE_E_MISUSE at once, having read and
 * written nothing of the engine (perpcore_engine_last_error() is left to
 * the call in progress; scalar and struct outputs are zeroed as for any
 * failure). perpcore_engine_destroy() that finds the flag held leaves the
 * engine alone (it stays live and allocated). The check is a race detector
 * with no false alarms and no waiting, not a lock: two calls that do not
 * overlap in time both succeed, and a host that relies on MISUSE to
 * serialise its threads still has a bug. Nor can it catch a call that
 * enters after perpcore_engine_destroy() freed the engine (a use after
 * free, as with any destroyed handle). The NULL and bad-handle checks
 * come first, so a dead handle is PERPCORE_E_BAD_HANDLE (best effort, see
 * perpcore_engine_destroy()).
 *
 * Example:
 *   perpcore_engine *eng = NULL;
 *   perpcore_result res;
 *   if (perpcore_engine_create(&eng, NULL) != PERPCORE_OK) return 1;
 *   if (perpcore_account_create(eng, &res, 1, t, 7, 7, 0, 0) != PERPCORE_OK) ...
 *   if (res.reason != PERPCORE_REASON_OK) puts(perpcore_reason_message(res.reason));
 *   perpcore_engine_destroy(eng);
 */
#ifndef PERPCORE_PERPCORE_H_
#define PERPCORE_PERPCORE_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------- */
/* Macros                                                                    */
/* ------------------------------------------------------------------------- */

/* The version of this header. The same numbers as perpcore/version.hpp (the
 * build checks that they agree). PERPCORE_VERSION_NUMBER follows zstd:
 * major * 10000 + minor * 100 + patch. */
#define PERPCORE_VERSION_MAJOR 0
#define PERPCORE_VERSION_MINOR 1
#define PERPCORE_VERSION_PATCH 0
#define PERPCORE_VERSION_NUMBER                                        \
  (PERPCORE_VERSION_MAJOR * 10000 + PERPCORE_VERSION_MINOR * 100 +     \
   PERPCORE_VERSION_PATCH)
#define PERPCORE_VERSION_STRING "0.1.0"

#ifndef PERPCORE_API
#if defined(_WIN32) && defined(PERPCORE_SHARED_BUILD)
#define PERPCORE_API __declspec(dllexport)
#elif defined(_WIN32) && defined(PERPCORE_SHARED)
#define PERPCORE_API __declspec(dllimport)
#elif defined(__GNUC__) || defined(__clang__)
#define PERPCORE_API __attribute__((visibility("default")))
#else
#define PERPCORE_API
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PERPCORE_WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#else
#define PERPCORE_WARN_UNUSED_RESULT
#endif

#if defined(__cplusplus) && __cplusplus >= 201103L
#define PERPCORE_NOEXCEPT noexcept
#else
#define PERPCORE_NOEXCEPT
#endif

/* PERPCORE_STATIC_ASSERT(cond, name): a compile-time check in C99 (a
 * negative array size), C11 and C++. `name` must be unique. */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define PERPCORE_STATIC_ASSERT(cond, name) static_assert(cond, #name)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define PERPCORE_STATIC_ASSERT(cond, name) _Static_assert(cond, #name)
#else
#define PERPCORE_STATIC_ASSERT(cond, name) \
  typedef char perpcore_static_assert_##name[(cond) ? 1 : -1]
#endif

/* PERPCORE_U32(x): a cast that is clean under both C and C++ warnings. */
#ifdef __cplusplus
#define PERPCORE_U32(x) static_cast<uint32_t>(x)
#else
#define PERPCORE_U32(x) ((uint32_t)(x))
#endif

/* Rates are int64 in units of 1e-18: PERPCORE_RATE_SCALE is 1 (100%). */
#define PERPCORE_RATE_SCALE INT64_C(1000000000000000000)

#define PERPCORE_DIGEST_SIZE 32       /* bytes of perpcore_engine_digest() */
#define PERPCORE_SYMBOL_CAPACITY 32   /* char array; a symbol is 1..24 chars + NUL */
#define PERPCORE_MAX_TIERS 32         /* margin tiers per market */
#define PERPCORE_MAX_FEE_TIERS 16     /* fee tiers per engine */

/* ------------------------------------------------------------------------- */
/* Status codes                                                              */
/* ------------------------------------------------------------------------- */

typedef int32_t perpcore_status;

enum {
  PERPCORE_OK = 0,
  /* A NULL pointer where one is required, a value that is not an enumerator
   * of this header (side, order type, ...), a flag that is not 0 or 1, or a
   * symbol without its NUL inside PERPCORE_SYMBOL_CAPACITY. */
  PERPCORE_E_ILLEGAL_ARG = -1001,
  /* A query named a market or account the engine does not have. (A command
   * naming one is processed and rejected with a PERPCORE_REASON_*.) */
  PERPCORE_E_NOT_FOUND = -1002,
  /* A count beyond the array that holds it (tier_count above
   * PERPCORE_MAX_TIERS, fee_tier_count above PERPCORE_MAX_FEE_TIERS). */
  PERPCORE_E_RANGE = -1003,
  /* An output array is too small; the needed count was reported. */
  PERPCORE_E_BUFFER_TOO_SMALL = -1004,
  /* struct_size is not a size of the struct this library knows: its
   * version-1 size or its current size (see "Versioning and ABI" above). */
  PERPCORE_E_STRUCT_SIZE = -1005,
  /* The handle is not a live engine (best-effort detection, see
   * perpcore_engine_destroy()). */
  PERPCORE_E_BAD_HANDLE = -1006,
  /* An engine configuration or market parameters out of range; the message
   * says which field. */
  PERPCORE_E_CONFIG = -1007,
  /* An analytics parameter outside its domain (a negative volatility, a
   * horizon <= 0, a non-finite value, ...); the message names it.
   * Returned only by the experimental analytics functions, but pinned here
   * like every code, so perpcore_status_name() knows it and -1008 is never
   * reused. */
  PERPCORE_E_INVALID_PARAM = -1008,
  /* Valid analytics inputs whose coefficients or results do not fit in a
   * double (overflow to inf or NaN): rescale the units. Experimental
   * analytics only; pinned like -1008. */
  PERPCORE_E_NOT_REPRESENTABLE = -1009,
  /* Another call is inside the same engine right now (a second thread, or a
   * re-entrant call): this call did nothing. See "Thread safety" above. */
  PERPCORE_E_MISUSE = -1010,
  /* Framing of a command (-11xx): the command was not processed and changed
   * nothing. seq is above the engine's last_seq + 1 (a gap in the log): */
  PERPCORE_E_SEQUENCE_GAP = -1101,
  /* timestamp_ns is before the engine's time (the last processed command's): */
  PERPCORE_E_TIME_WENT_BACK = -1102,
  /* seq is at or below the engine's last_seq: the command was processed
   * before. A host redelivering a command (at-least-once) gets this, not a
   * second application. */
  PERPCORE_E_ALREADY_APPLIED = -1103,
  /* Out of memory or another internal failure; see perpcore_engine_last_error()
   * (or the message buffer of an analytics call). */
  PERPCORE_E_INTERNAL = -9001,
  /* An earlier command failed midway (PERPCORE_E_INTERNAL) and may be half
   * applied: the engine refuses every command from then on. Queries and
   * destroy still work; rebuild the engine by replaying the log. */
  PERPCORE_E_POISONED = -9002
};

/* perpcore_status_name()
 *
 * "PERPCORE_OK", "PERPCORE_E_ILLEGAL_ARG", ...; "PERPCORE_E_UNKNOWN" for a
 * value that is not a status. Never NULL; a static string. */
PERPCORE_API const char *perpcore_status_name(perpcore_status status) PERPCORE_NOEXCEPT;

/* perpcore_version_number() / perpcore_version_string()
 *
 * The version of the library linked at run time (compare with
 * PERPCORE_VERSION_NUMBER, the header's): major * 10000 + minor * 100 + patch,
 * and "major.minor.patch" (a static string). */
PERPCORE_API uint32_t perpcore_version_number(void) PERPCORE_NOEXCEPT;
PERPCORE_API const char *perpcore_version_string(void) PERPCORE_NOEXCEPT;

/* ------------------------------------------------------------------------- */
/* Enumerations (pinned values; fields holding them are fixed-width ints)    */
/* ------------------------------------------------------------------------- */

enum { PERPCORE_SIDE_BUY = 0, PERPCORE_SIDE_SELL = 1 };
enum { PERPCORE_ORDER_LIMIT = 0, PERPCORE_ORDER_MARKET = 1 };
/* Market orders must be IOC or FOK; they carry a protection price. */
enum {
  PERPCORE_TIF_GTC = 0,
  PERPCORE_TIF_IOC = 1,
  PERPCORE_TIF_FOK = 2,
  PERPCORE_TIF_POST_ONLY = 3,
  PERPCORE_TIF_POST_ONLY_SLIDE = 4
};
/* Self-trade prevention, by the incoming order's mode. */
enum {
  PERPCORE_STP_CANCEL_MAKER = 0,
  PERPCORE_STP_CANCEL_TAKER = 1,
  PERPCORE_STP_CANCEL_BOTH = 2,
  PERPCORE_STP_DECREMENT_AND_CANCEL = 3
};
enum {
  PERPCORE_MARKET_ACTIVE = 0,
  PERPCORE_MARKET_REDUCE_ONLY = 1,
  PERPCORE_MARKET_HALTED = 2,
  PERPCORE_MARKET_DELISTED = 3
};
/* Where a delisted market is in its final settlement
 * (perpcore::engine::SettlementPhase; perpcore_engine_settle_market()):
 * NONE not started (every market that is not delisted); SETTLING its
 * positions are being closed at the settlement price, a bounded number per
 * command, and it takes no order of any kind; SETTLED every position
 * closed, final. */
enum {
  PERPCORE_SETTLEMENT_NONE = 0,
  PERPCORE_SETTLEMENT_SETTLING = 1,
  PERPCORE_SETTLEMENT_SETTLED = 2
};
enum { PERPCORE_MARGIN_CROSS = 0, PERPCORE_MARGIN_ISOLATED = 1 };
/* Self-trade scope of an account (see perpcore_account_set_stp_scope()). */
enum { PERPCORE_STP_SCOPE_OWNER = 0, PERPCORE_STP_SCOPE_ACCOUNT = 1 };
enum {
  PERPCORE_BREAKER_NONE = 0,
  PERPCORE_BREAKER_SOURCE_DEVIATION = 1,
  PERPCORE_BREAKER_TWAP_DEVIATION = 2
};
/* The reason of an ORDER_CANCELED or ORDER_REDUCED event. */
enum {
  PERPCORE_CANCEL_USER = 0,
  PERPCORE_CANCEL_CANCEL_ALL = 1,
  PERPCORE_CANCEL_UNFILLED_REMAINDER = 2,
  PERPCORE_CANCEL_SELF_TRADE = 3,
  PERPCORE_CANCEL_MAX_FILL = 4,
  PERPCORE_CANCEL_MATCH_LIMIT = 5, /* the taker met max_matches_per_order resting
                                      orders; its remainder would still cross */
  PERPCORE_CANCEL_ACCOUNT_LOCKED = 6, /* a cash balance of the account passed the
                                         engine's bound (REASON_CASH_BOUND_EXCEEDED) */
  PERPCORE_CANCEL_LIQUIDATION = 7, /* the engine cancelled the account's orders
                                      before liquidating it (perpcore_engine_liquidate) */
  PERPCORE_CANCEL_MARKET_SETTLED = 8 /* the engine cancelled the account's orders in a
                                        delisted market it settled
                                        (perpcore_engine_settle_market) */
};
enum {
  PERPCORE_EVENT_ORDER_RESTED = 0,
  PERPCORE_EVENT_FILL = 1,
  PERPCORE_EVENT_ORDER_CANCELED = 2,
  PERPCORE_EVENT_ORDER_REDUCED = 3,
  PERPCORE_EVENT_ORDER_AMENDED = 4,
  PERPCORE_EVENT_DEPOSIT = 5,
  PERPCORE_EVENT_WITHDRAWAL = 6,
  PERPCORE_EVENT_TRANSFER = 7,
  PERPCORE_EVENT_ACCOUNT_CREATED = 8,
  PERPCORE_EVENT_MARKET_CREATED = 9,
  PERPCORE_EVENT_MARKET_UPDATED = 10,
  PERPCORE_EVENT_MARKET_STATUS_CHANGED = 11,
  PERPCORE_EVENT_PRICE_UPDATE = 12,
  PERPCORE_EVENT_CIRCUIT_BREAKER = 13,
  PERPCORE_EVENT_MARGIN_MODE_SET = 14,
  PERPCORE_EVENT_LEVERAGE_SET = 15,
  PERPCORE_EVENT_ISOLATED_MARGIN_CHANGED = 16,
  PERPCORE_EVENT_FEE_TIER_SET = 17,
  PERPCORE_EVENT_INSURANCE_FUNDED = 18,
  PERPCORE_EVENT_STP_SCOPE_SET = 19,
  PERPCORE_EVENT_SOURCE_RETIRED = 20,
  PERPCORE_EVENT_FUNDING_RATE_SET = 21,
  PERPCORE_EVENT_FUNDING_SETTLED = 22,
  PERPCORE_EVENT_FUNDING_RESIDUAL = 23,
  PERPCORE_EVENT_LIQUIDATION = 24,
  PERPCORE_EVENT_INSURANCE_COVER = 25,
  PERPCORE_EVENT_SHORTFALL = 26,
  PERPCORE_EVENT_MARGIN_WARNING = 27,
  PERPCORE_EVENT_POSITION_SETTLED = 28,
  PERPCORE_EVENT_MARKET_SETTLED = 29,
  PERPCORE_EVENT_BACKSTOP_TAKEOVER = 30,
  PERPCORE_EVENT_DELEVERAGED = 31
};
/* An account's or isolated bucket's health (perpcore::liquidation::Health,
 * perpcore/liquidation/liquidation.hpp), judged at the mark: BANKRUPT equity
 * < 0; LIQUIDATABLE equity < maintenance (equal is not); WARNING equity at or
 * below the warning margin, each position's maintenance over its market's
 * warning_threshold (for one position: the margin ratio maintenance / equity
 * has reached the threshold); HEALTHY otherwise. */
enum {
  PERPCORE_HEALTH_HEALTHY = 0,
  PERPCORE_HEALTH_WARNING = 1,
  PERPCORE_HEALTH_LIQUIDATABLE = 2,
  PERPCORE_HEALTH_BANKRUPT = 3
};

/* Reject reasons (perpcore_result.reason, perpcore_preview.reason): one list
 * for the book and the engine (perpcore/core/reason.hpp), a range of 100 per
 * module (0 ok, 1xx framing, 2xx parameters, 3xx registry, 4xx book, 5xx
 * risk, 6xx oracle, 7xx funding, 8xx liquidation and final settlement; 9xx
 * vault and 10xx intent reserved). Values are pinned; a retired value is
 * never reused. */
enum {
  PERPCORE_REASON_OK = 0,
  /* framing: never a result's reason; the PERPCORE_E_SEQUENCE_GAP, _TIME_WENT_BACK,
   * _ALREADY_APPLIED and _POISONED statuses, named for perpcore_reason_message() */
  PERPCORE_REASON_SEQUENCE_GAP = 100,
  PERPCORE_REASON_TIME_WENT_BACK = 101,
  PERPCORE_REASON_ALREADY_APPLIED = 102,
  PERPCORE_REASON_ENGINE_POISONED = 103,
  /* parameters: a field out of its documented range */
  PERPCORE_REASON_INVALID_ID = 200,
  PERPCORE_REASON_INVALID_ORDER_ID = 201,
  PERPCORE_REASON_INVALID_ACCOUNT = 202,
  PERPCORE_REASON_INVALID_CLIENT_ORDER_ID = 203,
  PERPCORE_REASON_INVALID_OWNER = 204,
  PERPCORE_REASON_INVALID_SIDE = 205,
  PERPCORE_REASON_INVALID_ORDER_TYPE = 206,
  PERPCORE_REASON_INVALID_TIME_IN_FORCE = 207,
  PERPCORE_REASON_INVALID_STP_MODE = 208,
  PERPCORE_REASON_INVALID_SIZE = 209,
  PERPCORE_REASON_SIZE_NOT_ON_STEP = 210,
  PERPCORE_REASON_SIZE_ABOVE_MAX = 211,
  PERPCORE_REASON_INVALID_MAX_FILL = 212,
  PERPCORE_REASON_INVALID_PRICE = 213,
  PERPCORE_REASON_PRICE_NOT_ON_STEP = 214,
  PERPCORE_REASON_PRICE_ABOVE_MAX = 215,
  PERPCORE_REASON_INVALID_AMOUNT = 216,
  PERPCORE_REASON_INVALID_CONFIG = 217,
  PERPCORE_REASON_INVALID_MARKET_PARAMS = 218,
  PERPCORE_REASON_PARAM_IMMUTABLE = 219,
  PERPCORE_REASON_INVALID_LEVERAGE = 220,
  PERPCORE_REASON_INVALID_STATUS = 221,
  PERPCORE_REASON_INVALID_MARGIN_MODE = 222,
  PERPCORE_REASON_INVALID_FEE_TIER = 223,
  PERPCORE_REASON_INVALID_SELF_TRADE_SCOPE = 224,
  PERPCORE_REASON_MAX_PRICE_BELOW_MARKET_PRICE = 225,
  /* registry: markets and accounts */
  PERPCORE_REASON_UNKNOWN_MARKET = 300,
  PERPCORE_REASON_UNKNOWN_ACCOUNT = 301,
  PERPCORE_REASON_MARKET_EXISTS = 302,
  PERPCORE_REASON_ACCOUNT_EXISTS = 303,
  PERPCORE_REASON_TOO_MANY_MARKETS = 304,
  PERPCORE_REASON_TOO_MANY_ACCOUNTS = 305,
  PERPCORE_REASON_UNKNOWN_REFERRER = 306,
  PERPCORE_REASON_NOT_SAME_OWNER = 307,
  PERPCORE_REASON_SAME_ACCOUNT = 308,
  PERPCORE_REASON_MARKET_HALTED = 309,
  PERPCORE_REASON_MARKET_REDUCE_ONLY = 310,
  PERPCORE_REASON_MARGIN_MODE_LOCKED = 311,
  PERPCORE_REASON_NOT_ISOLATED = 312,
  /* the order book */
  PERPCORE_REASON_PRICE_OUTSIDE_BAND = 400,
  PERPCORE_REASON_DUPLICATE_ORDER_ID = 401,
  PERPCORE_REASON_DUPLICATE_CLIENT_ORDER_ID = 402,
  PERPCORE_REASON_POST_ONLY_WOULD_CROSS = 403,
  PERPCORE_REASON_FOK_NOT_FILLED = 404,
  PERPCORE_REASON_TOO_MANY_ORDERS = 405,
  PERPCORE_REASON_TOO_MANY_LEVELS = 406,
  PERPCORE_REASON_BOOK_FULL = 407,
  PERPCORE_REASON_OVERFLOW = 408,
  PERPCORE_REASON_UNKNOWN_ORDER = 409,
  PERPCORE_REASON_NOT_ORDER_OWNER = 410,
  PERPCORE_REASON_AMEND_NO_CHANGE = 411,
  PERPCORE_REASON_AMEND_WOULD_CROSS = 412,
  /* risk: margin, collateral, reduce-only, exposure */
  PERPCORE_REASON_INSUFFICIENT_MARGIN = 500,
  PERPCORE_REASON_INSUFFICIENT_COLLATERAL = 501,
  PERPCORE_REASON_REDUCE_ONLY_WOULD_INCREASE = 502,
  PERPCORE_REASON_REDUCE_ONLY_NOT_IMMEDIATE = 503,
  PERPCORE_REASON_OPEN_INTEREST_LIMIT = 504,
  PERPCORE_REASON_MAX_DEPOSIT_EXCEEDED = 505,
  PERPCORE_REASON_WITHDRAWAL_EXCEEDS_HELD = 506,
  PERPCORE_REASON_MARKET_OPEN_INTEREST_LIMIT = 507,
  PERPCORE_REASON_CASH_BOUND_EXCEEDED = 508,
  PERPCORE_REASON_WITHDRAWALS_GATED = 509, /* while perpcore_engine_shortfall() > 0 */
  /* oracle */
  PERPCORE_REASON_NO_INDEX_PRICE = 600,
  PERPCORE_REASON_ORACLE_INVALID_SOURCE = 601,
  PERPCORE_REASON_ORACLE_TOO_MANY_SOURCES = 602,
  PERPCORE_REASON_ORACLE_INVALID_PRICE = 603,
  PERPCORE_REASON_ORACLE_FROM_THE_FUTURE = 604,
  PERPCORE_REASON_ORACLE_OUT_OF_ORDER = 605,
  PERPCORE_REASON_INDEX_STALE = 606,
  PERPCORE_REASON_ORACLE_UNKNOWN_SOURCE = 607,
  /* funding */
  PERPCORE_REASON_FUNDING_INVALID_MODEL = 700,
  PERPCORE_REASON_FUNDING_INVALID_PAYMENT = 701,
  PERPCORE_REASON_FUNDING_INVALID_INTERVAL = 702,
  PERPCORE_REASON_FUNDING_INVALID_CADENCE = 703,
  PERPCORE_REASON_FUNDING_INVALID_WEIGHTING = 704,
  PERPCORE_REASON_FUNDING_INVALID_IMPACT_NOTIONAL = 705,
  PERPCORE_REASON_FUNDING_INVALID_INTEREST = 706,
  PERPCORE_REASON_FUNDING_CAP_BELOW_FLOOR = 707,
  PERPCORE_REASON_FUNDING_NO_COUNTERPARTY = 708,
  PERPCORE_REASON_FUNDING_INVALID_SKEW = 709,
  PERPCORE_REASON_FUNDING_INVALID_EXPONENT = 710,
  PERPCORE_REASON_FUNDING_INDEX_OVERFLOW = 711,
  /* liquidation */
  PERPCORE_REASON_LIQUIDATION_INVALID_WARNING_THRESHOLD = 800,
  PERPCORE_REASON_LIQUIDATION_INVALID_FEE = 801,
  PERPCORE_REASON_LIQUIDATION_INVALID_KEEPER_SHARE = 802,
  PERPCORE_REASON_LIQUIDATION_INVALID_BUFFER = 803,
  PERPCORE_REASON_LIQUIDATION_INVALID_CHUNK_THRESHOLD = 804,
  PERPCORE_REASON_LIQUIDATION_INVALID_CHUNK_FRACTION = 805,
  PERPCORE_REASON_LIQUIDATION_INVALID_COOLDOWN = 806,
  PERPCORE_REASON_LIQUIDATION_INVALID_BANKRUPTCY_ADJUSTMENT = 807,
  PERPCORE_REASON_LIQUIDATION_INVALID_SPREAD = 808,
  PERPCORE_REASON_LIQUIDATION_INVALID_MAX_NOTIONAL = 809,
  PERPCORE_REASON_LIQUIDATION_NOT_LIQUIDATABLE = 810,
  PERPCORE_REASON_LIQUIDATION_SELF = 811,
  PERPCORE_REASON_LIQUIDATION_INVALID_SIZE = 812,
  PERPCORE_REASON_LIQUIDATION_NO_POSITION = 813,
  PERPCORE_REASON_SETTLEMENT_NOT_DELISTED = 814,
  PERPCORE_REASON_SETTLEMENT_STARTED = 815,
  PERPCORE_REASON_SETTLEMENT_INVALID_PRICE = 816,
  PERPCORE_REASON_LIQUIDATION_INVALID_BACKSTOP_THRESHOLD = 817,
  PERPCORE_REASON_LIQUIDATION_INVALID_LOSS_POLICY = 818
};

/* perpcore_reason_name() / perpcore_reason_message()
 *
 * "PERPCORE_REASON_INSUFFICIENT_MARGIN" / a sentence a user can act on.
 * Never NULL (static strings): a value that is not a reason gives
 * "PERPCORE_REASON_UNKNOWN" / "unknown reason". */
PERPCORE_API const char *perpcore_reason_name(uint32_t reason) PERPCORE_NOEXCEPT;
PERPCORE_API const char *perpcore_reason_message(uint32_t reason) PERPCORE_NOEXCEPT;

/* ------------------------------------------------------------------------- */
/* Structs                                                                   */
/* ------------------------------------------------------------------------- */

/* perpcore_engine: opaque. Not thread-safe. */
typedef struct perpcore_engine perpcore_engine;

/* perpcore_engine_config (input; struct_size).
 *
 * quote_decimals: 0..18, the atoms of the quote asset (6 for USDC).
 * fee_tier_discounts[0..fee_tier_count): fee tier t multiplies positive fees
 *   by (1 - discount[t]); tier 0 must be 0, each in [0, 1), non-decreasing;
 *   fee_tier_count 1..PERPCORE_MAX_FEE_TIERS.
 * referrer_share: the part of a referred taker's fee paid to the referrer, [0, 1).
 * max_markets: 1..1024; max_accounts: 1..2^24. hash_seed: lookup hashes only.
 * withdraw_margin_fraction (appended in issue 11; absent from a caller whose
 *   struct_size is PERPCORE_ENGINE_CONFIG_SIZE_V1, which gets the default
 *   10%): [0, 1); withdrawals, transfers out and isolated-margin removal
 *   must leave at least this fraction of the positions' notional (see
 *   "Withdrawals" in perpcore/engine/engine.hpp). */
typedef struct perpcore_engine_config {
  uint32_t struct_size;
  uint32_t quote_decimals;
  uint32_t max_markets;
  uint32_t max_accounts;
  uint64_t hash_seed;
  int64_t referrer_share; /* rate */
  uint32_t fee_tier_count;
  uint32_t pad0;          /* ignored */
  int64_t fee_tier_discounts[PERPCORE_MAX_FEE_TIERS]; /* rates */
  int64_t withdraw_margin_fraction;                   /* rate */
} perpcore_engine_config;

/* perpcore_margin_tier: one notional bracket (see perpcore/risk/margin.hpp).
 * The first floor is 0 and floors increase; max_leverage 1..150, never
 * increasing; maintenance_rate > 0, never decreasing, below 1/max_leverage. */
typedef struct perpcore_margin_tier {
  int64_t notional_floor;   /* quote atoms */
  int64_t maintenance_rate; /* rate */
  uint32_t max_leverage;
  uint32_t pad0;            /* ignored */
} perpcore_margin_tier;

/* perpcore_oracle_config: staleness and windows > 0 ns (windows >= 60 ns);
 * min_sources 1..16; deviations >= 0 (0 disables that breaker guard), and
 * max_source_deviation > 0 when min_sources >= 2 (the quorum's tolerance:
 * the index needs a strict majority of the fresh sources within it of their
 * median). The mark's settings (impact_notional, mark_cap, max_mark_age_ns)
 * are at the end of perpcore_market_params. */
typedef struct perpcore_oracle_config {
  int64_t staleness_ns;
  int64_t twap_window_ns;
  int64_t basis_window_ns;
  int64_t max_source_deviation; /* rate */
  int64_t max_twap_deviation;   /* rate */
  uint32_t min_sources;
  uint32_t pad0;                /* ignored */
} perpcore_oracle_config;

/* perpcore_i128: a signed 128-bit integer (the funding index, a funding
 * pool, the funding residual: they may pass int64), two's complement in two
 * halves: value = hi * 2^64 + lo, hi signed, lo unsigned. -1 is
 * {hi = -1, lo = UINT64_MAX}; a value that fits int64 has hi = 0 (>= 0) or
 * hi = -1 (< 0) and lo = (uint64_t)value. */
typedef struct perpcore_i128 {
  int64_t hi;
  uint64_t lo;
} perpcore_i128;

/* Funding (perpcore/funding/funding.hpp): the enumerators of
 * perpcore_funding_params, pinned to the C++ enums. */
enum {
  PERPCORE_FUNDING_MODEL_NONE = 0,         /* the index never moves */
  PERPCORE_FUNDING_MODEL_PREMIUM = 1,      /* dYdX v4 / Hyperliquid / Binance */
  PERPCORE_FUNDING_MODEL_SKEW_LINEAR = 2,  /* PerpX */
  PERPCORE_FUNDING_MODEL_SKEW_POWER = 3,   /* GMX v2 */
  PERPCORE_FUNDING_MODEL_SKEW_ADAPTIVE = 4 /* GMX v2.1 */
};
enum {
  PERPCORE_FUNDING_PAYMENT_INTERVAL_END = 0,
  PERPCORE_FUNDING_PAYMENT_CONTINUOUS = 1
};
enum { PERPCORE_FUNDING_PRICE_INDEX = 0, PERPCORE_FUNDING_PRICE_MARK = 1 };
enum { PERPCORE_FUNDING_WEIGHTING_EQUAL = 0, PERPCORE_FUNDING_WEIGHTING_TIME_WEIGHTED = 1 };
enum { PERPCORE_FUNDING_CAP_FIXED = 0, PERPCORE_FUNDING_CAP_MARGIN_MULTIPLE = 1 };

/* perpcore_funding_params: a market's funding, the fields of
 * perpcore::funding::FundingParams (perpcore/funding/funding.hpp has the
 * models, units, rounding and every bound; perpcore_market_create() refuses
 * a field out of range with its PERPCORE_REASON_FUNDING_*). Rates are int64
 * at PERPCORE_RATE_SCALE, per period unless named otherwise; durations in
 * ns. The defaults (perpcore_market_params_init()): the premium model paid
 * at 8-hour interval ends (period 8 h) at the index, a sample a minute,
 * equally weighted, impact notional 1e10 atoms, interest 0.01% within a
 * 0.05% band, a fixed cap of +-0.75% (cap_multiple 6 for MARGIN_MULTIPLE),
 * no counterparty, skew_kappa 1%, skew_factor 0, skew_exponent 1, skew_max
 * 1%, ramp_up, decay and both thresholds 0. */
typedef struct perpcore_funding_params {
  uint32_t model;     /* PERPCORE_FUNDING_MODEL_* */
  uint32_t payment;   /* PERPCORE_FUNDING_PAYMENT_* */
  uint32_t price;     /* PERPCORE_FUNDING_PRICE_* */
  uint32_t weighting; /* PERPCORE_FUNDING_WEIGHTING_* */
  uint32_t cap_mode;  /* PERPCORE_FUNDING_CAP_* */
  uint32_t pad0;      /* ignored */
  int64_t interval_ns;       /* 1 s .. 7 days; intervals aligned to multiples */
  int64_t period_ns;         /* 1 s .. 7 days: the rates are per period */
  int64_t sample_cadence_ns; /* > 0, divides interval_ns, <= 2^20 per interval */
  int64_t impact_notional;   /* quote atoms >= 1 (premium samples) */
  int64_t interest;          /* rate, |.| <= 1 */
  int64_t interest_band;     /* rate in [0, 1] */
  int64_t cap;               /* rate, floor <= cap, |.| <= 1 (CAP_FIXED) */
  int64_t floor;             /* rate */
  int64_t cap_multiple;      /* rate in (0, 9.2] (CAP_MARGIN_MULTIPLE) */
  uint64_t counterparty;     /* account id; != 0 for the skew models */
  int64_t skew_kappa;        /* rate in [0, 1000] (SKEW_LINEAR) */
  int64_t skew_factor;       /* rate in [0, 1] (SKEW_POWER) */
  int64_t skew_exponent;     /* rate in [1, 3] (SKEW_POWER, SKEW_ADAPTIVE) */
  int64_t skew_max;          /* rate in (0, 1]: every skew model's |rate| cap */
  int64_t ramp_up;           /* rate per period per second, [0, 1] (ADAPTIVE) */
  int64_t decay;             /* rate per period per second, [0, 1] (ADAPTIVE) */
  int64_t stable_threshold;  /* rate in [0, 1] (ADAPTIVE) */
  int64_t decay_threshold;   /* rate in [0, stable_threshold] (ADAPTIVE) */
} perpcore_funding_params;

/* perpcore_liquidation_params: a market's liquidation, the fields of
 * perpcore::liquidation::LiquidationParams (perpcore/liquidation/
 * liquidation.hpp has the rules and every bound; perpcore_market_create()
 * refuses a field out of range with its PERPCORE_REASON_LIQUIDATION_INVALID_*,
 * checked in the order of the fields). Rates are int64 at
 * PERPCORE_RATE_SCALE, amounts in quote atoms, durations in ns. The defaults
 * (perpcore_market_params_init()): warning at a margin ratio of 80%, a fee
 * of 1.5% of the closed notional of which the keeper gets 5%, a partial
 * close to maintenance * 1.1, positions above 1e11 atoms of notional closed
 * 20% at a time with a 30 s cooldown, bankruptcy adjustment 1, spread to
 * maintenance 1.5, at most 1e11 atoms of notional per command; no
 * backstop (perpcore/engine/engine.hpp "Backstop takeover"), threshold 2/3;
 * loss policy ADL (perpcore/engine/engine.hpp "Auto-deleveraging"). */
typedef struct perpcore_liquidation_params {
  int64_t warning_threshold;     /* rate in [1%, 100%) */
  int64_t fee;                   /* rate in [0, 1] of the closed notional */
  int64_t keeper_share;          /* rate in [0, 1] of the fee */
  int64_t buffer;                /* rate in [0, 1]: a partial close aims at
                                    maintenance * (1 + buffer) */
  int64_t chunk_threshold;       /* atoms >= 0 of notional (0: every position
                                    in chunks) */
  int64_t chunk_fraction;        /* rate in (0, 1] (1: no chunking) */
  int64_t cooldown_ns;           /* 0 .. 1 day */
  int64_t bankruptcy_adjustment; /* rate >= 1 */
  int64_t spread_to_maintenance; /* rate > 0 */
  int64_t max_notional_per_command; /* atoms >= 1 */
  /* Appended in issue 14 (absent from a caller whose market params'
   * struct_size is PERPCORE_MARKET_PARAMS_SIZE_V4 or older: no backstop,
   * loss policy ADL). */
  uint64_t backstop;             /* the backstop account's id; 0: none */
  int64_t backstop_threshold;    /* rate in [0, 1]: the backstop takes the
                                    whole position below this fraction of
                                    maintenance (default 2/3) */
  uint32_t loss_policy;          /* PERPCORE_LOSS_POLICY_*: what closes a
                                    bankrupt position the insurance fund
                                    cannot carry (default ADL) */
  uint32_t pad0;
} perpcore_liquidation_params;

/* What closes a bankrupt position whose loss the insurance fund cannot cover
 * (perpcore::liquidation::LossPolicy; perpcore/engine/engine.hpp
 * "Auto-deleveraging"): ADL, the positions on the other side in the
 * market's ADL ranking, at the target's bankruptcy price (DELEVERAGED
 * events); NONE, nothing: the book closes what it can and the shortfall
 * keeps the rest. Any other value is refused with
 * PERPCORE_REASON_LIQUIDATION_INVALID_LOSS_POLICY. */
enum {
  PERPCORE_LOSS_POLICY_ADL = 0,
  PERPCORE_LOSS_POLICY_NONE = 1
};

/* perpcore_market_params (input and output; struct_size).
 *
 * symbol: 1..24 of [A-Za-z0-9-_/.], NUL-terminated. tick size and lot size
 * are mantissa * 10^exponent (mantissa >= 1, exponent -18..18); one tick of
 * one lot must be a whole number of quote atoms. The bounds of every field
 * are those of perpcore::engine::MarketParams (perpcore/engine/types.hpp);
 * perpcore_market_params_check() names the first field out of range.
 * tiers[0..tier_count) are read; the rest ignored.
 * Appended in issue 11, every field after tiers (absent from a caller whose
 * struct_size is PERPCORE_MARKET_PARAMS_SIZE_V1, which gets the defaults):
 * the mark rules (impact_notional, mark_cap, max_mark_age_ns), how
 * positions in the market count toward withdrawals (stress_fraction, a rate
 * in [0, 1], default 10%; withdrawable_pnl, a PERPCORE_WITHDRAWABLE_PNL_*,
 * default CONSERVATIVE_PRICE) and the market-wide bounds
 * (max_matches_per_order, max_market_open_interest); see
 * perpcore/engine/types.hpp.
 * Appended in issue 12: funding (absent from a caller whose struct_size is
 * PERPCORE_MARKET_PARAMS_SIZE_V1 or _V2, which gets the funding defaults of
 * perpcore_market_params_init(): note that they are the premium model, not
 * MODEL_NONE). A change through perpcore_market_update() first closes the
 * running funding interval with the old parameters.
 * Appended in issue 13: liquidation (absent from a caller whose struct_size
 * is PERPCORE_MARKET_PARAMS_SIZE_V1, _V2 or _V3, which gets the liquidation
 * defaults of perpcore_market_params_init()). */
typedef struct perpcore_market_params {
  uint32_t struct_size;
  uint32_t max_leverage;
  char symbol[PERPCORE_SYMBOL_CAPACITY];
  int64_t tick_size_mantissa;
  int32_t tick_size_exponent;
  int32_t lot_size_exponent;
  int64_t lot_size_mantissa;
  int64_t max_order_size;    /* lots */
  int64_t max_open_interest; /* lots */
  int64_t max_price;         /* ticks */
  int64_t price_band;        /* rate; 0 = no band around the index */
  int64_t maker_fee;         /* rate; < 0 is a rebate */
  int64_t taker_fee;         /* rate */
  perpcore_oracle_config oracle;
  uint32_t max_orders_per_account;
  uint32_t max_levels_per_side;
  uint32_t max_book_orders;
  uint32_t tier_count;       /* 1..PERPCORE_MAX_TIERS */
  perpcore_margin_tier tiers[PERPCORE_MAX_TIERS];
  /* Appended after version 1 (PERPCORE_MARKET_PARAMS_SIZE_V1, 944 bytes): a
   * caller whose struct_size is the version-1 size gets their defaults
   * (perpcore_market_params_init()), and perpcore_market_params_get()
   * writes only what its struct_size covers. */
  /* The oracle's mark rules (perpcore::oracle::OracleConfig). */
  int64_t impact_notional;   /* quote atoms >= 1: the book enters the mark
                                only as the average price of this much */
  int64_t mark_cap;          /* rate in [0, 1): the mark stays within the
                                index +- this (0: the mark is the index) */
  int64_t max_mark_age_ns;   /* > 0: the index is unusable once the mark is
                                older (no refresh) */
  int64_t stress_fraction;   /* rate */
  uint32_t withdrawable_pnl; /* PERPCORE_WITHDRAWABLE_PNL_* */
  uint32_t max_matches_per_order;   /* resting orders one taker meets,
                                       1..100000; 0: the default, 1000 */
  int64_t max_market_open_interest; /* lots, the whole market's bound; 0: the
                                       largest within 2^54 atoms of notional,
                                       floor(2^54 / (max_price * atoms)) */
  /* Appended after version 2 (PERPCORE_MARKET_PARAMS_SIZE_V2, 992 bytes). */
  perpcore_funding_params funding;
  /* Appended after version 3 (PERPCORE_MARKET_PARAMS_SIZE_V3, 1160 bytes). */
  perpcore_liquidation_params liquidation;
} perpcore_market_params;

/* How much unrealized profit counts toward withdrawals (types.hpp,
 * WithdrawablePnl): at the more conservative of mark and TWAP, or none. */
enum {
  PERPCORE_WITHDRAWABLE_PNL_CONSERVATIVE_PRICE = 0,
  PERPCORE_WITHDRAWABLE_PNL_NONE = 1
};

/* perpcore_order (input; struct_size): a new order, for perpcore_order_place(),
 * perpcore_order_preview() and perpcore_order_cancel_replace().
 *
 * price: the limit price, or a market order's protection price. size > 0.
 * client_id: 0 = none, else unique per account among its live orders.
 * side/type/tif/stp: PERPCORE_SIDE_*, PERPCORE_ORDER_*, PERPCORE_TIF_*,
 * PERPCORE_STP_*. reduce_only: 0 or 1; a reduce-only order must be IOC/FOK. */
typedef struct perpcore_order {
  uint32_t struct_size;
  uint32_t market;
  uint64_t account;
  uint64_t order_id;
  uint64_t client_id;
  int64_t price; /* ticks */
  int64_t size;  /* lots */
  uint8_t side;
  uint8_t type;
  uint8_t tif;
  uint8_t stp;
  uint8_t reduce_only;
  uint8_t pad0[3]; /* ignored */
} perpcore_order;

/* perpcore_amend (input; struct_size): new price and new open size of a live
 * order. A smaller size at the same price keeps time priority. */
typedef struct perpcore_amend {
  uint32_t struct_size;
  uint32_t market;
  uint64_t account;
  uint64_t order_id;
  int64_t new_price; /* ticks */
  int64_t new_size;  /* lots, > 0 */
} perpcore_amend;

/* perpcore_result (output; frozen layout): the engine's answer to a command.
 * reason: PERPCORE_REASON_OK if applied, else why it was rejected.
 * event_count: the events it caused (0 if rejected); read them with
 * perpcore_engine_events(). filled / rested: for orders, the lots traded and
 * the lots left resting; 0 for other commands. */
typedef struct perpcore_result {
  uint32_t reason;
  uint32_t event_count;
  int64_t filled;
  int64_t rested;
} perpcore_result;

/* Events (output; frozen layouts). One thing a command caused, in order:
 * perpcore_event is a tagged union, `kind` (PERPCORE_EVENT_*) saying which
 * member of `as` is set; the rest of the union is zero. Every field means one
 * thing (perpcore/engine/events.hpp has the full description of each kind).
 * Prices in ticks, sizes and positions in lots (signed, + long), money in
 * quote atoms. The pad fields are zero. */

/* ORDER_RESTED: the incoming order (or its remainder) joined the book with
 * `size` open lots at `price`. */
typedef struct perpcore_event_order_rested {
  uint32_t market;
  uint32_t side; /* PERPCORE_SIDE_* */
  uint64_t account;
  uint64_t order_id;
  int64_t price;
  int64_t size;
} perpcore_event_order_rested;

/* One side of a FILL. remaining: the order's open lots after it; fee: what
 * the account paid (the taker's >= 0; a maker's < 0 is a rebate received);
 * position: its position after the fill; realized: the PnL it realized. */
typedef struct perpcore_fill_party {
  uint64_t account;
  uint64_t order_id;
  int64_t remaining;
  int64_t fee;
  int64_t position;
  int64_t realized;
  uint32_t side; /* PERPCORE_SIDE_* */
  uint32_t pad0;
} perpcore_fill_party;

/* FILL: the taker traded `size` lots at the maker's `price`. referrer: the
 * taker's referrer (0: none), paid referrer_fee out of the taker's fee. */
typedef struct perpcore_event_fill {
  uint32_t market;
  uint32_t pad0;
  int64_t price;
  int64_t size;
  perpcore_fill_party taker;
  perpcore_fill_party maker;
  uint64_t referrer;
  int64_t referrer_fee;
} perpcore_event_fill;

/* ORDER_CANCELED: `size` lots left the book without trading, for `reason`
 * (PERPCORE_CANCEL_*); remaining: the order's open lots after (0 but for a
 * MAX_FILL cut). */
typedef struct perpcore_event_order_canceled {
  uint32_t market;
  uint32_t side;   /* PERPCORE_SIDE_* */
  uint64_t account;
  uint64_t order_id;
  int64_t price;
  int64_t size;
  int64_t remaining;
  uint32_t reason; /* PERPCORE_CANCEL_* */
  uint32_t pad0;
} perpcore_event_order_canceled;

/* ORDER_REDUCED: self-trade prevention (decrement-and-cancel) took `size`
 * lots off the order; remaining: its open lots after. */
typedef struct perpcore_event_order_reduced {
  uint32_t market;
  uint32_t side; /* PERPCORE_SIDE_* */
  uint64_t account;
  uint64_t order_id;
  int64_t price;
  int64_t size;
  int64_t remaining;
} perpcore_event_order_reduced;

/* ORDER_AMENDED: the order rests at `price` with `remaining` open lots
 * (old_remaining before); priority_kept: 1 if it kept its queue place. */
typedef struct perpcore_event_order_amended {
  uint32_t market;
  uint32_t side; /* PERPCORE_SIDE_* */
  uint64_t account;
  uint64_t order_id;
  int64_t price;
  int64_t remaining;
  int64_t old_remaining;
  uint32_t priority_kept; /* 0 or 1 */
  uint32_t pad0;
} perpcore_event_order_amended;

/* DEPOSIT / WITHDRAWAL: `amount` into / out of the account's cross cash. */
typedef struct perpcore_event_cash {
  uint64_t account;
  int64_t amount;
} perpcore_event_cash;

/* TRANSFER: `amount` from one account's cross cash to another's. */
typedef struct perpcore_event_transfer {
  uint64_t from;
  uint64_t to;
  int64_t amount;
} perpcore_event_transfer;

/* ACCOUNT_CREATED. referrer 0: none. */
typedef struct perpcore_event_account_created {
  uint64_t account;
  uint64_t owner;
  uint64_t referrer;
  uint32_t fee_tier;
  uint32_t pad0;
} perpcore_event_account_created;

/* MARKET_CREATED / MARKET_UPDATED. */
typedef struct perpcore_event_market {
  uint32_t market;
} perpcore_event_market;

/* MARKET_STATUS_CHANGED: the new status. */
typedef struct perpcore_event_market_status {
  uint32_t market;
  uint32_t status; /* PERPCORE_MARKET_* */
} perpcore_event_market_status;

/* PRICE_UPDATE: the index or the mark changed. index 0: none; mark: the last
 * valid mark (0: never had one); twap: the index TWAP. */
typedef struct perpcore_event_price_update {
  uint32_t market;
  uint32_t pad0;
  int64_t index;
  int64_t mark;
  int64_t twap;
} perpcore_event_price_update;

/* CIRCUIT_BREAKER: the breaker tripped (tripped 1, with its cause) or
 * cleared (tripped 0). */
typedef struct perpcore_event_circuit_breaker {
  uint32_t market;
  uint32_t tripped; /* 0 or 1 */
  uint32_t cause;   /* PERPCORE_BREAKER_* */
} perpcore_event_circuit_breaker;

/* MARGIN_MODE_SET. */
typedef struct perpcore_event_margin_mode {
  uint32_t market;
  uint32_t mode; /* PERPCORE_MARGIN_* */
  uint64_t account;
} perpcore_event_margin_mode;

/* LEVERAGE_SET. */
typedef struct perpcore_event_leverage {
  uint32_t market;
  uint32_t leverage;
  uint64_t account;
} perpcore_event_leverage;

/* ISOLATED_MARGIN_CHANGED: `amount` moved from cross cash into the isolated
 * bucket (< 0: back), for `cause`: 0 the user (adjust_isolated_margin), 1 a
 * top-up after a fill, 2 the release of a closed position's bucket, 3 what
 * the bucket could spare toward its account's cross deficit after a
 * liquidation (before the insurance fund pays the rest). */
typedef struct perpcore_event_isolated_margin {
  uint32_t market;
  uint32_t cause;
  uint64_t account;
  int64_t amount;
} perpcore_event_isolated_margin;

/* FEE_TIER_SET. */
typedef struct perpcore_event_fee_tier {
  uint64_t account;
  uint32_t fee_tier;
  uint32_t pad0;
} perpcore_event_fee_tier;

/* INSURANCE_FUNDED: `amount` into the insurance fund from outside. */
typedef struct perpcore_event_insurance_funded {
  int64_t amount;
} perpcore_event_insurance_funded;

/* STP_SCOPE_SET. */
typedef struct perpcore_event_stp_scope {
  uint64_t account;
  uint32_t scope; /* PERPCORE_STP_SCOPE_* */
  uint32_t pad0;
} perpcore_event_stp_scope;

/* SOURCE_RETIRED: oracle source `source` of `market` was retired. */
typedef struct perpcore_event_source_retired {
  uint32_t market;
  uint32_t source;
} perpcore_event_source_retired;

/* FUNDING_RATE_SET: a funding interval [start_ns, end_ns) of `market`
 * closed (with intervals > 1: a run of equal ones that passed without a
 * tick). premium: its average premium; rate: its rate per period (both
 * rates, 1e18 = 1); price: the ticks it was paid at, 0 if unpaid (the index
 * was not usable). */
typedef struct perpcore_event_funding_rate_set {
  uint32_t market;
  uint32_t intervals;
  int64_t start_ns;
  int64_t end_ns;
  int64_t premium;
  int64_t rate;
  int64_t price;
} perpcore_event_funding_rate_set;

/* FUNDING_SETTLED: a position's accrued funding moved between its bucket and
 * the market's funding pool: amount > 0 the account paid, < 0 received. */
typedef struct perpcore_event_funding_settled {
  uint32_t market;
  uint32_t pad0;
  uint64_t account;
  int64_t amount;
} perpcore_event_funding_settled;

/* FUNDING_RESIDUAL: whole atoms of settlement rounding moved from the
 * market's funding pool to the engine's funding residual sink. */
typedef struct perpcore_event_funding_residual {
  uint32_t market;
  uint32_t pad0;
  int64_t amount;
} perpcore_event_funding_residual;

/* LIQUIDATION: a perpcore_engine_liquidate() closed `closed` lots (>= 0: the
 * book may hold fewer than it sent within the protection price) of
 * `account`'s position in `market` (its isolated bucket if isolated = 1,
 * else its cross account), sent as IOC order `order_id` (engine-chosen: bit
 * 63 set, from the command's seq; never resting) with protection price
 * `limit`; position: the position after (0: closed);
 * health: the target's PERPCORE_HEALTH_* before. closed_notional: the sum of
 * lots * price * atoms over its fills. The liquidated bucket paid `fee`;
 * keeper_fee of it went to the keeper's cross cash, the rest to the
 * insurance fund. */
typedef struct perpcore_event_liquidation {
  uint32_t market;
  uint32_t health; /* PERPCORE_HEALTH_* */
  uint64_t account;
  uint64_t keeper;
  uint64_t order_id;
  uint32_t isolated; /* 0 or 1 */
  uint32_t pad0;
  int64_t closed;   /* lots */
  int64_t position; /* lots */
  int64_t limit;    /* ticks */
  int64_t closed_notional;
  int64_t fee;
  int64_t keeper_fee;
} perpcore_event_liquidation;

/* INSURANCE_COVER: the insurance fund paid `amount` (> 0) into the bucket of
 * `account` (its isolated bucket in `market`, or its cross cash for market
 * 0) that a liquidation left below zero with nothing left to close. */
typedef struct perpcore_event_insurance_cover {
  uint32_t market;
  uint32_t pad0;
  uint64_t account;
  int64_t amount;
} perpcore_event_insurance_cover;

/* SHORTFALL: the shortfall bucket (perpcore_engine_shortfall()) grew by
 * `amount` > 0, what a liquidated bucket of `account` still lacked once the
 * insurance fund was empty (the bucket set to zero); or shrank by -amount
 * (amount < 0, account 0) when money paid into the insurance fund covered
 * it. */
typedef struct perpcore_event_shortfall {
  uint32_t market;
  uint32_t pad0;
  uint64_t account;
  int64_t amount;
} perpcore_event_shortfall;

/* MARGIN_WARNING: the cross account of `account` (market 0) or its isolated
 * bucket in `market` became warning or worse (set 1: its equity reached its
 * warning margin, or it is liquidatable or bankrupt) or healthy again (set
 * 0). Once per crossing; equity and maintenance in quote atoms at the moment
 * it was detected: at the end of a command that changed it, or of a price
 * or time tick of its market (perpcore/engine/engine.hpp "Margin
 * warnings"). */
typedef struct perpcore_event_margin_warning {
  uint32_t market;
  uint32_t set;
  uint64_t account;
  int64_t equity;
  int64_t maintenance;
} perpcore_event_margin_warning;

/* POSITION_SETTLED: the final settlement of delisted `market` closed
 * `account`'s position of `size` lots (signed: the position before) at
 * `price` ticks, realizing `realized` quote atoms; isolated 1: its bucket
 * was isolated (perpcore/engine/engine.hpp "Final settlement";
 * perpcore_engine_settle_market()). */
typedef struct perpcore_event_position_settled {
  uint32_t market;
  uint32_t isolated;
  uint64_t account;
  int64_t size;
  int64_t price;
  int64_t realized;
} perpcore_event_position_settled;

/* MARKET_SETTLED: every position of delisted `market` is closed at
 * `price` ticks; the market is settled (final). */
typedef struct perpcore_event_market_settled {
  uint32_t market;
  uint32_t pad0;
  int64_t price;
} perpcore_event_market_settled;

/* BACKSTOP_TAKEOVER: a liquidation moved `size` lots of `account`'s position
 * in `market` (signed as that position: > 0 a long) to the market's backstop
 * account `backstop` at the mark `price` ticks, off the book and with no
 * fee, and `equity` quote atoms from the target's bucket to the backstop's
 * cross cash (< 0: the backstop paid them in); `position` is the target's
 * position left, `backstop_position` the backstop's after; isolated 1: the
 * target's position was isolated (perpcore/engine/engine.hpp "Backstop
 * takeover"). */
typedef struct perpcore_event_backstop_takeover {
  uint32_t market;
  uint32_t isolated;
  uint64_t account;
  uint64_t backstop;
  int64_t size;
  int64_t price;
  int64_t equity;
  int64_t position;
  int64_t backstop_position;
} perpcore_event_backstop_takeover;

/* DELEVERAGED: a liquidation closed `size` lots of bankrupt `account`'s
 * position in `market` (signed as that position: > 0 a long) against
 * `counterparty`'s opposite position, the next in the market's ADL ranking,
 * at the mark `price` ticks, off the book and with no fee, and `equity`
 * quote atoms (<= 0: the counterparty paid them) from the target's bucket
 * to the counterparty's, so that the trade is at the target's bankruptcy
 * price exactly; `position` is the target's position left,
 * `counterparty_position` the counterparty's after; isolated 1: the
 * target's position was isolated (perpcore/engine/engine.hpp
 * "Auto-deleveraging"). */
typedef struct perpcore_event_deleveraged {
  uint32_t market;
  uint32_t isolated;
  uint64_t account;
  uint64_t counterparty;
  int64_t size;
  int64_t price;
  int64_t equity;
  int64_t position;
  int64_t counterparty_position;
} perpcore_event_deleveraged;

typedef struct perpcore_event {
  uint32_t kind; /* PERPCORE_EVENT_*: which member of `as` is set */
  uint32_t pad0;
  union {
    perpcore_event_order_rested order_rested;       /* ORDER_RESTED */
    perpcore_event_fill fill;                       /* FILL */
    perpcore_event_order_canceled order_canceled;   /* ORDER_CANCELED */
    perpcore_event_order_reduced order_reduced;     /* ORDER_REDUCED */
    perpcore_event_order_amended order_amended;     /* ORDER_AMENDED */
    perpcore_event_cash cash;                       /* DEPOSIT, WITHDRAWAL */
    perpcore_event_transfer transfer;               /* TRANSFER */
    perpcore_event_account_created account_created; /* ACCOUNT_CREATED */
    perpcore_event_market market;                   /* MARKET_CREATED, MARKET_UPDATED */
    perpcore_event_market_status market_status;     /* MARKET_STATUS_CHANGED */
    perpcore_event_price_update price_update;       /* PRICE_UPDATE */
    perpcore_event_circuit_breaker circuit_breaker; /* CIRCUIT_BREAKER */
    perpcore_event_margin_mode margin_mode;         /* MARGIN_MODE_SET */
    perpcore_event_leverage leverage;               /* LEVERAGE_SET */
    perpcore_event_isolated_margin isolated_margin; /* ISOLATED_MARGIN_CHANGED */
    perpcore_event_fee_tier fee_tier;               /* FEE_TIER_SET */
    perpcore_event_insurance_funded insurance;      /* INSURANCE_FUNDED */
    perpcore_event_stp_scope stp_scope;             /* STP_SCOPE_SET */
    perpcore_event_source_retired source_retired;   /* SOURCE_RETIRED */
    perpcore_event_funding_rate_set funding_rate;   /* FUNDING_RATE_SET */
    perpcore_event_funding_settled funding_settled; /* FUNDING_SETTLED */
    perpcore_event_funding_residual funding_residual; /* FUNDING_RESIDUAL */
    perpcore_event_liquidation liquidation;         /* LIQUIDATION */
    perpcore_event_insurance_cover insurance_cover; /* INSURANCE_COVER */
    perpcore_event_shortfall shortfall;             /* SHORTFALL */
    perpcore_event_margin_warning margin_warning;   /* MARGIN_WARNING */
    perpcore_event_position_settled position_settled; /* POSITION_SETTLED */
    perpcore_event_market_settled market_settled;   /* MARKET_SETTLED */
    perpcore_event_backstop_takeover backstop_takeover; /* BACKSTOP_TAKEOVER */
    perpcore_event_deleveraged deleveraged;         /* DELEVERAGED */
  } as;
} perpcore_event;

/* perpcore_level (output; frozen layout): one aggregated price level.
 * price 0 = no level. */
typedef struct perpcore_level {
  int64_t price; /* ticks */
  int64_t total; /* lots */
  uint32_t orders;
  uint32_t pad0;
} perpcore_level;

/* perpcore_position (output; frozen layout): one position record of an
 * account (a position, or only open orders, in a market; a market with
 * neither has no record, whatever margin mode or leverage was set there).
 * value = size * mark * atoms_per_tick_lot; cost = the signed entry value;
 * unrealized_pnl = value - cost; realized_pnl = what reducing the current
 * position realized since it opened (0 without one; the fill that closes
 * or flips it reports its PnL in its event); isolated_equity for isolated
 * positions;
 * liquidation_price 0: none (long) or always (short, with
 * liquidation_always = 1). */
typedef struct perpcore_position {
  uint32_t market;
  uint32_t mode;     /* PERPCORE_MARGIN_* */
  uint32_t leverage;
  uint32_t open_orders;
  int64_t size;      /* lots */
  int64_t entry_price;
  int64_t mark;
  int64_t value;
  int64_t cost;
  int64_t unrealized_pnl;
  int64_t realized_pnl;
  int64_t initial_requirement;
  int64_t maintenance_requirement;
  int64_t isolated_equity;
  int64_t liquidation_price;
  uint32_t liquidation_tier;
  uint32_t liquidation_always;
  int64_t open_bid_lots;
  int64_t open_ask_lots;
} perpcore_position;

/* perpcore_open_order (output; frozen layout): one live order. */
typedef struct perpcore_open_order {
  uint32_t market;
  uint32_t side; /* PERPCORE_SIDE_* */
  uint64_t order_id;
  uint64_t account;
  uint64_t client_id;
  int64_t price;
  int64_t remaining;
  uint64_t priority; /* arrival stamp: smaller is earlier in its queue */
} perpcore_open_order;

/* perpcore_account_summary (output; struct_size). Cross margin:
 * collateral = cross cash + cost of cross positions; equity = collateral +
 * unrealized_pnl; initial_with_orders adds the worst case of open orders
 * and what isolated positions may draw; free_collateral = exactly what
 * perpcore_account_withdraw() accepts now (the withdrawal rule of
 * perpcore/engine/engine.hpp, "Withdrawals": profit only as far as the TWAP
 * backs it, 10% of the notional kept, at most what the engine holds), at
 * most max(0, equity - initial_with_orders); margin_ratio = maintenance / equity
 * as a rate, rounded up (INT64_MAX when equity <= 0 with a requirement).
 * position_count: the records perpcore_account_positions() returns.
 * pending_funding (appended in issue 12; absent from a caller whose
 * struct_size is PERPCORE_ACCOUNT_SUMMARY_SIZE_V1): the sum of the cross
 * positions' funding accrued since they were last settled, > 0 owed by the
 * account, < 0 owed to it (already counted in equity and free_collateral).
 * Appended in issue 13 (absent from a caller whose struct_size is
 * PERPCORE_ACCOUNT_SUMMARY_SIZE_V1 or _V2), liquidation's view of the cross
 * account (perpcore/engine/engine.hpp, "Liquidation"): health_equity is
 * cross cash plus the cross positions at the mark less their pending funding
 * (never stressed values); liquidation_buffer = health_equity -
 * maintenance_requirement (< 0: liquidatable); health a PERPCORE_HEALTH_*
 * (its warning margin: each cross position's maintenance over its market's
 * warning_threshold, summed);
 * liquidatable is 1 iff health is LIQUIDATABLE or BANKRUPT. */
typedef struct perpcore_account_summary {
  uint32_t struct_size;
  uint32_t fee_tier;
  uint64_t account;
  uint64_t owner;
  uint64_t referrer;
  int64_t cash;
  int64_t collateral;
  int64_t unrealized_pnl;
  int64_t equity;
  int64_t initial_requirement;
  int64_t initial_with_orders;
  int64_t maintenance_requirement;
  int64_t free_collateral;
  int64_t margin_ratio; /* rate */
  uint32_t liquidatable; /* 0 or 1 */
  uint32_t position_count;
  /* Appended after version 1 (PERPCORE_ACCOUNT_SUMMARY_SIZE_V1, 112 bytes). */
  int64_t pending_funding; /* atoms */
  /* Appended after version 2 (PERPCORE_ACCOUNT_SUMMARY_SIZE_V2, 120 bytes). */
  int64_t health_equity;      /* atoms */
  int64_t liquidation_buffer; /* atoms */
  uint32_t health;            /* PERPCORE_HEALTH_* */
  uint32_t pad0;
} perpcore_account_summary;

/* perpcore_liquidation_candidate (output; frozen layout): one answer of
 * perpcore_engine_liquidatable(): the cross account (market 0) or the
 * isolated bucket in `market` of `account`, its health (LIQUIDATABLE or
 * BANKRUPT), equity at the mark and maintenance requirement (equity <
 * maintenance). */
typedef struct perpcore_liquidation_candidate {
  uint64_t account;
  uint32_t market; /* 0: the cross account */
  uint32_t health; /* PERPCORE_HEALTH_* */
  int64_t equity;      /* atoms */
  int64_t maintenance; /* atoms */
} perpcore_liquidation_candidate;

/* perpcore_adl_rank (output; struct_size): where a position stands in its
 * market's auto-deleveraging ranking at the current mark
 * (perpcore_engine_adl_rank(); perpcore/engine/engine.hpp
 * "Auto-deleveraging", perpcore/liquidation/adl_queue.hpp): `rank`
 * positions of its side come before it (0: the first to be deleveraged) of
 * `count` on that side, itself included; `bucket` is its light, 4 for the
 * first fifth of the side down to 0 for the last, 4 - floor(5 * rank /
 * count) (Binance's adlQuantile). */
typedef struct perpcore_adl_rank {
  uint32_t struct_size;
  uint32_t bucket; /* 0..4 */
  uint64_t rank;
  uint64_t count;
} perpcore_adl_rank;

/* perpcore_market_stats (output; struct_size). Prices 0 = none.
 * funding_index and funding_rate (appended in issue 12; absent from a caller
 * whose struct_size is PERPCORE_MARKET_STATS_SIZE_V1): the market's
 * cumulative funding index (atoms per lot * 1e18) and the funding rate per
 * period in effect (continuous payment) or set at the last interval close
 * (perpcore_funding_view has the rest).
 * Appended in issue 14 (absent from a caller whose struct_size is
 * PERPCORE_MARKET_STATS_SIZE_V1 or _V2), the final settlement of a delisted
 * market (perpcore_engine_settle_market()): settlement, a
 * PERPCORE_SETTLEMENT_*; settlement_price, the ticks every position closes
 * at once it has started (0 before); settlement_pool, what the positions
 * closed so far received from (< 0) or paid into the settlement: exactly
 * (open_interest_long - open_interest_short) * settlement_price *
 * atoms_per_tick_lot while settling, 0 before and after. */
typedef struct perpcore_market_stats {
  uint32_t struct_size;
  uint32_t market;
  char symbol[PERPCORE_SYMBOL_CAPACITY];
  uint32_t status;        /* PERPCORE_MARKET_* */
  uint32_t breaker;       /* 0 or 1: tripped */
  uint32_t breaker_cause; /* PERPCORE_BREAKER_* */
  uint32_t fresh_sources;
  int64_t atoms_per_tick_lot;
  int64_t index;
  int64_t mark;  /* the last valid mark */
  int64_t twap;
  int64_t last_trade;
  int64_t open_interest_long;
  int64_t open_interest_short;
  int64_t volume;          /* lots */
  int64_t notional_volume; /* atoms, saturating */
  perpcore_level best_bid;
  perpcore_level best_ask;
  int64_t index_usable_until_ns; /* the last time the index may be used: later
                                    commands that rely on it are refused with
                                    INDEX_STALE until a price or a tick; -1:
                                    no index */
  /* Appended after version 1 (PERPCORE_MARKET_STATS_SIZE_V1, 184 bytes). */
  perpcore_i128 funding_index;
  int64_t funding_rate; /* rate */
  /* Appended after version 2 (PERPCORE_MARKET_STATS_SIZE_V2, 208 bytes). */
  uint32_t settlement; /* PERPCORE_SETTLEMENT_* */
  uint32_t pad0;
  int64_t settlement_price;      /* ticks */
  perpcore_i128 settlement_pool; /* atoms */
} perpcore_market_stats;

/* perpcore_preview (output; struct_size): what an order would do now. */
typedef struct perpcore_preview {
  uint32_t struct_size;
  uint32_t reason;          /* what placing it would answer (margin, limits) */
  int64_t fill_size;        /* lots */
  int64_t average_price;    /* ticks, half-even; 0 if nothing fills */
  int64_t fill_notional;    /* atoms */
  int64_t slippage;         /* rate: |average - mid| / mid, rounded up */
  int64_t fee;              /* the taker fee on fill_notional */
  int64_t rest_size;        /* lots that would rest */
  int64_t resulting_position;
  int64_t resulting_equity; /* cross, or the isolated bucket's */
  int64_t resulting_margin_ratio;
  int64_t resulting_liquidation_price;
  uint32_t resulting_liquidation_tier;
  uint32_t resulting_liquidation_always;
} perpcore_preview;

/* perpcore_funding_view (output; struct_size): a market's funding
 * (perpcore::engine::FundingView). index: the cumulative funding index,
 * atoms per lot * 1e18 (a position of `size` lots settled at index I0 owes
 * ceil((index - I0) * size / 1e18) atoms). rate: the rate per period in
 * effect (continuous payment) or set at the last close (interval-end);
 * predicted_rate: what the running interval would close with now (premium
 * model: its samples so far; skew models: the skew now). last_sample,
 * running_premium, samples: the premium model's latest sample, the running
 * interval's average so far and their count. skew: (L - S) / (L + S) of the
 * open interest without the counterparty (0 without one). pool: what the
 * market's funding pool holds (negative when receivers settled first);
 * residual_carry: sub-atom settlement rounding not yet moved to the
 * residual sink (index units, < 1e18). history_count: the closed intervals
 * perpcore_market_funding_history() returns (at most
 * PERPCORE_FUNDING_HISTORY). Rates at PERPCORE_RATE_SCALE. */
typedef struct perpcore_funding_view {
  uint32_t struct_size;
  uint32_t market;
  uint32_t model; /* PERPCORE_FUNDING_MODEL_* */
  uint32_t samples;
  perpcore_i128 index;
  int64_t rate;
  int64_t predicted_rate;
  int64_t last_sample;
  int64_t running_premium;
  int64_t interval_start_ns;
  int64_t interval_end_ns;
  int64_t skew;
  perpcore_i128 pool; /* atoms */
  int64_t residual_carry;
  uint32_t history_count;
  uint32_t pad0;
} perpcore_funding_view;

/* perpcore_funding_rate (output; frozen layout): one closed funding interval
 * [start_ns, end_ns) of a market, or a run of `intervals` equal ones that
 * passed without a tick (premium 0, the same rate; end_ns the last one's
 * end). premium: its average premium (premium model); rate: its rate per
 * period; price: the ticks it was paid at, 0 if unpaid (the index was not
 * usable); index_delta: the index move it caused (interval-end payment; 0
 * for continuous payment, whose index moves between closes). */
typedef struct perpcore_funding_rate {
  int64_t start_ns;
  int64_t end_ns;
  uint32_t intervals;
  uint32_t pad0;
  int64_t premium; /* rate */
  int64_t rate;    /* rate */
  int64_t price;   /* ticks */
  perpcore_i128 index_delta;
} perpcore_funding_rate;

/* The closed intervals a market keeps (perpcore::funding::kHistory). */
#define PERPCORE_FUNDING_HISTORY 32

/* The struct sizes, identical on every ABI: version 1 unless noted. The
 * engine config and market params grew in issue 11 (fields appended), the
 * market params, account summary and market stats in issue 12, the market
 * params and the account summary (again) in issue 13, the market stats
 * and the market params' liquidation (the backstop and the loss policy) in
 * issue 14; a caller
 * built against an older header passes that version's size, and the library
 * reads (and writes) only what that size covers. Sizes between the versions
 * are refused (PERPCORE_E_STRUCT_SIZE). */
#define PERPCORE_ENGINE_CONFIG_SIZE_V1 168u
#define PERPCORE_MARKET_PARAMS_SIZE_V1 944u
#define PERPCORE_MARKET_PARAMS_SIZE_V2 992u
#define PERPCORE_MARKET_PARAMS_SIZE_V3 1160u
#define PERPCORE_MARKET_PARAMS_SIZE_V4 1240u
#define PERPCORE_ACCOUNT_SUMMARY_SIZE_V1 112u
#define PERPCORE_ACCOUNT_SUMMARY_SIZE_V2 120u
#define PERPCORE_MARKET_STATS_SIZE_V1 184u
#define PERPCORE_MARKET_STATS_SIZE_V2 208u
PERPCORE_STATIC_ASSERT(sizeof(perpcore_engine_config) == 176, engine_config_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_margin_tier) == 24, margin_tier_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_oracle_config) == 48, oracle_config_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_i128) == 16, i128_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_funding_params) == 168, funding_params_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_liquidation_params) == 104, liquidation_params_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_market_params) == 1264, market_params_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_order) == 56, order_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_amend) == 40, amend_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_result) == 24, result_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_order_rested) == 40, event_order_rested_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_fill_party) == 56, fill_party_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_fill) == 152, event_fill_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_order_canceled) == 56, event_order_canceled_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_order_reduced) == 48, event_order_reduced_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_order_amended) == 56, event_order_amended_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_cash) == 16, event_cash_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_transfer) == 24, event_transfer_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_account_created) == 32, event_account_created_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_market) == 4, event_market_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_market_status) == 8, event_market_status_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_price_update) == 32, event_price_update_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_circuit_breaker) == 12, event_circuit_breaker_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_margin_mode) == 16, event_margin_mode_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_leverage) == 16, event_leverage_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_isolated_margin) == 24, event_isolated_margin_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_fee_tier) == 16, event_fee_tier_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_insurance_funded) == 8, event_insurance_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_stp_scope) == 16, event_stp_scope_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_source_retired) == 8, event_source_retired_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_funding_rate_set) == 48, event_funding_rate_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_funding_settled) == 24, event_funding_settled_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_funding_residual) == 16, event_funding_residual_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_liquidation) == 88, event_liquidation_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_insurance_cover) == 24, event_insurance_cover_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_shortfall) == 24, event_shortfall_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_position_settled) == 40,
                       event_position_settled_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_market_settled) == 16, event_market_settled_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_backstop_takeover) == 64,
                       event_backstop_takeover_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event_deleveraged) == 64, event_deleveraged_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event) == 160, event_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_level) == 24, level_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_position) == 128, position_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_open_order) == 56, open_order_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_account_summary) == 144, account_summary_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_liquidation_candidate) == 32, liquidation_candidate_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_adl_rank) == 24, adl_rank_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_market_stats) == 240, market_stats_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_funding_view) == 120, funding_view_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_funding_rate) == 64, funding_rate_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_preview) == 96, preview_size);

/* ------------------------------------------------------------------------- */
/* Struct initializers (static inline: struct_size is this header's size)    */
/* ------------------------------------------------------------------------- */

/* perpcore_engine_config_init(): the defaults (6 quote decimals, one fee
 * tier without discount, no referrer share, 256 markets, 2^20 accounts,
 * withdraw_margin_fraction 10%).
 * NULL is ignored. */
static inline void perpcore_engine_config_init(perpcore_engine_config *c) {
  if (!c) return;
  memset(c, 0, sizeof *c);
  c->struct_size = PERPCORE_U32(sizeof *c);
  c->quote_decimals = 6;
  c->max_markets = 256;
  c->max_accounts = UINT32_C(1) << 20;
  c->hash_seed = UINT64_C(0x70657270656e6731);
  c->fee_tier_count = 1;
  c->withdraw_margin_fraction = PERPCORE_RATE_SCALE / 10;
}

/* perpcore_market_params_init(): the defaults of
 * perpcore::engine::MarketParams: "BTC-USD", tick 0.1, lot 0.001, one tier
 * (20x, 1% maintenance), maker 1 bp, taker 5 bp, a 5% price band, one
 * oracle source, a 1% source tolerance, 60 s staleness, 30 min TWAP, 5 min
 * basis, impact notional 1e10 atoms (10,000 quote units at 6 decimals), a
 * 2% mark cap, 60 s mark age; funding as perpcore_funding_params
 * describes (the premium model, 8-hour intervals); liquidation as
 * perpcore_liquidation_params describes. NULL is ignored.
 * Limits: max_open_interest * max_price * atoms_per_tick_lot must not
 * exceed 2^54; the defaults (1e6 lots, 1e8 ticks, 100 atoms at 6 quote
 * decimals) give 1e16, inside it. */
static inline void perpcore_market_params_init(perpcore_market_params *p) {
  if (!p) return;
  memset(p, 0, sizeof *p);
  p->struct_size = PERPCORE_U32(sizeof *p);
  memcpy(p->symbol, "BTC-USD", 8);
  p->tick_size_mantissa = 1;
  p->tick_size_exponent = -1;
  p->lot_size_mantissa = 1;
  p->lot_size_exponent = -3;
  p->max_order_size = 1000000;
  p->max_open_interest = 1000000;
  p->max_price = 100000000;
  p->price_band = PERPCORE_RATE_SCALE / 20;
  p->max_leverage = 20;
  p->tier_count = 1;
  p->tiers[0].notional_floor = 0;
  p->tiers[0].max_leverage = 20;
  p->tiers[0].maintenance_rate = PERPCORE_RATE_SCALE / 100;
  p->maker_fee = PERPCORE_RATE_SCALE / 10000;
  p->taker_fee = 5 * (PERPCORE_RATE_SCALE / 10000);
  p->oracle.staleness_ns = INT64_C(60000000000);
  p->oracle.min_sources = 1;
  p->oracle.max_source_deviation = PERPCORE_RATE_SCALE / 100;
  p->oracle.max_twap_deviation = 0;
  p->oracle.twap_window_ns = INT64_C(1800000000000);
  p->oracle.basis_window_ns = INT64_C(300000000000);
  p->max_orders_per_account = 200;
  p->max_levels_per_side = 10000;
  p->max_book_orders = UINT32_C(1) << 22;
  p->impact_notional = INT64_C(10000000000);
  p->mark_cap = PERPCORE_RATE_SCALE / 50;
  p->max_mark_age_ns = INT64_C(60000000000);
  p->stress_fraction = PERPCORE_RATE_SCALE / 10;
  p->withdrawable_pnl = PERPCORE_WITHDRAWABLE_PNL_CONSERVATIVE_PRICE;
  p->max_market_open_interest = 0;
  p->max_matches_per_order = 1000;
  p->funding.model = PERPCORE_FUNDING_MODEL_PREMIUM;
  p->funding.payment = PERPCORE_FUNDING_PAYMENT_INTERVAL_END;
  p->funding.price = PERPCORE_FUNDING_PRICE_INDEX;
  p->funding.weighting = PERPCORE_FUNDING_WEIGHTING_EQUAL;
  p->funding.cap_mode = PERPCORE_FUNDING_CAP_FIXED;
  p->funding.interval_ns = INT64_C(28800000000000);
  p->funding.period_ns = INT64_C(28800000000000);
  p->funding.sample_cadence_ns = INT64_C(60000000000);
  p->funding.impact_notional = INT64_C(10000000000);
  p->funding.interest = PERPCORE_RATE_SCALE / 10000;
  p->funding.interest_band = 5 * (PERPCORE_RATE_SCALE / 10000);
  p->funding.cap = 75 * (PERPCORE_RATE_SCALE / 10000);
  p->funding.floor = -75 * (PERPCORE_RATE_SCALE / 10000);
  p->funding.cap_multiple = 6 * PERPCORE_RATE_SCALE;
  p->funding.counterparty = 0;
  p->funding.skew_kappa = PERPCORE_RATE_SCALE / 100;
  p->funding.skew_factor = 0;
  p->funding.skew_exponent = PERPCORE_RATE_SCALE;
  p->funding.skew_max = PERPCORE_RATE_SCALE / 100;
  p->liquidation.warning_threshold = 8 * (PERPCORE_RATE_SCALE / 10);
  p->liquidation.fee = 15 * (PERPCORE_RATE_SCALE / 1000);
  p->liquidation.keeper_share = 5 * (PERPCORE_RATE_SCALE / 100);
  p->liquidation.buffer = PERPCORE_RATE_SCALE / 10;
  p->liquidation.chunk_threshold = INT64_C(100000000000);
  p->liquidation.chunk_fraction = 2 * (PERPCORE_RATE_SCALE / 10);
  p->liquidation.cooldown_ns = INT64_C(30000000000);
  p->liquidation.bankruptcy_adjustment = PERPCORE_RATE_SCALE;
  p->liquidation.spread_to_maintenance = 15 * (PERPCORE_RATE_SCALE / 10);
  p->liquidation.max_notional_per_command = INT64_C(100000000000);
  p->liquidation.backstop = 0;
  p->liquidation.backstop_threshold = 2 * (PERPCORE_RATE_SCALE / 3);
  p->liquidation.loss_policy = PERPCORE_LOSS_POLICY_ADL;
}

/* perpcore_order_init(): zero (a GTC limit buy, cancel-maker STP, not
 * reduce-only) with struct_size set. NULL is ignored. */
static inline void perpcore_order_init(perpcore_order *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->struct_size = PERPCORE_U32(sizeof *o);
}

/* The other struct_size structs: zero with struct_size set. NULL is ignored. */
static inline void perpcore_amend_init(perpcore_amend *a) {
  if (!a) return;
  memset(a, 0, sizeof *a);
  a->struct_size = PERPCORE_U32(sizeof *a);
}
static inline void perpcore_account_summary_init(perpcore_account_summary *s) {
  if (!s) return;
  memset(s, 0, sizeof *s);
  s->struct_size = PERPCORE_U32(sizeof *s);
}
static inline void perpcore_market_stats_init(perpcore_market_stats *s) {
  if (!s) return;
  memset(s, 0, sizeof *s);
  s->struct_size = PERPCORE_U32(sizeof *s);
}
static inline void perpcore_funding_view_init(perpcore_funding_view *v) {
  if (!v) return;
  memset(v, 0, sizeof *v);
  v->struct_size = PERPCORE_U32(sizeof *v);
}
static inline void perpcore_preview_init(perpcore_preview *p) {
  if (!p) return;
  memset(p, 0, sizeof *p);
  p->struct_size = PERPCORE_U32(sizeof *p);
}
static inline void perpcore_adl_rank_init(perpcore_adl_rank *r) {
  if (!r) return;
  memset(r, 0, sizeof *r);
  r->struct_size = PERPCORE_U32(sizeof *r);
}

/* ------------------------------------------------------------------------- */
/* Engine lifetime and configuration                                         */
/* ------------------------------------------------------------------------- */

/* perpcore_engine_config_check()
 *
 * Validates a configuration without creating anything. msg (may be NULL if
 * msg_len is 0) receives a NUL-terminated description of the first field
 * out of range, truncated to msg_len - 1 characters ("" when valid).
 * Returns PERPCORE_OK if valid; PERPCORE_E_CONFIG if a field is out of range;
 * PERPCORE_E_RANGE if fee_tier_count is above PERPCORE_MAX_FEE_TIERS;
 * PERPCORE_E_ILLEGAL_ARG if config is NULL, or msg is NULL with msg_len > 0;
 * PERPCORE_E_STRUCT_SIZE. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_config_check(
    char *msg, size_t msg_len, const perpcore_engine_config *config) PERPCORE_NOEXCEPT;

/* perpcore_engine_create()
 *
 * A new, empty engine in *out (last_seq 0, time 0). config NULL means the
 * defaults of perpcore_engine_config_init(). Destroy it with
 * perpcore_engine_destroy(). *out is set to NULL first, and stays NULL on
 * any failure.
 * Returns PERPCORE_OK; PERPCORE_E_ILLEGAL_ARG if out is NULL;
 * PERPCORE_E_STRUCT_SIZE; PERPCORE_E_RANGE (fee_tier_count); PERPCORE_E_CONFIG
 * for a configuration out of range (perpcore_engine_config_check() says which
 * field); PERPCORE_E_INTERNAL
 * when out of memory. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_create(
    perpcore_engine **out, const perpcore_engine_config *config) PERPCORE_NOEXCEPT;

/* perpcore_engine_destroy()
 *
 * Frees the engine. NULL is a no-op. The handle is invalid afterwards:
 * using it is undefined behaviour. As a best-effort diagnostic, every
 * function checks a magic number kept in the handle (cleared by destroy)
 * and returns PERPCORE_E_BAD_HANDLE when it does not match, which catches a
 * pointer to something that is not an engine and, often but not reliably,
 * a destroyed one. A handle whose magic does not match is not freed, nor
 * is an engine another call is inside right now (see "Thread safety": it
 * stays live, so that call finishes safely, and it is the host's to
 * destroy later). */
PERPCORE_API void perpcore_engine_destroy(perpcore_engine *eng) PERPCORE_NOEXCEPT;

/* perpcore_engine_config_get()
 *
 * The engine's configuration, into *out (output; struct_size set by the
 * caller, filled up to it).
 * Returns PERPCORE_OK; PERPCORE_E_ILLEGAL_ARG (NULL eng or out);
 * PERPCORE_E_BAD_HANDLE; PERPCORE_E_STRUCT_SIZE (nothing written). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_config_get(
    const perpcore_engine *eng, perpcore_engine_config *out) PERPCORE_NOEXCEPT;

/* perpcore_engine_last_error()
 *
 * Copies into buf (NUL-terminated, truncated to len - 1 characters) the
 * message of the last call on this engine that failed with a negative
 * status ("" if none), e.g. "perpcore_order_place: out is NULL". For
 * diagnostics only; it is not part of the engine's state or digest.
 * A PERPCORE_E_MISUSE is not recorded: the message belongs to the call in
 * progress.
 * Returns PERPCORE_OK; PERPCORE_E_ILLEGAL_ARG if eng is NULL or buf is NULL
 * with len > 0; PERPCORE_E_BAD_HANDLE; PERPCORE_E_MISUSE ("" in buf). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_last_error(
    const perpcore_engine *eng, char *buf, size_t len) PERPCORE_NOEXCEPT;

/* ------------------------------------------------------------------------- */
/* Commands                                                                  */
/*                                                                           */
/* Every command takes (eng, out, seq, timestamp_ns, ...inputs). The engine */
/* processes a command when seq is its last_seq + 1 and timestamp_ns is not  */
/* before its time; processing consumes the seq and takes the time whether   */
/* the command is accepted or rejected, so seq is the index of the host's    */
/* input log. Otherwise nothing changes and the status says why:             */
/*   PERPCORE_E_ALREADY_APPLIED  seq <= last_seq (a redelivered command);    */
/*   PERPCORE_E_SEQUENCE_GAP     seq > last_seq + 1;                         */
/*   PERPCORE_E_TIME_WENT_BACK   timestamp_ns before the engine's time.      */
/*                                                                           */
/* Returns PERPCORE_OK when the engine processed the command, accepted      */
/* (out->reason == PERPCORE_REASON_OK) or rejected (out->reason says why; a  */
/* rejected command changes nothing but last_seq and the time).              */
/* Misuse returns, with *out zeroed and the engine unchanged (its events     */
/* stay those of the previous command):                                      */
/*   PERPCORE_E_ILLEGAL_ARG  eng or out or a required input NULL, or a value  */
/*                           that is not an enumerator of this header;       */
/*   PERPCORE_E_BAD_HANDLE   eng is not a live engine;                       */
/*   PERPCORE_E_MISUSE       another call is inside eng (see "Thread         */
/*                           safety"): not processed, nothing changed, the   */
/*                           seq not consumed;                               */
/*   PERPCORE_E_STRUCT_SIZE  an input struct's struct_size is invalid;       */
/*   PERPCORE_E_RANGE        tier_count above PERPCORE_MAX_TIERS;            */
/*   PERPCORE_E_INTERNAL     out of memory. A command that fails this way    */
/*                           may have been applied in part: the engine then  */
/*                           refuses further commands (PERPCORE_E_POISONED); */
/*                           queries and destroy still work.                 */
/* ------------------------------------------------------------------------- */

/* perpcore_market_create() / perpcore_market_update()
 *
 * A new market `market` (id != 0) with `params`, or new parameters for an
 * existing one (tick size, lot size and the book limits cannot change:
 * PARAM_IMMUTABLE). Parameters out of range are rejected with
 * INVALID_MARKET_PARAMS. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_market_create(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market, const perpcore_market_params *params) PERPCORE_NOEXCEPT;
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_market_update(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market, const perpcore_market_params *params) PERPCORE_NOEXCEPT;

/* perpcore_market_set_status(): status is PERPCORE_MARKET_*; a delisted
 * market never changes status again (INVALID_STATUS), and
 * perpcore_engine_settle_market() closes its positions. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_market_set_status(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market, uint32_t status) PERPCORE_NOEXCEPT;

/* perpcore_account_create(): account != 0, owner != 0, fee_tier below the
 * engine's fee_tier_count, referrer 0 (none) or another existing account. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_create(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint64_t account, uint64_t owner, uint32_t fee_tier, uint64_t referrer) PERPCORE_NOEXCEPT;

/* perpcore_account_deposit() / perpcore_account_withdraw(): amount > 0 atoms;
 * a withdrawal goes up to the account's free collateral
 * (INSUFFICIENT_COLLATERAL beyond the withdrawal rule,
 * WITHDRAWAL_EXCEEDS_HELD beyond total deposits - total withdrawals). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_deposit(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint64_t account, int64_t amount) PERPCORE_NOEXCEPT;
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_withdraw(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint64_t account, int64_t amount) PERPCORE_NOEXCEPT;

/* perpcore_account_transfer(): amount > 0 atoms from `from` to `to`, two
 * accounts of the same owner, up to what the withdrawal rule lets leave
 * `from` (INSUFFICIENT_COLLATERAL beyond it). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_transfer(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint64_t from, uint64_t to, int64_t amount) PERPCORE_NOEXCEPT;

/* perpcore_account_set_stp_scope(): which orders the account's new orders never
 * trade with. PERPCORE_STP_SCOPE_OWNER (every account's default): its own and
 * those of its owner's other owner-scope accounts, so one owner's accounts
 * cannot trade with each other; PERPCORE_STP_SCOPE_ACCOUNT: its own only.
 * Resting orders keep the scope they were placed with. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_set_stp_scope(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint64_t account, uint32_t scope) PERPCORE_NOEXCEPT;

/* perpcore_account_set_fee_tier(): a tier below the engine's fee_tier_count. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_set_fee_tier(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint64_t account, uint32_t fee_tier) PERPCORE_NOEXCEPT;

/* perpcore_account_set_margin_mode(): mode is PERPCORE_MARGIN_*; only
 * without a position or open orders in the market (MARGIN_MODE_LOCKED). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_set_margin_mode(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market, uint64_t account, uint32_t mode) PERPCORE_NOEXCEPT;

/* perpcore_account_set_leverage(): 1..the market's max_leverage; lowering it
 * with a position needs the margin it implies. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_set_leverage(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market, uint64_t account, uint32_t leverage) PERPCORE_NOEXCEPT;

/* perpcore_account_adjust_isolated_margin(): delta > 0 moves cross
 * collateral into the isolated position's bucket, delta < 0 back. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status
perpcore_account_adjust_isolated_margin(perpcore_engine *eng, perpcore_result *out, uint64_t seq,
                                        int64_t timestamp_ns, uint32_t market, uint64_t account,
                                        int64_t delta) PERPCORE_NOEXCEPT;

/* perpcore_insurance_deposit(): amount > 0 atoms into the insurance fund
 * from outside (counts as a deposit). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_insurance_deposit(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    int64_t amount) PERPCORE_NOEXCEPT;

/* perpcore_order_place(): places *order (see perpcore_order); out->filled
 * and out->rested report what it did. The checks and their order are those
 * of perpcore::engine::Engine (perpcore/engine/engine.hpp). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_order_place(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    const perpcore_order *order) PERPCORE_NOEXCEPT;

/* perpcore_order_cancel() / perpcore_order_cancel_by_client_id(): one live
 * order of `account` in `market`, by order id or by client order id. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_order_cancel(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market, uint64_t account, uint64_t order_id) PERPCORE_NOEXCEPT;
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_order_cancel_by_client_id(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market, uint64_t account, uint64_t client_id) PERPCORE_NOEXCEPT;

/* perpcore_order_cancel_all(): every live order of `account` in `market`, or
 * in every market for market 0 (accepted even when there is none). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_order_cancel_all(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market, uint64_t account) PERPCORE_NOEXCEPT;

/* perpcore_order_amend(): see perpcore_amend. An amend never trades: a new
 * price that crosses the opposite best is AMEND_WOULD_CROSS; use
 * perpcore_order_cancel_replace() to move an order there. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_order_amend(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    const perpcore_amend *amend) PERPCORE_NOEXCEPT;

/* perpcore_order_cancel_replace(): cancels the live order old_order_id of
 * `account` in `market` and places *order in its stead, atomically: both or
 * neither, in one command (one seq). *order is checked as
 * perpcore_order_place() checks it, with the old order counted as already
 * cancelled (its margin, its book slot and level, its order id and client id
 * are free, so the new order may reuse both); UNKNOWN_ORDER or
 * NOT_ORDER_OWNER for an old order that is not a live one of `account`.
 * Refused, it changes nothing and the old order stays. Accepted, its events
 * are the old order's ORDER_CANCELED (code PERPCORE_CANCEL_USER) and then the
 * new order's, as a placement's; out->filled and out->rested are the new
 * order's. The new order does not keep the old one's time priority.
 * order->market and order->account must equal market and account
 * (PERPCORE_E_ILLEGAL_ARG otherwise). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_order_cancel_replace(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market, uint64_t account, uint64_t old_order_id,
    const perpcore_order *order) PERPCORE_NOEXCEPT;

/* perpcore_oracle_publish(): oracle source `source` (!= 0) published `price`
 * ticks (> 0, <= max_price) at publish_time_ns (<= timestamp_ns, not before
 * the source's previous one). Re-evaluates index, TWAP, breaker and mark. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_oracle_publish(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market, uint32_t source, int64_t price, int64_t publish_time_ns) PERPCORE_NOEXCEPT;

/* perpcore_oracle_retire_source(): retires oracle source `source` of
 * `market`: its price no longer counts and its slot is free (so a new source
 * can join after 16 ids were used); the oracle is re-evaluated at once.
 * Refused with PERPCORE_REASON_ORACLE_UNKNOWN_SOURCE if the market has no
 * such source. Events: SOURCE_RETIRED, then PRICE_UPDATE if the index or
 * mark changed (and CIRCUIT_BREAKER if it cleared). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_oracle_retire_source(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market, uint32_t source) PERPCORE_NOEXCEPT;

/* perpcore_engine_time_tick(): re-evaluates the oracle (staleness, TWAP,
 * breaker, mark) of `market`, or of every market for market 0. A tick
 * naming a market whose final settlement is under way then settles its
 * next accounts (perpcore_engine_settle_market(); a tick of market 0 does
 * not). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_time_tick(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market) PERPCORE_NOEXCEPT;

/* perpcore_engine_liquidate(): `keeper` (an account other than `account`;
 * the host may keep one of its own for liquidations it starts) asks the
 * engine to liquidate `account` (perpcore/engine/engine.hpp, "Liquidation",
 * has the rules: partial sizing, the IOC through the book, the fee split,
 * the insurance cover and the shortfall). market: the market to close in, or
 * 0 to let the engine choose (the cross account's position with the largest
 * maintenance requirement or, if the cross account is healthy, its first
 * liquidatable isolated bucket by market id); a market holding an isolated
 * position liquidates that bucket. max_size: at most this many lots close
 * (>= 1; INT64_MAX: no cap of the keeper's). Checked in this order, each
 * refusal changing nothing: UNKNOWN_ACCOUNT (account or keeper),
 * LIQUIDATION_SELF (keeper == account), LIQUIDATION_INVALID_SIZE (max_size <
 * 1), UNKNOWN_MARKET, LIQUIDATION_NO_POSITION (no position of the account in
 * the named market), LIQUIDATION_NOT_LIQUIDATABLE (healthy at the current
 * mark), MARKET_HALTED, NO_INDEX_PRICE / INDEX_STALE. Events:
 * ORDER_CANCELED (PERPCORE_CANCEL_LIQUIDATION) for the account's resting
 * orders, the IOC's FILLs, LIQUIDATION, BACKSTOP_TAKEOVER when the market's
 * backstop account takes what the book did not close, DELEVERAGED (one per
 * counterparty) for what a market with loss policy ADL closes against the
 * other side's positions, then INSURANCE_COVER and SHORTFALL when a deficit
 * is left; out->filled is the lots closed through the book. Below the
 * market's backstop_threshold of maintenance a backstop that can take it
 * takes the whole position instead, whatever max_size (no FILL, no
 * LIQUIDATION, no fee, out->filled 0; perpcore/engine/engine.hpp, "Backstop
 * takeover"). Loss policy ADL (perpcore/engine/engine.hpp,
 * "Auto-deleveraging"): a bankrupt target whose deficit the insurance fund
 * cannot cover is closed against the other side's positions in the market's
 * ADL ranking, at the mark with its equity share (its bankruptcy price),
 * each counterparty taking what leaves it not liquidatable; beyond what the
 * fund can carry at the mark this comes first (its DELEVERAGED before any
 * FILL; no FILL and no LIQUIDATION when nothing is left for the book),
 * otherwise after the book (its DELEVERAGED after the LIQUIDATION). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_liquidate(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market, uint64_t account, uint64_t keeper, int64_t max_size) PERPCORE_NOEXCEPT;

/* perpcore_engine_settle_market(): starts the final settlement of delisted
 * market `market` at `price` ticks, or at the market's last valid index for
 * price 0 (perpcore/engine/engine.hpp, "Final settlement", has the rules).
 * The mark moves to the settlement price and stays there, and the market
 * takes no order of any kind from then on (MARKET_HALTED, reduce-only
 * included). Then, account by account in the order the accounts were
 * created, its orders there are cancelled, its funding settles and its
 * position closes at that one price as a fill with no fee would: size *
 * price * atoms_per_tick_lot quote atoms between its bucket and the
 * market's settlement pool (a long receives it, a short pays it); an
 * isolated bucket is released to cross cash, a deficit first covered by the
 * insurance fund, then the shortfall. The work is bounded per command: this
 * call settles the first accounts, and each perpcore_engine_time_tick()
 * naming the market (not market 0) the next, until none is left and the
 * market is settled, final. perpcore_market_stats_get() shows the phase
 * (PERPCORE_SETTLEMENT_*), the price and the pool. Checked in this order,
 * each refusal changing nothing: UNKNOWN_MARKET, SETTLEMENT_NOT_DELISTED,
 * SETTLEMENT_STARTED (settling or settled already), SETTLEMENT_INVALID_PRICE
 * (price < 0, above max_price, or 0 for a market that never had an index).
 * Events: PRICE_UPDATE if the mark moved; for each account ORDER_CANCELED
 * (PERPCORE_CANCEL_MARKET_SETTLED), FUNDING_SETTLED, POSITION_SETTLED, then
 * for a deficit INSURANCE_COVER and SHORTFALL, for an isolated bucket
 * ISOLATED_MARGIN_CHANGED (its release); MARKET_SETTLED after the last. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_settle_market(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market, int64_t price) PERPCORE_NOEXCEPT;

/* perpcore_engine_events()
 *
 * The events of the last command the engine processed (none if it was
 * rejected), in order: they stay readable, any number of times, until the
 * next command. Copies all of them into out[0..out_len) and sets *written
 * to their number. If they do not fit, copies nothing, sets *written to the
 * number needed and returns PERPCORE_E_BUFFER_TOO_SMALL (so out = NULL,
 * out_len = 0 asks for the count; perpcore_result.event_count tells it too).
 * Returns PERPCORE_OK; PERPCORE_E_BUFFER_TOO_SMALL; PERPCORE_E_ILLEGAL_ARG
 * (NULL eng or written, or out NULL with out_len > 0); PERPCORE_E_BAD_HANDLE. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_events(
    const perpcore_engine *eng, perpcore_event *out, size_t out_len,
    size_t *written) PERPCORE_NOEXCEPT;

/* ------------------------------------------------------------------------- */
/* Queries: none changes the engine.                                         */
/*                                                                           */
/* Unless stated otherwise each returns PERPCORE_OK;                         */
/* PERPCORE_E_ILLEGAL_ARG (NULL eng or output, a bad enumerator);            */
/* PERPCORE_E_BAD_HANDLE; PERPCORE_E_MISUSE (another call is inside eng);    */
/* PERPCORE_E_NOT_FOUND (unknown market or account);                         */
/* PERPCORE_E_STRUCT_SIZE (output struct_size invalid: nothing written);     */
/* PERPCORE_E_INTERNAL (out of memory). Scalar and struct outputs are       */
/* zeroed on failure; arrays are written only on success; *written is set    */
/* whenever written is not NULL (0 on failure, except the count needed for   */
/* PERPCORE_E_BUFFER_TOO_SMALL). out may be NULL when out_len is 0.          */
/* ------------------------------------------------------------------------- */

/* perpcore_engine_digest(): the 32-byte state digest (tagged SHA-256 of the
 * canonical encoding). Equal states give equal digests in every process. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_digest(
    const perpcore_engine *eng, uint8_t out[PERPCORE_DIGEST_SIZE]) PERPCORE_NOEXCEPT;

/* perpcore_engine_last_seq() / perpcore_engine_now(): the seq and timestamp
 * of the last accepted command (0 for a new engine). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_last_seq(
    const perpcore_engine *eng, uint64_t *out) PERPCORE_NOEXCEPT;
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_now(
    const perpcore_engine *eng, int64_t *out_ns) PERPCORE_NOEXCEPT;

/* perpcore_engine_fee_pool() / perpcore_engine_insurance_fund(): atoms. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_fee_pool(
    const perpcore_engine *eng, int64_t *out) PERPCORE_NOEXCEPT;
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_insurance_fund(
    const perpcore_engine *eng, int64_t *out) PERPCORE_NOEXCEPT;

/* perpcore_engine_funding_residual(): the funding residual sink, atoms:
 * settlement rounding collected from the markets' funding pools
 * (FUNDING_RESIDUAL events). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_funding_residual(
    const perpcore_engine *eng, perpcore_i128 *out) PERPCORE_NOEXCEPT;

/* perpcore_engine_shortfall(): the shortfall bucket, atoms (>= 0):
 * liquidation deficits the insurance fund could not cover (SHORTFALL
 * events). While it is above 0, perpcore_account_withdraw() is refused with
 * WITHDRAWALS_GATED; perpcore_insurance_deposit() pays it down first. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_shortfall(
    const perpcore_engine *eng, int64_t *out) PERPCORE_NOEXCEPT;

/* perpcore_engine_liquidatable(): the liquidatable cross accounts (market 0)
 * and isolated buckets, most under-margined first (equity / maintenance
 * ascending, a deficit without requirement first; ties by account, then
 * market), at most out_len of them into out[0..*written). A top-N query, as
 * perpcore_book_depth(): fewer than out_len is not an error, and *written ==
 * out_len means there may be more. Size the array for the liquidations the
 * host will send before it asks again (they change the answer): a keeper
 * loop asks for N, liquidates them and asks again. out_len 0 writes nothing
 * (*written 0). Each one returned is liquidatable now. Complexity: see
 * Engine::Liquidatable() (perpcore/engine/engine.hpp): per-market candidate
 * indexes, not a walk over accounts. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_liquidatable(
    const perpcore_engine *eng, perpcore_liquidation_candidate *out, size_t out_len,
    size_t *written) PERPCORE_NOEXCEPT;

/* perpcore_engine_adl_rank(): where `account`'s position in `market` stands
 * in the market's auto-deleveraging ranking at the current mark (PnL% x
 * leverage setting; perpcore/engine/engine.hpp "Auto-deleveraging"): the
 * positions of its side before it, of how many, and its light 0..4 (see
 * perpcore_adl_rank). PERPCORE_E_NOT_FOUND for an unknown account or market
 * and for no position of the account there (a rank would mean nothing;
 * perpcore_engine_last_error() says which). O(positions of its side): a
 * query for a display, not for every command. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_adl_rank(
    const perpcore_engine *eng, perpcore_adl_rank *out, uint64_t account,
    uint32_t market) PERPCORE_NOEXCEPT;

/* perpcore_engine_markets() / perpcore_engine_accounts(): all ids, ascending.
 * All or nothing: PERPCORE_E_BUFFER_TOO_SMALL with *written = the count
 * needed when they do not fit. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_markets(
    const perpcore_engine *eng, uint32_t *out, size_t out_len, size_t *written) PERPCORE_NOEXCEPT;
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_accounts(
    const perpcore_engine *eng, uint64_t *out, size_t out_len, size_t *written) PERPCORE_NOEXCEPT;

/* perpcore_engine_check_invariants(): O(state), for tests. PERPCORE_OK, or
 * PERPCORE_E_INTERNAL with the first violated invariant in
 * perpcore_engine_last_error(). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_check_invariants(
    const perpcore_engine *eng) PERPCORE_NOEXCEPT;

/* perpcore_market_params_check()
 *
 * Would `params` be accepted by perpcore_market_create() on this engine?
 * msg (may be NULL if msg_len is 0) receives the first field out of range,
 * NUL-terminated and truncated ("" when valid).
 * Returns PERPCORE_OK; PERPCORE_E_CONFIG when a field is out of range;
 * PERPCORE_E_ILLEGAL_ARG; PERPCORE_E_BAD_HANDLE; PERPCORE_E_STRUCT_SIZE;
 * PERPCORE_E_RANGE (tier_count above PERPCORE_MAX_TIERS). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_market_params_check(
    const perpcore_engine *eng, char *msg, size_t msg_len,
    const perpcore_market_params *params) PERPCORE_NOEXCEPT;

/* perpcore_market_params_get(): a market's current parameters. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_market_params_get(
    const perpcore_engine *eng, perpcore_market_params *out, uint32_t market) PERPCORE_NOEXCEPT;

/* perpcore_market_stats_get(): prices, open interest, volume, top of book. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_market_stats_get(
    const perpcore_engine *eng, perpcore_market_stats *out, uint32_t market) PERPCORE_NOEXCEPT;

/* perpcore_market_funding_get(): the market's funding (index, rates,
 * samples, pool; history_count tells how many closed intervals
 * perpcore_market_funding_history() has). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_market_funding_get(
    const perpcore_engine *eng, perpcore_funding_view *out, uint32_t market) PERPCORE_NOEXCEPT;

/* perpcore_market_funding_history(): the market's closed funding intervals,
 * newest first (at most PERPCORE_FUNDING_HISTORY). All or nothing:
 * PERPCORE_E_BUFFER_TOO_SMALL with *written = the count needed. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_market_funding_history(
    const perpcore_engine *eng, perpcore_funding_rate *out, size_t out_len, size_t *written,
    uint32_t market) PERPCORE_NOEXCEPT;

/* perpcore_book_best(): the best level of `side` (PERPCORE_SIDE_*); all
 * zero (price 0) if the side is empty. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_book_best(
    const perpcore_engine *eng, perpcore_level *out, uint32_t market,
    uint32_t side) PERPCORE_NOEXCEPT;

/* perpcore_book_depth(): the best out_len levels of `side`, best first; a
 * depth query, so fewer levels than out_len is not an error: *written is
 * how many were copied. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_book_depth(
    const perpcore_engine *eng, perpcore_level *out, size_t out_len, size_t *written,
    uint32_t market, uint32_t side) PERPCORE_NOEXCEPT;

/* perpcore_account_summary_get(): balances and margin of one account. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_summary_get(
    const perpcore_engine *eng, perpcore_account_summary *out, uint64_t account) PERPCORE_NOEXCEPT;

/* perpcore_account_positions(): the account's position records by market
 * id (summary.position_count of them). All or nothing:
 * PERPCORE_E_BUFFER_TOO_SMALL with *written = the count needed. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_positions(
    const perpcore_engine *eng, perpcore_position *out, size_t out_len, size_t *written,
    uint64_t account) PERPCORE_NOEXCEPT;

/* perpcore_account_pending_funding(): the funding the account's position in
 * `market` accrued since it was last settled, atoms: > 0 the account owes
 * it, < 0 it is owed (already counted in equity, requirements' slack,
 * withdrawals and the liquidation price; settled when the position is
 * touched). 0 without a position there. (perpcore_position is a frozen
 * layout, so this value has a query of its own.) PERPCORE_E_NOT_FOUND for
 * an unknown account or market. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_pending_funding(
    const perpcore_engine *eng, int64_t *out, uint64_t account, uint32_t market) PERPCORE_NOEXCEPT;

/* perpcore_account_position_health(): liquidation's view of the account's
 * position in `market` (perpcore/engine/engine.hpp, "Liquidation"): *health
 * (a PERPCORE_HEALTH_*) of what backs it, its isolated bucket or the cross
 * account, and *liquidation_buffer, atoms: for an isolated position the
 * bucket's equity at the mark less its maintenance requirement, for a cross
 * one the account's (perpcore_account_summary.liquidation_buffer); < 0:
 * liquidatable. HEALTHY and 0 without a position record there (as
 * perpcore_account_pending_funding(); perpcore_position is a frozen
 * layout, so these have a query of their own). PERPCORE_E_NOT_FOUND for an
 * unknown account or market; PERPCORE_E_ILLEGAL_ARG if either output is
 * NULL (both zeroed on failure). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_position_health(
    const perpcore_engine *eng, uint32_t *health, int64_t *liquidation_buffer, uint64_t account,
    uint32_t market) PERPCORE_NOEXCEPT;

/* perpcore_account_open_orders(): the account's live orders by market id,
 * then placement order. All or nothing: PERPCORE_E_BUFFER_TOO_SMALL with
 * *written = the count needed. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_open_orders(
    const perpcore_engine *eng, perpcore_open_order *out, size_t out_len, size_t *written,
    uint64_t account) PERPCORE_NOEXCEPT;

/* perpcore_order_preview(): what perpcore_order_place() would do with
 * *order now (fill estimated from the L2 levels; self-trade prevention not
 * simulated), without doing it. out->reason is the verdict placing it would
 * get from the margin and limit checks (the book's own checks, such as
 * duplicate ids, are not run). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_order_preview(
    const perpcore_engine *eng, perpcore_preview *out,
    const perpcore_order *order) PERPCORE_NOEXCEPT;

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* PERPCORE_PERPCORE_H_ */

/* ========================================================================= */
/* EXPERIMENTAL API                                                          */
/*                                                                           */
/* Everything from here to the end of the header is declared only when       */
/* PERPCORE_EXPERIMENTAL is defined before the header is included:           */
/*                                                                           */
/*     #define PERPCORE_EXPERIMENTAL                                         */
/*     #include <perpcore/perpcore.h>                                        */
/*                                                                           */
/* (or -DPERPCORE_EXPERIMENTAL on the compiler's command line), as zstd      */
/* gates its advanced API behind ZSTD_STATIC_LINKING_ONLY. Defining the      */
/* macro acknowledges that:                                                  */
/*   - these declarations have NO API or ABI stability promise: functions,   */
/*     structs (sizes and layouts included), constants, error conditions     */
/*     and behaviour may change or disappear in any release, minor and       */
/*     patch releases included, without a _v2 name or a deprecation period;  */
/*   - a program that uses them must be compiled against the header of the   */
/*     exact library version it runs with: link perpcore statically, or      */
/*     pin a shared library to that version.                                 */
/*                                                                           */
/* The stable part above never refers to anything below. The separate guard  */
/* lets a translation unit that already included the header without the      */
/* macro define it and include the header again to get this part (as         */
/* zstd.h does).                                                             */
/*                                                                           */
/* Today this part holds the Almgren-Chriss execution analytics              */
/* (perpcore_ac_*, perpcore_ext_*), which work in doubles: they stay here    */
/* while their model and numerics settle.                                    */
/* ========================================================================= */
#if defined(PERPCORE_EXPERIMENTAL) && !defined(PERPCORE_PERPCORE_H_EXPERIMENTAL_)
#define PERPCORE_PERPCORE_H_EXPERIMENTAL_

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------- */
/* Analytics: optimal execution (Almgren-Chriss)                             */
/*                                                                           */
/* Liquidate (X > 0) or buy back (X < 0) X units over a horizon T in N equal */
/* intervals of tau = T / N: holdings x_0 = X, ..., x_N = 0; the trade of    */
/* interval k is n_k = x_{k-1} - x_k (> 0 sells). The model, its formulas    */
/* and its numerics are those of perpcore/analytics/execution.hpp (classic,  */
/* perpcore_ac_*) and perpcore/analytics/execution_ext.hpp (perpetuals:      */
/* fees, spread, funding, drift, latency, power-law impact; perpcore_ext_*). */
/* Units are the caller's, used consistently (units of the asset, currency,  */
/* one time unit for T, sigma, drift and latency).                           */
/*                                                                           */
/* Doubles, not fixed point: these functions never touch an engine and take  */
/* none. They are pure and thread-safe (no global state; the message goes to */
/* the caller's buffer). Deterministic: the same inputs give bit-identical   */
/* outputs on one platform.                                                  */
/*                                                                           */
/* Experimental (see the banner above): declared only with                   */
/* PERPCORE_EXPERIMENTAL, and without a stability promise.                   */
/*                                                                           */
/* Calling convention, common to every perpcore_ac_* / perpcore_ext_* call:  */
/*   - Outputs first, then message/message_len, then inputs.                 */
/*   - message (NULL allowed when message_len is 0): on return it holds ""   */
/*     on success, else why the call failed, naming the parameter (e.g.      */
/*     "Almgren-Chriss: sigma must be >= 0 (got -1)"), truncated to          */
/*     message_len - 1 characters and always NUL-terminated.                 */
/*     PERPCORE_MESSAGE_CAPACITY bytes hold every message of this version.   */
/*   - Output arrays are caller-allocated with their capacity after them:    */
/*     holdings needs N + 1 doubles, trades N, a frontier one point per      */
/*     lambda. A call that needs more copies nothing, sets *written (when    */
/*     written is not NULL) to the count needed and returns                  */
/*     PERPCORE_E_BUFFER_TOO_SMALL. Capacities are checked before the        */
/*     parameters, from params->intervals (when >= 1), so no work is done.   */
/*   - On any error nothing is written: not the arrays, not *out, not        */
/*     *written (except the count needed, as above); only the message.       */
/*                                                                           */
/* Errors (the status, then the message says more):                          */
/*   PERPCORE_E_ILLEGAL_ARG        a required pointer is NULL (out, params,  */
/*                                 an input array of nonzero length), an     */
/*                                 array NULL with nonzero capacity or       */
/*                                 length, message NULL with message_len > 0,*/
/*                                 or a value that is not an enumerator of   */
/*                                 this header (solver, order type);         */
/*   PERPCORE_E_STRUCT_SIZE        a struct_size is invalid (see above);     */
/*   PERPCORE_E_BUFFER_TOO_SMALL   an output array is too small;             */
/*   PERPCORE_E_INVALID_PARAM      a parameter outside its domain: N < 1,    */
/*                                 T <= 0, a non-finite value, a negative    */
/*                                 sigma/eta/gamma/epsilon/lambda, eta_tilde */
/*                                 = eta - gamma tau / 2 <= 0, a drift with  */
/*                                 lambda sigma^2 = 0, a holdings path that  */
/*                                 does not go from X to 0, ... (the C++     */
/*                                 kInvalidArgument of the functions named); */
/*   PERPCORE_E_NOT_REPRESENTABLE  a coefficient or result overflows a       */
/*                                 double (C++ kOutOfRange);                 */
/*   PERPCORE_E_INTERNAL           out of memory.                            */
/* ------------------------------------------------------------------------- */

/* A message buffer of this many bytes holds any analytics message whole
 * (a smaller one gets a truncated, NUL-terminated message). */
#define PERPCORE_MESSAGE_CAPACITY 256

/* perpcore_ac_params (input; struct_size): one classic problem, as
 * perpcore::analytics::AcParams. Permanent impact g(v) = gamma v, temporary
 * h(v) = epsilon sgn(n) + (eta / tau) n;
 *   E = gamma X^2 / 2 + epsilon sum |n_k| + (eta_tilde / tau) sum n_k^2
 *       - alpha tau sum_{k=1..N} x_k,
 *   V = sigma^2 tau sum_{k=1..N} x_k^2,  objective U = E + lambda V. */
typedef struct perpcore_ac_params {
  uint32_t struct_size;
  int32_t intervals; /* N, >= 1 */
  double shares;     /* X: > 0 sells, < 0 buys; holdings go to 0 */
  double horizon;    /* T, time units, > 0 */
  double sigma;      /* volatility, price per sqrt(time unit), >= 0 */
  double eta;        /* temporary impact, price per (unit per time unit), >= 0 */
  double gamma;      /* permanent impact, price per unit, >= 0 */
  double epsilon;    /* fixed cost per unit traded (half spread + fees), >= 0 */
  double lambda;     /* risk aversion, per currency unit, >= 0 */
  double alpha;      /* drift, price per time unit (needs lambda sigma^2 > 0) */
} perpcore_ac_params;

/* perpcore_ac_cost (output; frozen layout): a schedule's E, V and U. */
typedef struct perpcore_ac_cost {
  double expected_cost; /* E, currency */
  double variance;      /* V, currency^2 */
  double objective;     /* E + lambda V */
} perpcore_ac_cost;

/* perpcore_ac_result (output; struct_size): the scalars of a schedule.
 * kappa: urgency per time unit, 0 for the straight line, +inf for the
 * immediate schedule; half_life = 1 / kappa (+inf when kappa is 0). */
typedef struct perpcore_ac_result {
  uint32_t struct_size;
  uint32_t pad0;
  double kappa;
  double half_life;
  perpcore_ac_cost cost;
} perpcore_ac_result;

/* perpcore_ac_frontier_point (output; frozen layout): the optimum for one
 * lambda of perpcore_ac_efficient_frontier(). */
typedef struct perpcore_ac_frontier_point {
  double lambda;
  double kappa;
  perpcore_ac_cost cost;
} perpcore_ac_frontier_point;

/* Order types of the perpetual model (perpcore_ext_params.order_types). */
enum { PERPCORE_EXT_ORDER_TAKER = 0, PERPCORE_EXT_ORDER_MAKER = 1 };
/* perpcore_ext_options.solver: AUTO is the closed form / tridiagonal /
 * active-set path at delta = 1 and Newton otherwise; NEWTON forces the
 * numeric solver (for cross-checks). */
enum { PERPCORE_EXT_SOLVER_AUTO = 0, PERPCORE_EXT_SOLVER_NEWTON = 1 };
/* perpcore_ext_result.method: how the schedule was found. */
enum {
  PERPCORE_EXT_METHOD_CLOSED_FORM = 0,
  PERPCORE_EXT_METHOD_TRIDIAGONAL = 1,
  PERPCORE_EXT_METHOD_ACTIVE_SET = 2,
  PERPCORE_EXT_METHOD_NEWTON = 3
};

/* perpcore_ext_params (input; struct_size): one perpetual problem, as
 * perpcore::analytics::ExtParams (see execution_ext.hpp for the cost terms):
 *   permanent gamma sum x_k n_k; temporary sum tau eta |n_k / tau|^(1+delta);
 *   spread sum spread_k |n_k|; fees sum fee_rate(type_k) reference_price
 *   |n_k|; latency sum latency_coefficient sigma_k sqrt(latency) |n_k|;
 *   funding sum funding_k x_k; drift - sum drift_k tau x_k;
 *   V = sum tau sigma_k^2 x_k^2; U = E + lambda V.
 * Per-interval arrays are pointer + length: length 0 (all zero; all taker;
 * the pointer may then be NULL), 1 (the same for every interval) or N (entry
 * k-1 for interval k); another length is PERPCORE_E_INVALID_PARAM, a NULL
 * pointer with a nonzero length PERPCORE_E_ILLEGAL_ARG. The arrays are read
 * during the call only. delta != 1 needs eta > 0 and gamma = 0.
 * The layout is the same on every ABI with the same pointer size. */
typedef struct perpcore_ext_params {
  uint32_t struct_size;
  int32_t intervals;          /* N, >= 1 */
  double shares;              /* X: > 0 sells a long, < 0 buys back a short */
  double horizon;             /* T, time units, > 0 */
  double eta;                 /* c in h(v) = c |v|^delta sgn v, >= 0 */
  double delta;               /* impact exponent in (0, 2]; default 1 */
  double gamma;               /* permanent impact, price per unit, >= 0 */
  double lambda;              /* risk aversion, per currency unit, >= 0 */
  double reference_price;     /* price per unit for the fee rates, >= 0 */
  double taker_fee_rate;      /* fraction of notional; < 0 is a rebate */
  double maker_fee_rate;
  double latency;             /* delay, time units, >= 0 */
  double latency_coefficient; /* >= 0; default 1 / sqrt(2 pi) = E[max(Z, 0)] */
  const double *sigma;        /* volatility, price per sqrt(time unit), >= 0 */
  size_t sigma_len;
  const double *drift;        /* price per time unit */
  size_t drift_len;
  const double *spread;       /* half spread, price per unit traded, >= 0 */
  size_t spread_len;
  const double *funding;      /* paid per unit of position held at t_k (+: longs pay) */
  size_t funding_len;
  const int32_t *order_types; /* PERPCORE_EXT_ORDER_*; length 0 = all taker */
  size_t order_types_len;
} perpcore_ext_params;

/* perpcore_ext_options (input; struct_size): the solver. NULL in a call
 * means the defaults of perpcore_ext_options_init(). */
typedef struct perpcore_ext_options {
  uint32_t struct_size;
  uint32_t solver;        /* PERPCORE_EXT_SOLVER_*; default AUTO */
  int32_t max_iterations; /* active-set / Newton iterations, >= 0; 0 (default): 10 N + 100 */
  uint32_t pad0;          /* ignored */
  double tolerance;       /* on the relative KKT residual, in (0, 1); default 1e-10 */
} perpcore_ext_options;

/* perpcore_ext_cost (output; frozen layout): the terms of E, then E, V, U. */
typedef struct perpcore_ext_cost {
  double permanent_impact;
  double temporary_impact;
  double spread;
  double fees;
  double latency;
  double funding;
  double drift;
  double expected_cost; /* E, the sum of the terms above */
  double variance;      /* V */
  double objective;     /* E + lambda V */
} perpcore_ext_cost;

/* perpcore_ext_result (output; struct_size): the scalars of an optimal
 * perpetual schedule. active_constraints: intervals whose trade is held at
 * 0 by the one-sidedness constraint; iterations: active-set / Newton
 * iterations (0: direct); kkt_residual: relative (execution_ext.hpp);
 * converged: 1 if kkt_residual <= tolerance. A solve that does not reach the
 * tolerance is not an error: converged = 0 with its residual. */
typedef struct perpcore_ext_result {
  uint32_t struct_size;
  uint32_t method; /* PERPCORE_EXT_METHOD_* */
  int32_t active_constraints;
  int32_t iterations;
  uint32_t converged; /* 0 or 1 */
  uint32_t pad0;
  double kkt_residual;
  perpcore_ext_cost cost;
} perpcore_ext_result;

PERPCORE_STATIC_ASSERT(sizeof(perpcore_ac_params) == 72, ac_params_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_ac_cost) == 24, ac_cost_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_ac_result) == 48, ac_result_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_ac_frontier_point) == 40, ac_frontier_point_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_ext_params) ==
                           96 + 5 * (sizeof(void *) + sizeof(size_t)),
                       ext_params_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_ext_options) == 24, ext_options_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_ext_cost) == 80, ext_cost_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_ext_result) == 112, ext_result_size);

/* perpcore_ac_params_init() / perpcore_ac_result_init() /
 * perpcore_ext_result_init(): zero with struct_size set (AcParams' defaults
 * are all zero). NULL is ignored. */
static inline void perpcore_ac_params_init(perpcore_ac_params *p) {
  if (!p) return;
  memset(p, 0, sizeof *p);
  p->struct_size = PERPCORE_U32(sizeof *p);
}
static inline void perpcore_ac_result_init(perpcore_ac_result *r) {
  if (!r) return;
  memset(r, 0, sizeof *r);
  r->struct_size = PERPCORE_U32(sizeof *r);
}
static inline void perpcore_ext_result_init(perpcore_ext_result *r) {
  if (!r) return;
  memset(r, 0, sizeof *r);
  r->struct_size = PERPCORE_U32(sizeof *r);
}

/* perpcore_ext_params_init(): ExtParams' defaults: delta = 1,
 * latency_coefficient = 1 / sqrt(2 pi), everything else 0 (no arrays: all
 * taker, zero sigma, drift, spread and funding). NULL is ignored. */
static inline void perpcore_ext_params_init(perpcore_ext_params *p) {
  if (!p) return;
  memset(p, 0, sizeof *p);
  p->struct_size = PERPCORE_U32(sizeof *p);
  p->delta = 1.0;
  p->latency_coefficient = 0.39894228040143267794;
  p->sigma = NULL;
  p->drift = NULL;
  p->spread = NULL;
  p->funding = NULL;
  p->order_types = NULL;
}

/* perpcore_ext_options_init(): AUTO, tolerance 1e-10, max_iterations 0
 * (10 N + 100). NULL is ignored. */
static inline void perpcore_ext_options_init(perpcore_ext_options *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->struct_size = PERPCORE_U32(sizeof *o);
  o->solver = PERPCORE_EXT_SOLVER_AUTO;
  o->tolerance = 1e-10;
}

/* perpcore_ac_optimal_schedule()
 *
 * The mean-variance optimal trajectory for params->lambda (the closed form
 * of execution.hpp: x_j = X sinh(kappa (T - t_j)) / sinh(kappa T) plus a
 * drift term, kappa tau = 2 asinh(tau sqrt(lambda sigma^2 / eta_tilde) / 2);
 * lambda = 0 gives the straight line). Writes holdings[0..N] (x_0 = X,
 * x_N = 0), trades[0..N-1] (n_1..n_N), *out (kappa, half_life, E, V, U) and
 * *written = N + 1 (written may be NULL).
 * Errors: see the section comment. Complexity: O(N) time and memory. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_ac_optimal_schedule(
    perpcore_ac_result *out, double *holdings, size_t holdings_len, double *trades,
    size_t trades_len, size_t *written, char *message, size_t message_len,
    const perpcore_ac_params *params) PERPCORE_NOEXCEPT;

/* perpcore_ac_naive_schedule() / perpcore_ac_immediate_schedule()
 *
 * The straight line x_k = X (1 - k / N) (kappa 0), and everything sold in
 * the first interval (kappa +inf, half_life 0), scored like the optimum.
 * Outputs and errors as perpcore_ac_optimal_schedule(). O(N). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_ac_naive_schedule(
    perpcore_ac_result *out, double *holdings, size_t holdings_len, double *trades,
    size_t trades_len, size_t *written, char *message, size_t message_len,
    const perpcore_ac_params *params) PERPCORE_NOEXCEPT;
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_ac_immediate_schedule(
    perpcore_ac_result *out, double *holdings, size_t holdings_len, double *trades,
    size_t trades_len, size_t *written, char *message, size_t message_len,
    const perpcore_ac_params *params) PERPCORE_NOEXCEPT;

/* perpcore_ac_evaluate_schedule()
 *
 * E, V and E + lambda V of the caller's holdings path holdings[0..N]
 * (holdings_len must be N + 1, holdings[0] == X, holdings[N] == 0, all
 * finite: else PERPCORE_E_INVALID_PARAM). O(N). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_ac_evaluate_schedule(
    perpcore_ac_cost *out, char *message, size_t message_len, const perpcore_ac_params *params,
    const double *holdings, size_t holdings_len) PERPCORE_NOEXCEPT;

/* perpcore_ac_efficient_frontier()
 *
 * The optimum for each lambda of lambdas[0..lambdas_len) (each >= 0 and
 * finite), in the given order, into out[0..lambdas_len); params->lambda is
 * ignored. *written = lambdas_len (written may be NULL). lambdas_len 0 is
 * valid (nothing written, lambdas and out may be NULL).
 * PERPCORE_E_BUFFER_TOO_SMALL when out_len < lambdas_len. An invalid
 * lambda fails the whole call (the message gives its value).
 * Complexity: O(N * lambdas_len) time, O(N) memory. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_ac_efficient_frontier(
    perpcore_ac_frontier_point *out, size_t out_len, size_t *written, char *message,
    size_t message_len, const perpcore_ac_params *params, const double *lambdas,
    size_t lambdas_len) PERPCORE_NOEXCEPT;

/* perpcore_ext_optimal_schedule()
 *
 * The optimal one-sided schedule of the perpetual model (a sale only sells,
 * a purchase only buys). At delta = 1 with constant sigma, drift and
 * per-unit cost and no funding it equals perpcore_ac_optimal_schedule()
 * with epsilon = that cost (method CLOSED_FORM); otherwise a tridiagonal
 * solve, an exact active-set method, or damped Newton (delta != 1).
 * options NULL means the defaults. Writes holdings[0..N], trades[0..N-1],
 * *out and *written = N + 1 (written may be NULL).
 * Errors: see the section comment; an unknown options->solver or order
 * type is PERPCORE_E_ILLEGAL_ARG, tolerance outside (0, 1) or a negative
 * max_iterations PERPCORE_E_INVALID_PARAM.
 * Complexity: O(N) for the closed form and tridiagonal methods; O(N) per
 * iteration, at most max_iterations iterations, otherwise. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_ext_optimal_schedule(
    perpcore_ext_result *out, double *holdings, size_t holdings_len, double *trades,
    size_t trades_len, size_t *written, char *message, size_t message_len,
    const perpcore_ext_params *params, const perpcore_ext_options *options) PERPCORE_NOEXCEPT;

/* perpcore_ext_evaluate_schedule()
 *
 * The cost terms of the caller's holdings path holdings[0..N] under the
 * perpetual model (holdings_len = N + 1, from X to 0; it need not be
 * one-sided: every |n_k| is taken as is). O(N). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_ext_evaluate_schedule(
    perpcore_ext_cost *out, char *message, size_t message_len, const perpcore_ext_params *params,
    const double *holdings, size_t holdings_len) PERPCORE_NOEXCEPT;

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* PERPCORE_EXPERIMENTAL && !PERPCORE_PERPCORE_H_EXPERIMENTAL_ */
