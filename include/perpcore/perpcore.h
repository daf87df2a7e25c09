/*
 * -----------------------------------------------------------------------------
 * File: perpcore/perpcore.h
 * -----------------------------------------------------------------------------
 *
 * The C API of perpcore: the only ABI-stable surface of the library. C99,
 * usable from C++ (extern "C"). One header; it includes only <stddef.h>,
 * <stdint.h> and <string.h>.
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
 *     output arrays are written only by a call that succeeds.
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
 * by the host. Ids are chosen by the host; 0 is never a valid id.
 *
 * Versioning and ABI:
 *   - Structs the caller fills or receives singly carry uint32_t struct_size
 *     first. Set it with the perpcore_<struct>_init() functions below (they
 *     are static inline, so struct_size is the size this header was compiled
 *     with). The library accepts any struct_size of at least the version-1
 *     size: of an input struct it reads the fields it knows, and the bytes
 *     beyond them (fields of a newer header) must be zero; an output struct
 *     it fills in full up to struct_size, zeroing fields it does not know.
 *     Fields added later have 0 as their "behave as before" value.
 *   - Structs passed in arrays (events, levels, positions, open orders) and
 *     perpcore_result have a frozen layout; a change means a new _v2 struct
 *     and new functions. Every struct has explicit padding and a static size
 *     check below, so its layout is the same on every ABI.
 *
 * Thread safety: an engine is not thread-safe; use each engine from one
 * thread at a time. Different engines are independent. The functions that
 * take no engine are thread-safe.
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
/* The largest struct_size any function accepts; larger is E_STRUCT_SIZE
 * (an uninitialized struct_size is caught rather than trusted). */
#define PERPCORE_STRUCT_SIZE_MAX 65536u

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
  /* struct_size below the version-1 size or above PERPCORE_STRUCT_SIZE_MAX,
   * or non-zero bytes beyond the fields this library knows. */
  PERPCORE_E_STRUCT_SIZE = -1005,
  /* The handle is not a live engine (best-effort detection, see
   * perpcore_engine_destroy()). */
  PERPCORE_E_BAD_HANDLE = -1006,
  /* An engine configuration or market parameters out of range; the message
   * says which field. */
  PERPCORE_E_CONFIG = -1007,
  /* Out of memory or another internal failure; see perpcore_engine_last_error(). */
  PERPCORE_E_INTERNAL = -9001
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
enum { PERPCORE_MARGIN_CROSS = 0, PERPCORE_MARGIN_ISOLATED = 1 };
enum {
  PERPCORE_BREAKER_NONE = 0,
  PERPCORE_BREAKER_SOURCE_DEVIATION = 1,
  PERPCORE_BREAKER_TWAP_DEVIATION = 2
};
/* perpcore_event.code of a cancel or reduce event. */
enum {
  PERPCORE_CANCEL_USER = 0,
  PERPCORE_CANCEL_CANCEL_ALL = 1,
  PERPCORE_CANCEL_UNFILLED_REMAINDER = 2,
  PERPCORE_CANCEL_SELF_TRADE = 3,
  PERPCORE_CANCEL_MAX_FILL = 4
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
  PERPCORE_EVENT_INSURANCE_FUNDED = 18
};

/* Reject reasons (perpcore_result.reason, perpcore_preview.reason).
 * 1..27 are the order book's, 100.. the engine's. Pinned forever. */
