// Tests URL resolution and canonicalisation (parsers/normalize.h).
#include <gtest/gtest.h>

#include "parsers/normalize.h"

namespace assay::parsers {
namespace {

struct ResolveCase {
  const char* base;
  const char* ref;
  const char* want;
};

class ResolveUrlTest : public ::testing::TestWithParam<ResolveCase> {};

TEST_P(ResolveUrlTest, FollowsRfc3986) {
  const ResolveCase& c = GetParam();
  EXPECT_EQ(ResolveUrl(c.base, c.ref), c.want) << c.base << " + " << c.ref;
}

// The RFC 3986 §5.4 examples, plus feed-specific ones.
INSTANTIATE_TEST_SUITE_P(
    Rfc3986, ResolveUrlTest,
    ::testing::Values(
        ResolveCase{"http://a/b/c/d;p?q", "g", "http://a/b/c/g"},
        ResolveCase{"http://a/b/c/d;p?q", "./g", "http://a/b/c/g"},
        ResolveCase{"http://a/b/c/d;p?q", "g/", "http://a/b/c/g/"},
        ResolveCase{"http://a/b/c/d;p?q", "/g", "http://a/g"},
        ResolveCase{"http://a/b/c/d;p?q", "//g", "http://g"},
        ResolveCase{"http://a/b/c/d;p?q", "?y", "http://a/b/c/d;p?y"},
        ResolveCase{"http://a/b/c/d;p?q", "g?y", "http://a/b/c/g?y"},
        ResolveCase{"http://a/b/c/d;p?q", "#s", "http://a/b/c/d;p?q#s"},
        ResolveCase{"http://a/b/c/d;p?q", "", "http://a/b/c/d;p?q"},
        ResolveCase{"http://a/b/c/d;p?q", "..", "http://a/b/"},
        ResolveCase{"http://a/b/c/d;p?q", "../g", "http://a/b/g"},
        ResolveCase{"http://a/b/c/d;p?q", "../../g", "http://a/g"},
        ResolveCase{"http://a/b/c/d;p?q", "../../../g", "http://a/g"},
        ResolveCase{"http://a/b/c/d;p?q", "g;x=1/../y", "http://a/b/c/y"},
        ResolveCase{"http://example.com", "item/1", "http://example.com/item/1"},
        ResolveCase{"https://x.org/feed.xml", "  /a b ", "https://x.org/a b"},
        ResolveCase{"", "item/1", "item/1"},
        ResolveCase{"http://a/b", "https://other/x", "https://other/x"}));

struct CanonCase {
  const char* in;
  const char* want;  // nullptr: not canonicalisable
};

class CanonicalUrlTest : public ::testing::TestWithParam<CanonCase> {};

TEST_P(CanonicalUrlTest, Canonicalises) {
  const CanonCase& c = GetParam();
  auto got = CanonicalUrl(c.in);
  if (c.want == nullptr) {
    EXPECT_FALSE(got.has_value()) << c.in << " → " << *got;
  } else {
    ASSERT_TRUE(got.has_value()) << c.in;
    EXPECT_EQ(*got, c.want);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, CanonicalUrlTest,
    ::testing::Values(
        CanonCase{"HTTP://Example.COM/Path", "http://example.com/Path"},
        CanonCase{"http://example.com", "http://example.com/"},
        CanonCase{"http://example.com:80/a", "http://example.com/a"},
        CanonCase{"https://example.com:443/a", "https://example.com/a"},
        CanonCase{"https://example.com:8443/a", "https://example.com:8443/a"},
        CanonCase{"http://example.com/a#frag", "http://example.com/a"},
        CanonCase{"http://example.com/a?utm_source=x&id=7&utm_medium=rss",
                  "http://example.com/a?id=7"},
        CanonCase{"http://example.com/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4",
                  "http://example.com/a"},
        CanonCase{"http://example.com/a?b=2&igshid=x&a=1&_hsenc=y&msclkid=z",
                  "http://example.com/a?b=2&a=1"},
        CanonCase{"http://example.com/a/./b/../c", "http://example.com/a/c"},
        CanonCase{"http://example.com./a", "http://example.com/a"},
        CanonCase{"/relative/path", nullptr}, CanonCase{"mailto:x@y", nullptr},
        CanonCase{"", nullptr},
        // Found by tests/fuzz/date_url_fuzzer: a mangled scheme and port
        // (seed crash-33dbaac7 in tests/fuzz/corpus/date_url_fuzzer/).
        CanonCase{"h200ttp://[::1]:P03-", nullptr}, CanonCase{"ftp://example.com/a", nullptr},
        CanonCase{"http://example.com:8o/a", nullptr}, CanonCase{"http://example.com:99999/", nullptr},
        CanonCase{"http://exa mple.com/", nullptr}, CanonCase{"http://[::1]:8080/x", "http://[::1]:8080/x"},
        // A second finding (seed crash-0b971776): a ':' inside a host.
        CanonCase{"https://a.example,M:4''https://x/g", nullptr},
        CanonCase{"http://example.com:/a", "http://example.com/a"},
        // A third (seed crash-5e27c5b1): control characters in the query.
        CanonCase{"https://example.com/b?x=1&\x01q\t#", nullptr},
        CanonCase{"https://example.com/a b", nullptr}));

}  // namespace
}  // namespace assay::parsers
