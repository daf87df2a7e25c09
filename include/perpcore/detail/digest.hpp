// -----------------------------------------------------------------------------
// File: perpcore/detail/digest.hpp
// -----------------------------------------------------------------------------
//
// Not API. TaggedDigest(): the BIP-340 tagged SHA-256 of a canonical
// encoding (libsecp256k1's secp256k1_tagged_sha256), the one digest every
// module's Digest() uses, each with its own tag.
#ifndef PERPCORE_DETAIL_DIGEST_HPP_
#define PERPCORE_DETAIL_DIGEST_HPP_

#include <array>
#include <cstdint>
#include <string_view>

#include "perpcore/detail/config.hpp"

PERPCORE_NAMESPACE_BEGIN
namespace detail {

std::array<std::uint8_t, 32> TaggedDigest(std::string_view tag, std::string_view bytes);

}  // namespace detail
PERPCORE_NAMESPACE_END

#endif  // PERPCORE_DETAIL_DIGEST_HPP_
