// URL resolution (RFC 3986 §5.2) and canonicalisation; see normalize.h.
#include <algorithm>
#include <string>

#include "parsers/normalize.h"

namespace assay::parsers {
namespace {

struct UrlParts {
  std::string_view scheme;  // without ':'
  bool has_authority = false;
  std::string_view authority;
  std::string_view path;
  bool has_query = false;
  std::string_view query;
  bool has_fragment = false;
  std::string_view fragment;
};

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

UrlParts Split(std::string_view s) {
  UrlParts u;
  size_t i = 0;
  if (!s.empty() && IsAlpha(s[0])) {
    size_t j = 1;
    while (j < s.size() && (IsAlpha(s[j]) || (s[j] >= '0' && s[j] <= '9') ||
                            s[j] == '+' || s[j] == '-' || s[j] == '.')) {
      ++j;
    }
    if (j < s.size() && s[j] == ':') {
      u.scheme = s.substr(0, j);
      i = j + 1;
    }
  }
  if (s.substr(i).starts_with("//")) {
    size_t b = i + 2;
    size_t e = s.find_first_of("/?#", b);
    if (e == std::string_view::npos) e = s.size();
    u.has_authority = true;
    u.authority = s.substr(b, e - b);
    i = e;
  }
  size_t pe = s.find_first_of("?#", i);
  if (pe == std::string_view::npos) pe = s.size();
  u.path = s.substr(i, pe - i);
  i = pe;
  if (i < s.size() && s[i] == '?') {
    size_t qe = s.find('#', i);
    if (qe == std::string_view::npos) qe = s.size();
    u.has_query = true;
    u.query = s.substr(i + 1, qe - i - 1);
    i = qe;
  }
  if (i < s.size() && s[i] == '#') {
    u.has_fragment = true;
    u.fragment = s.substr(i + 1);
  }
  return u;
}

// RFC 3986 §5.2.4.
std::string RemoveDotSegments(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../") || in == "/..") {
      in = in.size() == 3 ? std::string_view("/") : in.substr(3);
      size_t slash = out.rfind('/');
      out.resize(slash == std::string::npos ? 0 : slash);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      size_t start = in[0] == '/' ? 1 : 0;
      size_t next = in.find('/', start);
      if (next == std::string_view::npos) next = in.size();
      out.append(in.substr(0, next));
      in.remove_prefix(next);
    }
  }
  return out;
}

std::string Merge(const UrlParts& base, std::string_view ref_path) {
  // Appends rather than operator+ on temporaries: GCC 12 at -O3 reports a
  // false -Wrestrict overlap on the latter.
  std::string out;
  if (base.has_authority && base.path.empty()) {
    out.reserve(ref_path.size() + 1);
    out.push_back('/');
  } else if (size_t slash = base.path.rfind('/'); slash != std::string_view::npos) {
    out.reserve(slash + 1 + ref_path.size());
    out.append(base.path.substr(0, slash + 1));
  }
  out.append(ref_path);
  return out;
}

std::string Compose(std::string_view scheme, bool has_authority,
                    std::string_view authority, std::string_view path,
                    bool has_query, std::string_view query, bool has_fragment,
                    std::string_view fragment) {
  std::string out;
  if (!scheme.empty()) {
    out.append(scheme);
    out.push_back(':');
  }
  if (has_authority) {
    out.append("//");
    out.append(authority);
  }
  out.append(path);
  if (has_query) {
    out.push_back('?');
    out.append(query);
  }
  if (has_fragment) {
    out.push_back('#');
    out.append(fragment);
  }
  return out;
}

std::string_view TrimSpace(std::string_view s) {
  auto sp = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; };
  while (!s.empty() && sp(s.front())) s.remove_prefix(1);
  while (!s.empty() && sp(s.back())) s.remove_suffix(1);
  return s;
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

bool IsTrackingParam(std::string_view name) {
  std::string l = LowerAscii(name);
  if (l.starts_with("utm_")) return true;
  static constexpr std::string_view kTracking[] = {
      "fbclid", "gclid",    "gclsrc",   "dclid",   "mc_cid",    "mc_eid",
      "igshid", "_hsenc",   "_hsmi",    "yclid",   "msclkid",   "twclid",
      "ttclid", "li_fat_id", "mkt_tok", "oly_anon_id", "oly_enc_id",
      "vero_id", "wickedid", "_ga",     "_gl",     "__s",       "ncid",
      "ocid",   "cmpid",    "sr_share"};
  return std::find(std::begin(kTracking), std::end(kTracking), l) !=
         std::end(kTracking);
}

}  // namespace

