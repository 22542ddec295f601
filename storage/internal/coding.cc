#include "storage/internal/coding.h"

#include <cstring>
#include <chrono>
#include <utility>

namespace assay::storage::internal {

void PutVarint64(std::string* dst, uint64_t v) {
  while (v >= 0x80) {
    dst->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  dst->push_back(static_cast<char>(v));
}

void PutSignedVarint64(std::string* dst, int64_t v) {
  // Zigzag: small magnitudes of either sign stay short. Done on the unsigned
  // representation so that INT64_MIN shifts without overflow.
  const uint64_t u = static_cast<uint64_t>(v);
  PutVarint64(dst, (u << 1) ^ (v < 0 ? ~uint64_t{0} : 0));
}

void PutFixed32(std::string* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutFixed64(std::string* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutFixed64BigEndian(std::string* dst, uint64_t v) {
  for (int i = 7; i >= 0; --i) dst->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s);
}

uint32_t DecodeFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}

uint64_t DecodeFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}

bool Reader::GetVarint64(uint64_t* v) {
  uint64_t result = 0;
  for (size_t i = 0; i < in_.size() && i < 10; ++i) {
    const uint64_t byte = static_cast<unsigned char>(in_[i]);
    // The tenth byte carries bit 63 only; anything more overflows.
    if (i == 9 && byte > 1) return false;
    result |= (byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      in_.remove_prefix(i + 1);
      *v = result;
      return true;
    }
  }
  return false;
}

bool Reader::GetSignedVarint64(int64_t* v) {
  uint64_t u = 0;
  if (!GetVarint64(&u)) return false;
  *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  return true;
}

bool Reader::GetFixed32(uint32_t* v) {
  if (in_.size() < 4) return false;
  *v = DecodeFixed32(in_.data());
  in_.remove_prefix(4);
  return true;
}

bool Reader::GetFixed64(uint64_t* v) {
  if (in_.size() < 8) return false;
  *v = DecodeFixed64(in_.data());
  in_.remove_prefix(8);
  return true;
}

bool Reader::GetFixed64BigEndian(uint64_t* v) {
  if (in_.size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) {
    r = (r << 8) | static_cast<unsigned char>(in_[static_cast<size_t>(i)]);
  }
  *v = r;
  in_.remove_prefix(8);
  return true;
}

bool Reader::GetByte(uint8_t* v) {
  if (in_.empty()) return false;
  *v = static_cast<uint8_t>(in_[0]);
  in_.remove_prefix(1);
  return true;
}

bool Reader::GetLengthPrefixed(std::string* s) {
  uint64_t n = 0;
  if (!GetVarint64(&n) || n > in_.size()) return false;
  s->assign(in_.data(), static_cast<size_t>(n));
  in_.remove_prefix(static_cast<size_t>(n));
  return true;
}

bool Reader::GetCount(uint64_t* n, size_t min_item_bytes) {
  if (!GetVarint64(n)) return false;
  return min_item_bytes == 0 || *n <= in_.size() / min_item_bytes;
}

namespace {

// An optional instant: a presence byte (0 or 1), then zigzag seconds.
void PutOptionalTime(std::string* dst, const std::optional<UnixSeconds>& t) {
  if (!t) {
    dst->push_back('\0');
    return;
  }
  dst->push_back('\1');
  PutSignedVarint64(dst, t->time_since_epoch().count());
}

bool GetTime(Reader* r, UnixSeconds* t) {
  int64_t s = 0;
  if (!r->GetSignedVarint64(&s)) return false;
  *t = UnixSeconds(std::chrono::seconds(s));
  return true;
}

bool GetOptionalTime(Reader* r, std::optional<UnixSeconds>* t) {
  uint8_t present = 0;
  if (!r->GetByte(&present) || present > 1) return false;
  if (present == 0) {
    t->reset();
    return true;
  }
  UnixSeconds v;
  if (!GetTime(r, &v)) return false;
  *t = v;
  return true;
}

// Decoding reads fields in order and stops at the first one that fails;
// `field` names it for the Corruption message.
class RecordDecoder {
 public:
  RecordDecoder(std::string_view what, std::string_view value)
      : what_(what), r_(value) {}

  Reader& reader() { return r_; }