enum {
  PERPCORE_REASON_OK = 0,
  PERPCORE_REASON_INVALID_ORDER_ID = 1,
  PERPCORE_REASON_INVALID_ACCOUNT = 2,
  PERPCORE_REASON_INVALID_SIDE = 3,
  PERPCORE_REASON_INVALID_ORDER_TYPE = 4,
  PERPCORE_REASON_INVALID_TIME_IN_FORCE = 5, /* e.g. GTC or post-only on a market order */
  PERPCORE_REASON_INVALID_STP_MODE = 6,
  PERPCORE_REASON_INVALID_SIZE = 7,
  PERPCORE_REASON_SIZE_NOT_ON_STEP = 8,
  PERPCORE_REASON_SIZE_ABOVE_MAX = 9,
  PERPCORE_REASON_INVALID_MAX_FILL = 10,
  PERPCORE_REASON_INVALID_PRICE = 11,
  PERPCORE_REASON_PRICE_NOT_ON_STEP = 12,
  PERPCORE_REASON_PRICE_OUTSIDE_BAND = 13,
  PERPCORE_REASON_DUPLICATE_ORDER_ID = 14,
  PERPCORE_REASON_DUPLICATE_CLIENT_ORDER_ID = 15,
  PERPCORE_REASON_POST_ONLY_WOULD_CROSS = 16,
  PERPCORE_REASON_FOK_NOT_FILLED = 17,
  PERPCORE_REASON_TOO_MANY_ORDERS = 18,
  PERPCORE_REASON_TOO_MANY_LEVELS = 19,
  PERPCORE_REASON_BOOK_FULL = 20,
  PERPCORE_REASON_OVERFLOW = 21,
  PERPCORE_REASON_UNKNOWN_ORDER = 22,
  PERPCORE_REASON_NOT_ORDER_OWNER = 23,
  PERPCORE_REASON_AMEND_NO_CHANGE = 24,
  PERPCORE_REASON_AMEND_WOULD_CROSS = 25,
  PERPCORE_REASON_INVALID_CLIENT_ORDER_ID = 26,
  PERPCORE_REASON_INVALID_CONFIG = 27,
  PERPCORE_REASON_SEQUENCE_GAP = 100,
  PERPCORE_REASON_TIME_WENT_BACK = 101,
  PERPCORE_REASON_UNKNOWN_MARKET = 102,
  PERPCORE_REASON_UNKNOWN_ACCOUNT = 103,
  PERPCORE_REASON_MARKET_EXISTS = 104,
  PERPCORE_REASON_ACCOUNT_EXISTS = 105,
  PERPCORE_REASON_INVALID_AMOUNT = 106,
  PERPCORE_REASON_INSUFFICIENT_COLLATERAL = 107,
  PERPCORE_REASON_INSUFFICIENT_MARGIN = 108,
  PERPCORE_REASON_MARKET_HALTED = 109,
  PERPCORE_REASON_MARKET_REDUCE_ONLY = 110,
  PERPCORE_REASON_REDUCE_ONLY_WOULD_INCREASE = 111,
  PERPCORE_REASON_REDUCE_ONLY_NOT_IMMEDIATE = 112,
  PERPCORE_REASON_NO_INDEX_PRICE = 113,
  PERPCORE_REASON_OPEN_INTEREST_LIMIT = 114,
  PERPCORE_REASON_INVALID_MARKET_PARAMS = 115, /* perpcore_market_params_check() says why */
  PERPCORE_REASON_PARAM_IMMUTABLE = 116,
  PERPCORE_REASON_INVALID_LEVERAGE = 117,
  PERPCORE_REASON_MARGIN_MODE_LOCKED = 118,
  PERPCORE_REASON_NOT_ISOLATED = 119,
  PERPCORE_REASON_NOT_SAME_OWNER = 120,
  PERPCORE_REASON_SAME_ACCOUNT = 121,
  PERPCORE_REASON_INVALID_STATUS = 122, /* leaving DELISTED */
  PERPCORE_REASON_INVALID_MARGIN_MODE = 123,
  PERPCORE_REASON_INVALID_FEE_TIER = 124,
  PERPCORE_REASON_UNKNOWN_REFERRER = 125,
  PERPCORE_REASON_INVALID_OWNER = 126,
  PERPCORE_REASON_INVALID_ID = 127,
  PERPCORE_REASON_TOO_MANY_MARKETS = 128,
  PERPCORE_REASON_TOO_MANY_ACCOUNTS = 129,
  PERPCORE_REASON_PRICE_ABOVE_MAX = 130,
  PERPCORE_REASON_ORACLE_INVALID_SOURCE = 131,
  PERPCORE_REASON_ORACLE_TOO_MANY_SOURCES = 132,
  PERPCORE_REASON_ORACLE_INVALID_PRICE = 133,
  PERPCORE_REASON_ORACLE_FROM_THE_FUTURE = 134,
  PERPCORE_REASON_ORACLE_OUT_OF_ORDER = 135,
  PERPCORE_REASON_MAX_DEPOSIT_EXCEEDED = 136
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
 * max_markets: 1..1024; max_accounts: 1..2^24. hash_seed: lookup hashes only. */
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
 * min_sources 1..16; deviations >= 0 (0 disables that breaker guard). */
typedef struct perpcore_oracle_config {
  int64_t staleness_ns;
  int64_t twap_window_ns;
  int64_t basis_window_ns;
  int64_t max_source_deviation; /* rate */
  int64_t max_twap_deviation;   /* rate */
  uint32_t min_sources;
  uint32_t pad0;                /* ignored */
} perpcore_oracle_config;

/* perpcore_market_params (input and output; struct_size).
 *
 * symbol: 1..24 of [A-Za-z0-9-_/.], NUL-terminated. tick size and lot size
 * are mantissa * 10^exponent (mantissa >= 1, exponent -18..18); one tick of
 * one lot must be a whole number of quote atoms. The bounds of every field
 * are those of perpcore::engine::MarketParams (perpcore/engine/types.hpp);
 * perpcore_market_params_check() names the first field out of range.
 * tiers[0..tier_count) are read; the rest ignored. */
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
} perpcore_market_params;

