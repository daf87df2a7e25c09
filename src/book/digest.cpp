#include "perpcore/detail/digest.hpp"

#include <secp256k1.h>

PERPCORE_NAMESPACE_BEGIN
namespace detail {

std::array<std::uint8_t, 32> TaggedDigest(std::string_view tag, std::string_view bytes) {
  std::array<std::uint8_t, 32> digest{};
  const int ok = secp256k1_tagged_sha256(
      secp256k1_context_static, digest.data(), reinterpret_cast<const unsigned char*>(tag.data()),
      tag.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  PERPCORE_CHECK(ok == 1);
  return digest;
}

}  // namespace detail
PERPCORE_NAMESPACE_END
