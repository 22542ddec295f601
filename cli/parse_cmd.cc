// `assay parse --json FILE|URL`: parses one feed and prints it in the
// contract of ../shared/conformance/feeds/README.md.
//
// Exit status: 0 parsed; 1 the bytes are not a feed (one line on stderr);
// 2 the file or URL could not be read.
#include <curl/curl.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/status.h"
#include "core/time.h"
#include "parsers/feed.h"

namespace assay::cli {
namespace {

constexpr size_t kMaxBody = 10 * 1024 * 1024;

struct Fetched {
  std::string body;
  parsers::FetchInfo info;
};

size_t WriteCapped(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  size_t len = size * n;
  if (body->size() + len > kMaxBody) return 0;  // aborts the transfer
  body->append(data, len);
  return len;
}

Result<Fetched> FetchUrl(const std::string& url) {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) return Unavailable("libcurl initialisation failed");
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Unavailable("libcurl initialisation failed");
  Fetched out;
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxBody));
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "assay-parse/0.1 (+feed reader)");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteCapped);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out.body);
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  char* ct = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
  if (ct != nullptr) out.info.content_type = ct;
  char* effective = nullptr;
  curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective);
  out.info.url = effective != nullptr ? effective : url;
  curl_easy_cleanup(curl);
  if (rc == CURLE_WRITE_ERROR || rc == CURLE_FILESIZE_EXCEEDED) {
    return ResourceExhausted(url + ": body larger than 10 MB");
  }
  if (rc != CURLE_OK) {
    return Unavailable(url + ": " + (error[0] != '\0' ? error : curl_easy_strerror(rc)));
  }
  if (status >= 400) return Unavailable(url + ": HTTP " + std::to_string(status));
  return out;
}

Result<Fetched> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IOError(path + ": cannot open");
  Fetched out;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return IOError(path + ": read error");
  out.body = std::move(ss).str();
  return out;
}

template <typename T>
nlohmann::ordered_json OrNull(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json Date(const std::optional<UnixSeconds>& t) {
  return t ? nlohmann::ordered_json(FormatRfc3339(*t)) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json ToJson(const parsers::Feed& feed) {
  using J = nlohmann::ordered_json;
  J out;
  out["format"] = std::string(parsers::FeedFormatName(feed.format));
  out["feed"] = {{"title", OrNull(feed.title)},       {"link", OrNull(feed.link)},
                 {"id", OrNull(feed.id)},             {"subtitle", OrNull(feed.subtitle)},
                 {"language", OrNull(feed.language)}, {"updated", Date(feed.updated)},
                 {"author", OrNull(feed.author)}};
  J entries = J::array();
  for (const parsers::Entry& e : feed.entries) {
    J enclosures = J::array();
    for (const Enclosure& enc : e.enclosures) {
      enclosures.push_back({{"url", enc.url},
                            {"type", enc.type.empty() ? J(nullptr) : J(enc.type)},
                            {"length", OrNull(enc.length)}});
    }
    entries.push_back({{"id", OrNull(e.id)},
                       {"title", OrNull(e.title)},
                       {"link", OrNull(e.link)},
                       {"published", Date(e.published)},
                       {"updated", Date(e.updated)},
                       {"author", OrNull(e.author)},
                       {"summary", OrNull(e.summary)},
                       {"content", OrNull(e.content)},
                       {"categories", e.categories},
                       {"enclosures", std::move(enclosures)}});
  }
  out["entries"] = std::move(entries);
  out["warnings"] = feed.warnings;
  return out;
}

int RunParse(const std::string& source) {
  bool is_url = source.starts_with("http://") || source.starts_with("https://");
  Result<Fetched> fetched = is_url ? FetchUrl(source) : ReadFile(source);
  if (!fetched) {
    std::cerr << "assay parse: " << fetched.error().message() << "\n";
    return 2;
  }
  if (fetched->info.url.empty() && is_url) fetched->info.url = source;
  Result<parsers::Feed> feed = parsers::ParseFeed(fetched->body, fetched->info);
  if (!feed) {
    std::cerr << "assay parse: " << source << ": " << feed.error().message() << "\n";
    return 1;
  }
  std::cout << ToJson(*feed).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
            << "\n";
  return 0;
}

}  // namespace

void AddParseCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("parse", "Parse one feed (file or http(s) URL)");
  auto source = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print the parsed feed as JSON (the default)");
  cmd->add_option("source", *source, "Feed file or http(s) URL")->required();
  cmd->callback([source, json, exit_code] { *exit_code = RunParse(*source); });
}

}  // namespace assay::cli
