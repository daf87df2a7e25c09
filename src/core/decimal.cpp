// Exact decimal text <-> fixed-point units.
//
// Both directions go through the "scaled" value: the number in units of
// 10^-decimals, which is units * step. With step up to 2^63 - 1 that reaches
// 2^126, so it lives in absl::uint128 as a magnitude with a separate sign.
#include "perpcore/core/decimal.hpp"

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "perpcore/detail/status_macros.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace {

// 10^18 is the largest power of ten in int64, hence the largest useful scale.
constexpr int kMaxDecimals = 18;
// Error messages quote at most this many bytes of the offending text.
constexpr std::size_t kMaxQuotedBytes = 40;

constexpr DecimalScale kRateDecimalScale{.decimals = kRateDecimals, .step = 1};

// `text` in quotes for an error message, C-escaped so that NULs and non-ASCII
// bytes stay visible, and cut short so that hostile input stays small.
std::string QuoteText(std::string_view text) {
  const std::string_view shown = text.substr(0, kMaxQuotedBytes);
  const std::string escaped = absl::CHexEscape(absl::string_view(shown.data(), shown.size()));
  if (shown.size() == text.size()) return absl::StrCat("\"", escaped, "\"");
  return absl::StrCat("\"", escaped, "...\" (", text.size(), " bytes)");
}

absl::Status CheckScale(const char* fn, DecimalScale scale) {
  if (scale.decimals >= 0 && scale.decimals <= kMaxDecimals && scale.step >= 1) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(fn, ": bad scale (decimals ", scale.decimals, ", step ", scale.step,
                   "): decimals must be in [0, ", kMaxDecimals, "] and step >= 1"));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }  // ASCII only, whatever the locale

bool AllDigits(std::string_view s) { return std::all_of(s.begin(), s.end(), IsDigit); }

// DecimalText: the pieces of text matching [-]digits[.digits].
struct DecimalText {
  bool negative = false;
  std::string_view whole;
  std::string_view fraction;  // empty when there is no point
};

std::optional<DecimalText> SplitDecimal(std::string_view text) {
  DecimalText out;
  if (!text.empty() && text.front() == '-') {
    out.negative = true;
    text.remove_prefix(1);
  }
  const std::size_t point = text.find('.');
  out.whole = text.substr(0, point);
  if (point != std::string_view::npos) {
    out.fraction = text.substr(point + 1);
    if (out.fraction.empty()) return std::nullopt;  // "5."
  }
  // A second point or a second sign is a non-digit in one of the pieces.
  if (out.whole.empty() || !AllDigits(out.whole) || !AllDigits(out.fraction)) return std::nullopt;
  return out;
}

// The digits of `pieces` read as one integer, or nullopt as soon as it exceeds
// `limit`. Checking before each step keeps every intermediate <= limit, so no
// length of text can wrap.
std::optional<absl::uint128> ReadDigits(std::initializer_list<std::string_view> pieces,
                                        absl::uint128 limit) {
  absl::uint128 value = 0;
  for (const std::string_view piece : pieces) {
    for (const char c : piece) {
      const auto digit = static_cast<unsigned>(c - '0');
      if (value > (limit - digit) / 10) return std::nullopt;
      value = value * 10 + digit;
    }
  }
  return value;
}

