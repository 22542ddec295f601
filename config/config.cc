#include "config/config.h"
#include "core/time.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace assay::config {
namespace {

namespace fs = std::filesystem;

// Collects every problem, each as "file:line:col: message".
class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}
  void Add(const YAML::Mark& mark, const std::string& message) {
    std::ostringstream out;
    out << file_ << ":" << mark.line + 1 << ":" << mark.column + 1 << ": " << message;
    lines_.push_back(out.str());
  }
  void AddPlain(const std::string& message) { lines_.push_back(file_ + ": " + message); }
  bool empty() const { return lines_.empty(); }
  std::string Join() const {
    std::string out;
    for (const auto& l : lines_) {
      if (!out.empty()) out += "\n";
      out += l;
    }
    return out;
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<std::string> lines_;
};

std::string Where(const Problems& p, const YAML::Mark& m) {
  return p.file() + ":" + std::to_string(m.line + 1);
}

// Reports keys of `node` not in `allowed`.
void CheckKeys(const YAML::Node& node, const std::string& section,
               const std::set<std::string>& allowed, Problems* problems) {
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (!allowed.contains(key)) {
      std::string known;
      for (const auto& a : allowed) known += (known.empty() ? "" : ", ") + a;
      problems->Add(kv.first.Mark(), "unknown key '" + (section.empty() ? key : section + "." + key) +
                                          "' (known: " + known + ")");
    }
  }
}

bool ExpectMap(const YAML::Node& node, const std::string& what, Problems* problems) {
  if (node.IsMap()) return true;
  problems->Add(node.Mark(), "'" + what + "' must be a mapping");
  return false;
}

bool GetString(const YAML::Node& node, const std::string& what, std::string* out,
               Problems* problems) {
  if (!node.IsScalar()) {
    problems->Add(node.Mark(), "'" + what + "' must be a string");
    return false;
  }
  *out = node.Scalar();
  return true;
}

void GetInt(const YAML::Node& node, const std::string& what, int64_t lo, int64_t hi,
            int64_t* out, Problems* problems) {
  if (!node.IsScalar()) {
    problems->Add(node.Mark(), "'" + what + "' must be an integer");
    return;
  }
  const std::string& s = node.Scalar();
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0) {
    problems->Add(node.Mark(), "'" + what + "' must be an integer, got '" + s + "'");
    return;
  }
  if (v < lo || v > hi) {
    problems->Add(node.Mark(), "'" + what + "' must be between " + std::to_string(lo) +
                                   " and " + std::to_string(hi) + ", got " + s);
    return;
  }
  *out = v;
}

void GetBool(const YAML::Node& node, const std::string& what, bool* out, Problems* problems) {
  if (!node.IsScalar()) {
    problems->Add(node.Mark(), "'" + what + "' must be true or false");
    return;
  }
  const std::string& s = node.Scalar();
  if (s == "true" || s == "yes" || s == "on") {
    *out = true;
  } else if (s == "false" || s == "no" || s == "off") {
    *out = false;
  } else {
    problems->Add(node.Mark(), "'" + what + "' must be true or false, got '" + s + "'");
  }
}

template <typename Dur>
void GetDuration(const YAML::Node& node, const std::string& what, Dur* out,
                 Problems* problems) {
  std::string s;
  if (!GetString(node, what, &s, problems)) return;
  Result<std::chrono::seconds> d = ParseDuration(s);
  if (!d) {
    problems->Add(node.Mark(), "'" + what + "': " + d.error().message());
    return;
  }
  *out = std::chrono::duration_cast<Dur>(*d);
}

std::string Resolve(const fs::path& base_dir, const std::string& p) {
  fs::path path(p);
  if (path.is_relative()) path = base_dir / path;
  return path.lexically_normal().string();
}

