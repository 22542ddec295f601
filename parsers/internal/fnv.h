// FNV-1a 64: a fast, stable hash of bytes, for content hashes and term ids
// that must not change between versions (they are stored). Internal to
// parsers/.
#ifndef ASSAY_PARSERS_INTERNAL_FNV_H_
#define ASSAY_PARSERS_INTERNAL_FNV_H_

#include <cstdint>
#include <string_view>

namespace assay::parsers::internal {

inline constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
inline constexpr uint64_t kFnvPrime = 0x100000001b3ULL;

// Continues hash `h` over `s`; start with kFnvOffset.
inline uint64_t Fnv1a(std::string_view s, uint64_t h = kFnvOffset) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnvPrime;
  }
  return h;
}

}  // namespace assay::parsers::internal

#endif  // ASSAY_PARSERS_INTERNAL_FNV_H_
