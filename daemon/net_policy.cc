#include "daemon/net_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>

namespace assay::daemon {
namespace {

bool IsForbiddenV4(uint32_t a) {  // host byte order
  auto in = [a](uint32_t net, int bits) {
    const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
    return (a & mask) == (net & mask);
  };
  return in(0x00000000, 8)       // 0.0.0.0/8 "this network", unspecified
         || in(0x0A000000, 8)    // 10/8
         || in(0x64400000, 10)   // 100.64/10 carrier-grade NAT
         || in(0x7F000000, 8)    // 127/8 loopback
         || in(0xA9FE0000, 16)   // 169.254/16 link-local (cloud metadata)
         || in(0xAC100000, 12)   // 172.16/12
         || in(0xC0000000, 24)   // 192.0.0/24 IETF protocol assignments
         || in(0xC0000200, 24)   // 192.0.2/24 TEST-NET-1
         || in(0xC0A80000, 16)   // 192.168/16
         || in(0xC6120000, 15)   // 198.18/15 benchmarking
         || in(0xC6336400, 24)   // 198.51.100/24 TEST-NET-2
         || in(0xCB007100, 24)   // 203.0.113/24 TEST-NET-3
         || in(0xE0000000, 4)    // 224/4 multicast
         || in(0xF0000000, 4);   // 240/4 reserved, broadcast
}

bool IsForbiddenV6(const uint8_t b[16]) {
  static constexpr uint8_t kZero[16] = {};
  // ::/128 unspecified, ::1 loopback, ::a.b.c.d IPv4-compatible.
  if (std::memcmp(b, kZero, 12) == 0) {
    const uint32_t v4 = uint32_t{b[12]} << 24 | uint32_t{b[13]} << 16 | uint32_t{b[14]} << 8 | b[15];
    return v4 <= 1 || IsForbiddenV4(v4);
  }
  // ::ffff:a.b.c.d IPv4-mapped.
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  // 64:ff9b::a.b.c.d NAT64 well-known prefix.
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, kMapped, 12) == 0 || std::memcmp(b, kNat64, 12) == 0) {
    const uint32_t v4 = uint32_t{b[12]} << 24 | uint32_t{b[13]} << 16 | uint32_t{b[14]} << 8 | b[15];
    return IsForbiddenV4(v4);
  }
  if ((b[0] & 0xfe) == 0xfc) return true;                   // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;   // fe80::/10 link-local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;   // fec0::/10 site-local
  if (b[0] == 0xff) return true;                            // ff00::/8 multicast
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return true;  // 2001:db8::/32
  if (b[0] == 0x20 && b[1] == 0x02) {                       // 2002::/16 6to4: check the v4
    const uint32_t v4 = uint32_t{b[2]} << 24 | uint32_t{b[3]} << 16 | uint32_t{b[4]} << 8 | b[5];
    return IsForbiddenV4(v4);
  }
  return false;
}

}  // namespace

bool IsForbiddenAddress(const sockaddr* addr) {
  if (addr == nullptr) return true;
  if (addr->sa_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, addr, sizeof in);
    return IsForbiddenV4(ntohl(in.sin_addr.s_addr));
  }
  if (addr->sa_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, addr, sizeof in6);
    return IsForbiddenV6(in6.sin6_addr.s6_addr);
  }
  return true;
}

bool IsInRanges(const sockaddr* addr, const std::vector<config::NetworkRange>& ranges) {
  if (addr == nullptr) return false;
  int family = addr->sa_family;
  uint8_t bytes[16] = {};
  if (family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, addr, sizeof in);
    std::memcpy(bytes, &in.sin_addr, 4);
  } else if (family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, addr, sizeof in6);
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(in6.sin6_addr.s6_addr, kMapped, 12) == 0) {
      family = AF_INET;
      std::memcpy(bytes, in6.sin6_addr.s6_addr + 12, 4);
    } else {
      std::memcpy(bytes, in6.sin6_addr.s6_addr, 16);
    }
  } else {
    return false;
  }
  for (const config::NetworkRange& r : ranges) {
    if (r.family != family) continue;
    const int full = r.prefix_length / 8;
    const int rest = r.prefix_length % 8;
    if (std::memcmp(bytes, r.address.data(), static_cast<size_t>(full)) != 0) continue;
    if (rest != 0) {
      const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
      if ((bytes[full] & mask) != (r.address[static_cast<size_t>(full)] & mask)) continue;
    }
    return true;
  }
  return false;
}

std::string AddressToString(const sockaddr* addr) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (addr == nullptr) return buf;
  if (addr->sa_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, addr, sizeof in);
    inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf);
  } else if (addr->sa_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, addr, sizeof in6);
    inet_ntop(AF_INET6, &in6.sin6_addr, buf, sizeof buf);
  }
  return buf;
}

}  // namespace assay::daemon