std::string ResolveUrl(std::string_view base, std::string_view ref) {
  ref = TrimSpace(ref);
  base = TrimSpace(base);
  UrlParts r = Split(ref);
  if (!r.scheme.empty()) {
    return Compose(r.scheme, r.has_authority, r.authority, RemoveDotSegments(r.path),
                   r.has_query, r.query, r.has_fragment, r.fragment);
  }
  if (base.empty()) return std::string(ref);
  UrlParts b = Split(base);
  if (b.scheme.empty()) return std::string(ref);  // a relative base is no base
  if (r.has_authority) {
    return Compose(b.scheme, true, r.authority, RemoveDotSegments(r.path),
                   r.has_query, r.query, r.has_fragment, r.fragment);
  }
  std::string path;
  std::string_view query;
  bool has_query;
  if (r.path.empty()) {
    path = std::string(b.path);
    has_query = r.has_query || b.has_query;
    query = r.has_query ? r.query : b.query;
  } else {
    path = r.path[0] == '/' ? RemoveDotSegments(r.path)
                            : RemoveDotSegments(Merge(b, r.path));
    has_query = r.has_query;
    query = r.query;
  }
  return Compose(b.scheme, b.has_authority, b.authority, path, has_query, query,
                 r.has_fragment, r.fragment);
}

std::optional<std::string> CanonicalUrl(std::string_view url) {
  url = TrimSpace(url);
  // Spaces and control characters have no place in a URL; a link carrying
  // them is not an identity (and would not survive canonicalising twice).
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) return std::nullopt;
  }
  UrlParts u = Split(url);
  if (u.scheme.empty() || !u.has_authority) return std::nullopt;
  std::string scheme = LowerAscii(u.scheme);
  // Identity is only ever an http(s) link; anything else (mailto:, ftp://,
  // a mangled scheme) falls back to the guid.
  if (scheme != "http" && scheme != "https") return std::nullopt;
  // Host: lower-cased; userinfo kept; default port and a trailing dot dropped.
  std::string_view auth = u.authority;
  std::string userinfo;
  if (size_t at = auth.rfind('@'); at != std::string_view::npos) {
    userinfo = std::string(auth.substr(0, at + 1));
    auth.remove_prefix(at + 1);
  }
  std::string_view host = auth, port;
  size_t colon = auth.rfind(':');
  if (colon != std::string_view::npos && auth.find(']', colon) == std::string_view::npos) {
    host = auth.substr(0, colon);
    port = auth.substr(colon + 1);
  }
  std::string lhost = LowerAscii(host);
  while (!lhost.empty() && lhost.back() == '.') lhost.pop_back();
  if (lhost.empty()) return std::nullopt;
  // A ':' belongs in a host only inside an IPv6 literal's brackets.
  const bool ip_literal = lhost.front() == '[' && lhost.back() == ']';
  for (unsigned char c : lhost) {
    if (c <= 0x20 || c == 0x7f || (c == ':' && !ip_literal) ||
        std::string_view("\"<>\\^`{|}/?#@[]").find(static_cast<char>(c)) != std::string_view::npos) {
      if (!(ip_literal && (c == '[' || c == ']'))) return std::nullopt;
    }
  }
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
      (!port.empty() && std::stoi(std::string(port)) > 65535)) {
    return std::nullopt;
  }
  if (port.empty() || (scheme == "http" && port == "80") ||
      (scheme == "https" && port == "443")) {
    port = {};
  }
  std::string authority = userinfo + lhost;
  if (!port.empty()) {
    authority.push_back(':');
    authority.append(port);
  }
  std::string path = u.path.empty() ? "/" : RemoveDotSegments(u.path);
  if (path.empty()) path.assign(1, '/');  // not = "/": GCC 12 -O3 -Wrestrict false positive
  std::string query;
  if (u.has_query) {
    std::string_view q = u.query;
    size_t i = 0;
    while (i <= q.size()) {
      size_t amp = q.find('&', i);
      if (amp == std::string_view::npos) amp = q.size();
      std::string_view param = q.substr(i, amp - i);
      std::string_view name = param.substr(0, param.find('='));
      if (!param.empty() && !IsTrackingParam(name)) {
        if (!query.empty()) query.push_back('&');
        query.append(param);
      }
      i = amp + 1;
    }
  }
  return Compose(scheme, true, authority, path, !query.empty(), query, false, {});
}

}  // namespace assay::parsers
