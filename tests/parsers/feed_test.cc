// Tests parsers/feed.h: each format, recovery from broken documents, and
// hostile input.
#include "parsers/feed.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/time.h"
#include "parsers/html.h"

namespace assay::parsers {
namespace {

Feed MustParse(std::string_view body, const FetchInfo& info = {},
               const ParseLimits& limits = {}) {
  Result<Feed> r = ParseFeed(body, info, limits);
  EXPECT_TRUE(r.has_value()) << r.status().ToString();
  return r ? *r : Feed{};
}

bool HasWarningContaining(const Feed& f, std::string_view needle) {
  for (const std::string& w : f.warnings) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

// Every output string is valid UTF-8 without control characters.
void ExpectCleanStrings(const Feed& f) {
  auto check = [](const std::optional<std::string>& s) {
    if (!s) return;
    EXPECT_TRUE(IsValidUtf8(*s)) << *s;
    for (unsigned char c : *s) EXPECT_TRUE(c >= 0x20 && c != 0x7F) << int(c);
  };
  check(f.title);
  check(f.subtitle);
  check(f.author);
  for (const Entry& e : f.entries) {
    check(e.title);
    check(e.summary);
    check(e.content);
    check(e.id);
    check(e.link);
    check(e.author);
  }
}

TEST(ParseFeedTest, ReadsRss20) {
  Feed f = MustParse(R"(<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Mining &amp; Markets</title>
  <link>https://example.org/</link>
  <description>Supply news</description>
  <language>en-us</language>
  <ttl>30</ttl>
  <lastBuildDate>Sat, 07 Sep 2002 00:00:01 GMT</lastBuildDate>
  <item>
    <title>China curbs &lt;b&gt;gallium&lt;/b&gt; exports</title>
    <link>/news/1?utm_source=rss</link>
    <guid isPermaLink="false">item-1</guid>
    <description><![CDATA[<p>Beijing <b>announced</b> controls.</p>]]></description>
    <content:encoded>&lt;p&gt;Full text&lt;/p&gt;</content:encoded>
    <pubDate>Mon, 03 Jul 2023 12:00:00 +0800</pubDate>
    <dc:creator>Jane Doe</dc:creator>
    <category>Gallium</category><category>China</category>
    <enclosure url="https://example.org/a.mp3" type="audio/mpeg" length="1234"/>
  </item>
</channel></rss>)",
                     {.url = "https://example.org/feed.xml", .content_type = ""});
  EXPECT_EQ(f.format, FeedFormat::kRss20);
  EXPECT_EQ(f.title, "Mining & Markets");
  EXPECT_EQ(f.link, "https://example.org/");
  EXPECT_EQ(f.subtitle, "Supply news");
  EXPECT_EQ(f.language, "en-us");
  EXPECT_EQ(f.ttl_seconds, 1800);
  ASSERT_TRUE(f.updated.has_value());
  EXPECT_EQ(FormatRfc3339(*f.updated), "2002-09-07T00:00:01Z");
  ASSERT_EQ(f.entries.size(), 1u);
  const Entry& e = f.entries[0];
  EXPECT_EQ(e.title, "China curbs gallium exports");
  EXPECT_EQ(e.link, "https://example.org/news/1?utm_source=rss");
  EXPECT_EQ(e.id, "item-1");
  EXPECT_FALSE(e.id_is_permalink);
  EXPECT_EQ(e.summary, "Beijing announced controls.");
  EXPECT_EQ(e.content, "Full text");
  ASSERT_TRUE(e.published.has_value());
  EXPECT_EQ(FormatRfc3339(*e.published), "2023-07-03T04:00:00Z");
  EXPECT_EQ(e.author, "Jane Doe");
  EXPECT_EQ(e.categories, (std::vector<std::string>{"Gallium", "China"}));
  ASSERT_EQ(e.enclosures.size(), 1u);
  EXPECT_EQ(e.enclosures[0].url, "https://example.org/a.mp3");
  EXPECT_EQ(e.enclosures[0].length, 1234);
  EXPECT_TRUE(f.warnings.empty());
}

TEST(ParseFeedTest, PermalinkGuidServesAsLink) {
  Feed f = MustParse(
      "<rss version='2.0'><channel><item><guid>http://g.example/1</guid>"
      "</item><item><guid isPermaLink='false'>http://g.example/2</guid></item>"
      "</channel></rss>");
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[0].link, "http://g.example/1");
  EXPECT_TRUE(f.entries[0].id_is_permalink);
  EXPECT_FALSE(f.entries[1].link.has_value());
}

TEST(ParseFeedTest, ReadsRss091AsRss09x) {
  Feed f = MustParse("<rss version='0.91'><channel><title>t</title></channel></rss>");
  EXPECT_EQ(f.format, FeedFormat::kRss090);
}

TEST(ParseFeedTest, ReadsRss10) {
  Feed f = MustParse(R"(<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
 <channel rdf:about="http://example.org/"><title>RDF feed</title>
   <description>d</description></channel>
 <item rdf:about="http://example.org/1"><title>One</title>
   <link>http://example.org/1</link><dc:date>2003-12-31T10:14:55Z</dc:date></item>
</rdf:RDF>)");
  EXPECT_EQ(f.format, FeedFormat::kRss10);
  EXPECT_EQ(f.title, "RDF feed");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].id, "http://example.org/1");
  EXPECT_EQ(f.entries[0].title, "One");
  ASSERT_TRUE(f.entries[0].updated.has_value());
}