/* perpcore_order (input; struct_size): a new order, for perpcore_order_place()
 * and perpcore_order_preview().
 *
 * price: the limit price, or a market order's protection price. size > 0.
 * client_id: 0 = none, else unique per account among its live orders.
 * side/type/tif/stp: PERPCORE_SIDE_*, PERPCORE_ORDER_*, PERPCORE_TIF_*,
 * PERPCORE_STP_*. reduce_only: 0 or 1; a reduce-only order must be IOC/FOK. */
typedef struct perpcore_order {
  uint32_t struct_size;
  uint32_t market;
  uint64_t order_id;
  uint64_t account;
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

/* perpcore_event (output; frozen layout). One thing a command caused, in
 * order. Fields by kind (unlisted ones are 0):
 *   ORDER_RESTED / ORDER_CANCELED / ORDER_REDUCED / ORDER_AMENDED: market,
 *     account, order_id, side, price, size, remaining (as the book's events:
 *     perpcore/book/types.hpp); code = PERPCORE_CANCEL_* for cancels and
 *     reductions; priority_kept for amends.
 *   FILL: market; account/order_id/side: the taker; maker_account/
 *     maker_order_id: the maker; price, size; remaining/maker_remaining: open
 *     sizes after the fill; amount: the taker's fee (>= 0); maker_fee (< 0 a
 *     rebate); referrer/referrer_fee: the referrer's cut of the taker fee;
 *     position/maker_position: both positions after the fill; realized/
 *     maker_realized: PnL each side realized.
 *   DEPOSIT / WITHDRAWAL: account, amount. TRANSFER: account (from),
 *     counterparty (to), amount. INSURANCE_FUNDED: amount.
 *   ACCOUNT_CREATED: account, counterparty = owner, referrer, code = fee tier.
 *   MARKET_CREATED / MARKET_UPDATED: market.
 *   MARKET_STATUS_CHANGED: market, code = the new PERPCORE_MARKET_*.
 *   PRICE_UPDATE: market, index, mark (0: none), price = TWAP.
 *   CIRCUIT_BREAKER: market, code = 1 tripped / 0 cleared, cause.
 *   MARGIN_MODE_SET: account, market, code = PERPCORE_MARGIN_*.
 *   LEVERAGE_SET: account, market, code = leverage.
 *   ISOLATED_MARGIN_CHANGED: account, market, amount = delta (+ added).
 *   FEE_TIER_SET: account, code = tier. */
typedef struct perpcore_event {
  uint8_t kind;          /* PERPCORE_EVENT_* */
  uint8_t side;          /* PERPCORE_SIDE_* */
  uint8_t cause;         /* PERPCORE_BREAKER_* */
  uint8_t priority_kept; /* 0 or 1 */
  uint32_t code;
  uint32_t market;
  uint32_t pad0;
  uint64_t account;
  uint64_t order_id;
  int64_t price;
  int64_t size;
  int64_t remaining;
  uint64_t maker_account;
  uint64_t maker_order_id;
  int64_t maker_remaining;
  int64_t amount;
  int64_t maker_fee;
  uint64_t referrer;
  int64_t referrer_fee;
  int64_t position;
  int64_t maker_position;
  int64_t realized;
  int64_t maker_realized;
  uint64_t counterparty;
  int64_t index;
  int64_t mark;
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
 * account (a position, or only open orders, in a market).
 * value = size * mark * atoms_per_tick_lot; cost = the signed entry value;
 * unrealized_pnl = value - cost; isolated_equity for isolated positions;
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
 * and what isolated positions may draw; free_collateral =
 * max(0, equity - initial_with_orders); margin_ratio = maintenance / equity
 * as a rate, rounded up (INT64_MAX when equity <= 0 with a requirement).
 * position_count: the records perpcore_account_positions() returns. */
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
} perpcore_account_summary;

/* perpcore_market_stats (output; struct_size). Prices 0 = none. */
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

/* The version-1 sizes, identical on every ABI. */
PERPCORE_STATIC_ASSERT(sizeof(perpcore_engine_config) == 168, engine_config_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_margin_tier) == 24, margin_tier_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_oracle_config) == 48, oracle_config_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_market_params) == 944, market_params_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_order) == 56, order_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_amend) == 40, amend_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_result) == 24, result_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_event) == 168, event_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_level) == 24, level_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_position) == 128, position_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_open_order) == 56, open_order_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_account_summary) == 112, account_summary_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_market_stats) == 176, market_stats_size);
PERPCORE_STATIC_ASSERT(sizeof(perpcore_preview) == 96, preview_size);

