// The tagger: one compiled rule pack applied to articles.
//
//   Result<RulePack> pack = LoadRulePack(DefaultPackPaths());
//   if (!pack) return pack.error();
//   Result<std::shared_ptr<const Tagger>> tagger = Tagger::Compile(*pack);
//   if (!tagger) return tagger.error();
//   TagResult r = (*tagger)->Tag(article);
//   // r.tags = {"critical_minerals", "export_controls"}, r.countries = {"CN"},
//   // r.matches[0] = {rule "ec.licence", pattern "export licen[cs]\w*",
//   //                 field title, bytes 8..23, "export licences"}
//
// How it works: every pattern of the pack is an "atom". The atoms that can
// look at a field compile into one RE2::Set per field, so an article is
// scanned once per non-empty field whatever the number of rules. Individual
// patterns run only where positions matter: to extract the spans shown in
// explanations, to measure proximity, and to check an entity's exclusions.
//
// Thread safety: a Tagger is immutable once compiled; Tag() may run on any
// number of threads at once without locking. A reload compiles a new Tagger
// and swaps the shared_ptr whole. Tag() keeps its working tables in
// per-thread memory between calls, so tagging allocates little beyond the
// result.
#ifndef ASSAY_RULES_TAGGER_H_
#define ASSAY_RULES_TAGGER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/article.h"
#include "core/event.h"
#include "core/status.h"
#include "rules/rule_pack.h"

namespace assay::rules {

enum class Severity : uint8_t { kInfo = 0, kLow, kMedium, kHigh, kCritical };
std::string_view SeverityName(Severity s);  // "info", "low", ... "critical"
// The inverse of SeverityName; nullopt for any other string.
std::optional<Severity> ParseSeverity(std::string_view name);

// One piece of evidence: `rule` matched `pattern` at [start, end) (bytes) of
// `field`. For entities `rule` is "<kind>:<id>", e.g. "country:CN".
struct Match {
  std::string rule;
  std::string pattern;  // as written in the pack
  Field field = Field::kTitle;
  size_t start = 0;
  size_t end = 0;
  std::string text;  // the matched bytes
  friend bool operator==(const Match&, const Match&) = default;
};

struct TagResult {
  std::vector<std::string> tags;       // sorted, unique; internal tags omitted
  std::vector<std::string> minerals;   // sorted, unique canonical ids
  std::vector<std::string> countries;  // ISO 3166-1 alpha-2
  std::vector<std::string> blocs;
  double score = 0.0;  // sum of the weights of the rules behind `tags`
  Severity severity = Severity::kInfo;
  // Evidence for every reported tag (one entry per matched span of each
  // positive pattern of each fired rule) and every reported entity; empty in
  // tags-only mode. Ordered by rule, then field, then offset.
  std::vector<Match> matches;
  std::vector<std::string> fired_rules;  // ids of fired rules, sorted
};

struct TaggerOptions {
  // RE2 memory budget of each per-field RE2::Set. RE2's default is 8 MB,
  // with which a set of ~300 rules ran ~8x slower than with 64 MB (its lazy
  // DFA keeps flushing its state cache). When the DFA still runs out, the
  // field is rescanned pattern by pattern, so results stay correct.
  int64_t set_max_mem = int64_t{64} << 20;
  // Budget of each individual pattern (span extraction, fallbacks).
  int64_t pattern_max_mem = int64_t{8} << 20;
  // At most this many spans are reported per pattern and field.
  size_t max_spans_per_pattern = 16;
};

struct TagOptions {
  // False: tags, entities, score and severity only; no spans are extracted
  // unless a proximity condition or an exclusion needs them. Faster.
  bool spans = true;
};

// Counters, readable while tagging runs elsewhere.
struct TaggerStats {
  uint64_t articles = 0;
  // Fields whose RE2::Set scan ran out of DFA memory and were rescanned
  // pattern by pattern.
  uint64_t set_fallbacks = 0;
};

class Tagger {
 public:
  // Fails with InvalidArgument naming file:line and rule for every pattern
  // that does not compile (LoadRulePack has checked this already, so that is
  // rare); nothing is half-compiled.
  static Result<std::shared_ptr<const Tagger>> Compile(const RulePack& pack,
                                                       const TaggerOptions& options = {});

  ~Tagger();
  // Not copyable or movable: RE2 objects are expensive, and callers share one
  // through shared_ptr<const Tagger>.
  Tagger(const Tagger&) = delete;
  Tagger& operator=(const Tagger&) = delete;

  // Tags title, summary and content. Never fails: a field whose set scan
  // runs out of memory is rescanned pattern by pattern.
  TagResult Tag(const Article& article, const TagOptions& options = {}) const;

  // name@version+hash of the pack (RulePack::version_string).
  const std::string& pack_version() const;
  size_t rule_count() const;
  size_t pattern_count() const;  // distinct compiled patterns (atoms)
  size_t entity_count() const;
  TaggerStats stats() const;

 // Opaque; defined in tagger.cc.
  struct Impl;

 private:
  explicit Tagger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The event log's record of a tagging result (core/event.h): what the daemon
// stores and what a replay compares.
Event ToEvent(TagResult t, const std::string& pack_version);

// LoadRulePack + Tagger::Compile in one step; the default pack when `paths`
// is empty. The error lists every problem, one per line.
Result<std::shared_ptr<const Tagger>> LoadTagger(const std::vector<std::string>& paths,
                                                 const TaggerOptions& options = {});

}  // namespace assay::rules

#endif  // ASSAY_RULES_TAGGER_H_