// Validates a feed URL and returns its absolute form. `file:relative/path`
// is resolved against the config directory.
Result<std::string> ValidateFeedUrl(const std::string& raw, const fs::path& base_dir) {
  std::string url = raw;
  if (url.starts_with("file:") && !url.starts_with("file://")) {
    url = "file://" + Resolve(base_dir, url.substr(5));
  }
  CURLU* h = curl_url();
  const CURLUcode rc = curl_url_set(h, CURLUPART_URL, url.c_str(), 0);
  std::string scheme, host;
  if (rc == CURLUE_OK) {
    char* part = nullptr;
    if (curl_url_get(h, CURLUPART_SCHEME, &part, 0) == CURLUE_OK) {
      scheme = part;
      curl_free(part);
    }
    part = nullptr;
    if (curl_url_get(h, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
      host = part;
      curl_free(part);
    }
  }
  curl_url_cleanup(h);
  if (rc != CURLUE_OK) {
    return InvalidArgument("bad URL '" + raw + "': " + curl_url_strerror(rc));
  }
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "http" && scheme != "https" && scheme != "file") {
    return InvalidArgument("bad URL '" + raw + "': scheme '" + scheme +
                           "' is not allowed (http, https or file)");
  }
  if (scheme != "file" && host.empty()) {
    return InvalidArgument("bad URL '" + raw + "': no host");
  }
  return url;
}

// Reads feed URLs from an OPML file: every <outline> with an xmlUrl.
Status ImportOpml(const std::string& path, const std::string& origin, const fs::path& base_dir,
                  std::vector<FeedConfig>* feeds) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read OPML file '" + path + "'");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // XML_PARSE_NONET and no NOENT/DTDLOAD: an OPML file loads nothing else.
  xmlDocPtr doc = xmlReadMemory(text.data(), static_cast<int>(text.size()), path.c_str(), nullptr,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == nullptr) return InvalidArgument("OPML file '" + path + "' is not well-formed XML");
  Status status;
  size_t count = 0;
  // Depth-first in document order; OPML nesting is shallow in practice, and
  // the depth cap keeps a hostile file from exhausting the stack.
  std::function<void(xmlNodePtr, int)> visit = [&](xmlNodePtr n, int depth) {
    for (; n != nullptr && status.ok(); n = n->next) {
      if (n->type != XML_ELEMENT_NODE) continue;
      if (depth > 64) {
        status = InvalidArgument(path + ": outlines nested deeper than 64 levels");
        return;
      }
      if (xmlStrcmp(n->name, BAD_CAST "outline") == 0) {
        xmlChar* url = xmlGetProp(n, BAD_CAST "xmlUrl");
        if (url != nullptr) {
          FeedConfig f;
          Result<std::string> v = ValidateFeedUrl(reinterpret_cast<const char*>(url), base_dir);
          xmlFree(url);
          const long line = xmlGetLineNo(n);
          if (!v) {
            status = InvalidArgument(path + ":" + std::to_string(line) + ": " + v.error().message());
            return;
          }
          f.url = *v;
          for (const char* attr : {"title", "text"}) {
            xmlChar* t = xmlGetProp(n, BAD_CAST attr);
            if (t != nullptr) {
              if (f.name.empty()) f.name = reinterpret_cast<const char*>(t);
              xmlFree(t);
            }
          }
          f.origin = path + ":" + std::to_string(line);
          feeds->push_back(std::move(f));
          ++count;
        }
      }
      visit(n->children, depth + 1);
    }
  };
  visit(xmlDocGetRootElement(doc), 0);
  xmlFreeDoc(doc);
  if (status.ok() && count == 0) {
    return InvalidArgument("OPML file '" + path + "' has no <outline xmlUrl=...> (imported from " +
                           origin + ")");
  }
  return status;
}

void LoadFeeds(const YAML::Node& node, const fs::path& base_dir, Config* cfg, Problems* problems) {
  if (!node.IsSequence()) {
    problems->Add(node.Mark(), "'feeds' must be a list");
    return;
  }
  size_t i = 0;
  for (const auto& item : node) {
    const std::string what = "feeds[" + std::to_string(i++) + "]";
    FeedConfig f;
    f.origin = Where(*problems, item.Mark());
    if (item.IsScalar()) {
      f.url = item.Scalar();
    } else if (ExpectMap(item, what, problems)) {
      CheckKeys(item, what, {"url", "name", "interval", "tags"}, problems);
      if (!item["url"]) {
        problems->Add(item.Mark(), "'" + what + ".url' is required");
        continue;
      }
      GetString(item["url"], what + ".url", &f.url, problems);
      if (item["name"]) GetString(item["name"], what + ".name", &f.name, problems);
      if (item["interval"]) GetDuration(item["interval"], what + ".interval", &f.interval, problems);
      if (const YAML::Node tags = item["tags"]) {
        if (!tags.IsSequence()) {
          problems->Add(tags.Mark(), "'" + what + ".tags' must be a list of strings");
        } else {
          for (const auto& t : tags) {
            std::string s;
            if (GetString(t, what + ".tags[]", &s, problems)) f.tags.push_back(s);
          }
        }
      }
    } else {
      continue;
    }
    const YAML::Node url_node = item.IsScalar() ? item : item["url"];
    Result<std::string> url = ValidateFeedUrl(f.url, base_dir);
    if (!url) {
      problems->Add(url_node.Mark(), "'" + what + ".url': " + url.error().message());
      continue;
    }
    f.url = *url;
    cfg->feeds.push_back(std::move(f));
  }
}