/* ------------------------------------------------------------------------- */
/* Struct initializers (static inline: struct_size is this header's size)    */
/* ------------------------------------------------------------------------- */

/* perpcore_engine_config_init(): the defaults (6 quote decimals, one fee
 * tier without discount, no referrer share, 256 markets, 2^20 accounts).
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
}

/* perpcore_market_params_init(): the defaults of
 * perpcore::engine::MarketParams: "BTC-USD", tick 0.1, lot 0.001, one tier
 * (20x, 1% maintenance), maker 1 bp, taker 5 bp, one oracle source, 60 s
 * staleness, 30 min TWAP, 5 min basis. NULL is ignored.
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
  p->price_band = 0;
  p->max_leverage = 20;
  p->tier_count = 1;
  p->tiers[0].notional_floor = 0;
  p->tiers[0].max_leverage = 20;
  p->tiers[0].maintenance_rate = PERPCORE_RATE_SCALE / 100;
  p->maker_fee = PERPCORE_RATE_SCALE / 10000;
  p->taker_fee = 5 * (PERPCORE_RATE_SCALE / 10000);
  p->oracle.staleness_ns = INT64_C(60000000000);
  p->oracle.min_sources = 1;
  p->oracle.max_source_deviation = 0;
  p->oracle.max_twap_deviation = 0;
  p->oracle.twap_window_ns = INT64_C(1800000000000);
  p->oracle.basis_window_ns = INT64_C(300000000000);
  p->max_orders_per_account = 200;
  p->max_levels_per_side = 10000;
  p->max_book_orders = UINT32_C(1) << 22;
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
static inline void perpcore_preview_init(perpcore_preview *p) {
  if (!p) return;
  memset(p, 0, sizeof *p);
  p->struct_size = PERPCORE_U32(sizeof *p);
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
 * a destroyed one. A handle whose magic does not match is not freed. */
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
 * Returns PERPCORE_OK; PERPCORE_E_ILLEGAL_ARG if eng is NULL or buf is NULL
 * with len > 0; PERPCORE_E_BAD_HANDLE. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_last_error(
    const perpcore_engine *eng, char *buf, size_t len) PERPCORE_NOEXCEPT;

