// Rule packs: YAML files of RE2 patterns that say which tags and entities an
// article carries. This header is the loaded, validated form of a pack; see
// rules/FORMAT.md for the file format, and rules/tagger.h for applying one.
//
//   std::vector<PackProblem> problems;
//   Result<RulePack> pack = LoadRulePack(DefaultPackPaths(), &problems);
//   if (!pack) for (const auto& p : problems) std::cerr << p.ToString() << "\n";
//
// Loading is all or nothing: every problem of every file is collected (with
// file:line and the rule or entity id), and a pack with any problem loads
// nothing. Pure apart from reading the named files; any thread may call.
#ifndef ASSAY_RULES_RULE_PACK_H_
#define ASSAY_RULES_RULE_PACK_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace assay::rules {

// The text fields of an Article a pattern can look at.
enum class Field : uint8_t { kTitle = 0, kSummary = 1, kContent = 2 };
inline constexpr int kFieldCount = 3;
std::string_view FieldName(Field f);  // "title", "summary", "content"

// A set of fields, one bit per Field.
using FieldMask = uint8_t;
inline constexpr FieldMask kAllFields = 0b111;
constexpr FieldMask FieldBit(Field f) {
  return static_cast<FieldMask>(1u << static_cast<unsigned>(f));
}

enum class EntityKind : uint8_t { kMineral = 0, kCountry = 1, kBloc = 2 };
inline constexpr int kEntityKindCount = 3;
// "mineral", "country", "bloc" (the key used in references).
std::string_view EntityKindName(EntityKind k);

// Where something was written: 1-based line and column.
struct SourceLoc {
  std::string file;
  int line = 0;
  int column = 0;
};

// One problem found while loading, e.g.
// "packs/x.yaml:12: rule 'ec.ban': unknown tag 'export_control'".
struct PackProblem {
  SourceLoc loc;
  std::string subject;  // "rule 'ec.ban'", "entity country/CN", or empty
  std::string message;
  std::string ToString() const;
};

// One RE2 pattern with the options it compiles under.
struct Pattern {
  std::string source;  // as written in the pack, shown in explanations
  std::string regex;   // after {{macro}} expansion, before options
  FieldMask fields = kAllFields;
  bool case_sensitive = false;  // packs match case-insensitively by default
  bool whole_words = true;      // wrapped as \b(?:regex)\b
  SourceLoc loc;

  // The exact string handed to RE2, options folded in: "(?i)\b(?:...)\b".
  std::string CompiledRegex() const;
};

// A condition tree. Leaves test patterns, proximity, other tags or entities;
// inner nodes combine them.
struct Condition {
  enum class Kind : uint8_t {
    kPattern,  // `pattern` matches in one of its fields
    kNear,     // near[0] and near[1] match in one field with at most
               // `within_words` words between them
    kTag,      // the tag `tag` is assigned (by its own rules)
    kEntity,   // an entity of `entity_kind` (id `entity_id`, or any when
               // empty) occurs in one of `fields`
    kAll,      // every child holds (true when empty)
    kAny,      // some child holds (false when empty)
    kNone,     // no child holds (true when empty)
  };
  Kind kind = Kind::kAll;
  Pattern pattern;            // kPattern
  std::vector<Pattern> near;  // kNear: exactly two
  int within_words = 0;       // kNear
  bool ordered = false;       // kNear: near[0] must come first
  std::string tag;            // kTag
  EntityKind entity_kind = EntityKind::kMineral;  // kEntity
  std::string entity_id;                          // kEntity; empty = any
  FieldMask fields = kAllFields;                  // kEntity
  std::vector<Condition> children;                // kAll, kAny, kNone
  SourceLoc loc;
};

// A rule assigns `tag` when `when` holds and adds `weight` to the score.
struct Rule {
  std::string id;   // unique in the pack
  std::string tag;  // tags starting with '_' are internal: usable in
                    // references, never reported
  double weight = 1.0;
  Condition when;
  SourceLoc loc;
};

// Per-tag settings.
struct TagSpec {
  std::string name;
  // The tag is assigned when at least one of its rules fires and the sum of
  // the weights of its fired rules reaches min_score. Default 0: any fired
  // rule assigns it unless negative weights pull the sum below zero.
  double min_score = 0.0;
  std::string description;
  SourceLoc loc;
};

// A canonical entity with its surface forms. A form's match counts unless
// it lies inside a match of one of the entity's (or its kind's) exclusions.
struct Entity {
  EntityKind kind = EntityKind::kMineral;
  std::string id;
  std::vector<Pattern> forms;
  std::vector<Pattern> exclude;
  SourceLoc loc;
};

// Settings shared by all entities of a kind.
struct EntityKindSpec {
  std::vector<Pattern> exclude;  // negative contexts for every entity
  // When set, the kind's entities are reported in a TagResult only when it
  // holds (references in rules still see them).
  std::optional<Condition> report_when;
};

// Score thresholds: severity is the highest level whose threshold the score
// reaches; below `low` it is info.
struct SeverityThresholds {
  double low = 1.0;
  double medium = 2.0;
  double high = 4.0;
  double critical = 6.0;
};

// A loaded, validated pack. Plain value: copyable.
struct RulePack {
  std::string name;     // `pack:` key, or "unnamed"
  std::string version;  // `version:` key, or "0"
  // name@version+<16 hex digits of a hash over every file's bytes>: changes
  // whenever any byte of the pack does. Recorded in events.
  std::string version_string;
  std::vector<std::string> files;
  std::vector<Rule> rules;
  std::map<std::string, TagSpec> tags;  // every tag some rule assigns
  std::vector<Entity> entities;
  EntityKindSpec kinds[kEntityKindCount];
  SeverityThresholds severity;

  size_t PatternCount() const;  // every pattern of rules and entities
};

// One pack file given as text (for tests and tools).
struct PackSource {
  std::string name;  // shown in messages as the file name
  std::string text;
};

// Reads and validates the YAML files as one pack (definitions may refer to
// each other across files). On failure returns InvalidArgument whose message
// lists every problem, one per line, and, when `problems` is non-null, also
// fills it. On success `problems` is left empty.
Result<RulePack> LoadRulePack(const std::vector<std::string>& paths,
                              std::vector<PackProblem>* problems = nullptr);
Result<RulePack> LoadRulePackFromSources(const std::vector<PackSource>& sources,
                                         std::vector<PackProblem>* problems = nullptr);

// The files of the default critical-minerals pack: every *.yaml file, sorted,
// of the first directory that exists among $ASSAY_RULES_DIR, the source tree's
// rules/packs (for binaries run from a build tree), <prefix>/share/assay/rules
// of the install and /usr/share/assay/rules. Empty when none exists.
std::vector<std::string> DefaultPackPaths();

}  // namespace assay::rules

#endif  // ASSAY_RULES_RULE_PACK_H_