void LoadFetch(const YAML::Node& node, Config* cfg, Problems* problems) {
  if (!ExpectMap(node, "fetch", problems)) return;
  CheckKeys(node, "fetch",
            {"concurrency", "per_host_concurrency", "connect_timeout", "timeout",
             "low_speed_bytes", "low_speed_time", "max_body", "max_redirects", "user_agent",
             "allow_private_networks", "allow_networks", "default_interval", "min_interval", "max_backoff"},
            problems);
  FetchConfig& f = cfg->fetch;
  int64_t v = 0;
  if (node["concurrency"]) {
    v = f.concurrency;
    GetInt(node["concurrency"], "fetch.concurrency", 1, 10'000, &v, problems);
    f.concurrency = static_cast<int>(v);
  }
  if (node["per_host_concurrency"]) {
    v = f.per_host_concurrency;
    GetInt(node["per_host_concurrency"], "fetch.per_host_concurrency", 1, 1'000, &v, problems);
    f.per_host_concurrency = static_cast<int>(v);
  }
  if (node["max_redirects"]) {
    v = f.max_redirects;
    GetInt(node["max_redirects"], "fetch.max_redirects", 0, 20, &v, problems);
    f.max_redirects = static_cast<int>(v);
  }
  if (node["low_speed_bytes"]) {
    GetInt(node["low_speed_bytes"], "fetch.low_speed_bytes", 0, 1 << 30, &f.low_speed_bytes,
           problems);
  }
  if (node["connect_timeout"]) GetDuration(node["connect_timeout"], "fetch.connect_timeout", &f.connect_timeout, problems);
  if (node["timeout"]) GetDuration(node["timeout"], "fetch.timeout", &f.timeout, problems);
  if (node["low_speed_time"]) GetDuration(node["low_speed_time"], "fetch.low_speed_time", &f.low_speed_time, problems);
  if (node["default_interval"]) GetDuration(node["default_interval"], "fetch.default_interval", &f.default_interval, problems);
  if (node["min_interval"]) GetDuration(node["min_interval"], "fetch.min_interval", &f.min_interval, problems);
  if (node["max_backoff"]) GetDuration(node["max_backoff"], "fetch.max_backoff", &f.max_backoff, problems);
  if (const YAML::Node n = node["max_body"]) {
    std::string s;
    if (GetString(n, "fetch.max_body", &s, problems)) {
      Result<int64_t> b = ParseByteSize(s);
      if (!b) {
        problems->Add(n.Mark(), "'fetch.max_body': " + b.error().message());
      } else {
        f.max_body_bytes = *b;
      }
    }
  }
  if (node["user_agent"]) GetString(node["user_agent"], "fetch.user_agent", &f.user_agent, problems);
  if (node["allow_private_networks"]) {
    GetBool(node["allow_private_networks"], "fetch.allow_private_networks",
            &f.allow_private_networks, problems);
  }
  if (const YAML::Node nets = node["allow_networks"]) {
    if (!nets.IsSequence()) {
      problems->Add(nets.Mark(), "'fetch.allow_networks' must be a list of address ranges");
    } else {
      for (const auto& n : nets) {
        std::string text;
        if (!GetString(n, "fetch.allow_networks[]", &text, problems)) continue;
        Result<NetworkRange> range = ParseNetworkRange(text);
        if (!range) {
          problems->Add(n.Mark(), "'fetch.allow_networks': " + range.error().message());
        } else {
          f.allow_networks.push_back(std::move(*range));
        }
      }
    }
  }
  if (f.timeout.count() <= 0) problems->Add(node.Mark(), "'fetch.timeout' must be positive");
  if (f.min_interval < std::chrono::seconds(1)) {
    problems->Add(node.Mark(), "'fetch.min_interval' must be at least 1s");
  }
}

// The `http:` section. The token is read here, so that a missing
// credential fails the config like any other problem.
void LoadHttp(const YAML::Node& node, Config* cfg, Problems* problems) {
  if (!ExpectMap(node, "http", problems)) return;
  CheckKeys(node, "http", {"listen", "port", "token", "token_credential"}, problems);
  HttpConfig& h = cfg->http;
  h.enabled = true;
  if (const YAML::Node n = node["listen"]) {
    if (GetString(n, "http.listen", &h.listen, problems)) {
      in6_addr ignored{};
      if (h.listen != "localhost" && inet_pton(AF_INET, h.listen.c_str(), &ignored) != 1 &&
          inet_pton(AF_INET6, h.listen.c_str(), &ignored) != 1) {
        problems->Add(n.Mark(), "'http.listen' must be an IP address or localhost, got '" +
                                    h.listen + "'");
      }
    }
  }
  if (const YAML::Node n = node["port"]) {
    int64_t v = h.port;
    GetInt(n, "http.port", 0, 65535, &v, problems);
    h.port = static_cast<uint16_t>(v);
  }
  if (const YAML::Node n = node["token"]) GetString(n, "http.token", &h.token, problems);
  if (const YAML::Node n = node["token_credential"]) {
    if (GetString(n, "http.token_credential", &h.token_credential, problems)) {
      const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
      if (!h.token.empty()) {
        problems->Add(n.Mark(), "'http.token' and 'http.token_credential' are exclusive");
      } else if (h.token_credential.empty() || h.token_credential.find('/') != std::string::npos) {
        problems->Add(n.Mark(), "'http.token_credential' must be a credential name");
      } else if (dir == nullptr || *dir == '\0') {
        problems->Add(n.Mark(), "'http.token_credential': CREDENTIALS_DIRECTORY is not set "
                                "(LoadCredential= in the unit passes it)");
      } else {
        const std::string file = std::string(dir) + "/" + h.token_credential;
        std::ifstream in(file, std::ios::binary);
        std::string text;
        if (in) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        const size_t b = text.find_first_not_of(" \t\r\n");
        const size_t e = text.find_last_not_of(" \t\r\n");
        if (!in || b == std::string::npos) {
          problems->Add(n.Mark(), "'http.token_credential': cannot read a token from " + file);
        } else {
          h.token = text.substr(b, e - b + 1);
        }
      }
    }
  }
  if (!IsLoopbackAddress(h.listen) && h.token.empty()) {
    const YAML::Node at = node["listen"] ? node["listen"] : node;
    problems->Add(at.Mark(), "'http.listen' " + h.listen +
                                 " is not a loopback address: set http.token or "
                                 "http.token_credential");
  }
}

// A secret given as `<key>_credential: NAME` ($CREDENTIALS_DIRECTORY/NAME)
// or `<key>_file: PATH`; surrounding whitespace dropped. Empty when neither
// is set.
std::string LoadSecret(const YAML::Node& node, const std::string& where, const std::string& key,
                       const fs::path& base_dir, Problems* problems) {
  const YAML::Node cred = node[key + "_credential"];
  const YAML::Node file = node[key + "_file"];
  if (cred && file) {
    problems->Add(cred.Mark(), "'" + where + "." + key + "_credential' and '" + where + "." + key +
                                   "_file' are exclusive");
    return "";
  }
  std::string path;
  const YAML::Node& at = cred ? cred : file;
  if (cred) {
    std::string name;
    if (!GetString(cred, where + "." + key + "_credential", &name, problems)) return "";
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (name.empty() || name.find('/') != std::string::npos) {
      problems->Add(cred.Mark(), "'" + where + "." + key + "_credential' must be a credential name");
      return "";
    }
    if (dir == nullptr || *dir == '\0') {
      problems->Add(cred.Mark(), "'" + where + "." + key +
                                     "_credential': CREDENTIALS_DIRECTORY is not set "
                                     "(LoadCredential= in the unit passes it)");
      return "";
    }
    path = std::string(dir) + "/" + name;
  } else if (file) {
    std::string p;
    if (!GetString(file, where + "." + key + "_file", &p, problems)) return "";
    path = Resolve(base_dir, p);
  } else {
    return "";
  }
  std::ifstream in(path, std::ios::binary);
  std::string text;
  if (in) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  const size_t b = text.find_first_not_of(" \t\r\n");
  const size_t e = text.find_last_not_of(" \t\r\n");
  if (!in || b == std::string::npos) {
    problems->Add(at.Mark(), "'" + where + "." + key + "': cannot read a secret from " + path);
    return "";
  }
  return text.substr(b, e - b + 1);
}

// The `alerts:` section.
void LoadAlerts(const YAML::Node& node, const fs::path& base_dir, Config* cfg, Problems* problems) {
  if (!ExpectMap(node, "alerts", problems)) return;
  CheckKeys(node, "alerts", {"rules", "targets", "delivery"}, problems);
  AlertsConfig& a = cfg->alerts;
  if (const YAML::Node rules = node["rules"]) {
    if (!rules.IsSequence()) {
      problems->Add(rules.Mark(), "'alerts.rules' must be a list of alert rule files");
    } else {
      for (const auto& r : rules) {
        std::string p;
        if (!GetString(r, "alerts.rules[]", &p, problems)) continue;
        const std::string resolved = Resolve(base_dir, p);
        if (!fs::exists(resolved)) {
          problems->Add(r.Mark(), "alert rule file '" + resolved + "' does not exist");
        }
        a.rule_files.push_back(resolved);
      }
    }
  }
  if (const YAML::Node targets = node["targets"]) {
    if (!targets.IsSequence()) {
      problems->Add(targets.Mark(), "'alerts.targets' must be a list");
    } else {
      std::set<std::string> names;
      for (const auto& t : targets) {
        if (!ExpectMap(t, "alerts.targets[]", problems)) continue;
        CheckKeys(t, "alerts.targets[]", {"name", "email", "webhook", "slack", "min_severity"},
                  problems);
        AlertTargetConfig target;
        if (!t["name"] || !GetString(t["name"], "alerts.targets[].name", &target.name, problems) ||
            target.name.empty()) {
          if (!t["name"]) problems->Add(t.Mark(), "an alert target needs a 'name'");
          continue;
        }
        const std::string where = "alerts.targets[" + target.name + "]";
        if (!names.insert(target.name).second) {
          problems->Add(t["name"].Mark(), "alert target '" + target.name + "' is named twice");
        }
        if (const YAML::Node sev = t["min_severity"]) {
          static const std::set<std::string> kSeverities = {"info", "low", "medium", "high",
                                                             "critical"};
          if (GetString(sev, where + ".min_severity", &target.min_severity, problems) &&
              !kSeverities.contains(target.min_severity)) {
            problems->Add(sev.Mark(), "'" + where +
                                          ".min_severity' must be info, low, medium, high or critical");
          }
        }
        int kinds = 0;
        for (const char* kind : {"email", "webhook", "slack"}) {
          const YAML::Node k = t[kind];
          if (!k) continue;
          ++kinds;
          target.kind = kind;
          const std::string w = where + "." + kind;
          if (!ExpectMap(k, w, problems)) continue;
          if (target.kind == "email") {
            CheckKeys(k, w, {"url", "tls", "from", "to", "username", "password_credential",
                             "password_file", "ca_file", "timeout"}, problems);
          } else {
            CheckKeys(k, w, {"url", "secret_credential", "secret_file", "ca_file", "timeout"},
                      problems);
          }
          if (!k["url"]) {
            problems->Add(k.Mark(), "'" + w + ".url' is required");
          } else if (GetString(k["url"], w + ".url", &target.url, problems)) {
            const bool mail = target.kind == "email";
            const bool ok = mail ? (target.url.starts_with("smtp://") || target.url.starts_with("smtps://"))
                                 : (target.url.starts_with("http://") || target.url.starts_with("https://"));
            if (!ok) {
              problems->Add(k["url"].Mark(), "'" + w + ".url' must start with " +
                                                 (mail ? "smtp:// or smtps://" : "http:// or https://"));
            }
          }
          if (k["ca_file"]) GetString(k["ca_file"], w + ".ca_file", &target.ca_file, problems);
          if (k["timeout"]) GetDuration(k["timeout"], w + ".timeout", &target.timeout, problems);
          if (target.kind == "email") {
            if (k["tls"] && GetString(k["tls"], w + ".tls", &target.tls, problems) &&
                target.tls != "starttls" && target.tls != "none") {
              problems->Add(k["tls"].Mark(), "'" + w + ".tls' must be starttls or none");
            }
            if (!k["from"]) problems->Add(k.Mark(), "'" + w + ".from' is required");
            if (k["from"]) GetString(k["from"], w + ".from", &target.from, problems);
            if (const YAML::Node to = k["to"]) {
              if (to.IsScalar()) {
                target.to.push_back(to.Scalar());
              } else if (to.IsSequence()) {
                for (const auto& r : to) {
                  std::string addr;
                  if (GetString(r, w + ".to[]", &addr, problems)) target.to.push_back(addr);
                }
              } else {
                problems->Add(to.Mark(), "'" + w + ".to' must be an address or a list");
              }
            }
            if (target.to.empty()) problems->Add(k.Mark(), "'" + w + ".to' needs a recipient");
            if (k["username"]) GetString(k["username"], w + ".username", &target.username, problems);
            target.password = LoadSecret(k, w, "password", base_dir, problems);
          } else {
            target.secret = LoadSecret(k, w, "secret", base_dir, problems);
          }
        }
        if (kinds != 1) {
          problems->Add(t.Mark(), "alert target '" + target.name +
                                      "' needs exactly one of email, webhook or slack");
          continue;
        }
        a.targets.push_back(std::move(target));
      }
    }
  }
  if (const YAML::Node d = node["delivery"]) {
    if (ExpectMap(d, "alerts.delivery", problems)) {
      CheckKeys(d, "alerts.delivery", {"initial_backoff", "max_backoff", "give_up_after"}, problems);
      if (d["initial_backoff"]) {
        GetDuration(d["initial_backoff"], "alerts.delivery.initial_backoff", &a.initial_backoff, problems);
      }
      if (d["max_backoff"]) {
        GetDuration(d["max_backoff"], "alerts.delivery.max_backoff", &a.max_backoff, problems);
      }
      if (d["give_up_after"]) {
        GetDuration(d["give_up_after"], "alerts.delivery.give_up_after", &a.give_up_after, problems);
      }
      if (a.initial_backoff.count() <= 0 || a.max_backoff < a.initial_backoff) {
        problems->Add(d.Mark(), "'alerts.delivery': initial_backoff must be positive and at most max_backoff");
      }
    }
  }
}

}  // namespace

bool IsLoopbackAddress(std::string_view address) {
  if (address == "localhost" || address == "::1") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, std::string(address).c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, std::string(address).c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

Result<NetworkRange> ParseNetworkRange(std::string_view text) {
  NetworkRange r;
  r.text = std::string(text);
  const size_t slash = text.find('/');
  const std::string addr(text.substr(0, slash));
  if (inet_pton(AF_INET, addr.c_str(), r.address.data()) == 1) {
    r.family = AF_INET;
    r.prefix_length = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), r.address.data()) == 1) {
    r.family = AF_INET6;
    r.prefix_length = 128;
  } else {
    return InvalidArgument("bad address range '" + r.text + "' (expected e.g. 10.0.0.0/8 or fd00::/8)");
  }
  if (slash != std::string_view::npos) {
    const std::string len(text.substr(slash + 1));
    char* end = nullptr;
    const long v = std::strtol(len.c_str(), &end, 10);
    if (len.empty() || *end != '\0' || v < 0 || v > r.prefix_length) {
      return InvalidArgument("bad prefix length in '" + r.text + "' (0 to " +
                             std::to_string(r.prefix_length) + ")");
    }
    r.prefix_length = static_cast<int>(v);
  }
  return r;
}

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  return assay::ParseDuration(text);
}