TEST(ParseFeedTest, ReadsRss090) {
  Feed f = MustParse(R"(<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>old</title></channel>
  <item><title>Item title</title><link>http://x/1</link></item></rdf:RDF>)");
  EXPECT_EQ(f.format, FeedFormat::kRss090);
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].title, "Item title");
}

TEST(ParseFeedTest, ReadsAtom10) {
  Feed f = MustParse(R"(<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"
      xml:base="http://example.com/base/">
  <title type="html">A &amp;lt;b&amp;gt; title</title>
  <subtitle>Sub</subtitle><id>urn:feed</id>
  <link rel="self" href="/feed.atom"/><link href="index.html"/>
  <updated>2005-07-31T12:29:29Z</updated>
  <author><name>Feed Author</name><email>f@example.com</email></author>
  <entry>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">X <b>Y</b></div></title>
    <link rel="alternate" href="entry/1"/>
    <link rel="enclosure" href="movie.mp4" type="video/mp4" length="42301"/>
    <id>urn:e1</id>
    <published>2003-12-13T08:29:29-04:00</published>
    <updated>2003-12-13T18:30:02Z</updated>
    <author><email>only@example.com</email></author>
    <category term="lithium"/>
    <summary>Plain &lt;tag&gt; kept</summary>
    <content type="html">&lt;p&gt;Body&lt;/p&gt;</content>
    <source><title>Not this</title><id>not-this</id></source>
  </entry>
</feed>)");
  EXPECT_EQ(f.format, FeedFormat::kAtom10);
  EXPECT_EQ(f.title, "A <b> title");
  EXPECT_EQ(f.subtitle, "Sub");
  EXPECT_EQ(f.id, "urn:feed");
  EXPECT_EQ(f.link, "http://example.com/base/index.html");
  EXPECT_EQ(f.language, "en");
  EXPECT_EQ(f.author, "Feed Author");
  ASSERT_EQ(f.entries.size(), 1u);
  const Entry& e = f.entries[0];
  EXPECT_EQ(e.title, "X Y");
  EXPECT_EQ(e.link, "http://example.com/base/entry/1");
  EXPECT_EQ(e.id, "urn:e1");
  EXPECT_EQ(e.author, "only@example.com");
  EXPECT_EQ(e.summary, "Plain <tag> kept");
  EXPECT_EQ(e.content, "Body");
  EXPECT_EQ(e.categories, (std::vector<std::string>{"lithium"}));
  ASSERT_EQ(e.enclosures.size(), 1u);
  EXPECT_EQ(e.enclosures[0].url, "http://example.com/base/movie.mp4");
  EXPECT_EQ(e.enclosures[0].length, 42301);
  ASSERT_TRUE(e.published.has_value());
  EXPECT_EQ(FormatRfc3339(*e.published), "2003-12-13T12:29:29Z");
}

