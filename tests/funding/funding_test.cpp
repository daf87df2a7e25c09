#include "perpcore/funding/funding.hpp"

#include <catch2/catch.hpp>

TEST_CASE("Funding: placeholder compiles", "[funding]") {
  CHECK(perpcore::funding::Skew(3, 1) == perpcore::Rate(500'000'000'000'000'000));
}
