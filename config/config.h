// The assay configuration: one YAML file (assayd --config FILE, default
// /etc/assay/assay.yaml), documented by the commented example in
// systemd/assay.yaml.
//
// Loading validates everything before anything is used: an unknown key, a
// wrong type, a bad URL, an unreadable OPML file each give an error of the
// form `file:line:col: message`; all problems are reported at once.
//
// Relative paths in the file (store, OPML files, rule packs, `file:` feed
// URLs) are resolved against the directory of the config file, except
// `store.path`, which is resolved against the working directory so that a
// bundled config keeps its store under ./var/.
#ifndef ASSAY_CONFIG_CONFIG_H_
#define ASSAY_CONFIG_CONFIG_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace assay::config {

inline constexpr const char kDefaultConfigPath[] = "/etc/assay/assay.yaml";

struct FeedConfig {
  std::string url;   // absolute http(s) or file URL
  std::string name;  // optional display name
  std::chrono::seconds interval{0};  // 0 = fetch.default_interval
  std::vector<std::string> tags;     // extra tags given to every article
  std::string origin;                // "file:line" where it was declared
};

// An address range such as 127.0.0.1/32 or fd00::/8.
struct NetworkRange {
  int family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> address{};  // network byte order; 4 bytes for AF_INET
  int prefix_length = 0;
  std::string text;  // as written
};

// Parses "a.b.c.d/len", "v6::/len", or a bare address (a /32 or /128).
Result<NetworkRange> ParseNetworkRange(std::string_view text);

struct FetchConfig {
  // Transfers in flight at once. 64 keeps a single thread busy without
  // tripping rate limits of shared hosts.
  int concurrency = 64;
  // Transfers in flight to one host: polite to servers hosting many feeds.
  int per_host_concurrency = 4;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{60'000};  // whole transfer
  // Abort when slower than low_speed_bytes per second for low_speed_time:
  // catches servers that drip bytes forever.
  int64_t low_speed_bytes = 100;
  std::chrono::seconds low_speed_time{30};
  // Decoded body cap: no real feed is near it; a gzip bomb is.
  int64_t max_body_bytes = 16 << 20;
  int max_redirects = 5;
  std::string user_agent;  // empty = "assay/VERSION (+feed monitor)"
  // Feeds resolving to loopback, private, link-local or unspecified
  // addresses are refused unless this is set.
  bool allow_private_networks = false;
  // Non-public ranges allowed even when allow_private_networks is off, for
  // an intranet feed server: every other private address stays refused.
  std::vector<NetworkRange> allow_networks;
  std::chrono::seconds default_interval{15 * 60};
  std::chrono::seconds min_interval{60};
  std::chrono::seconds max_backoff{24 * 3600};
};

struct LoggingConfig {
  std::string level = "info";  // trace, debug, info, warn, error
};

struct RulesConfig {
  std::vector<std::string> packs;  // empty = the bundled default pack
};

// The local HTTP endpoint (health, metrics, JSON API). Off unless the file
// has an `http:` section.
struct HttpConfig {
  bool enabled = false;  // set by the presence of the section
  // The address to bind. Loopback by default: the endpoint serves the event
  // log to anyone who can connect. Any other address requires a token.
  std::string listen = "127.0.0.1";
  // 0 lets the kernel pick a free port (logged at start-up; for tests).
  uint16_t port = 8787;
  // The bearer token that the POST routes (and every route but /healthz and
  // /readyz, when set) require: from `token`, or read from the systemd
  // credential named by `token_credential` ($CREDENTIALS_DIRECTORY/NAME,
  // surrounding whitespace dropped). Never logged.
  std::string token;
  std::string token_credential;  // the credential's name, as written
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackAddress(std::string_view address);

// A delivery target of alert notifications. Secrets are read while the
// config loads (from a systemd credential or a file) and never logged.
struct AlertTargetConfig {
  std::string name;
  std::string kind;  // "email", "webhook" or "slack"
  std::string url;   // smtp://, smtps://, http://, https://
  std::string tls = "starttls";  // email over smtp://: "starttls" or "none"
  std::string from;               // email: envelope sender and From:
  std::vector<std::string> to;    // email: recipients
  std::string username;           // email: AUTH user (empty: no AUTH)
  std::string password;           // email: AUTH password
  std::string secret;             // webhook: HMAC key (empty: unsigned)
  std::string ca_file;
  std::string min_severity = "info";
  std::chrono::seconds timeout{30};
};

// Alerting: rule files (rules/FORMAT.md "Alert rules"), where
// notifications go, and how hard delivery tries.
struct AlertsConfig {
  std::vector<std::string> rule_files;  // absolute
  std::vector<AlertTargetConfig> targets;
  std::chrono::seconds initial_backoff{30};
  std::chrono::seconds max_backoff{std::chrono::hours(1)};
  std::chrono::seconds give_up_after{std::chrono::hours(24)};
};

struct Config {
  std::string path;        // the file it was loaded from
  std::string store_path;  // absolute
  std::vector<FeedConfig> feeds;  // inline feeds followed by OPML imports
  FetchConfig fetch;
  LoggingConfig logging;
  RulesConfig rules;
  HttpConfig http;
  AlertsConfig alerts;
};

// Loads and validates `path`. Every problem is in the message, one per line.
Result<Config> LoadConfig(const std::string& path);
// Same, from text; `path` only names the source in messages and anchors
// relative paths.
Result<Config> ParseConfig(const std::string& text, const std::string& path);

// "90s", "15m", "24h", "7d", "1h30m" → seconds. Also used by the CLI.
Result<std::chrono::seconds> ParseDuration(std::string_view text);
// "16MiB", "512KiB", "1000000", "10MB" → bytes.
Result<int64_t> ParseByteSize(std::string_view text);

}  // namespace assay::config

#endif  // ASSAY_CONFIG_CONFIG_H_