TEST(ParseFeedTest, PrefersHtmlAlternateLink) {
  Feed f = MustParse(R"(<feed xmlns="http://www.w3.org/2005/Atom"><entry>
    <link rel="alternate" type="application/atom+xml" href="http://x/e.atom"/>
    <link rel="alternate" type="text/html" href="http://x/e.html"/>
    <link rel="alternate" type="text/html" href="http://x/other.html"/>
  </entry></feed>)");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].link, "http://x/e.html");
}

TEST(ParseFeedTest, ReadsAtom03WithBase64) {
  Feed f = MustParse(R"(<feed version="0.3" xmlns="http://purl.org/atom/ns#">
  <tagline mode="base64">RXhhbXBsZSA8Yj5BdG9tPC9iPg==</tagline>
  <entry><title mode="escaped" type="text/html">&lt;b&gt;T&lt;/b&gt;</title>
  <modified>2004-01-01T19:48:21Z</modified><issued>2004-01-01T19:48:21Z</issued></entry>
</feed>)");
  EXPECT_EQ(f.format, FeedFormat::kAtom03);
  EXPECT_EQ(f.subtitle, "Example <b>Atom</b>");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].title, "T");
  EXPECT_TRUE(f.entries[0].updated.has_value());
  EXPECT_TRUE(f.entries[0].published.has_value());
}

TEST(ParseFeedTest, ReadsJsonFeed) {
  Feed f = MustParse(R"({"version": "https://jsonfeed.org/version/1.1",
    "title": "JF", "home_page_url": "https://example.org/", "language": "en",
    "authors": [{"name": "A"}],
    "items": [{"id": 7, "url": "/p/1", "title": "T",
               "content_html": "<p>Hello <b>there</b></p>",
               "date_published": "2020-01-24T23:46:57Z",
               "tags": ["x", "y"],
               "attachments": [{"url": "https://example.org/a.mp3",
                                "mime_type": "audio/mpeg", "size_in_bytes": 99}]}]})",
                     {.url = "https://example.org/feed.json", .content_type = ""});
  EXPECT_EQ(f.format, FeedFormat::kJsonFeed);
  EXPECT_EQ(f.title, "JF");
  EXPECT_EQ(f.author, "A");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].id, "7");
  EXPECT_EQ(f.entries[0].link, "https://example.org/p/1");
  EXPECT_EQ(f.entries[0].content, "Hello there");
  EXPECT_EQ(f.entries[0].categories.size(), 2u);
  ASSERT_EQ(f.entries[0].enclosures.size(), 1u);
  EXPECT_EQ(f.entries[0].enclosures[0].length, 99);
}

TEST(ParseFeedTest, HonoursDeclaredCharset) {
  std::string body =
      "<?xml version='1.0' encoding='koi8-r'?><rss version='2.0'><channel>"
      "<title>\xF0\xD2\xC9\xD7\xC5\xD4</title></channel></rss>";
  Feed f = MustParse(body);
  EXPECT_EQ(f.title, "Привет");
  // The HTTP charset outranks the declaration.
  Feed g = MustParse(body, {.url = "", .content_type = "text/xml; charset=windows-1251"});
  EXPECT_NE(g.title, "Привет");
}

TEST(ParseFeedTest, ReadsUndeclaredNonUtf8AsWindows1252) {
  Feed f = MustParse("<rss><channel><title>\x93smart\x94 caf\xE9</title></channel></rss>");
  EXPECT_EQ(f.title, "\u201Csmart\u201D caf\u00E9");
  EXPECT_TRUE(HasWarningContaining(f, "windows-1252"));
}

// --- Recovery -------------------------------------------------------------

struct RecoveryCase {
  const char* name;
  std::string body;
  std::string want_title;
  const char* warning;  // a substring of an expected warning
};

class RecoveryTest : public ::testing::TestWithParam<RecoveryCase> {};