  bool Check(bool ok, const char* field) {
    if (!ok && failed_field_ == nullptr) failed_field_ = field;
    return ok && failed_field_ == nullptr;
  }

  Status Finish() const {
    if (failed_field_ != nullptr) {
      return Corruption(std::string(what_) + " record: field '" + failed_field_ +
                        "' is truncated or malformed");
    }
    if (!r_.empty()) {
      return Corruption(std::string(what_) + " record: " +
                        std::to_string(r_.remaining()) + " trailing bytes");
    }
    return Status::Ok();
  }

  bool failed() const { return failed_field_ != nullptr; }

 private:
  std::string_view what_;
  Reader r_;
  const char* failed_field_ = nullptr;
};

Status CheckVersion(std::string_view what, Reader* r, uint8_t expected) {
  uint8_t version = 0;
  if (!r->GetByte(&version)) return Corruption(std::string(what) + " record is empty");
  if (version != expected) {
    return Corruption(std::string(what) + " record version " + std::to_string(version) +
                      " is not supported (this build reads version " +
                      std::to_string(expected) + ")");
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeArticle(const Article& a) {
  std::string out;
  out.reserve(64 + a.id.size() + a.feed_url.size() + a.link.size() + a.guid.size() +
              a.title.size() + a.summary.size() + a.content.size() + a.author.size() +
              a.story_id.size());
  out.push_back(static_cast<char>(kArticleRecordVersion));
  PutLengthPrefixed(&out, a.id);
  PutLengthPrefixed(&out, a.feed_url);
  PutLengthPrefixed(&out, a.link);
  PutLengthPrefixed(&out, a.guid);
  PutLengthPrefixed(&out, a.title);
  PutLengthPrefixed(&out, a.summary);
  PutLengthPrefixed(&out, a.content);
  PutLengthPrefixed(&out, a.author);
  PutVarint64(&out, a.categories.size());
  for (const std::string& c : a.categories) PutLengthPrefixed(&out, c);
  PutVarint64(&out, a.enclosures.size());
  for (const Enclosure& e : a.enclosures) {
    PutLengthPrefixed(&out, e.url);
    PutLengthPrefixed(&out, e.type);
    if (e.length) {
      out.push_back('\1');
      PutSignedVarint64(&out, *e.length);
    } else {
      out.push_back('\0');
    }
  }
  PutOptionalTime(&out, a.published);
  PutOptionalTime(&out, a.updated);
  PutSignedVarint64(&out, a.fetched.time_since_epoch().count());
  PutFixed64(&out, a.content_hash);
  PutLengthPrefixed(&out, a.story_signature);
  PutLengthPrefixed(&out, a.story_id);
  return out;
}

Result<Article> DecodeArticle(std::string_view value) {
  Reader version_reader(value);
  if (Status s = CheckVersion("article", &version_reader, kArticleRecordVersion); !s.ok()) {
    return s;
  }
  RecordDecoder d("article", value.substr(1));
  Reader& r = d.reader();
  Article a;
  d.Check(r.GetLengthPrefixed(&a.id), "id") &&
      d.Check(r.GetLengthPrefixed(&a.feed_url), "feed_url") &&
      d.Check(r.GetLengthPrefixed(&a.link), "link") &&
      d.Check(r.GetLengthPrefixed(&a.guid), "guid") &&
      d.Check(r.GetLengthPrefixed(&a.title), "title") &&
      d.Check(r.GetLengthPrefixed(&a.summary), "summary") &&
      d.Check(r.GetLengthPrefixed(&a.content), "content") &&
      d.Check(r.GetLengthPrefixed(&a.author), "author");
  uint64_t n = 0;
  // Each category takes at least its length byte.
  if (d.Check(!d.failed() && r.GetCount(&n, 1), "categories")) {
    a.categories.resize(static_cast<size_t>(n));
    for (std::string& c : a.categories) {
      if (!d.Check(r.GetLengthPrefixed(&c), "categories")) break;
    }
  }
  // Each enclosure takes at least two length bytes and a presence byte.
  if (d.Check(!d.failed() && r.GetCount(&n, 3), "enclosures")) {
    a.enclosures.resize(static_cast<size_t>(n));
    for (Enclosure& e : a.enclosures) {
      uint8_t has_length = 0;
      if (!d.Check(r.GetLengthPrefixed(&e.url) && r.GetLengthPrefixed(&e.type) &&
                       r.GetByte(&has_length) && has_length <= 1,
                   "enclosures")) {
        break;
      }
      if (has_length == 1) {
        int64_t len = 0;
        if (!d.Check(r.GetSignedVarint64(&len), "enclosures.length")) break;
        e.length = len;
      }
    }
  }
  if (!d.failed()) {
    d.Check(GetOptionalTime(&r, &a.published), "published") &&
        d.Check(GetOptionalTime(&r, &a.updated), "updated") &&
        d.Check(GetTime(&r, &a.fetched), "fetched") &&
        d.Check(r.GetFixed64(&a.content_hash), "content_hash") &&
        d.Check(r.GetLengthPrefixed(&a.story_signature), "story_signature") &&
        d.Check(r.GetLengthPrefixed(&a.story_id), "story_id");
  }
  if (Status s = d.Finish(); !s.ok()) return s;
  return a;
}

std::string EncodeFeedState(const FeedState& f) {
  std::string out;
  out.reserve(48 + f.url.size() + f.current_url.size() + f.name.size() + f.title.size() +
              f.etag.size() + f.last_modified.size() + f.last_error.size());
  out.push_back(static_cast<char>(kFeedRecordVersion));
  PutLengthPrefixed(&out, f.url);
  PutLengthPrefixed(&out, f.current_url);
  PutLengthPrefixed(&out, f.name);
  PutLengthPrefixed(&out, f.title);
  PutLengthPrefixed(&out, f.etag);
  PutLengthPrefixed(&out, f.last_modified);
  out.push_back(static_cast<char>(f.outcome));
  PutSignedVarint64(&out, static_cast<int64_t>(f.http_status));
  PutLengthPrefixed(&out, f.last_error);
  PutOptionalTime(&out, f.last_fetch);
  PutOptionalTime(&out, f.last_success);
  PutOptionalTime(&out, f.next_attempt);
  PutVarint64(&out, f.consecutive_failures);
  PutSignedVarint64(&out, f.hint_seconds);
  PutVarint64(&out, f.article_count);
  PutVarint64(&out, f.warning_count);
  PutLengthPrefixed(&out, f.last_warning);
  return out;
}

Result<FeedState> DecodeFeedState(std::string_view value) {
  Reader version_reader(value);
  if (Status s = CheckVersion("feed", &version_reader, kFeedRecordVersion); !s.ok()) {
    return s;
  }
  RecordDecoder d("feed", value.substr(1));
  Reader& r = d.reader();
  FeedState f;
  uint8_t outcome = 0;
  int64_t http_status = 0;
  uint64_t failures = 0;
  uint64_t warnings = 0;
  d.Check(r.GetLengthPrefixed(&f.url), "url") &&
      d.Check(r.GetLengthPrefixed(&f.current_url), "current_url") &&
      d.Check(r.GetLengthPrefixed(&f.name), "name") &&
      d.Check(r.GetLengthPrefixed(&f.title), "title") &&
      d.Check(r.GetLengthPrefixed(&f.etag), "etag") &&
      d.Check(r.GetLengthPrefixed(&f.last_modified), "last_modified") &&
      d.Check(r.GetByte(&outcome) &&
                  outcome <= static_cast<uint8_t>(FetchOutcome::kFailed),
              "outcome") &&
      d.Check(r.GetSignedVarint64(&http_status), "http_status") &&
      d.Check(r.GetLengthPrefixed(&f.last_error), "last_error") &&
      d.Check(GetOptionalTime(&r, &f.last_fetch), "last_fetch") &&
      d.Check(GetOptionalTime(&r, &f.last_success), "last_success") &&
      d.Check(GetOptionalTime(&r, &f.next_attempt), "next_attempt") &&
      d.Check(r.GetVarint64(&failures) && failures <= UINT32_MAX,
              "consecutive_failures") &&
      d.Check(r.GetSignedVarint64(&f.hint_seconds), "hint_seconds") &&
      d.Check(r.GetVarint64(&f.article_count), "article_count") &&
      d.Check(r.GetVarint64(&warnings) && warnings <= UINT32_MAX, "warning_count") &&
      d.Check(r.GetLengthPrefixed(&f.last_warning), "last_warning");
  if (Status s = d.Finish(); !s.ok()) return s;
  f.warning_count = static_cast<uint32_t>(warnings);
  f.outcome = static_cast<FetchOutcome>(outcome);
  // `long` is 64 bits on every platform assay targets (LP64).
  static_assert(sizeof(long) == sizeof(int64_t));
  f.http_status = static_cast<long>(http_status);
  f.consecutive_failures = static_cast<uint32_t>(failures);
  return f;
}

namespace {

void PutStrings(std::string* out, const std::vector<std::string>& v) {
  PutVarint64(out, v.size());
  for (const std::string& s : v) PutLengthPrefixed(out, s);
}

bool GetStrings(RecordDecoder* d, const char* field, std::vector<std::string>* v) {
  Reader& r = d->reader();
  uint64_t n = 0;
  if (!d->Check(!d->failed() && r.GetCount(&n, 1), field)) return false;
  v->resize(static_cast<size_t>(n));
  for (std::string& s : *v) {
    if (!d->Check(r.GetLengthPrefixed(&s), field)) return false;
  }
  return true;
}

}  // namespace

std::string EncodeEvent(const Event& e) {
  std::string out;
  out.push_back(static_cast<char>(kEventRecordVersion));
  PutLengthPrefixed(&out, e.article_id);
  PutLengthPrefixed(&out, e.feed_url);
  PutLengthPrefixed(&out, e.story_id);
  PutStrings(&out, e.tags);
  PutStrings(&out, e.minerals);
  PutStrings(&out, e.countries);
  PutStrings(&out, e.blocs);
  uint64_t score_bits;
  static_assert(sizeof score_bits == sizeof e.score);
  std::memcpy(&score_bits, &e.score, sizeof score_bits);
  PutFixed64(&out, score_bits);
  PutLengthPrefixed(&out, e.severity);
  PutVarint64(&out, e.matches.size());
  for (const EventMatch& m : e.matches) {
    PutLengthPrefixed(&out, m.rule);
    PutLengthPrefixed(&out, m.field);
    PutVarint64(&out, m.start);
    PutVarint64(&out, m.end);
    PutLengthPrefixed(&out, m.text);
  }
  PutLengthPrefixed(&out, e.pack_version);
  return out;
}

Result<Event> DecodeEvent(std::string_view value) {
  Reader version_reader(value);
  if (Status s = CheckVersion("event", &version_reader, kEventRecordVersion); !s.ok()) {
    return s;
  }
  RecordDecoder d("event", value.substr(1));
  Reader& r = d.reader();
  Event e;
  d.Check(r.GetLengthPrefixed(&e.article_id), "article_id") &&
      d.Check(r.GetLengthPrefixed(&e.feed_url), "feed_url") &&
      d.Check(r.GetLengthPrefixed(&e.story_id), "story_id") &&
      GetStrings(&d, "tags", &e.tags) && GetStrings(&d, "minerals", &e.minerals) &&
      GetStrings(&d, "countries", &e.countries) && GetStrings(&d, "blocs", &e.blocs);
  uint64_t score_bits = 0;
  if (d.Check(!d.failed() && r.GetFixed64(&score_bits), "score")) {
    std::memcpy(&e.score, &score_bits, sizeof score_bits);
  }
  d.Check(!d.failed() && r.GetLengthPrefixed(&e.severity), "severity");
  uint64_t n = 0;
  // Each match takes at least 3 length bytes and 2 offset bytes.
  if (d.Check(!d.failed() && r.GetCount(&n, 5), "matches")) {
    e.matches.resize(static_cast<size_t>(n));
    for (EventMatch& m : e.matches) {
      uint64_t start = 0, end = 0;
      if (!d.Check(r.GetLengthPrefixed(&m.rule) && r.GetLengthPrefixed(&m.field) &&
                       r.GetVarint64(&start) && r.GetVarint64(&end) && start <= end &&
                       end <= UINT32_MAX && r.GetLengthPrefixed(&m.text),
                   "matches")) {
        break;
      }
      m.start = static_cast<uint32_t>(start);
      m.end = static_cast<uint32_t>(end);
    }
  }
  d.Check(!d.failed() && r.GetLengthPrefixed(&e.pack_version), "pack_version");
  if (Status s = d.Finish(); !s.ok()) return s;
  return e;
}

}  // namespace assay::storage::internal
