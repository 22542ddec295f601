// Which network addresses assay may connect to.
//
// Feed and webhook URLs come from configs and from redirects chosen by
// remote servers. Without a check, a feed could make the daemon talk to
// services on the host or the private network (SSRF). The check runs on the
// resolved address at connect time, for every redirect hop, so DNS tricks
// and disguised literals (2130706433, 0x7f.1, [::ffff:127.0.0.1]) end up as
// the same binary address and are judged alike.
#ifndef ASSAY_DAEMON_NET_POLICY_H_
#define ASSAY_DAEMON_NET_POLICY_H_

#include <sys/socket.h>

#include <string>
#include <vector>

#include "config/config.h"

namespace assay::daemon {

// True for loopback, private (RFC 1918, ULA), link-local, CGNAT, unspecified,
// multicast, broadcast and reserved addresses, IPv4 and IPv6, including
// IPv4-mapped, IPv4-compatible and NAT64 forms of them. Unknown families are
// forbidden.
bool IsForbiddenAddress(const sockaddr* addr);

// True when `addr` lies in one of `ranges`. An IPv4-mapped IPv6 address is
// matched as the IPv4 address it carries.
bool IsInRanges(const sockaddr* addr, const std::vector<config::NetworkRange>& ranges);

// "127.0.0.2" or "::1": the address alone, for error messages.
std::string AddressToString(const sockaddr* addr);

}  // namespace assay::daemon

#endif  // ASSAY_DAEMON_NET_POLICY_H_