TEST_P(RecoveryTest, RecoversAsAReaderWouldAndWarns) {
  const RecoveryCase& c = GetParam();
  Feed f = MustParse(c.body);
  EXPECT_EQ(f.title, c.want_title);
  EXPECT_TRUE(HasWarningContaining(f, c.warning)) << c.name;
  ExpectCleanStrings(f);
}

INSTANTIATE_TEST_SUITE_P(
    Table, RecoveryTest,
    ::testing::Values(
        RecoveryCase{"html_entity", "<rss><channel><title>caf&eacute; &mdash; ok</title></channel></rss>",
                     "café — ok", "HTML entity"},
        RecoveryCase{"bare_amp", "<rss><channel><title>AT&T & Co</title></channel></rss>",
                     "AT&T & Co", "unescaped '&'"},
        RecoveryCase{"bare_lt", "<rss><channel><title>1 < 2</title></channel></rss>",
                     "1 < 2", "unescaped '<'"},
        RecoveryCase{"truncated",
                     "<rss><channel><title>Cut</title><item><title>half",
                     "Cut", "truncated"},
        RecoveryCase{"unclosed_inner",
                     "<rss><channel><title>T</title><item><p>x</item></channel></rss>",
                     "T", "closes unclosed"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(ParseFeedTest, TruncatedDocumentKeepsWholeEntries) {
  Feed f = MustParse(
      "<rss><channel><item><title>one</title></item><item><title>two</ti");
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[0].title, "one");
}

// --- Not feeds ------------------------------------------------------------

struct NotFeedCase {
  const char* name;
  std::string body;
  const char* message;
};

class NotAFeedTest : public ::testing::TestWithParam<NotFeedCase> {};

TEST_P(NotAFeedTest, FailsWithInvalidArgument) {
  Result<Feed> r = ParseFeed(GetParam().body, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find(GetParam().message), std::string::npos)
      << r.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Table, NotAFeedTest,
    ::testing::Values(
        NotFeedCase{"empty", "", "not a feed: empty body"},
        NotFeedCase{"blank", " \n\t ", "not a feed: empty body"},
        NotFeedCase{"html", "<!DOCTYPE html><html><head><title>x</title></head></html>",
                    "not a feed: the document is an HTML page"},
        NotFeedCase{"other_xml", "<svg xmlns='http://www.w3.org/2000/svg'/>", "not a feed"},
        NotFeedCase{"plain_text", "hello world", "not a feed"},
        NotFeedCase{"json_not_feed", "{\"a\": 1}", "not a feed"},
        NotFeedCase{"bad_json", "{\"items\": [", "not a feed"}),
    [](const auto& p) { return std::string(p.param.name); });

// --- Hostile input --------------------------------------------------------

TEST(HostileInputTest, BillionLaughsIsNotExpanded) {
  std::string body = R"(<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>x &lol3; y</title></item></channel></rss>)";
  Feed f = MustParse(body);
  EXPECT_EQ(f.title, "&lol9;");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].title, "x &lol3; y");
  EXPECT_EQ(f.title->find("lollol"), std::string::npos);
  EXPECT_TRUE(HasWarningContaining(f, "not expanded"));
}

TEST(HostileInputTest, ExternalEntityIsNeitherReadNorExpanded) {
  std::string body = R"(<?xml version="1.0"?>
<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "file:///etc/passwd">
                <!ENTITY % remote SYSTEM "http://127.0.0.1:1/evil.dtd"> %remote; ]>
<rss version="2.0"><channel><title>t &xxe;</title>
<item><description>&xxe;</description></item></channel></rss>)";
  Feed f = MustParse(body);
  EXPECT_EQ(f.title, "t &xxe;");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].summary, "&xxe;");
  for (const Entry& e : f.entries) {
    EXPECT_EQ(e.summary->find("root:"), std::string::npos);
  }
  EXPECT_EQ(f.title->find("root:"), std::string::npos);
}

TEST(HostileInputTest, DeepNestingIsRefused) {
  std::string body = "<rss><channel>";
  for (int i = 0; i < 1000; ++i) body += "<x>";
  Result<Feed> r = ParseFeed(body, {}, {.max_depth = 256});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kResourceExhausted);
}

