#include "rules/tagger.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

namespace assay::rules {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kLow:
      return "low";
    case Severity::kMedium:
      return "medium";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "?";
}

std::optional<Severity> ParseSeverity(std::string_view name) {
  for (Severity s : {Severity::kInfo, Severity::kLow, Severity::kMedium, Severity::kHigh,
                     Severity::kCritical}) {
    if (SeverityName(s) == name) return s;
  }
  return std::nullopt;
}

Event ToEvent(TagResult t, const std::string& pack_version) {
  Event e;
  e.tags = std::move(t.tags);
  e.minerals = std::move(t.minerals);
  e.countries = std::move(t.countries);
  e.blocs = std::move(t.blocs);
  e.score = t.score;
  e.severity = std::string(SeverityName(t.severity));
  e.matches.reserve(t.matches.size());
  for (Match& m : t.matches) {
    e.matches.push_back(EventMatch{std::move(m.rule), std::string(FieldName(m.field)),
                                   static_cast<uint32_t>(m.start), static_cast<uint32_t>(m.end),
                                   std::move(m.text)});
  }
  e.pack_version = pack_version;
  return e;
}

namespace {

struct Span {
  size_t start;
  size_t end;
};

// A distinct compiled pattern. Atoms are shared: the same regex with the same
// options used by ten rules is one atom, scanned once per field.
struct Atom {
  std::string regex;  // Pattern::CompiledRegex()
  std::unique_ptr<RE2> re;
  FieldMask fields = 0;  // every field some user of the atom looks at
};

// A pattern as a user sees it: which atom, over which fields, written how.
struct PatternRef {
  int atom = -1;
  FieldMask fields = kAllFields;
  const std::string* source = nullptr;  // points into Impl::pack
};

struct Node {
  Condition::Kind kind = Condition::Kind::kAll;
  PatternRef pattern;      // kPattern
  PatternRef near[2];      // kNear
  int within_words = 0;    // kNear
  bool ordered = false;    // kNear
  int tag = -1;            // kTag
  int entity_kind = 0;     // kEntity
  int entity = -1;         // kEntity; -1 = any of the kind
  FieldMask fields = kAllFields;  // kEntity
  std::vector<Node> children;
};

struct CompiledRule {
  const Rule* rule = nullptr;
  int tag = -1;
  Node when;
};

struct CompiledTag {
  std::string name;
  bool internal = false;
  double min_score = 0;
  std::vector<int> rules;
};

struct CompiledEntity {
  const Entity* entity = nullptr;
  std::vector<PatternRef> forms;
  std::vector<PatternRef> exclude;  // the entity's own and its kind's
};

// One RE2::Set per field, with the atom behind each set index.
struct FieldSet {
  std::unique_ptr<RE2::Set> set;
  std::vector<int> atoms;
};

// Bytes that start a word for proximity: ASCII letters and digits and any
// non-ASCII character except U+2000..U+206F (dashes, curly quotes).
bool IsWordByte(const std::string_view text, size_t i) {
  unsigned char c = static_cast<unsigned char>(text[i]);
  if (c < 0x80) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
  if (c == 0xE2 && i + 1 < text.size()) {
    unsigned char c1 = static_cast<unsigned char>(text[i + 1]);
    if (c1 == 0x80 || c1 == 0x81) return false;
  }
  return true;
}

}  // namespace

struct Tagger::Impl {
  RulePack pack;  // owns every Pattern source the compiled tree points at
  TaggerOptions options;
  std::vector<Atom> atoms;
  std::map<std::string, int> atom_index;
  FieldSet sets[kFieldCount];
  std::vector<CompiledRule> rules;
  std::vector<CompiledTag> tags;
  std::vector<int> tag_order;  // dependencies first
  std::vector<CompiledEntity> entities;
  std::vector<std::vector<int>> entities_of_atom;  // atom -> entities with it as a form
  std::optional<Node> report_when[kEntityKindCount];
  mutable std::atomic<uint64_t> articles{0};
  mutable std::atomic<uint64_t> set_fallbacks{0};

