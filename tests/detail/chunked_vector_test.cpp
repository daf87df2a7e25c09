// detail::ChunkedVector: elements never move, copies are deep, moves empty
// the source, clear() keeps the chunks.
#include "perpcore/detail/chunked_vector.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace perpcore::detail {
namespace {

TEST_CASE("ChunkedVector: appending never moves an element", "[detail]") {
  ChunkedVector<std::string, 4> v;  // chunks of 16
  std::vector<const std::string*> addresses;
  for (int i = 0; i < 1000; ++i) {
    v.emplace_back(std::to_string(i));
    addresses.push_back(&v.back());
  }
  REQUIRE(v.size() == 1000);
  CHECK(v.capacity() == 1008);
  for (int i = 0; i < 1000; ++i) {
    CHECK(&v[static_cast<std::size_t>(i)] == addresses[static_cast<std::size_t>(i)]);
    CHECK(v[static_cast<std::size_t>(i)] == std::to_string(i));
  }
  int n = 0;
  for (const std::string& s : v) CHECK(s == std::to_string(n++));
  CHECK(n == 1000);
}

TEST_CASE("ChunkedVector: copies are deep, moves leave an empty usable vector", "[detail]") {
  ChunkedVector<std::shared_ptr<int>, 3> v;
  for (int i = 0; i < 50; ++i) v.push_back(std::make_shared<int>(i));
  ChunkedVector<std::shared_ptr<int>, 3> copy = v;
  REQUIRE(copy.size() == 50);
  CHECK(copy[49].get() == v[49].get());  // element-wise copies
  CHECK(&copy[49] != &v[49]);
  ChunkedVector<std::shared_ptr<int>, 3> moved = std::move(copy);
  CHECK(moved.size() == 50);
  CHECK(copy.empty());
  copy.push_back(std::make_shared<int>(7));
  CHECK(*copy[0] == 7);
  CHECK(v[10].use_count() == 2);  // v and moved
  moved.clear();
  CHECK(moved.empty());
  CHECK(moved.capacity() >= 50);
  CHECK(v[10].use_count() == 1);
  v = moved;
  CHECK(v.empty());
  v.reserve(100);
  CHECK(v.capacity() >= 100);
}

}  // namespace
}  // namespace perpcore::detail
