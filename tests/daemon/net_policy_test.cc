#include "daemon/net_policy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>

namespace assay::daemon {
namespace {

bool Forbidden(const char* text) {
  sockaddr_in6 in6{};
  sockaddr_in in{};
  if (inet_pton(AF_INET, text, &in.sin_addr) == 1) {
    in.sin_family = AF_INET;
    return IsForbiddenAddress(reinterpret_cast<sockaddr*>(&in));
  }
  EXPECT_EQ(inet_pton(AF_INET6, text, &in6.sin6_addr), 1) << text;
  in6.sin6_family = AF_INET6;
  return IsForbiddenAddress(reinterpret_cast<sockaddr*>(&in6));
}

TEST(NetPolicyTest, ForbidsEveryNonPublicRange) {
  for (const char* a : {"127.0.0.1", "127.0.0.2", "10.1.2.3", "172.16.0.1", "172.31.255.255",
                        "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1", "224.0.0.1",
                        "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1",
                        "::ffff:127.0.0.2", "::ffff:10.0.0.1", "::127.0.0.2", "64:ff9b::a00:1",
                        "ff02::1", "2002:7f00:1::1"}) {
    EXPECT_TRUE(Forbidden(a)) << a;
  }
}

TEST(NetPolicyTest, AllowsPublicAddresses) {
  for (const char* a : {"8.8.8.8", "93.184.216.34", "172.32.0.1", "192.169.0.1", "1.1.1.1",
                        "2606:4700:4700::1111", "::ffff:8.8.8.8", "2a00:1450::1"}) {
    EXPECT_FALSE(Forbidden(a)) << a;
  }
}

bool InRanges(const char* text, const std::vector<std::string>& ranges) {
  std::vector<config::NetworkRange> parsed;
  for (const auto& r : ranges) parsed.push_back(*config::ParseNetworkRange(r));
  sockaddr_in6 in6{};
  sockaddr_in in{};
  if (inet_pton(AF_INET, text, &in.sin_addr) == 1) {
    in.sin_family = AF_INET;
    return IsInRanges(reinterpret_cast<sockaddr*>(&in), parsed);
  }
  EXPECT_EQ(inet_pton(AF_INET6, text, &in6.sin6_addr), 1) << text;
  in6.sin6_family = AF_INET6;
  return IsInRanges(reinterpret_cast<sockaddr*>(&in6), parsed);
}

TEST(NetPolicyTest, AllowedRangesMatchByPrefix) {
  EXPECT_TRUE(InRanges("127.0.0.1", {"127.0.0.1/32"}));
  EXPECT_FALSE(InRanges("127.0.0.2", {"127.0.0.1/32"}));
  EXPECT_TRUE(InRanges("10.20.30.40", {"10.20.0.0/16"}));
  EXPECT_FALSE(InRanges("10.21.0.1", {"10.20.0.0/16"}));
  EXPECT_TRUE(InRanges("10.20.30.40", {"10.16.0.0/12"}));
  EXPECT_TRUE(InRanges("::ffff:127.0.0.1", {"127.0.0.1"}));
  EXPECT_FALSE(InRanges("::ffff:127.0.0.2", {"127.0.0.1"}));
  EXPECT_TRUE(InRanges("fd12::1", {"fd00::/8"}));
  EXPECT_FALSE(InRanges("fe80::1", {"fd00::/8"}));
  EXPECT_FALSE(InRanges("10.0.0.1", {}));
}

TEST(NetPolicyTest, UnknownFamilyIsForbidden) {
  sockaddr sa{};
  sa.sa_family = AF_UNIX;
  EXPECT_TRUE(IsForbiddenAddress(&sa));
  EXPECT_TRUE(IsForbiddenAddress(nullptr));
}

}  // namespace
}  // namespace assay::daemon