  Status AddPattern(const Pattern& p, const std::string& subject, PatternRef* out);
  Status CompileNode(const Condition& c, const std::string& subject,
                     const std::map<std::string, int>& tag_ids,
                     const std::map<std::string, int> (&entity_ids)[kEntityKindCount],
                     Node* out);
};

namespace {

// Per-thread working memory of Tag(), kept between calls so that tagging an
// article allocates nothing but its result. Every table is all-zero between
// calls: a call clears exactly the entries it set.
struct Scratch {
  std::vector<FieldMask> matched;        // atom -> fields where it matched
  std::vector<FieldMask> entity_fields;  // entity -> fields where present
  std::vector<uint8_t> tag_present;
  std::vector<uint8_t> rule_fired;
  std::vector<int> hit_atoms;   // atoms with a non-zero `matched`
  std::vector<int> candidates;  // entities with a matched form
  std::vector<int> hits;        // one RE2::Set result
  // Span lists, reused: the first `spans_used` entries belong to this call.
  // A deque, because callers hold references to earlier entries while
  // adding more.
  std::deque<std::pair<size_t, std::vector<Span>>> spans;
  size_t spans_used = 0;
  std::vector<size_t> word_starts[kFieldCount];
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// Everything one Tag() call learns about one article. Spans and word
// positions are computed on first use and cached.
class Scan {
 public:
  Scan(const Tagger::Impl& impl, const Article& a)
      : impl_(impl), s_(ThreadScratch()) {
    text_[0] = a.title;
    text_[1] = a.summary;
    text_[2] = a.content;
    // Another Tagger (after a reload) may have more atoms, entities or rules.
    if (s_.matched.size() < impl.atoms.size()) s_.matched.resize(impl.atoms.size(), 0);
    if (s_.entity_fields.size() < impl.entities.size()) {
      s_.entity_fields.resize(impl.entities.size(), 0);
    }
    if (s_.tag_present.size() < impl.tags.size()) s_.tag_present.resize(impl.tags.size(), 0);
    if (s_.rule_fired.size() < impl.rules.size()) s_.rule_fired.resize(impl.rules.size(), 0);
  }
  ~Scan() {
    for (int atom : s_.hit_atoms) s_.matched[atom] = 0;
    for (int e : s_.candidates) s_.entity_fields[e] = 0;
    std::fill_n(s_.tag_present.begin(), impl_.tags.size(), 0);
    std::fill_n(s_.rule_fired.begin(), impl_.rules.size(), 0);
    s_.hit_atoms.clear();
    s_.candidates.clear();
    s_.spans_used = 0;
    for (int f = 0; f < kFieldCount; ++f) {
      if (words_done_[f]) s_.word_starts[f].clear();
    }
  }
  Scan(const Scan&) = delete;
  Scan& operator=(const Scan&) = delete;

  void ScanFields();
  void FindEntities();
  void EvaluateRules();
  bool Eval(const Node& n) const;
  void Explain(const Node& n, const std::string& rule, std::vector<Match>* out) const;
  void ExplainEntity(int e, std::vector<Match>* out) const;

  std::string_view text(int f) const { return text_[f]; }
  bool tag_present(int t) const { return s_.tag_present[t] != 0; }
  bool rule_fired(int r) const { return s_.rule_fired[r] != 0; }
  FieldMask entity_fields(int e) const { return s_.entity_fields[e]; }
  // Entities with a matched form, ascending; only these can be present.
  const std::vector<int>& candidates() const { return s_.candidates; }

 private:
  const std::vector<Span>& Spans(int atom, int field) const;
  const std::vector<size_t>& WordStarts(int field) const;
  size_t WordsBetween(int field, size_t from, size_t to) const;
  bool Matched(const PatternRef& p, int field) const {
    return (s_.matched[p.atom] & p.fields & FieldBit(static_cast<Field>(field))) != 0;
  }
  bool EntityInField(int e, int field) const;
  bool NearInField(const Node& n, int field, std::vector<Match>* out,
                   const std::string* rule) const;

