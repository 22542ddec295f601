#include "parsers/feed.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "parsers/charset.h"
#include "parsers/date.h"
#include "parsers/html.h"
#include "parsers/internal/json_feed.h"
#include "parsers/internal/xml_tokenizer.h"
#include "parsers/normalize.h"

namespace assay::parsers {

std::string_view FeedFormatName(FeedFormat f) {
  switch (f) {
    case FeedFormat::kRss090: return "rss0.9x";
    case FeedFormat::kRss10: return "rss1.0";
    case FeedFormat::kRss20: return "rss2.0";
    case FeedFormat::kAtom03: return "atom0.3";
    case FeedFormat::kAtom10: return "atom1.0";
    case FeedFormat::kJsonFeed: return "jsonfeed1";
  }
  return "unknown";
}

namespace {

using internal::XmlAttr;
using internal::XmlToken;
using internal::XmlTokenizer;
using internal::XmlTokenKind;

// ---------------------------------------------------------------------------
// Namespaces, reduced to the handful a feed reader cares about.

enum class Ns : uint8_t {
  kNone, kRss, kRss090, kAtom10, kAtom03, kRdf, kDc, kDcTerms, kContent,
  kXhtml, kXml, kItunes, kOther
};

Ns NsFromUri(std::string_view uri) {
  if (uri.empty()) return Ns::kNone;
  struct Known { std::string_view uri; Ns ns; };
  static constexpr Known kKnown[] = {
      {"http://backend.userland.com/rss2", Ns::kRss},
      {"http://blogs.law.harvard.edu/tech/rss", Ns::kRss},
      {"http://purl.org/rss/1.0/", Ns::kRss},
      {"http://purl.org/net/rss1.1#", Ns::kRss},
      {"http://my.netscape.com/rdf/simple/0.9/", Ns::kRss090},
      {"http://www.w3.org/2005/Atom", Ns::kAtom10},
      {"http://purl.org/atom/ns#", Ns::kAtom03},
      {"http://purl.org/pie/", Ns::kAtom03},
      {"http://www.w3.org/1999/02/22-rdf-syntax-ns#", Ns::kRdf},
      {"http://purl.org/dc/elements/1.1/", Ns::kDc},
      {"http://purl.org/dc/terms/", Ns::kDcTerms},
      {"http://purl.org/rss/1.0/modules/content/", Ns::kContent},
      {"http://www.w3.org/1999/xhtml", Ns::kXhtml},
      {"http://www.w3.org/XML/1998/namespace", Ns::kXml},
      {"http://www.itunes.com/dtds/podcast-1.0.dtd", Ns::kItunes},
  };
  for (const Known& k : kKnown) {
    if (k.uri == uri) return k.ns;
  }
  // Trailing-slash and case variants seen in the wild.
  std::string l(uri);
  for (char& c : l) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  while (!l.empty() && (l.back() == '/' || l.back() == '#')) l.pop_back();
  for (const Known& k : kKnown) {
    std::string ku(k.uri);
    for (char& c : ku) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    }
    while (!ku.empty() && (ku.back() == '/' || ku.back() == '#')) ku.pop_back();
    if (ku == l) return k.ns;
  }
  return Ns::kOther;
}

// An undeclared prefix: guess from the conventional prefix.
Ns NsFromPrefix(std::string_view prefix) {
  if (prefix == "dc") return Ns::kDc;
  if (prefix == "dcterms") return Ns::kDcTerms;
  if (prefix == "content") return Ns::kContent;
  if (prefix == "atom") return Ns::kAtom10;
  if (prefix == "rdf") return Ns::kRdf;
  if (prefix == "xhtml") return Ns::kXhtml;
  if (prefix == "xml") return Ns::kXml;
  if (prefix == "itunes") return Ns::kItunes;
  return Ns::kOther;
}

enum class Family : uint8_t { kRss, kAtom };

enum class Role : uint8_t { kIgnored, kRoot, kFeed, kEntry, kPerson, kField };

enum class Field : uint8_t {
  kNone, kTitle, kLink, kId, kSubtitle, kLanguage, kUpdated, kPublished,
  kAuthor, kAuthorFallback, kSummary, kContent, kCategory, kGuid, kTtl,
  kPersonName, kPersonEmail,
};

enum class TextMode : uint8_t { kPlain, kHtml, kGuess };

struct FieldSpec {
  Field field = Field::kNone;
  TextMode mode = TextMode::kPlain;
  bool atom_construct = false;  // mode comes from type/mode attributes
};

struct Frame {
  Role role;
  std::string_view qname;
  size_t ns_mark;
  std::string base;
};

struct Person {
  std::string name, email;
};

struct Capture {
  Field field = Field::kNone;
  Role owner = Role::kIgnored;
  TextMode mode = TextMode::kPlain;
  bool base64 = false;
  bool guid_permalink = true;
  size_t depth = 0;  // stack size including the capturing element
  size_t raw_begin = 0;
  int children = 0;
  std::string text;
  std::string base;
};

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

std::string LowerTrim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

std::string_view LocalName(std::string_view qname) {
  size_t colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

std::string Base64Decode(std::string_view in, bool* ok) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  *ok = true;
  for (char c : in) {
    if (IsSpace(c) || c == '=') continue;
    int v = val(c);
    if (v < 0) {
      *ok = false;
      return {};
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

// RSS author fields mix a name and an address in any order: "me@example.com
// (Name)", "Name (me@example.com)", "Name <me@example.com>". The name is
// what remains once the address and its brackets are removed; a bare
// address is kept.
std::string RssAuthor(const std::string& s) {
  size_t at = s.find('@');
  if (at == std::string::npos) return s;
  size_t b = at, e = at;
  auto is_addr = [](char c) { return !IsSpace(c) && c != '(' && c != ')' && c != '<' && c != '>'; };
  while (b > 0 && is_addr(s[b - 1])) --b;
  while (e < s.size() && is_addr(s[e])) ++e;
  std::string email = s.substr(b, e - b);
  std::string rest = s.substr(0, b) + s.substr(e);
  std::string name;
  for (char c : rest) {
    if (c != '(' && c != ')' && c != '<' && c != '>') name.push_back(c);
  }
  if (std::string n = CleanText(name); !n.empty()) {
    if (n.starts_with("mailto:")) return email;
    return n;
  }
  if (email.starts_with("mailto:")) email.erase(0, 7);
  return email;
}

std::optional<int64_t> ParseLength(std::string_view s) {
  std::string t = LowerTrim(s);
  if (t.empty() || t.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Builds a Feed from the token stream of one XML document.
class XmlFeedBuilder {
 public:
  XmlFeedBuilder(std::string_view doc, const FetchInfo& info,
                 const ParseLimits& limits, Feed* feed)
      : doc_(doc), info_(info), limits_(limits), feed_(feed),
        tz_(doc, &feed->warnings) {}

  Status Run() {
    XmlToken tok;
    while (true) {
      tz_.Next(&tok);
      switch (tok.kind) {
        case XmlTokenKind::kStart:
          ASSAY_RETURN_IF_ERROR(OnStart(tok));
          if (tok.self_closing) PopTo(stack_.size() - 1, tok.end);
          break;
        case XmlTokenKind::kEnd:
          OnEnd(tok);
          break;
        case XmlTokenKind::kText:
          if (capturing_ && stack_.size() == cap_.depth) tz_.Decode(tok.text, &cap_.text);
          break;
        case XmlTokenKind::kCData:
          if (capturing_ && stack_.size() == cap_.depth) cap_.text.append(tok.text);
          break;
        case XmlTokenKind::kEof:
          if (!saw_root_) {
            return InvalidArgument("not a feed: no XML root element");
          }
          if (!stack_.empty()) {
            feed_->warnings.push_back("truncated document: " +
                                      std::to_string(stack_.size()) +
                                      " element(s) left open");
            PopTo(0, doc_.size());
          }
          return Status::Ok();
      }
      if (root_closed_) return Status::Ok();
    }
  }

 private:
  Ns Resolve(std::string_view qname, bool is_attr) const {
    size_t colon = qname.find(':');
    std::string_view prefix =
        colon == std::string_view::npos ? std::string_view() : qname.substr(0, colon);
    if (prefix.empty() && is_attr) return Ns::kNone;
    if (prefix == "xml") return Ns::kXml;
    for (size_t i = ns_.size(); i-- > 0;) {
      if (ns_[i].first == prefix) return ns_[i].second;
    }
    return prefix.empty() ? Ns::kNone : NsFromPrefix(prefix);
  }

  bool IsCore(Ns ns) const {
    if (family_ == Family::kAtom) {
      return ns == Ns::kNone || ns == Ns::kAtom10 || ns == Ns::kAtom03 ||
             ns == root_ns_;
    }
    return ns == Ns::kNone || ns == Ns::kRss || ns == Ns::kRss090 || ns == root_ns_;
  }

  std::optional<std::string_view> Attr(const XmlToken& tok, std::string_view local) const {
    for (const XmlAttr& a : tok.attrs) {
      if (LocalName(a.name) == local) {
        Ns ns = Resolve(a.name, true);
        if (ns == Ns::kNone || ns == Ns::kRdf || ns == Ns::kXml ||
            ns == Ns::kAtom10 || ns == Ns::kAtom03) {
          return a.raw_value;
        }
      }
    }
    return std::nullopt;
  }
  std::string AttrText(const XmlToken& tok, std::string_view local) {
    std::string out;
    if (auto raw = Attr(tok, local)) tz_.Decode(*raw, &out);
    return out;
  }

  Status StartRoot(const XmlToken& tok, Ns ns, std::string_view local) {
    saw_root_ = true;
    root_ns_ = ns;
    std::string l = LowerTrim(local);
    if (l == "rss") {
      family_ = Family::kRss;
      std::string v = LowerTrim(AttrText(tok, "version"));
      feed_->format = v.starts_with("0.9") ? FeedFormat::kRss090 : FeedFormat::kRss20;
      if (ns == Ns::kRss090) feed_->format = FeedFormat::kRss090;
    } else if (l == "rdf") {
      family_ = Family::kRss;
      feed_->format = FeedFormat::kRss10;
      for (const auto& [prefix, bound] : ns_) {
        if (bound == Ns::kRss090) feed_->format = FeedFormat::kRss090;
      }
    } else if (l == "feed") {
      family_ = Family::kAtom;
      std::string v = LowerTrim(AttrText(tok, "version"));
      feed_->format = (v == "0.3" || ns == Ns::kAtom03 ||
                       (v.starts_with("0.") && ns != Ns::kAtom10))
                          ? FeedFormat::kAtom03
                          : FeedFormat::kAtom10;
    } else if (l == "html" || ns == Ns::kXhtml) {
      return InvalidArgument("not a feed: the document is an HTML page");
    } else {
      return InvalidArgument("not a feed: root element <" + std::string(tok.name) +
                             "> is not rss, rdf:RDF or feed");
    }
    if (std::string lang = AttrText(tok, "lang"); !lang.empty()) {
      root_lang_ = CleanText(lang, 64);
    }
    return Status::Ok();
  }

  FieldSpec Lookup(Role owner, Ns ns, std::string_view local) const {
    bool core = IsCore(ns);
    auto is = [&](std::string_view n) { return local == n; };
    if (owner == Role::kPerson) {
      if (core && is("name")) return {Field::kPersonName};
      if (core && is("email")) return {Field::kPersonEmail};
      return {};
    }
    bool feed = owner == Role::kFeed;
    if (ns == Ns::kDc) {
      if (is("title")) return {Field::kTitle, TextMode::kGuess};
      if (is("creator") || is("author") || (feed && is("publisher"))) {
        return {Field::kAuthor};
      }
      if (is("language")) return {Field::kLanguage};
      if (is("date")) return {Field::kUpdated};
      if (!feed && is("subject")) return {Field::kCategory};
      if (!feed && is("description")) return {Field::kSummary, TextMode::kHtml};
      return {};
    }
    if (ns == Ns::kDcTerms) {
      if (is("modified")) return {Field::kUpdated};
      if (!feed && is("issued")) return {Field::kPublished};
      return {};
    }
    if (ns == Ns::kContent) {
      if (!feed && is("encoded")) return {Field::kContent, TextMode::kHtml};
      return {};
    }
    if (ns == Ns::kItunes) {
      if (is("author")) return {Field::kAuthor};
      return {};
    }
    if (ns == Ns::kXhtml) {
      if (!feed && is("body")) return {Field::kContent, TextMode::kHtml};
      return {};
    }
    if (!core) return {};
    if (family_ == Family::kRss) {
      if (is("title")) return {Field::kTitle, TextMode::kGuess};
      if (is("link")) return {Field::kLink};
      if (is("description")) {
        return {feed ? Field::kSubtitle : Field::kSummary, TextMode::kHtml};
      }
      if (is("author") || (feed && is("managingEditor"))) return {Field::kAuthor};
      if (feed && is("webMaster")) return {Field::kAuthorFallback};
      if (feed && is("language")) return {Field::kLanguage};
      if (feed && is("lastBuildDate")) return {Field::kUpdated};
      if (feed && is("ttl")) return {Field::kTtl};
      if (!feed && is("guid")) return {Field::kGuid};
      if (!feed && is("pubDate")) return {Field::kPublished};
      if (!feed && is("category")) return {Field::kCategory};
      return {};
    }
    // Atom 1.0 and 0.3.
    if (is("title")) return {Field::kTitle, TextMode::kPlain, true};
    if (is("id")) return {Field::kId};
    if (is("updated") || is("modified")) return {Field::kUpdated};
    if (feed && (is("subtitle") || is("tagline"))) {
      return {Field::kSubtitle, TextMode::kPlain, true};
    }
    if (!feed && (is("published") || is("issued"))) return {Field::kPublished};
    if (!feed && is("summary")) return {Field::kSummary, TextMode::kPlain, true};
    if (!feed && is("content")) return {Field::kContent, TextMode::kPlain, true};
    return {};
  }

  void ConstructMode(const XmlToken& tok, Capture* cap) {
    std::string type = LowerTrim(AttrText(tok, "type"));
    std::string mode = LowerTrim(AttrText(tok, "mode"));
    cap->base64 = mode == "base64";
    if (type.empty() || type == "text" || type == "text/plain") {
      cap->mode = TextMode::kPlain;
    } else if (type == "html" || type == "text/html" || type == "xhtml" ||
               type == "application/xhtml+xml") {
      cap->mode = TextMode::kHtml;
    } else if (type.ends_with("xml")) {
      cap->mode = TextMode::kHtml;  // inline XML: its text content
    } else {
      cap->mode = TextMode::kPlain;
    }
  }

  // The base for relative links: xml:base or the fetch URL, else the
  // feed's own (absolute) link once the document has given it.
  std::string_view BaseFor(const std::string& base) const {
    if (!base.empty() || !feed_->link) return base;
    return *feed_->link;
  }

  void HandleLink(const XmlToken& tok, Role owner, const std::string& base) {
    std::string href = AttrText(tok, "href");
    if (href.empty()) return;
    std::string rel = LowerTrim(AttrText(tok, "rel"));
    std::string url = CleanText(ResolveUrl(BaseFor(base), CleanText(href)), limits_.max_field_bytes);
    if (rel.empty() || rel == "alternate") {
      // The first alternate wins, except that an HTML page beats another
      // representation (an alternate Atom or JSON document).
      std::string type = LowerTrim(AttrText(tok, "type"));
      bool html = type.empty() || type == "text/html" || type == "application/xhtml+xml";
      bool feed_level = owner == Role::kFeed;
      std::optional<std::string>& link = feed_level ? feed_->link : entry_.link;
      bool& link_html = feed_level ? feed_link_html_ : entry_link_html_;
      if (!link || (html && !link_html)) {
        link = url;
        link_html = html;
      }
    } else if (rel == "enclosure" && owner == Role::kEntry) {
      entry_.enclosures.push_back({url, CleanText(AttrText(tok, "type"), 256),
                                   ParseLength(AttrText(tok, "length"))});
    }
  }

  Status OnStart(const XmlToken& tok) {
    if (static_cast<int>(stack_.size()) >= limits_.max_depth) {
      return ResourceExhausted("document nested deeper than " +
                               std::to_string(limits_.max_depth) + " elements");
    }
    size_t ns_mark = ns_.size();
    for (const XmlAttr& a : tok.attrs) {
      if (a.name == "xmlns" || a.name.starts_with("xmlns:")) {
        std::string uri;
        tz_.Decode(a.raw_value, &uri);
        std::string_view prefix = a.name.size() > 6 ? a.name.substr(6) : std::string_view();
        ns_.emplace_back(prefix, NsFromUri(uri));
      }
    }
    Ns ns = Resolve(tok.name, false);
    std::string_view local = LocalName(tok.name);
    std::string base = stack_.empty() ? info_.url : stack_.back().base;
    for (const XmlAttr& a : tok.attrs) {
      if (a.name == "xml:base") {
        std::string b;
        tz_.Decode(a.raw_value, &b);
        base = ResolveUrl(base, CleanText(b));
      }
    }
    if (capturing_) {
      ++cap_.children;
      stack_.push_back({Role::kIgnored, tok.name, ns_mark, std::move(base)});
      return Status::Ok();
    }
    Role parent = stack_.empty() ? Role::kIgnored : stack_.back().role;
    Role role = Role::kIgnored;
    if (stack_.empty()) {
      if (saw_root_) {
        // Content after the root element: ignore it.
        stack_.push_back({Role::kIgnored, tok.name, ns_mark, std::move(base)});
        return Status::Ok();
      }
      ASSAY_RETURN_IF_ERROR(StartRoot(tok, ns, local));
      role = family_ == Family::kAtom ? Role::kFeed : Role::kRoot;
    } else if (parent == Role::kRoot) {
      if (IsCore(ns) && local == "channel") role = Role::kFeed;
      if (IsCore(ns) && local == "item") role = Role::kEntry;
    } else if (parent == Role::kFeed || parent == Role::kEntry) {
      bool core = IsCore(ns);
      if (parent == Role::kFeed && core &&
          local == (family_ == Family::kAtom ? "entry" : "item")) {
        role = Role::kEntry;
      } else if (family_ == Family::kAtom && core && local == "link") {
        HandleLink(tok, parent, base);
      } else if (family_ == Family::kAtom && core && local == "author") {
        role = Role::kPerson;
        person_ = {};
      } else if (family_ == Family::kAtom && core && local == "category" &&
                 parent == Role::kEntry) {
        std::string term = AttrText(tok, "term");
        if (term.empty()) term = AttrText(tok, "label");
        if (std::string t = CleanText(term, limits_.max_field_bytes); !t.empty()) {
          entry_.categories.push_back(std::move(t));
        }
      } else if (family_ == Family::kRss && core && local == "enclosure" &&
                 parent == Role::kEntry) {
        std::string url = AttrText(tok, "url");
        if (!url.empty()) {
          entry_.enclosures.push_back(
              {CleanText(ResolveUrl(BaseFor(base), CleanText(url)), limits_.max_field_bytes),
               CleanText(AttrText(tok, "type"), 256),
               ParseLength(AttrText(tok, "length"))});
        }
      } else if (FieldSpec spec = Lookup(parent, ns, local); spec.field != Field::kNone) {
        role = Role::kField;
        BeginCapture(tok, parent, spec, base);
      }
    } else if (parent == Role::kPerson) {
      if (FieldSpec spec = Lookup(parent, ns, local); spec.field != Field::kNone) {
        role = Role::kField;
        BeginCapture(tok, parent, spec, base);
      }
    }
    if (role == Role::kFeed && root_lang_.empty()) {
      if (std::string lang = AttrText(tok, "lang"); !lang.empty()) {
        root_lang_ = CleanText(lang, 64);
      }
    }
    if (role == Role::kEntry) {
      entry_link_html_ = false;
      entry_ = Entry();
      guid_link_.clear();
      if (family_ == Family::kRss) {
        if (auto about = Attr(tok, "about")) {
          std::string id;
          tz_.Decode(*about, &id);
          id = CleanText(id, limits_.max_field_bytes);
          if (!id.empty()) entry_.id = id;
        }
      }
    }
    stack_.push_back({role, tok.name, ns_mark, std::move(base)});
    if (role == Role::kField) {
      cap_.depth = stack_.size();
      cap_.raw_begin = tok.end;
    }
    return Status::Ok();
  }

  void BeginCapture(const XmlToken& tok, Role owner, const FieldSpec& spec,
                    const std::string& base) {
    capturing_ = true;
    cap_ = Capture();
    cap_.field = spec.field;
    cap_.owner = owner;
    cap_.mode = spec.mode;
    cap_.base = base;
    if (spec.atom_construct) ConstructMode(tok, &cap_);
    if (spec.field == Field::kGuid) {
      cap_.guid_permalink = LowerTrim(AttrText(tok, "isPermaLink")) != "false";
    }
  }

  void OnEnd(const XmlToken& tok) {
    // Close the nearest open element with this name; end tags that match
    // nothing are ignored.
    for (size_t i = stack_.size(); i-- > 0;) {
      if (stack_[i].qname == tok.name) {
        if (i + 1 != stack_.size() && !capturing_) {
          feed_->warnings.push_back("end tag </" + std::string(tok.name) +
                                    "> closes unclosed elements");
        }
        PopTo(i, tok.begin);
        if (stack_.empty()) root_closed_ = true;
        return;
      }
      // Inside captured markup, a stray end tag must not close the field.
      if (capturing_ && i + 1 == cap_.depth) return;
    }
  }

  // Pops frames until the stack has `size` elements; `raw_end` is where
  // the content of the popped elements ends.
  void PopTo(size_t size, size_t raw_end) {
    while (stack_.size() > size) {
      Frame& f = stack_.back();
      if (capturing_ && stack_.size() == cap_.depth) {
        capturing_ = false;
        FinishCapture(raw_end);
      }
      if (f.role == Role::kEntry) FinishEntry();
      if (f.role == Role::kPerson) FinishPerson();
      ns_.resize(f.ns_mark);
      stack_.pop_back();
    }
  }

  std::string CaptureValue(size_t raw_end) {
    size_t max = limits_.max_field_bytes;
    if (cap_.children > 0 && raw_end > cap_.raw_begin) {
      return HtmlToText(doc_.substr(cap_.raw_begin, raw_end - cap_.raw_begin), max);
    }
    std::string s = std::move(cap_.text);
    if (cap_.base64) {
      bool ok = false;
      std::string decoded = Base64Decode(s, &ok);
      if (ok) {
        s = std::move(decoded);
      } else {
        feed_->warnings.push_back("invalid base64 content kept as text");
      }
    }
    TextMode mode = cap_.mode;
    if (mode == TextMode::kGuess) mode = LooksLikeHtml(s) ? TextMode::kHtml : TextMode::kPlain;
    return mode == TextMode::kHtml ? HtmlToText(s, max) : CleanText(s, max);
  }

  void FinishCapture(size_t raw_end) {
    std::string v = CaptureValue(raw_end);
    bool feed = cap_.owner == Role::kFeed;
    auto set = [&](std::optional<std::string>& slot) {
      if (!v.empty()) slot = v;
    };
    switch (cap_.field) {
      case Field::kTitle: set(feed ? feed_->title : entry_.title); break;
      case Field::kSubtitle: set(feed_->subtitle); break;
      case Field::kSummary: set(entry_.summary); break;
      case Field::kContent: set(entry_.content); break;
      case Field::kId: set(feed ? feed_->id : entry_.id); break;
      case Field::kLanguage:
        if (feed) set(feed_->language);
        break;
      case Field::kLink:
        if (!v.empty()) {
          std::string url = CleanText(ResolveUrl(BaseFor(cap_.base), v), limits_.max_field_bytes);
          std::optional<std::string>& slot = feed ? feed_->link : entry_.link;
          if (!slot) slot = url;
        }
        break;
      case Field::kGuid:
        if (!v.empty()) {
          entry_.id = v;
          entry_.id_is_permalink = cap_.guid_permalink;
          guid_link_ = cap_.guid_permalink ? ResolveUrl(BaseFor(cap_.base), v) : "";
        }
        break;
      case Field::kUpdated:
      case Field::kPublished:
        if (auto t = ParseDate(v)) {
          std::optional<UnixSeconds>& slot =
              cap_.field == Field::kUpdated ? (feed ? feed_->updated : entry_.updated)
                                            : entry_.published;
          slot = *t;
        }
        break;
      case Field::kAuthor:
        if (!v.empty()) (feed ? feed_->author : entry_.author) = RssAuthor(v);
        break;
      case Field::kAuthorFallback:
        if (!v.empty() && feed) webmaster_ = RssAuthor(v);
        break;
      case Field::kCategory:
        if (!v.empty()) entry_.categories.push_back(std::move(v));
        break;
      case Field::kTtl:
        if (auto n = ParseLength(v); n && *n < (int64_t{1} << 40)) {
          feed_->ttl_seconds = *n * 60;
        }
        break;
      case Field::kPersonName: person_.name = v; break;
      case Field::kPersonEmail: person_.email = v; break;
      case Field::kNone: break;
    }
  }

  void FinishPerson() {
    std::string who = !person_.name.empty() ? person_.name : person_.email;
    if (who.empty()) return;
    Role owner = stack_.size() >= 2 ? stack_[stack_.size() - 2].role : Role::kIgnored;
    std::optional<std::string>& slot = owner == Role::kFeed ? feed_->author : entry_.author;
    if (!slot) slot = who;
  }

  void FinishEntry() {
    if (!entry_.link && !guid_link_.empty() &&
        guid_link_.find("://") != std::string::npos) {
      entry_.link = CleanText(guid_link_, limits_.max_field_bytes);
    }
    if (feed_->entries.size() >= limits_.max_items) {
      if (!items_capped_) {
        feed_->warnings.push_back("more than " + std::to_string(limits_.max_items) +
                                  " entries; the rest were dropped");
        items_capped_ = true;
      }
      return;
    }
    feed_->entries.push_back(std::move(entry_));
    entry_ = Entry();
  }

 public:
  void Finish() {
    if (!feed_->author && !webmaster_.empty()) feed_->author = webmaster_;
    if (!feed_->language && !root_lang_.empty()) feed_->language = root_lang_;
  }

 private:
  std::string_view doc_;
  const FetchInfo& info_;
  const ParseLimits& limits_;
  Feed* feed_;
  XmlTokenizer tz_;
  std::vector<Frame> stack_;
  std::vector<std::pair<std::string_view, Ns>> ns_;
  Family family_ = Family::kRss;
  Ns root_ns_ = Ns::kNone;
  bool saw_root_ = false;
  bool root_closed_ = false;
  bool capturing_ = false;
  bool items_capped_ = false;
  bool feed_link_html_ = false;
  bool entry_link_html_ = false;
  Capture cap_;
  Entry entry_;
  Person person_;
  std::string guid_link_;
  std::string webmaster_;
  std::string root_lang_;
};

}  // namespace

Result<Feed> ParseFeed(std::string_view body, const FetchInfo& info,
                       const ParseLimits& limits) {
  size_t first = 0;
  while (first < body.size() && (IsSpace(body[first]) || body[first] == '\0')) ++first;
  if (first == body.size()) return InvalidArgument("not a feed: empty body");

  Feed feed;
  std::string charset = DetectCharset(body, info.content_type);
  std::string text = ConvertToUtf8(body, charset, &feed.warnings);
  std::string_view doc = text;
  // Skip a BOM (U+FEFF) and leading whitespace.
  while (true) {
    if (doc.starts_with("\xEF\xBB\xBF")) {
      doc.remove_prefix(3);
    } else if (!doc.empty() && IsSpace(doc.front())) {
      doc.remove_prefix(1);
    } else {
      break;
    }
  }
  if (doc.empty()) return InvalidArgument("not a feed: empty body");
  if (doc.front() == '{' || doc.front() == '[') {
    ASSAY_RETURN_IF_ERROR(internal::ParseJsonFeed(doc, info, limits, &feed));
    return feed;
  }
  if (doc.front() != '<') {
    return InvalidArgument("not a feed: the body is neither XML nor JSON");
  }
  XmlFeedBuilder builder(doc, info, limits, &feed);
  ASSAY_RETURN_IF_ERROR(builder.Run());
  builder.Finish();
  return feed;
}

}  // namespace assay::parsers