absl::StatusOr<std::int64_t> Parse(const char* fn, std::string_view text, DecimalScale scale) {
  PERPCORE_RETURN_IF_ERROR(CheckScale(fn, scale));
  const std::optional<DecimalText> parts = SplitDecimal(text);
  if (!parts) {
    return absl::InvalidArgumentError(
        absl::StrCat(fn, ": ", QuoteText(text), " is not a decimal number ([-]digits[.digits])"));
  }
  const auto decimals = static_cast<std::size_t>(scale.decimals);
  const std::size_t kept = std::min(decimals, parts->fraction.size());
  if (parts->fraction.find_first_not_of('0', kept) != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(fn, ": ", QuoteText(text),
                                                   " has nonzero digits past ", decimals,
                                                   " decimal places (excess precision)"));
  }
  static constexpr std::string_view kZeros = "000000000000000000";
  static_assert(kZeros.size() == kMaxDecimals);
  // Beyond max_units * step the units cannot fit, whatever else holds; the
  // bound is below 2^126, so ReadDigits never needs more than uint128.
  const absl::uint128 max_units =
      absl::uint128(std::numeric_limits<std::int64_t>::max()) + (parts->negative ? 1 : 0);
  const auto step = static_cast<std::uint64_t>(scale.step);
  const std::optional<absl::uint128> scaled =
      ReadDigits({parts->whole, parts->fraction.substr(0, kept), kZeros.substr(0, decimals - kept)},
                 max_units * step);
  if (!scaled) {
    return absl::OutOfRangeError(absl::StrCat(
        fn, ": ", QuoteText(text), " does not fit in int64 units of ", scale.step, "e-", decimals));
  }
  if (*scaled % step != 0) {
    return absl::InvalidArgumentError(absl::StrCat(fn, ": ", QuoteText(text),
                                                   " is not a whole number of steps of ",
                                                   scale.step, "e-", decimals));
  }
  const std::uint64_t magnitude = absl::Uint128Low64(*scaled / step);
  // C++20 defines the modular conversion, so -2^63 needs no special case.
  return static_cast<std::int64_t>(parts->negative ? std::uint64_t{0} - magnitude : magnitude);
}

// FormatDecimal for a scale already checked.
std::string FormatChecked(std::int64_t units, DecimalScale scale) {
  const auto units_bits = static_cast<std::uint64_t>(units);
  const std::uint64_t magnitude = units < 0 ? std::uint64_t{0} - units_bits : units_bits;
  absl::uint128 scaled = absl::uint128(magnitude) * static_cast<std::uint64_t>(scale.step);
  // 2^126 has 38 digits; a scale of 18 decimals needs 19 for "0.000...".
  char buf[40];
  char* const end = std::end(buf);
  char* first = end;
  do {
    *--first = static_cast<char>('0' + absl::Uint128Low64(scaled % 10));
    scaled /= 10;
  } while (scaled != 0);
  const auto decimals = static_cast<std::ptrdiff_t>(scale.decimals);
  while (end - first <= decimals) *--first = '0';  // keep one whole digit
  const std::string_view digits(first, static_cast<std::size_t>(end - first));
  const std::string_view whole =
      digits.substr(0, digits.size() - static_cast<std::size_t>(decimals));
  std::string_view fraction = digits.substr(whole.size());
  // When the fraction is all zeros, npos + 1 wraps to 0 and leaves it empty.
  fraction = fraction.substr(0, fraction.find_last_not_of('0') + 1);
  // Negative units times a step >= 1 are never zero, so "-0" cannot arise.
  return absl::StrCat(units < 0 ? "-" : "", absl::string_view(whole.data(), whole.size()),
                      fraction.empty() ? "" : ".",
                      absl::string_view(fraction.data(), fraction.size()));
}

}  // namespace

absl::StatusOr<std::int64_t> ParseDecimal(std::string_view text, DecimalScale scale) {
  return Parse("ParseDecimal", text, scale);
}

absl::StatusOr<std::string> FormatDecimal(std::int64_t units, DecimalScale scale) {
  PERPCORE_RETURN_IF_ERROR(CheckScale("FormatDecimal", scale));
  return FormatChecked(units, scale);
}

absl::StatusOr<Rate> ParseRate(std::string_view text) {
  PERPCORE_ASSIGN_OR_RETURN(const std::int64_t raw, Parse("ParseRate", text, kRateDecimalScale));
  return Rate(raw);
}

std::string FormatRate(Rate rate) { return FormatChecked(rate.raw(), kRateDecimalScale); }

PERPCORE_NAMESPACE_END
