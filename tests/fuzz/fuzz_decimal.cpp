// libFuzzer target: the decimal parser and formatter
// (include/perpcore/core/decimal.hpp) against a reference written here.
//
// Input: byte 0 picks `decimals` (-1..20: the valid 0..18 and both sides of
// them), byte 1 picks `step` (1, small steps, powers of ten, or the next 8
// bytes raw, zero and negative included); the rest is the text. Checks:
//   1. ParseDecimal() answers exactly what the reference below answers: the
//      same value, or the same error code (kInvalidArgument / kOutOfRange),
//      for every text and scale. The reference reads the digits in unsigned
//      __int128 (a different type and a different order of checks from the
//      library's absl::uint128 with its running bound).
//   2. For a valid parse, FormatDecimal() of the value is the text in its
//      canonical form (no leading zeros, no trailing fraction zeros, no "-0",
//      no point for whole numbers), and parses back to the same value.
//   3. Any int64 (the first 8 bytes of the text, read as one) formats and
//      parses back to itself at the fuzzed scale.
//   4. ParseRate() / FormatRate() are ParseDecimal() / FormatDecimal() at 18
//      decimals, step 1.
// A failed check aborts with a message; libFuzzer saves the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "perpcore/core/decimal.hpp"

namespace {

namespace pc = perpcore;

[[noreturn]] void Fail(const char* what, std::string_view text, const pc::DecimalScale& scale) {
  std::fprintf(stderr, "fuzz_decimal: %s (text \"%.*s\", decimals %d, step %lld)\n", what,
               static_cast<int>(text.size()), text.data(), scale.decimals,
               static_cast<long long>(scale.step));
  std::abort();
}

// What ParseDecimal() must answer: a value, or an error code.
struct Expected {
  absl::StatusCode code = absl::StatusCode::kOk;
  std::int64_t value = 0;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The reference: the documented rules applied in the documented order
// (scale, syntax, excess precision, range, whole steps).
Expected Reference(std::string_view text, pc::DecimalScale scale) {
  using U128 = unsigned __int128;
  const Expected invalid{absl::StatusCode::kInvalidArgument, 0};
  if (scale.decimals < 0 || scale.decimals > 18 || scale.step < 1) return invalid;
  bool negative = false;
  std::size_t i = 0;
  if (i < text.size() && text[i] == '-') {
    negative = true;
    ++i;
  }
  std::string digits;  // whole and fraction digits, the point dropped
  std::size_t whole_digits = 0;
  while (i < text.size() && IsDigit(text[i])) digits.push_back(text[i++]);
  whole_digits = digits.size();
  if (whole_digits == 0) return invalid;
  if (i < text.size()) {
    if (text[i] != '.') return invalid;
    ++i;
    const std::size_t fraction_start = i;
    while (i < text.size() && IsDigit(text[i])) digits.push_back(text[i++]);
    if (i == fraction_start || i != text.size()) return invalid;
  }
  const auto decimals = static_cast<std::size_t>(scale.decimals);
  const std::size_t fraction_digits = digits.size() - whole_digits;
  for (std::size_t k = whole_digits + decimals; k < digits.size(); ++k) {
    if (digits[k] != '0') return invalid;  // excess precision
  }
  // The number in units of 10^-decimals: the kept digits, zero-padded.
  std::string scaled_digits = digits.substr(0, whole_digits + std::min(decimals, fraction_digits));
  if (fraction_digits < decimals) scaled_digits.append(decimals - fraction_digits, '0');
  const U128 step = static_cast<std::uint64_t>(scale.step);
  const U128 max_units = (U128{1} << 63) - (negative ? 0 : 1);
  const U128 limit = max_units * step;  // < 2^126
  // 39 significant digits are at least 10^38 > 2^126 > limit; 38 fit in
  // unsigned __int128 (10^38 < 2^127) with no check per digit.
  const std::size_t first = std::min(scaled_digits.find_first_not_of('0'), scaled_digits.size());
  if (scaled_digits.size() - first > 38) return Expected{absl::StatusCode::kOutOfRange, 0};
  U128 scaled = 0;
  for (std::size_t k = first; k < scaled_digits.size(); ++k) {
    scaled = scaled * 10 + static_cast<unsigned>(scaled_digits[k] - '0');
  }
  if (scaled > limit) return Expected{absl::StatusCode::kOutOfRange, 0};
  if (scaled % step != 0) return invalid;
  const auto magnitude = static_cast<std::uint64_t>(scaled / step);
  return Expected{absl::StatusCode::kOk,
                  static_cast<std::int64_t>(negative ? std::uint64_t{0} - magnitude : magnitude)};
}

// The canonical text of a well-formed number: what FormatDecimal() writes.
std::string Canonical(std::string_view text) {
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  const std::size_t point = text.find('.');
  std::string_view whole = text.substr(0, point);
  std::string_view fraction = point == std::string_view::npos ? "" : text.substr(point + 1);
  while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  if (whole == "0" && fraction.empty()) negative = false;
  std::string out = negative ? "-" : "";
  out.append(whole);
  if (!fraction.empty()) out.append(".").append(fraction);
  return out;
}

void CheckRoundTrip(std::int64_t units, pc::DecimalScale scale) {
  const absl::StatusOr<std::string> text = pc::FormatDecimal(units, scale);
  if (!text.ok()) Fail("FormatDecimal refused a valid scale", "", scale);
  const absl::StatusOr<std::int64_t> back = pc::ParseDecimal(*text, scale);
  if (!back.ok() || *back != units) Fail("FormatDecimal's text does not parse back", *text, scale);
}

pc::DecimalScale ScaleFrom(const std::uint8_t*& data, std::size_t& size) {
  pc::DecimalScale scale;
  scale.decimals = size > 0 ? static_cast<int>(data[0] % 22) - 1 : 0;
  const std::uint8_t mode = size > 1 ? data[1] : 0;
  const std::size_t used = size < 2 ? size : 2;
  data += used;
  size -= used;
  static constexpr std::int64_t kPowers[] = {1, 10, 100, 1000, 1000000, 1000000000,
                                             1000000000000000000};
  if (mode < 0x80) {
    scale.step = 1;
  } else if (mode < 0xC0) {
    scale.step = (mode & 0x3F) + 1;  // 1..64
  } else if (mode < 0xF0) {
    scale.step = kPowers[(mode & 0x3F) % std::size(kPowers)] * ((mode >> 4) & 1 ? 5 : 1);
  } else if (size >= 8) {
    std::uint64_t raw = 0;
    std::memcpy(&raw, data, 8);
    scale.step = static_cast<std::int64_t>(raw);
    data += 8;
    size -= 8;
  } else {
    scale.step = mode == 0xF0 ? 0 : -1;  // invalid steps
  }
  return scale;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const pc::DecimalScale scale = ScaleFrom(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // 1 and 2: the parse against the reference, then the canonical text.
  const absl::StatusOr<std::int64_t> parsed = pc::ParseDecimal(text, scale);
  const Expected want = Reference(text, scale);
  if (parsed.status().code() != want.code) Fail("ParseDecimal's status is not the reference's", text, scale);
  if (parsed.ok()) {
    if (*parsed != want.value) Fail("ParseDecimal's value is not the reference's", text, scale);
    const absl::StatusOr<std::string> formatted = pc::FormatDecimal(*parsed, scale);
    if (!formatted.ok() || *formatted != Canonical(text)) {
      Fail("FormatDecimal is not the canonical form of the parsed text", text, scale);
    }
    CheckRoundTrip(*parsed, scale);
  }

  // 3: any int64 round-trips at a valid scale; a bad scale is refused.
  if (size >= 8) {
    std::uint64_t raw = 0;
    std::memcpy(&raw, data, 8);
    const auto units = static_cast<std::int64_t>(raw);
    if (scale.decimals >= 0 && scale.decimals <= 18 && scale.step >= 1) {
      CheckRoundTrip(units, scale);
    } else if (pc::FormatDecimal(units, scale).status().code() !=
               absl::StatusCode::kInvalidArgument) {
      Fail("FormatDecimal accepted a bad scale", text, scale);
    }
    const pc::Rate rate(units);
    const std::string rate_text = pc::FormatRate(rate);
    const absl::StatusOr<pc::Rate> rate_back = pc::ParseRate(rate_text);
    if (!rate_back.ok() || *rate_back != rate) Fail("FormatRate does not parse back", rate_text, scale);
  }

  // 4: ParseRate is ParseDecimal at 18 decimals, step 1.
  const pc::DecimalScale rate_scale{.decimals = 18, .step = 1};
  const absl::StatusOr<pc::Rate> rate = pc::ParseRate(text);
  const absl::StatusOr<std::int64_t> as_decimal = pc::ParseDecimal(text, rate_scale);
  if (rate.status().code() != as_decimal.status().code() ||
      (rate.ok() && rate->raw() != *as_decimal)) {
    Fail("ParseRate differs from ParseDecimal at 18 decimals", text, rate_scale);
  }
  return 0;
}
