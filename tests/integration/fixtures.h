// What the integration tests share: the paths of the built binaries and
// small RSS documents written to disk for the feed server to serve.
#ifndef ASSAY_TESTS_INTEGRATION_FIXTURES_H_
#define ASSAY_TESTS_INTEGRATION_FIXTURES_H_

#include <fstream>
#include <string>

namespace assay::testing {

inline std::string Assayd() { return std::string(ASSAY_BINARY_DIR) + "/daemon/assayd"; }
inline std::string Assay() { return std::string(ASSAY_BINARY_DIR) + "/cli/assay"; }

// One RSS <item>; `title` and `summary` are inserted as written (escape
// them yourself).
inline std::string RssItem(const std::string& link, const std::string& title,
                           const std::string& summary) {
  return "<item><title>" + title + "</title><link>" + link + "</link><guid>" + link +
         "</guid><description>" + summary + "</description>"
         "<pubDate>Sat, 28 Nov 2026 09:00:00 GMT</pubDate></item>\n";
}

inline void WriteRssFeed(const std::string& path, const std::string& title,
                         const std::string& items) {
  std::ofstream out(path);
  out << "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>" << title
      << "</title><link>https://news.example/</link><description>d</description>\n"
      << items << "</channel></rss>\n";
}

}  // namespace assay::testing

#endif  // ASSAY_TESTS_INTEGRATION_FIXTURES_H_
