#include "cli/feed_source.h"

#include <curl/curl.h>

#include <fstream>
#include <sstream>

namespace assay::cli {
namespace {

constexpr size_t kMaxBody = 10 * 1024 * 1024;

size_t WriteCapped(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  size_t len = size * n;
  if (body->size() + len > kMaxBody) return 0;  // aborts the transfer
  body->append(data, len);
  return len;
}

Result<FeedBytes> FetchUrl(const std::string& url) {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) return Unavailable("libcurl initialisation failed");
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Unavailable("libcurl initialisation failed");
  FeedBytes out;
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

Result<FeedBytes> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IOError(path + ": cannot open");
  FeedBytes out;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return IOError(path + ": read error");
  out.body = std::move(ss).str();
  return out;
}

}  // namespace

Result<FeedBytes> ReadFeedSource(const std::string& source) {
  const bool is_url = source.starts_with("http://") || source.starts_with("https://");
  Result<FeedBytes> out = is_url ? FetchUrl(source) : ReadFile(source);
  if (out && out->info.url.empty()) out->info.url = is_url ? source : "file://" + source;
  return out;
}

}  // namespace assay::cli