TEST(HostileInputTest, DeepJsonIsRefused) {
  std::string body = "{\"items\": " + std::string(100000, '[');
  Result<Feed> r = ParseFeed(body, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kResourceExhausted);
}

TEST(HostileInputTest, ItemCapDropsTheRestWithAWarning) {
  std::string body = "<rss><channel>";
  for (int i = 0; i < 50; ++i) body += "<item><title>i</title></item>";
  body += "</channel></rss>";
  Feed f = MustParse(body, {}, {.max_items = 10});
  EXPECT_EQ(f.entries.size(), 10u);
  EXPECT_TRUE(HasWarningContaining(f, "dropped"));
}

TEST(HostileInputTest, HugeFieldIsCutAtCharacterBoundary) {
  std::string big;
  for (int i = 0; i < 100000; ++i) big += "\xC3\xA9";  // é
  Feed f = MustParse("<rss><channel><title>" + big + "</title></channel></rss>", {},
                     {.max_field_bytes = 1001});
  ASSERT_TRUE(f.title.has_value());
  EXPECT_LE(f.title->size(), 1001u);
  EXPECT_GE(f.title->size(), 998u);
  EXPECT_TRUE(IsValidUtf8(*f.title));
}

TEST(HostileInputTest, InvalidUtf8AndControlsComeOutClean) {
  std::string body = "<rss><channel><title>a\x01\x02\x1b\xFF\xFE\xC0\x80 b</title>";
  body += std::string("<item><title>nul\0in\0title", 25);
  body += "</title><description>&#0;&#x1;&#xD800;&#1114112;x</description></item>";
  body += "</channel></rss>";
  Feed f = MustParse(body);
  ExpectCleanStrings(f);
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].title, "nulintitle");
}

TEST(HostileInputTest, RandomBytesNeverCrashAndStayClean) {
  // A deterministic generator: the same bytes on every run.
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const std::string alphabet = "<>/&;#=\"' abcxyz!?[]-:\x80\xC3\xFF\n";
  for (int round = 0; round < 300; ++round) {
    std::string body = "<rss><channel><item><title>";
    size_t len = next() % 400;
    for (size_t i = 0; i < len; ++i) body += alphabet[next() % alphabet.size()];
    Result<Feed> r = ParseFeed(body, {});
    if (r) ExpectCleanStrings(*r);
  }
}

TEST(HostileInputTest, EveryPrefixOfAFeedParsesOrFailsCleanly) {
  const std::string doc = R"(<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>T &amp; t</title><link>http://x.example/</link>
<item><title>One &eacute;</title><link>/1</link><guid>g1</guid>
<description><![CDATA[<p>Hello <b>world</b> &amp; more</p>]]></description>
<pubDate>Tue, 14 May 2024 09:12:00 +0000</pubDate><dc:creator>A (a@x)</dc:creator>
<enclosure url="/a.mp3" length="12" type="audio/mpeg"/></item>
</channel></rss>)";
  for (size_t n = 0; n <= doc.size(); ++n) {
    Result<Feed> r = ParseFeed(std::string_view(doc).substr(0, n), {.url = "http://x.example/f", .content_type = ""});
    if (r) ExpectCleanStrings(*r);
  }
}

// Every document of the shared conformance corpus parses without crashing
// and yields clean strings (the checker itself runs as parsers_conformance).
TEST(ConformanceCorpusTest, EveryCaseYieldsCleanStrings) {
  std::filesystem::path dir =
      std::filesystem::path(ASSAY_SHARED_DIR) / "conformance" / "feeds";
  if (!std::filesystem::is_directory(dir)) {
    GTEST_SKIP() << "shared conformance corpus not found at " << dir;
  }
  int parsed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string ext = entry.path().extension().string();
    if (ext != ".xml" && ext != ".json") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    Result<Feed> r = ParseFeed(ss.str(), {});
    ASSERT_TRUE(r.has_value()) << entry.path() << ": " << r.status().ToString();
    ExpectCleanStrings(*r);
    ++parsed;
  }
  EXPECT_GT(parsed, 100);
}

}  // namespace
}  // namespace assay::parsers
