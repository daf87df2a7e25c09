#include "perpcore/core/decimal.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include "support/outcome.hpp"

namespace perpcore {
namespace {

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr auto kOutOfRange = absl::StatusCode::kOutOfRange;
constexpr auto kInvalidArgument = absl::StatusCode::kInvalidArgument;

using testing::Err;
using testing::Ok;
using testing::Outcome;

Outcome Parse(std::string_view text, DecimalScale scale) {
  const absl::StatusOr<std::int64_t> r = ParseDecimal(text, scale);
  return r.ok() ? Ok(*r) : Err(r.status().code());
}

std::string ParseError(std::string_view text, DecimalScale scale) {
  return std::string(ParseDecimal(text, scale).status().message());
}

std::string FormatOrError(std::int64_t units, DecimalScale scale) {
  const absl::StatusOr<std::string> r = FormatDecimal(units, scale);
  return r.ok() ? *r : "error: " + std::string(r.status().message());
}

std::int64_t Pow10(int n) {
  std::int64_t p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

// `scaled` * 10^-decimals written with exactly `decimals` fraction digits,
// built from integer parts with snprintf, independently of FormatDecimal.
std::string FullText(long long scaled, int decimals) {
  const long long magnitude = scaled < 0 ? -scaled : scaled;
  const long long p = Pow10(decimals);
  char buf[64];
  if (decimals == 0) {
    std::snprintf(buf, sizeof buf, "%s%lld", scaled < 0 ? "-" : "", magnitude);
  } else {
    std::snprintf(buf, sizeof buf, "%s%lld.%0*lld", scaled < 0 ? "-" : "", magnitude / p, decimals,
                  magnitude % p);
  }
  return buf;
}

// FullText without trailing fraction zeros, or the point when nothing is left.
std::string ShortestText(long long scaled, int decimals) {
  std::string text = FullText(scaled, decimals);
  if (decimals == 0) return text;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

constexpr std::int64_t kSteps[] = {1, 5, 25};

// ---------------------------------------------------------------------------
// Exhaustive small domains
// ---------------------------------------------------------------------------

TEST_CASE("FormatDecimal: matches independently built text for every small value", "[fixed]") {
  for (int decimals = 0; decimals <= 4; ++decimals) {
    for (const std::int64_t step : kSteps) {
      const DecimalScale scale{.decimals = decimals, .step = step};
      for (std::int64_t units = -20000; units <= 20000; ++units) {
        const std::string want = ShortestText(units * step, decimals);
        const std::string got = FormatOrError(units, scale);
        if (got != want) {
          INFO(units << " units at decimals " << decimals << ", step " << step);
          CHECK(got == want);
        }
      }
    }
  }
}

TEST_CASE("ParseDecimal: reads back what FormatDecimal wrote for every small value", "[fixed]") {
  for (int decimals = 0; decimals <= 4; ++decimals) {
    for (const std::int64_t step : kSteps) {
      const DecimalScale scale{.decimals = decimals, .step = step};
      for (std::int64_t units = -20000; units <= 20000; ++units) {
        const absl::StatusOr<std::string> text = FormatDecimal(units, scale);
        const Outcome got = text.ok() ? Parse(*text, scale) : Err(text.status().code());
        if (got != Ok(units)) {
          INFO(units << " units at decimals " << decimals << ", step " << step);
          CHECK(got == Ok(units));
        }
      }
    }
  }
}

TEST_CASE("ParseDecimal: reads independently built text, padded or not, for every small value",
          "[fixed]") {
  for (int decimals = 0; decimals <= 4; ++decimals) {
    for (const std::int64_t step : kSteps) {
      const DecimalScale scale{.decimals = decimals, .step = step};
      for (std::int64_t units = -20000; units <= 20000; ++units) {
        const std::string full = FullText(units * step, decimals);
        const std::string padded = full + (decimals == 0 ? ".000" : "000");
        for (const std::string& text : {full, ShortestText(units * step, decimals), padded}) {
          const Outcome got = Parse(text, scale);
          if (got != Ok(units)) {
            INFO('"' << text << "\" at decimals " << decimals << ", step " << step);
            CHECK(got == Ok(units));
          }
        }
      }
    }
  }
}

TEST_CASE("ParseDecimal: accepts exactly the whole multiples of the step", "[fixed]") {
  for (int decimals = 0; decimals <= 4; ++decimals) {
    for (const std::int64_t step : kSteps) {
      const DecimalScale scale{.decimals = decimals, .step = step};
      for (std::int64_t scaled = -50000; scaled <= 50000; ++scaled) {
        const std::string text = FullText(scaled, decimals);
        const Outcome want = scaled % step == 0 ? Ok(scaled / step) : Err(kInvalidArgument);
        const Outcome got = Parse(text, scale);
        if (got != want) {
          INFO('"' << text << "\" at decimals " << decimals << ", step " << step);
          CHECK(got == want);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------
// ParseDecimal
// ---------------------------------------------------------------------------

TEST_CASE("ParseDecimal: the header's examples", "[fixed]") {
  CHECK(Parse("65000.5", {.decimals = 1, .step = 5}) == Ok(130001));
  CHECK(Parse("65000.5", {.decimals = 1, .step = 1}) == Ok(650005));
  CHECK(Parse("1.50", {.decimals = 1, .step = 1}) == Ok(15));
}

TEST_CASE("ParseDecimal: rejects malformed text as an invalid argument", "[fixed]") {
  const std::string_view malformed[] = {
      "",
      "-",
      ".",
      "1.",
      ".5",
      "+1",
      "1e3",
      " 1",
      "1 ",
      "1..2",
      "1.2.3",
      "--1",
      "0x10",
      "1,5",
      "-.5",
      "-1.",
      "1-",
      "1.-2",
      "\xD9\xA1",  // Arabic-Indic one
      "1.5e",
      "inf",
      "nan",
      "1_0",
      "1'0",
      "\t1",
      "1\n",
      "٣.٥",
      std::string_view("1\0", 2),
      std::string_view("1\0"
                       "2",
                       3),
      std::string_view("\0", 1),
  };
  for (const std::string_view text : malformed) {
    INFO("text of " << text.size() << " bytes: \"" << text << '"');
    CHECK(Parse(text, {.decimals = 2, .step = 1}) == Err(kInvalidArgument));
  }
}

TEST_CASE("ParseDecimal: the malformed-text error quotes the text", "[fixed]") {
  CHECK(ParseError("1e3", {}) ==
        "ParseDecimal: \"1e3\" is not a decimal number ([-]digits[.digits])");
}

TEST_CASE("ParseDecimal: the error escapes NUL and non-ASCII bytes", "[fixed]") {
  const std::string nul = ParseError(std::string_view("1\0"
                                                      "2",
                                                      3),
                                     {});
  CHECK_THAT(nul, Catch::Contains("\"1\\x00") && Catch::Contains("2\""));
  CHECK_THAT(ParseError("\xD9\xA1", {}), Catch::Contains("\"\\xd9\\xa1\""));
}

TEST_CASE("ParseDecimal: the error quotes at most 40 bytes of long text", "[fixed]") {
  const std::string text = std::string(30, '1') + "x" + std::string(69, '2');
  const std::string message = ParseError(text, {});
  // StrCat, not "\"" + std::string: GCC 12 warns falsely (-Wrestrict) on the latter.
  CHECK_THAT(message, Catch::Contains(absl::StrCat("\"", text.substr(0, 40), "...\" (100 bytes)")));
  CHECK_THAT(message, !Catch::Contains(text.substr(0, 41)));
}

TEST_CASE("ParseDecimal: nonzero digits past the scale are excess precision", "[fixed]") {
  CHECK(Parse("65000.55", {.decimals = 1, .step = 1}) == Err(kInvalidArgument));
  CHECK(Parse("0.001", {.decimals = 2, .step = 1}) == Err(kInvalidArgument));
  CHECK(Parse("-0.0000001", {.decimals = 0, .step = 1}) == Err(kInvalidArgument));
  CHECK(ParseError("65000.55", {.decimals = 1, .step = 1}) ==
        "ParseDecimal: \"65000.55\" has nonzero digits past 1 decimal places (excess precision)");
}

TEST_CASE("ParseDecimal: zeros past the scale are accepted", "[fixed]") {
  CHECK(Parse("65000.50", {.decimals = 1, .step = 1}) == Ok(650005));
  CHECK(Parse("7.000000000000000000000000", {.decimals = 0, .step = 1}) == Ok(7));
  CHECK(Parse("1." + std::string(1000, '0'), {.decimals = 1, .step = 1}) == Ok(10));
}

TEST_CASE("ParseDecimal: a value off the step grid is an invalid argument", "[fixed]") {
  CHECK(Parse("65000.7", {.decimals = 1, .step = 5}) == Err(kInvalidArgument));
  CHECK(ParseError("65000.7", {.decimals = 1, .step = 5}) ==
        "ParseDecimal: \"65000.7\" is not a whole number of steps of 5e-1");
}

TEST_CASE("ParseDecimal: leading zeros and negative zero are plain numbers", "[fixed]") {
  CHECK(Parse("00012.3400", {.decimals = 2, .step = 1}) == Ok(1234));
  CHECK(Parse("-0", {}) == Ok(0));
  CHECK(Parse("-0.000", {.decimals = 2, .step = 1}) == Ok(0));
  CHECK(Parse(std::string(1000, '0') + "1", {}) == Ok(1));
}

TEST_CASE("ParseDecimal: the int64 extremes parse and one past them does not", "[fixed]") {
  CHECK(Parse("-9223372036854775808", {}) == Ok(kMin));
  CHECK(Parse("-9223372036854775809", {}) == Err(kOutOfRange));
  CHECK(Parse("9223372036854775807", {}) == Ok(kMax));
  CHECK(Parse("9223372036854775808", {}) == Err(kOutOfRange));
  CHECK(Parse("-92233720368547758.08", {.decimals = 2, .step = 1}) == Ok(kMin));
  CHECK(Parse("92233720368547758.08", {.decimals = 2, .step = 1}) == Err(kOutOfRange));
  CHECK(Parse("9223372036854775807.000", {}) == Ok(kMax));
}

TEST_CASE("ParseDecimal: the extremes are on the step grid only where step divides them",
          "[fixed]") {
  // 2^63 = 2 * 4611686018427387904, and 2^63 mod 3 = 2.
  CHECK(Parse("-9223372036854775808", {.decimals = 0, .step = 2}) == Ok(-4611686018427387904));
  CHECK(Parse("-9223372036854775808", {.decimals = 0, .step = 3}) == Err(kInvalidArgument));
}

TEST_CASE("ParseDecimal: reaches int64 units of the largest step at 18 decimals", "[fixed]") {
  const DecimalScale scale{.decimals = 18, .step = kMax};
  // (2^63 - 1)^2 and -2^63 * (2^63 - 1), in units of 10^-18.
  CHECK(Parse("85070591730234615847.396907784232501249", scale) == Ok(kMax));
  CHECK(Parse("-85070591730234615856.620279821087277056", scale) == Ok(kMin));
  CHECK(Parse("85070591730234615856.620279821087277056", scale) == Err(kOutOfRange));
  CHECK(Parse("85070591730234615847.396907784232501248", scale) == Err(kInvalidArgument));
}

TEST_CASE("ParseDecimal: arbitrarily long numbers are out of range, not wrapped", "[fixed]") {
  CHECK(Parse(std::string(1000, '9'), {}) == Err(kOutOfRange));
  CHECK(Parse("-" + std::string(1000, '9'), {.decimals = 18, .step = kMax}) == Err(kOutOfRange));
  // 2^128 + 5 would read as 5 in a wrapping 128-bit accumulator.
  CHECK(Parse("340282366920938463463374607431768211461", {}) == Err(kOutOfRange));
}

TEST_CASE("ParseDecimal: the out-of-range error quotes the text", "[fixed]") {
  CHECK(ParseError("9223372036854775808", {}) ==
        "ParseDecimal: \"9223372036854775808\" does not fit in int64 units of 1e-0");
}

TEST_CASE("ParseDecimal: a bad scale is an invalid argument", "[fixed]") {
  CHECK(Parse("1", {.decimals = -1, .step = 1}) == Err(kInvalidArgument));
  CHECK(Parse("1", {.decimals = 19, .step = 1}) == Err(kInvalidArgument));
  CHECK(Parse("1", {.decimals = 0, .step = 0}) == Err(kInvalidArgument));
  CHECK(Parse("1", {.decimals = 0, .step = -5}) == Err(kInvalidArgument));
  CHECK(Parse("1", {.decimals = 18, .step = 1}) == Ok(Pow10(18)));
  CHECK(ParseError("1", {.decimals = 19, .step = 1}) ==
        "ParseDecimal: bad scale (decimals 19, step 1): decimals must be in [0, 18] and step >= 1");
}

// ---------------------------------------------------------------------------
// FormatDecimal
// ---------------------------------------------------------------------------

TEST_CASE("FormatDecimal: the header's examples", "[fixed]") {
  CHECK(FormatOrError(130001, {.decimals = 1, .step = 5}) == "65000.5");
  CHECK(FormatOrError(-25, {.decimals = 2, .step = 1}) == "-0.25");
  CHECK(FormatOrError(7, {}) == "7");
}

TEST_CASE("FormatDecimal: drops trailing zeros and a bare point", "[fixed]") {
  CHECK(FormatOrError(1500, {.decimals = 3, .step = 1}) == "1.5");
  CHECK(FormatOrError(2, {.decimals = 1, .step = 5}) == "1");
  CHECK(FormatOrError(0, {.decimals = 4, .step = 25}) == "0");
  CHECK(FormatOrError(1, {.decimals = 18, .step = 1}) == "0.000000000000000001");
  CHECK(FormatOrError(-1, {.decimals = 18, .step = 1}) == "-0.000000000000000001");
}

TEST_CASE("FormatDecimal: writes the int64 extremes exactly", "[fixed]") {
  CHECK(FormatOrError(kMin, {}) == "-9223372036854775808");
  CHECK(FormatOrError(kMax, {}) == "9223372036854775807");
  CHECK(FormatOrError(kMin, {.decimals = 18, .step = 1}) == "-9.223372036854775808");
  CHECK(FormatOrError(kMax, {.decimals = 18, .step = 1}) == "9.223372036854775807");
}

TEST_CASE("FormatDecimal: units times step beyond int64 are exact", "[fixed]") {
  CHECK(FormatOrError(kMax, {.decimals = 0, .step = kMax}) ==
        "85070591730234615847396907784232501249");
  CHECK(FormatOrError(kMax, {.decimals = 18, .step = kMax}) ==
        "85070591730234615847.396907784232501249");
  CHECK(FormatOrError(kMin, {.decimals = 18, .step = kMax}) ==
        "-85070591730234615856.620279821087277056");
}

TEST_CASE("FormatDecimal: a bad scale is an invalid argument", "[fixed]") {
  CHECK(FormatDecimal(1, {.decimals = 19, .step = 1}).status().code() == kInvalidArgument);
  CHECK(FormatDecimal(1, {.decimals = -1, .step = 1}).status().code() == kInvalidArgument);
  CHECK(FormatDecimal(1, {.decimals = 2, .step = 0}).status().code() == kInvalidArgument);
}

// ---------------------------------------------------------------------------
// Typed conveniences and rates
// ---------------------------------------------------------------------------

TEST_CASE("ParseAs: wraps the units in the requested type", "[fixed]") {
  const absl::StatusOr<Ticks> price = ParseAs<Ticks>("65000.5", {.decimals = 1, .step = 5});
  REQUIRE(price.ok());
  CHECK(*price == Ticks(130001));
  CHECK(ParseAs<Lots>("1.25", {.decimals = 1, .step = 1}).status().code() == kInvalidArgument);
}

TEST_CASE("Format: writes a typed value at its scale", "[fixed]") {
  const absl::StatusOr<std::string> text = Format(Ticks(130001), {.decimals = 1, .step = 5});
  REQUIRE(text.ok());
  CHECK(*text == "65000.5");
}

TEST_CASE("ParseRate: reads a plain fraction at 18 decimals", "[fixed]") {
  const absl::StatusOr<Rate> bp = ParseRate("0.0001");
  REQUIRE(bp.ok());
  CHECK(*bp == Rate(100'000'000'000'000));
  const absl::StatusOr<Rate> one = ParseRate("1");
  REQUIRE(one.ok());
  CHECK(*one == Rate(kRateScale));
  const absl::StatusOr<Rate> min = ParseRate("-9.223372036854775808");
  REQUIRE(min.ok());
  CHECK(*min == Rate::Min());
}

TEST_CASE("ParseRate: rejects excess precision, range and malformed text", "[fixed]") {
  CHECK(ParseRate("0.0000000000000000001").status().code() == kInvalidArgument);
  CHECK(ParseRate("9.223372036854775808").status().code() == kOutOfRange);
  CHECK(ParseRate("1%").status().code() == kInvalidArgument);
  CHECK(std::string(ParseRate("1%").status().message()) ==
        "ParseRate: \"1%\" is not a decimal number ([-]digits[.digits])");
}

TEST_CASE("FormatRate: writes the shortest exact fraction", "[fixed]") {
  CHECK(FormatRate(Rate(500'000'000'000'000)) == "0.0005");
  CHECK(FormatRate(Rate(kRateScale)) == "1");
  CHECK(FormatRate(Rate(0)) == "0");
  CHECK(FormatRate(Rate::Min()) == "-9.223372036854775808");
  CHECK(FormatRate(Rate::Max()) == "9.223372036854775807");
}

}  // namespace
}  // namespace perpcore