Result<int64_t> ParseByteSize(std::string_view text) {
  size_t i = 0;
  int64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    n = n * 10 + (text[i] - '0');
    if (n > (int64_t{1} << 40)) return InvalidArgument("size '" + std::string(text) + "' is too large");
    ++i;
  }
  if (i == 0) return InvalidArgument("bad size '" + std::string(text) + "' (expected e.g. 16MiB)");
  std::string_view unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  static const std::map<std::string_view, int64_t> kUnits = {
      {"", 1},           {"B", 1},         {"KB", 1000},       {"MB", 1000 * 1000},
      {"GB", 1000 * 1000 * 1000},          {"KiB", 1024},      {"MiB", 1024 * 1024},
      {"GiB", 1024 * 1024 * 1024}};
  auto it = kUnits.find(unit);
  if (it == kUnits.end()) {
    return InvalidArgument("bad size unit '" + std::string(unit) + "' (B, KB, MB, GB, KiB, MiB, GiB)");
  }
  return n * it->second;
}

Result<Config> ParseConfig(const std::string& text, const std::string& path) {
  Problems problems(path);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    problems.Add(e.mark, e.msg);
    return InvalidArgument(problems.Join());
  }
  const fs::path base_dir = fs::absolute(fs::path(path)).parent_path();
  Config cfg;
  cfg.path = path;
  cfg.store_path = fs::absolute("var/assay").lexically_normal().string();
  if (!root || root.IsNull()) {
    problems.AddPlain("the file is empty");
    return InvalidArgument(problems.Join());
  }
  if (!root.IsMap()) {
    problems.Add(root.Mark(), "the top level must be a mapping");
    return InvalidArgument(problems.Join());
  }
  CheckKeys(root, "", {"store", "feeds", "opml", "fetch", "logging", "rules", "http", "alerts"},
            &problems);

  if (const YAML::Node store = root["store"]) {
    if (ExpectMap(store, "store", &problems)) {
      CheckKeys(store, "store", {"path"}, &problems);
      std::string p;
      if (store["path"] && GetString(store["path"], "store.path", &p, &problems)) {
        if (p.empty()) {
          problems.Add(store["path"].Mark(), "'store.path' must not be empty");
        } else {
          cfg.store_path = fs::absolute(p).lexically_normal().string();
        }
      }
    }
  }
  if (const YAML::Node feeds = root["feeds"]) LoadFeeds(feeds, base_dir, &cfg, &problems);
  if (const YAML::Node opml = root["opml"]) {
    if (!opml.IsSequence()) {
      problems.Add(opml.Mark(), "'opml' must be a list of file paths");
    } else {
      for (const auto& o : opml) {
        std::string p;
        if (!GetString(o, "opml[]", &p, &problems)) continue;
        Status s = ImportOpml(Resolve(base_dir, p), Where(problems, o.Mark()), base_dir, &cfg.feeds);
        if (!s.ok()) problems.Add(o.Mark(), s.message());
      }
    }
  }
  if (const YAML::Node fetch = root["fetch"]) LoadFetch(fetch, &cfg, &problems);
  if (const YAML::Node logging = root["logging"]) {
    if (ExpectMap(logging, "logging", &problems)) {
      CheckKeys(logging, "logging", {"level"}, &problems);
      if (logging["level"] &&
          GetString(logging["level"], "logging.level", &cfg.logging.level, &problems)) {
        static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
        if (!kLevels.contains(cfg.logging.level)) {
          problems.Add(logging["level"].Mark(), "'logging.level' must be one of trace, debug, info, warn, error");
        }
      }
    }
  }
  if (const YAML::Node rules = root["rules"]) {
    if (ExpectMap(rules, "rules", &problems)) {
      CheckKeys(rules, "rules", {"packs"}, &problems);
      if (const YAML::Node packs = rules["packs"]) {
        if (!packs.IsSequence()) {
          problems.Add(packs.Mark(), "'rules.packs' must be a list of file paths");
        } else {
          for (const auto& p : packs) {
            std::string s;
            if (GetString(p, "rules.packs[]", &s, &problems)) {
              const std::string resolved = Resolve(base_dir, s);
              if (!fs::exists(resolved)) {
                problems.Add(p.Mark(), "rule pack '" + resolved + "' does not exist");
              }
              cfg.rules.packs.push_back(resolved);
            }
          }
        }
      }
    }
  }
  if (const YAML::Node http = root["http"]) LoadHttp(http, &cfg, &problems);
  if (const YAML::Node alerts = root["alerts"]) LoadAlerts(alerts, base_dir, &cfg, &problems);
  // One feed URL listed twice would be polled twice and counted twice.
  std::map<std::string, std::string> seen;
  for (const auto& f : cfg.feeds) {
    auto [it, inserted] = seen.emplace(f.url, f.origin);
    if (!inserted) {
      problems.AddPlain("feed " + f.url + " is listed twice (" + it->second + " and " + f.origin + ")");
    }
  }
  if (!problems.empty()) return InvalidArgument(problems.Join());
  return cfg;
}

Result<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(path + ": cannot read config file: " + std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseConfig(text, path);
}

}  // namespace assay::config