/* ------------------------------------------------------------------------- */
/* Commands                                                                  */
/*                                                                           */
/* Every command takes (eng, out, seq, timestamp_ns, ...inputs). seq must be */
/* the engine's last_seq + 1 and timestamp_ns not before the previous        */
/* accepted command's, or the engine rejects it (SEQUENCE_GAP,               */
/* TIME_WENT_BACK). A rejected command does not consume its seq.             */
/*                                                                           */
/* Returns PERPCORE_OK when the engine processed the command, accepted      */
/* (out->reason == PERPCORE_REASON_OK) or rejected (out->reason says why).   */
/* Misuse returns, with *out zeroed and the engine unchanged (its events     */
/* stay those of the previous command):                                      */
/*   PERPCORE_E_ILLEGAL_ARG  eng or out or a required input NULL, or a value  */
/*                           that is not an enumerator of this header;       */
/*   PERPCORE_E_BAD_HANDLE   eng is not a live engine;                       */
/*   PERPCORE_E_STRUCT_SIZE  an input struct's struct_size is invalid;       */
/*   PERPCORE_E_RANGE        tier_count above PERPCORE_MAX_TIERS;            */
/*   PERPCORE_E_INTERNAL     out of memory. A command that fails this way    */
/*                           may have been applied in part: the engine then  */
/*                           refuses further commands (PERPCORE_E_INTERNAL); */
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
 * market never changes status again (INVALID_STATUS). */
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
 * (INSUFFICIENT_COLLATERAL beyond it). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_deposit(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint64_t account, int64_t amount) PERPCORE_NOEXCEPT;
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_withdraw(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint64_t account, int64_t amount) PERPCORE_NOEXCEPT;

/* perpcore_account_transfer(): amount > 0 atoms from `from` to `to`, two
 * accounts of the same owner, up to from's free collateral. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_transfer(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint64_t from, uint64_t to, int64_t amount) PERPCORE_NOEXCEPT;

/* perpcore_account_set_fee_tier(): a tier below the engine's fee_tier_count. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_set_fee_tier(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint64_t account, uint32_t fee_tier) PERPCORE_NOEXCEPT;

/* perpcore_account_set_margin_mode(): mode is PERPCORE_MARGIN_*; only
 * without a position or open orders in the market (MARGIN_MODE_LOCKED). */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_set_margin_mode(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint64_t account, uint32_t market, uint32_t mode) PERPCORE_NOEXCEPT;

/* perpcore_account_set_leverage(): 1..the market's max_leverage; lowering it
 * with a position needs the margin it implies. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_account_set_leverage(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint64_t account, uint32_t market, uint32_t leverage) PERPCORE_NOEXCEPT;

/* perpcore_account_adjust_isolated_margin(): delta > 0 moves cross
 * collateral into the isolated position's bucket, delta < 0 back. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status
perpcore_account_adjust_isolated_margin(perpcore_engine *eng, perpcore_result *out, uint64_t seq,
                                        int64_t timestamp_ns, uint64_t account, uint32_t market,
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
    uint64_t account, uint32_t market) PERPCORE_NOEXCEPT;

/* perpcore_order_amend(): see perpcore_amend. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_order_amend(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    const perpcore_amend *amend) PERPCORE_NOEXCEPT;

/* perpcore_oracle_publish(): oracle source `source` (!= 0) published `price`
 * ticks (> 0, <= max_price) at publish_time_ns (<= timestamp_ns, not before
 * the source's previous one). Re-evaluates index, TWAP, breaker and mark. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_oracle_publish(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market, uint32_t source, int64_t price, int64_t publish_time_ns) PERPCORE_NOEXCEPT;

/* perpcore_engine_time_tick(): re-evaluates the oracle (staleness, TWAP,
 * breaker, mark) of `market`, or of every market for market 0. */
PERPCORE_API PERPCORE_WARN_UNUSED_RESULT perpcore_status perpcore_engine_time_tick(
    perpcore_engine *eng, perpcore_result *out, uint64_t seq, int64_t timestamp_ns,
    uint32_t market) PERPCORE_NOEXCEPT;

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
/* PERPCORE_E_BAD_HANDLE; PERPCORE_E_NOT_FOUND (unknown market or account);  */
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