  const Tagger::Impl& impl_;
  Scratch& s_;
  std::string_view text_[kFieldCount];
  FieldMask kind_fields_[kEntityKindCount] = {0, 0, 0};
  mutable bool words_done_[kFieldCount] = {false, false, false};
};

void Scan::ScanFields() {
  std::vector<int>& hits = s_.hits;
  for (int f = 0; f < kFieldCount; ++f) {
    const FieldSet& fs = impl_.sets[f];
    if (text_[f].empty() || fs.atoms.empty()) continue;
    const FieldMask bit = FieldBit(static_cast<Field>(f));
    re2::StringPiece piece(text_[f].data(), text_[f].size());
    hits.clear();
    RE2::Set::ErrorInfo info{RE2::Set::kNoError};
    bool any = fs.set != nullptr && fs.set->Match(piece, &hits, &info);
    if (fs.set == nullptr || (!any && info.kind != RE2::Set::kNoError)) {
      // RE2::Set reports a DFA out of memory as "no match" (re2/set.h); the
      // only safe answer is to run the field's patterns one by one.
      impl_.set_fallbacks.fetch_add(1, std::memory_order_relaxed);
      for (int atom : fs.atoms) {
        if (RE2::PartialMatch(piece, *impl_.atoms[atom].re)) {
          if (s_.matched[atom] == 0) s_.hit_atoms.push_back(atom);
          s_.matched[atom] |= bit;
        }
      }
      continue;
    }
    for (int idx : hits) {
      int atom = fs.atoms[idx];
      if (s_.matched[atom] == 0) s_.hit_atoms.push_back(atom);
      s_.matched[atom] |= bit;
    }
  }
}

const std::vector<Span>& Scan::Spans(int atom, int field) const {
  size_t key = static_cast<size_t>(atom) * kFieldCount + static_cast<size_t>(field);
  for (size_t i = 0; i < s_.spans_used; ++i) {
    if (s_.spans[i].first == key) return s_.spans[i].second;
  }
  if (s_.spans_used == s_.spans.size()) s_.spans.emplace_back();
  auto& [slot_key, out] = s_.spans[s_.spans_used++];
  slot_key = key;
  out.clear();
  if (!(s_.matched[atom] & FieldBit(static_cast<Field>(field)))) return out;
  const RE2& re = *impl_.atoms[atom].re;
  re2::StringPiece text(text_[field].data(), text_[field].size());
  size_t pos = 0;
  re2::StringPiece m;
  // Enough for any proximity or exclusion decision on real articles; a
  // hostile field with more occurrences is judged on the first 1024.
  constexpr size_t kMaxSpans = 1024;
  while (pos <= text.size() && out.size() < kMaxSpans &&
         re.Match(text, pos, text.size(), RE2::UNANCHORED, &m, 1)) {
    size_t start = static_cast<size_t>(m.data() - text.data());
    size_t end = start + m.size();
    out.push_back({start, end});
    pos = end > start ? end : end + 1;
  }
  return out;
}

const std::vector<size_t>& Scan::WordStarts(int field) const {
  std::vector<size_t>& starts = s_.word_starts[field];
  if (words_done_[field]) return starts;
  words_done_[field] = true;
  std::string_view t = text_[field];
  bool in_word = false;
  for (size_t i = 0; i < t.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(t[i]);
    if ((c & 0xC0) == 0x80) continue;  // UTF-8 continuation byte
    bool w = IsWordByte(t, i);
    if (w && !in_word) starts.push_back(i);
    in_word = w;
  }
  return starts;
}

// Number of words that start in [from, to).
size_t Scan::WordsBetween(int field, size_t from, size_t to) const {
  if (to <= from) return 0;
  const std::vector<size_t>& ws = WordStarts(field);
  auto lo = std::lower_bound(ws.begin(), ws.end(), from);
  auto hi = std::lower_bound(ws.begin(), ws.end(), to);
  return static_cast<size_t>(hi - lo);
}

bool Scan::EntityInField(int e, int field) const {
  const CompiledEntity& ce = impl_.entities[e];
  bool form_hit = false;
  for (const PatternRef& p : ce.forms) form_hit = form_hit || Matched(p, field);
  if (!form_hit) return false;
  bool excl_hit = false;
  for (const PatternRef& p : ce.exclude) excl_hit = excl_hit || Matched(p, field);
  if (!excl_hit) return true;
  for (const PatternRef& p : ce.forms) {
    if (!Matched(p, field)) continue;
    for (const Span& s : Spans(p.atom, field)) {
      bool covered = false;
      for (const PatternRef& x : ce.exclude) {
        if (!Matched(x, field)) continue;
        for (const Span& xs : Spans(x.atom, field)) {
          if (xs.start <= s.start && s.end <= xs.end) {
            covered = true;
            break;
          }
        }
        if (covered) break;
      }
      if (!covered) return true;
    }
  }
  return false;
}

void Scan::FindEntities() {
  // Only entities with a matched form can be present.
  std::vector<int>& candidates = s_.candidates;
  for (int atom : s_.hit_atoms) {
    for (int e : impl_.entities_of_atom[atom]) candidates.push_back(e);
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  for (int e : candidates) {
    for (int f = 0; f < kFieldCount; ++f) {
      if (EntityInField(e, f)) s_.entity_fields[e] |= FieldBit(static_cast<Field>(f));
    }
    kind_fields_[static_cast<int>(impl_.entities[e].entity->kind)] |= s_.entity_fields[e];
  }
}

bool Scan::NearInField(const Node& n, int field, std::vector<Match>* out,
                       const std::string* rule) const {
  if (!Matched(n.near[0], field) || !Matched(n.near[1], field)) return false;
  const std::vector<Span>& a = Spans(n.near[0].atom, field);
  const std::vector<Span>& b = Spans(n.near[1].atom, field);
  bool found = false;
  for (const Span& x : a) {
    for (const Span& y : b) {
      if (n.ordered && x.start > y.start) continue;
      const Span& first = x.start <= y.start ? x : y;
      const Span& second = x.start <= y.start ? y : x;
      if (WordsBetween(field, first.end, second.start) >
          static_cast<size_t>(n.within_words))
        continue;
      if (out == nullptr) return true;
      found = true;
      for (int k = 0; k < 2; ++k) {
        const Span& s = k == 0 ? x : y;
        out->push_back(Match{*rule, *n.near[k].source, static_cast<Field>(field),
                             s.start, s.end,
                             std::string(text_[field].substr(s.start, s.end - s.start))});
      }
      return true;  // the first satisfying pair explains the condition
    }
  }
  return found;
}

bool Scan::Eval(const Node& n) const {
  switch (n.kind) {
    case Condition::Kind::kPattern:
      return (s_.matched[n.pattern.atom] & n.pattern.fields) != 0;
    case Condition::Kind::kNear: {
      // Both patterns must have matched in one field before positions count.
      const FieldMask both = s_.matched[n.near[0].atom] & n.near[0].fields &
                             s_.matched[n.near[1].atom] & n.near[1].fields;
      if (both == 0) return false;
      for (int f = 0; f < kFieldCount; ++f) {
        if ((both & FieldBit(static_cast<Field>(f))) != 0 &&
            NearInField(n, f, nullptr, nullptr)) {
          return true;
        }
      }
      return false;
    }
    case Condition::Kind::kTag:
      return s_.tag_present[n.tag] != 0;
    case Condition::Kind::kEntity:
      if (n.entity >= 0) return (s_.entity_fields[n.entity] & n.fields) != 0;
      return (kind_fields_[n.entity_kind] & n.fields) != 0;
    case Condition::Kind::kAll:
      for (const Node& c : n.children) {
        if (!Eval(c)) return false;
      }
      return true;
    case Condition::Kind::kAny:
      for (const Node& c : n.children) {
        if (Eval(c)) return true;
      }
      return false;
    case Condition::Kind::kNone:
      for (const Node& c : n.children) {
        if (Eval(c)) return false;
      }
      return true;
  }
  return false;
}

void Scan::EvaluateRules() {
  for (int t : impl_.tag_order) {
    const CompiledTag& ct = impl_.tags[t];
    double sum = 0;
    bool any_nonnegative = false;
    for (int r : ct.rules) {
      if (Eval(impl_.rules[r].when)) {
        s_.rule_fired[r] = 1;
        sum += impl_.rules[r].rule->weight;
        any_nonnegative = any_nonnegative || impl_.rules[r].rule->weight >= 0;
      }
    }
    s_.tag_present[t] = any_nonnegative && sum >= ct.min_score;
  }
}

void Scan::Explain(const Node& n, const std::string& rule, std::vector<Match>* out) const {
  const size_t cap = impl_.options.max_spans_per_pattern;
  switch (n.kind) {
    case Condition::Kind::kPattern:
      for (int f = 0; f < kFieldCount; ++f) {
        if (!Matched(n.pattern, f)) continue;
        const std::vector<Span>& spans = Spans(n.pattern.atom, f);
        for (size_t i = 0; i < spans.size() && i < cap; ++i) {
          out->push_back(Match{rule, *n.pattern.source, static_cast<Field>(f),
                               spans[i].start, spans[i].end,
                               std::string(text_[f].substr(
                                   spans[i].start, spans[i].end - spans[i].start))});
        }
      }
      return;
    case Condition::Kind::kNear:
      for (int f = 0; f < kFieldCount; ++f) NearInField(n, f, out, &rule);
      return;
    case Condition::Kind::kAll:
    case Condition::Kind::kAny:
      for (const Node& c : n.children) {
        if (Eval(c)) Explain(c, rule, out);
      }
      return;
    default:  // kNone holds by absence; tags and entities explain themselves
      return;
  }
}

void Scan::ExplainEntity(int e, std::vector<Match>* out) const {
  const CompiledEntity& ce = impl_.entities[e];
  std::string rule = std::string(EntityKindName(ce.entity->kind)) + ":" + ce.entity->id;
  const size_t cap = impl_.options.max_spans_per_pattern;
  for (int f = 0; f < kFieldCount; ++f) {
    if (!(s_.entity_fields[e] & FieldBit(static_cast<Field>(f)))) continue;
    for (const PatternRef& p : ce.forms) {
      if (!Matched(p, f)) continue;
      size_t shown = 0;
      for (const Span& s : Spans(p.atom, f)) {
        if (shown >= cap) break;
        bool covered = false;
        for (const PatternRef& x : ce.exclude) {
          if (!Matched(x, f)) continue;
          for (const Span& xs : Spans(x.atom, f)) {
            covered = covered || (xs.start <= s.start && s.end <= xs.end);
          }
        }
        if (covered) continue;
        ++shown;
        out->push_back(Match{rule, *p.source, static_cast<Field>(f), s.start, s.end,
                             std::string(text_[f].substr(s.start, s.end - s.start))});
      }
    }
  }
}

}  // namespace

namespace {

// 0 for a bit test, 1 for a group of bit tests, 2 for anything that
// extracts spans.
int Cost(const Node& n) {
  if (n.kind == Condition::Kind::kNear) return 2;
  int cost = 0;
  for (const Node& c : n.children) cost = std::max(cost, Cost(c) == 2 ? 2 : 1);
  return cost;
}

}  // namespace

Status Tagger::Impl::AddPattern(const Pattern& p, const std::string& subject,
                                PatternRef* out) {
  std::string regex = p.CompiledRegex();
  auto it = atom_index.find(regex);
  int id;
  if (it != atom_index.end()) {
    id = it->second;
  } else {
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_max_mem(options.pattern_max_mem);
    auto re = std::make_unique<RE2>(regex, opts);
    if (!re->ok()) {
      return InvalidArgument(p.loc.file + ":" + std::to_string(p.loc.line) + ": " +
                             subject + ": pattern '" + p.source +
                             "' does not compile: " + re->error());
    }
    id = static_cast<int>(atoms.size());
    atoms.push_back(Atom{regex, std::move(re), 0});
    atom_index.emplace(std::move(regex), id);
  }
  atoms[id].fields |= p.fields;
  out->atom = id;
  out->fields = p.fields;
  out->source = &p.source;
  return Status::Ok();
}

Status Tagger::Impl::CompileNode(
    const Condition& c, const std::string& subject,
    const std::map<std::string, int>& tag_ids,
    const std::map<std::string, int> (&entity_ids)[kEntityKindCount], Node* out) {
  out->kind = c.kind;
  switch (c.kind) {
    case Condition::Kind::kPattern:
      return AddPattern(c.pattern, subject, &out->pattern);
    case Condition::Kind::kNear:
      if (c.near.size() != 2) return InvalidArgument(subject + ": near needs two patterns");
      ASSAY_RETURN_IF_ERROR(AddPattern(c.near[0], subject, &out->near[0]));
      ASSAY_RETURN_IF_ERROR(AddPattern(c.near[1], subject, &out->near[1]));
      out->within_words = c.within_words;
      out->ordered = c.ordered;
      return Status::Ok();
    case Condition::Kind::kTag: {
      auto it = tag_ids.find(c.tag);
      if (it == tag_ids.end()) {
        return InvalidArgument(c.loc.file + ":" + std::to_string(c.loc.line) + ": " +
                               subject + ": unknown tag '" + c.tag + "'");
      }
      out->tag = it->second;
      return Status::Ok();
    }
    case Condition::Kind::kEntity: {
      out->entity_kind = static_cast<int>(c.entity_kind);
      out->fields = c.fields;
      if (!c.entity_id.empty()) {
        const auto& ids = entity_ids[out->entity_kind];
        auto it = ids.find(c.entity_id);
        if (it == ids.end()) {
          return InvalidArgument(c.loc.file + ":" + std::to_string(c.loc.line) + ": " +
                                 subject + ": unknown " +
                                 std::string(EntityKindName(c.entity_kind)) + " '" +
                                 c.entity_id + "'");
        }
        out->entity = it->second;
      }
      return Status::Ok();
    }
    default:
      for (const Condition& child : c.children) {
        out->children.emplace_back();
        ASSAY_RETURN_IF_ERROR(
            CompileNode(child, subject, tag_ids, entity_ids, &out->children.back()));
      }
      // Groups short-circuit, so cheap tests go first: a proximity test
      // runs patterns one by one and is worth doing only when everything
      // else in its group already holds. Order never changes the result.
      std::stable_sort(out->children.begin(), out->children.end(),
                       [](const Node& a, const Node& b) { return Cost(a) < Cost(b); });
      return Status::Ok();
  }
}

Tagger::Tagger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tagger::~Tagger() = default;

Result<std::shared_ptr<const Tagger>> Tagger::Compile(const RulePack& pack,
                                                      const TaggerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->pack = pack;  // the compiled tree points into this copy
  impl->options = options;
  const RulePack& p = impl->pack;

  std::map<std::string, int> tag_ids;
  for (const auto& [name, spec] : p.tags) {
    tag_ids[name] = static_cast<int>(impl->tags.size());
    impl->tags.push_back(CompiledTag{name, !name.empty() && name[0] == '_',
                                     spec.min_score, {}});
  }
  std::map<std::string, int> entity_ids[kEntityKindCount];
  for (const Entity& e : p.entities) {
    int k = static_cast<int>(e.kind);
    if (entity_ids[k].count(e.id)) {
      return InvalidArgument(e.loc.file + ":" + std::to_string(e.loc.line) +
                             ": duplicate entity " + e.id);
    }
    int idx = static_cast<int>(impl->entities.size());
    entity_ids[k][e.id] = idx;
    impl->entities.push_back(CompiledEntity{&e, {}, {}});
  }
  for (CompiledEntity& ce : impl->entities) {
    const Entity& e = *ce.entity;
    std::string subject = "entity " + std::string(EntityKindName(e.kind)) + "/" + e.id;
    for (const Pattern& f : e.forms) {
      ce.forms.emplace_back();
      ASSAY_RETURN_IF_ERROR(impl->AddPattern(f, subject, &ce.forms.back()));
    }
    for (const Pattern& x : e.exclude) {
      ce.exclude.emplace_back();
      ASSAY_RETURN_IF_ERROR(impl->AddPattern(x, subject, &ce.exclude.back()));
    }
    for (const Pattern& x : p.kinds[static_cast<int>(e.kind)].exclude) {
      ce.exclude.emplace_back();
      ASSAY_RETURN_IF_ERROR(impl->AddPattern(x, subject, &ce.exclude.back()));
    }
  }
  for (const Rule& r : p.rules) {
    auto it = tag_ids.find(r.tag);
    if (it == tag_ids.end()) return InvalidArgument("rule " + r.id + ": unknown tag");
    CompiledRule cr;
    cr.rule = &r;
    cr.tag = it->second;
    ASSAY_RETURN_IF_ERROR(
        impl->CompileNode(r.when, "rule '" + r.id + "'", tag_ids, entity_ids, &cr.when));
    impl->tags[cr.tag].rules.push_back(static_cast<int>(impl->rules.size()));
    impl->rules.push_back(std::move(cr));
  }
  for (int k = 0; k < kEntityKindCount; ++k) {
    if (!p.kinds[k].report_when) continue;
    Node n;
    ASSAY_RETURN_IF_ERROR(impl->CompileNode(*p.kinds[k].report_when, "report_when",
                                            tag_ids, entity_ids, &n));
    impl->report_when[k] = std::move(n);
  }

  // Tags in dependency order (Kahn). LoadRulePack rejects cycles; a pack
  // built by hand with one fails here.
  {
    size_t n = impl->tags.size();
    std::vector<std::set<int>> deps(n);
    std::function<void(const Node&, std::set<int>*)> collect = [&](const Node& node,
                                                                   std::set<int>* out) {
      if (node.kind == Condition::Kind::kTag) out->insert(node.tag);
      for (const Node& c : node.children) collect(c, out);
    };
    for (const CompiledRule& r : impl->rules) collect(r.when, &deps[r.tag]);
    std::vector<bool> done(n, false);
    for (size_t round = 0; impl->tag_order.size() < n; ++round) {
      bool progress = false;
      for (size_t t = 0; t < n; ++t) {
        if (done[t]) continue;
        bool ready = std::all_of(deps[t].begin(), deps[t].end(),
                                 [&](int d) { return done[d]; });
        if (ready) {
          done[t] = true;
          impl->tag_order.push_back(static_cast<int>(t));
          progress = true;
        }
      }
      if (!progress) return InvalidArgument("rule pack has a tag reference cycle");
    }
  }

  // Every atom is known now (rules add atoms after entities).
  impl->entities_of_atom.resize(impl->atoms.size());
  for (size_t e = 0; e < impl->entities.size(); ++e) {
    for (const PatternRef& f : impl->entities[e].forms) {
      std::vector<int>& v = impl->entities_of_atom[f.atom];
      if (v.empty() || v.back() != static_cast<int>(e)) v.push_back(static_cast<int>(e));
    }
  }
  for (int f = 0; f < kFieldCount; ++f) {
    FieldSet& fs = impl->sets[f];
    const FieldMask bit = FieldBit(static_cast<Field>(f));
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_max_mem(options.set_max_mem);
    auto set = std::make_unique<RE2::Set>(opts, RE2::UNANCHORED);
    bool ok = true;
    for (size_t a = 0; a < impl->atoms.size(); ++a) {
      if (!(impl->atoms[a].fields & bit)) continue;
      if (set->Add(impl->atoms[a].regex, nullptr) < 0) ok = false;
      fs.atoms.push_back(static_cast<int>(a));
    }
    // A set too big for its budget is left out; every scan of the field
    // then takes the pattern-by-pattern path.
    if (ok && !fs.atoms.empty() && set->Compile()) fs.set = std::move(set);
  }
  return std::shared_ptr<const Tagger>(new Tagger(std::move(impl)));
}

TagResult Tagger::Tag(const Article& article, const TagOptions& options) const {
  const Impl& impl = *impl_;
  impl.articles.fetch_add(1, std::memory_order_relaxed);
  Scan scan(impl, article);
  scan.ScanFields();
  scan.FindEntities();
  scan.EvaluateRules();

  TagResult result;
  for (size_t t = 0; t < impl.tags.size(); ++t) {
    if (!scan.tag_present(static_cast<int>(t)) || impl.tags[t].internal) continue;
    result.tags.push_back(impl.tags[t].name);
    for (int r : impl.tags[t].rules) {
      if (scan.rule_fired(r)) result.score += impl.rules[r].rule->weight;
    }
  }
  std::vector<int> reported_entities;
  for (int k = 0; k < kEntityKindCount; ++k) {
    if (impl.report_when[k] && !scan.Eval(*impl.report_when[k])) continue;
    std::vector<std::string>* out = k == 0   ? &result.minerals
                                    : k == 1 ? &result.countries
                                             : &result.blocs;
    for (int e : scan.candidates()) {
      if (scan.entity_fields(e) == 0 ||
          static_cast<int>(impl.entities[e].entity->kind) != k) {
        continue;
      }
      out->push_back(impl.entities[e].entity->id);
      reported_entities.push_back(e);
    }
    std::sort(out->begin(), out->end());
    out->erase(std::unique(out->begin(), out->end()), out->end());
  }
  for (size_t r = 0; r < impl.rules.size(); ++r) {
    if (scan.rule_fired(static_cast<int>(r))) result.fired_rules.push_back(impl.rules[r].rule->id);
  }
  std::sort(result.fired_rules.begin(), result.fired_rules.end());

  const SeverityThresholds& th = impl.pack.severity;
  if (result.score >= th.critical) {
    result.severity = Severity::kCritical;
  } else if (result.score >= th.high) {
    result.severity = Severity::kHigh;
  } else if (result.score >= th.medium) {
    result.severity = Severity::kMedium;
  } else if (result.score >= th.low) {
    result.severity = Severity::kLow;
  }

  if (options.spans) {
    // Rules in pack order, each rule's evidence by field and offset.
    for (size_t r = 0; r < impl.rules.size(); ++r) {
      const CompiledRule& cr = impl.rules[r];
      if (!scan.rule_fired(static_cast<int>(r)) || !scan.tag_present(cr.tag)) continue;
      size_t first = result.matches.size();
      scan.Explain(cr.when, cr.rule->id, &result.matches);
      std::stable_sort(result.matches.begin() + static_cast<ptrdiff_t>(first),
                       result.matches.end(), [](const Match& a, const Match& b) {
                         return std::tie(a.field, a.start, a.end) <
                                std::tie(b.field, b.start, b.end);
                       });
      result.matches.erase(
          std::unique(result.matches.begin() + static_cast<ptrdiff_t>(first),
                      result.matches.end()),
          result.matches.end());
    }
    for (int e : reported_entities) {
      size_t first = result.matches.size();
      scan.ExplainEntity(e, &result.matches);
      std::stable_sort(result.matches.begin() + static_cast<ptrdiff_t>(first),
                       result.matches.end(), [](const Match& a, const Match& b) {
                         return std::tie(a.field, a.start, a.end) <
                                std::tie(b.field, b.start, b.end);
                       });
    }
  }
  return result;
}

Result<std::shared_ptr<const Tagger>> LoadTagger(const std::vector<std::string>& paths,
                                                 const TaggerOptions& options) {
  std::vector<std::string> files = paths.empty() ? DefaultPackPaths() : paths;
  if (files.empty()) {
    return NotFound(
        "no default rule pack found (set ASSAY_RULES_DIR or install "
        "/usr/share/assay/rules)");
  }
  Result<RulePack> pack = LoadRulePack(files);
  if (!pack) return pack.error();
  return Tagger::Compile(*pack, options);
}

const std::string& Tagger::pack_version() const { return impl_->pack.version_string; }
size_t Tagger::rule_count() const { return impl_->rules.size(); }
size_t Tagger::pattern_count() const { return impl_->atoms.size(); }
size_t Tagger::entity_count() const { return impl_->entities.size(); }
TaggerStats Tagger::stats() const {
  return TaggerStats{impl_->articles.load(std::memory_order_relaxed),
                     impl_->set_fallbacks.load(std::memory_order_relaxed)};
}

}  // namespace assay::rules
