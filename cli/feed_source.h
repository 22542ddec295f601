// The bytes of a feed named on the command line: a file, or an http(s) URL
// fetched with a plain blocking transfer (10 MB cap, 30 s timeout, at most
// 5 redirects, http/https only). For one-off commands; the daemon fetches
// through daemon/fetcher.h.
#ifndef ASSAY_CLI_FEED_SOURCE_H_
#define ASSAY_CLI_FEED_SOURCE_H_

#include <string>

#include "core/status.h"
#include "parsers/feed.h"

namespace assay::cli {

struct FeedBytes {
  std::string body;
  parsers::FetchInfo info;  // URL (file:// for a file) and Content-Type
};

// Fails with IOError (unreadable file), Unavailable (network or HTTP
// error) or ResourceExhausted (body over the cap); messages name the source.
Result<FeedBytes> ReadFeedSource(const std::string& source);

}  // namespace assay::cli

#endif  // ASSAY_CLI_FEED_SOURCE_H_
