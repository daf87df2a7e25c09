#include "perpcore/core/reason.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace perpcore {
namespace {

TEST_CASE("Reason: every reason has its own name and a message", "[core][reason]") {
  std::set<std::string_view> names;
  for (const Reason r : AllReasons()) {
    INFO(static_cast<int>(r));
    CHECK(ReasonName(r) != "kUnknown");
    CHECK(ReasonName(r).starts_with("k"));
    CHECK(!ReasonMessage(r).empty());
    CHECK(ReasonMessage(r) != "unknown reason");
    CHECK(names.insert(ReasonName(r)).second);
  }
  CHECK(AllReasons().front() == Reason::kOk);
}

TEST_CASE("Reason: the lookup finds a reason by value and nothing between reasons",
          "[core][reason]") {
  CHECK(ReasonName(Reason::kPostOnlyWouldCross) == "kPostOnlyWouldCross");
  CHECK(ReasonName(Reason::kInsufficientMargin) == "kInsufficientMargin");
  CHECK(ReasonMessage(Reason::kUnknownMarket) == "no market with this id");
  // One past the last of a range, and a reserved range.
  CHECK(ReasonName(static_cast<Reason>(226)) == "kUnknown");
  CHECK(ReasonMessage(static_cast<Reason>(608)) == "unknown reason");
  CHECK(ReasonName(static_cast<Reason>(712)) == "kUnknown");
  CHECK(ReasonName(static_cast<Reason>(819)) == "kUnknown");
  CHECK(ReasonName(static_cast<Reason>(900)) == "kUnknown");
  CHECK(ReasonName(static_cast<Reason>(UINT16_MAX)) == "kUnknown");
  CHECK(IsReason(403));
  CHECK(!IsReason(1));
  CHECK(!IsReason(104));
}

TEST_CASE("Reason: the value's hundreds say which module refused", "[core][reason]") {
  CHECK(ModuleOf(Reason::kOk) == ReasonModule::kOk);
  CHECK(ModuleOf(Reason::kSequenceGap) == ReasonModule::kFraming);
  CHECK(ModuleOf(Reason::kInvalidSize) == ReasonModule::kParameters);
  CHECK(ModuleOf(Reason::kInvalidSelfTradeScope) == ReasonModule::kParameters);
  CHECK(ModuleOf(Reason::kUnknownAccount) == ReasonModule::kRegistry);
  CHECK(ModuleOf(Reason::kAmendWouldCross) == ReasonModule::kBook);
  CHECK(ModuleOf(Reason::kInsufficientMargin) == ReasonModule::kRisk);
  CHECK(ModuleOf(Reason::kNoIndexPrice) == ReasonModule::kOracle);
  CHECK(ModuleOf(Reason::kFundingIndexOverflow) == ReasonModule::kFunding);
  CHECK(ModuleOf(Reason::kLiquidationInvalidMaxNotional) == ReasonModule::kLiquidation);
  // Each range is dense from its first value: a reason added to a module
  // takes the next number of its own range.
  std::uint16_t next[11] = {0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000};
  for (const Reason r : AllReasons()) {
    const auto v = static_cast<std::uint16_t>(r);
    INFO(ReasonName(r));
    CHECK(v == next[v / 100]++);
  }
}

}  // namespace
}  // namespace perpcore
