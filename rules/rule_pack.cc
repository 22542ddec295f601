#include "rules/rule_pack.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <utility>

namespace assay::rules {

std::string_view FieldName(Field f) {
  switch (f) {
    case Field::kTitle:
      return "title";
    case Field::kSummary:
      return "summary";
    case Field::kContent:
      return "content";
  }
  return "?";
}

std::string_view EntityKindName(EntityKind k) {
  switch (k) {
    case EntityKind::kMineral:
      return "mineral";
    case EntityKind::kCountry:
      return "country";
    case EntityKind::kBloc:
      return "bloc";
  }
  return "?";
}

std::string PackProblem::ToString() const {
  std::string out = loc.file;
  if (loc.line > 0) out += ":" + std::to_string(loc.line);
  out += ": ";
  if (!subject.empty()) out += subject + ": ";
  out += message;
  return out;
}

std::string Pattern::CompiledRegex() const {
  std::string out;
  if (!case_sensitive) out += "(?i)";
  if (whole_words) {
    out += "\\b(?:" + regex + ")\\b";
  } else {
    out += "(?:" + regex + ")";
  }
  return out;
}

namespace {

size_t CountConditionPatterns(const Condition& c) {
  switch (c.kind) {
    case Condition::Kind::kPattern:
      return 1;
    case Condition::Kind::kNear:
      return c.near.size();
    default:
      break;
  }
  size_t n = 0;
  for (const Condition& child : c.children) n += CountConditionPatterns(child);
  return n;
}

}  // namespace

size_t RulePack::PatternCount() const {
  size_t n = 0;
  for (const Rule& r : rules) n += CountConditionPatterns(r.when);
  for (const Entity& e : entities) n += e.forms.size() + e.exclude.size();
  for (const EntityKindSpec& k : kinds) {
    n += k.exclude.size();
    if (k.report_when) n += CountConditionPatterns(*k.report_when);
  }
  return n;
}

namespace {

// Options a pattern inherits from the rule (or entity) that holds it.
struct PatternDefaults {
  FieldMask fields = kAllFields;
  bool case_sensitive = false;
  bool whole_words = true;
};

struct MacroDef {
  std::string value;
  SourceLoc loc;
};

uint64_t Fnv1a(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::optional<EntityKind> KindFromPlural(std::string_view s) {
  if (s == "minerals") return EntityKind::kMineral;
  if (s == "countries") return EntityKind::kCountry;
  if (s == "blocs") return EntityKind::kBloc;
  return std::nullopt;
}

std::optional<EntityKind> KindFromSingular(std::string_view s) {
  if (s == "mineral") return EntityKind::kMineral;
  if (s == "country") return EntityKind::kCountry;
  if (s == "bloc") return EntityKind::kBloc;
  return std::nullopt;
}

// Builds one RulePack from several YAML documents. yaml-cpp throws; every
// call into it happens inside LoadSource's try block or on nodes already
// known to have the right type.
class Loader {
 public:
  void LoadSource(const PackSource& src);
  void AddProblem(SourceLoc loc, std::string subject, std::string message) {
    PackProblem p;
    p.loc = std::move(loc);
    p.subject = std::move(subject);
    p.message = std::move(message);
    problems_.push_back(std::move(p));
  }
  Result<RulePack> Finish(std::vector<PackProblem>* problems);

 private:
  SourceLoc Loc(const YAML::Node& n) const {
    YAML::Mark m = n.Mark();
    return SourceLoc{file_, m.line >= 0 ? m.line + 1 : 0,
                     m.column >= 0 ? m.column + 1 : 0};
  }
  void Problem(const YAML::Node& n, const std::string& subject, std::string msg) {
    AddProblem(Loc(n), subject, std::move(msg));
  }
  // Reports keys of map `n` not in `allowed`; false when `n` is not a map.
  bool CheckMap(const YAML::Node& n, const std::string& subject, const char* what,
                std::initializer_list<std::string_view> allowed);
  bool GetString(const YAML::Node& n, const std::string& subject, const char* what,
                 std::string* out);
  bool GetBool(const YAML::Node& n, const std::string& subject, const char* what,
               bool* out);
  bool GetDouble(const YAML::Node& n, const std::string& subject, const char* what,
                 double* out);
  bool GetFields(const YAML::Node& n, const std::string& subject, FieldMask* out);
  bool ParseDefaults(const YAML::Node& n, const std::string& subject,
                     PatternDefaults* d);
  std::optional<Pattern> ParsePattern(const YAML::Node& n, const PatternDefaults& d,
                                      const std::string& subject);
  std::vector<Pattern> ParsePatternList(const YAML::Node& n, const PatternDefaults& d,
                                        const std::string& subject, const char* what);
  std::optional<Condition> ParseCondition(const YAML::Node& n,
                                          const PatternDefaults& d,
                                          const std::string& subject);
  std::optional<Condition> ParseGroup(const YAML::Node& n, Condition::Kind kind,
                                      const PatternDefaults& d,
                                      const std::string& subject);
  void ParseRule(const YAML::Node& n);
  void ParseEntities(const YAML::Node& n);
  void ParseEntity(const YAML::Node& n, EntityKind kind);

  // Finish() helpers.
  void ExpandAndCheck(Pattern* p, const std::string& subject);
  void ExpandAndCheck(Condition* c, const std::string& subject);
  bool ExpandMacros(const std::string& in, const SourceLoc& loc,
                    const std::string& subject, int depth, std::string* out);
  void CheckReferences(const Condition& c, const std::string& subject,
                       const std::set<std::string>& tags,
                       const std::set<std::string> (&entity_ids)[kEntityKindCount]);
  static void CollectTagRefs(const Condition& c, std::vector<std::string>* out);
  void CheckCycles();

  std::string file_;
  RulePack pack_;
  std::vector<PackProblem> problems_;
  std::map<std::string, MacroDef> macros_;
  std::map<std::string, SourceLoc> declared_tags_;
  bool have_name_ = false;
  bool have_severity_ = false;
  bool have_report_when_[kEntityKindCount] = {false, false, false};
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

bool Loader::CheckMap(const YAML::Node& n, const std::string& subject,
                      const char* what, std::initializer_list<std::string_view> allowed) {
  if (!n.IsMap()) {
    Problem(n, subject, std::string(what) + " must be a mapping");
    return false;
  }
  for (const auto& kv : n) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (std::string_view a : allowed) {
        if (!list.empty()) list += ", ";
        list += a;
      }
      Problem(kv.first, subject,
              "unknown key '" + key + "' in " + what + " (expected one of: " + list + ")");
    }
  }
  return true;
}

bool Loader::GetString(const YAML::Node& n, const std::string& subject,
                       const char* what, std::string* out) {
  if (!n.IsScalar()) {
    Problem(n, subject, std::string(what) + " must be a string");
    return false;
  }
  *out = n.Scalar();
  return true;
}

bool Loader::GetBool(const YAML::Node& n, const std::string& subject, const char* what,
                     bool* out) {
  if (!n.IsScalar() || !YAML::convert<bool>::decode(n, *out)) {
    Problem(n, subject, std::string(what) + " must be true or false");
    return false;
  }
  return true;
}

bool Loader::GetDouble(const YAML::Node& n, const std::string& subject,
                       const char* what, double* out) {
  if (!n.IsScalar() || !YAML::convert<double>::decode(n, *out)) {
    Problem(n, subject, std::string(what) + " must be a number");
    return false;
  }
  return true;
}

bool Loader::GetFields(const YAML::Node& n, const std::string& subject,
                       FieldMask* out) {
  auto one = [&](const YAML::Node& s, FieldMask* m) {
    if (!s.IsScalar()) {
      Problem(s, subject, "fields must be 'all', 'title', 'summary', 'content' or a list");
      return false;
    }
    const std::string& v = s.Scalar();
    if (v == "all" || v == "text") {
      *m |= kAllFields;
    } else if (v == "title") {
      *m |= FieldBit(Field::kTitle);
    } else if (v == "summary") {
      *m |= FieldBit(Field::kSummary);
    } else if (v == "content") {
      *m |= FieldBit(Field::kContent);
    } else {
      Problem(s, subject,
              "unknown field '" + v + "' (expected all, title, summary or content)");
      return false;
    }
    return true;
  };
  FieldMask m = 0;
  if (n.IsSequence()) {
    for (const auto& item : n) {
      if (!one(item, &m)) return false;
    }
  } else if (!one(n, &m)) {
    return false;
  }
  if (m == 0) {
    Problem(n, subject, "fields must name at least one field");
    return false;
  }
  *out = m;
  return true;
}

bool Loader::ParseDefaults(const YAML::Node& n, const std::string& subject,
                           PatternDefaults* d) {
  bool ok = true;
  if (n["fields"]) ok &= GetFields(n["fields"], subject, &d->fields);
  if (n["case_sensitive"])
    ok &= GetBool(n["case_sensitive"], subject, "case_sensitive", &d->case_sensitive);
  if (n["words"]) ok &= GetBool(n["words"], subject, "words", &d->whole_words);
  return ok;
}

std::optional<Pattern> Loader::ParsePattern(const YAML::Node& n,
                                            const PatternDefaults& d,
                                            const std::string& subject) {
  Pattern p;
  p.fields = d.fields;
  p.case_sensitive = d.case_sensitive;
  p.whole_words = d.whole_words;
  p.loc = Loc(n);
  if (n.IsScalar()) {
    p.source = n.Scalar();
  } else if (n.IsMap()) {
    if (!CheckMap(n, subject, "pattern", {"re", "fields", "case_sensitive", "words"}))
      return std::nullopt;
    if (!n["re"]) {
      Problem(n, subject, "pattern mapping needs 're'");
      return std::nullopt;
    }
    if (!GetString(n["re"], subject, "re", &p.source)) return std::nullopt;
    PatternDefaults own = d;
    if (!ParseDefaults(n, subject, &own)) return std::nullopt;
    p.fields = own.fields;
    p.case_sensitive = own.case_sensitive;
    p.whole_words = own.whole_words;
  } else {
    Problem(n, subject, "a pattern must be a string or a mapping with 're'");
    return std::nullopt;
  }
  if (p.source.empty()) {
    Problem(n, subject, "empty pattern");
    return std::nullopt;
  }
  p.regex = p.source;  // macros are expanded once every file is read
  return p;
}

std::vector<Pattern> Loader::ParsePatternList(const YAML::Node& n,
                                              const PatternDefaults& d,
                                              const std::string& subject,
                                              const char* what) {
  std::vector<Pattern> out;
  if (n.IsScalar()) {
    if (auto p = ParsePattern(n, d, subject)) out.push_back(std::move(*p));
    return out;
  }
  if (!n.IsSequence()) {
    Problem(n, subject, std::string(what) + " must be a list of patterns");
    return out;
  }
  for (const auto& item : n) {
    if (auto p = ParsePattern(item, d, subject)) out.push_back(std::move(*p));
  }
  return out;
}

std::optional<Condition> Loader::ParseGroup(const YAML::Node& n, Condition::Kind kind,
                                            const PatternDefaults& d,
                                            const std::string& subject) {
  Condition g;
  g.kind = kind;
  g.loc = Loc(n);
  if (!n.IsSequence()) {
    Problem(n, subject, "any/all/none must be a list of conditions");
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& item : n) {
    if (auto c = ParseCondition(item, d, subject)) {
      g.children.push_back(std::move(*c));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return g;
}

std::optional<Condition> Loader::ParseCondition(const YAML::Node& n,
                                                const PatternDefaults& d,
                                                const std::string& subject) {
  Condition c;
  c.loc = Loc(n);
  if (n.IsScalar()) {
    auto p = ParsePattern(n, d, subject);
    if (!p) return std::nullopt;
    c.kind = Condition::Kind::kPattern;
    c.pattern = std::move(*p);
    return c;
  }
  if (!n.IsMap()) {
    Problem(n, subject, "a condition must be a pattern string or a mapping");
    return std::nullopt;
  }
  if (n["re"]) {
    auto p = ParsePattern(n, d, subject);
    if (!p) return std::nullopt;
    c.kind = Condition::Kind::kPattern;
    c.pattern = std::move(*p);
    return c;
  }
  if (n["near"]) {
    if (!CheckMap(n, subject, "near condition",
                  {"near", "within", "ordered", "fields", "case_sensitive", "words"}))
      return std::nullopt;
    PatternDefaults own = d;
    if (!ParseDefaults(n, subject, &own)) return std::nullopt;
    c.kind = Condition::Kind::kNear;
    c.near = ParsePatternList(n["near"], own, subject, "near");
    if (c.near.size() != 2) {
      Problem(n["near"], subject, "near needs exactly two patterns");
      return std::nullopt;
    }
    if (!n["within"]) {
      Problem(n, subject, "near needs 'within' (the most words allowed between the two)");
      return std::nullopt;
    }
    double within = 0;
    if (!GetDouble(n["within"], subject, "within", &within)) return std::nullopt;
    if (within < 0 || within > 1000 || within != static_cast<int>(within)) {
      Problem(n["within"], subject, "within must be a whole number from 0 to 1000");
      return std::nullopt;
    }
    c.within_words = static_cast<int>(within);
    if (n["ordered"] && !GetBool(n["ordered"], subject, "ordered", &c.ordered))
      return std::nullopt;
    return c;
  }
  if (n["tag"]) {
    if (!CheckMap(n, subject, "tag reference", {"tag"})) return std::nullopt;
    c.kind = Condition::Kind::kTag;
    if (!GetString(n["tag"], subject, "tag", &c.tag)) return std::nullopt;
    return c;
  }
  for (const char* key : {"mineral", "country", "bloc"}) {
    if (!n[key]) continue;
    if (!CheckMap(n, subject, "entity reference", {key, "fields"})) return std::nullopt;
    c.kind = Condition::Kind::kEntity;
    c.entity_kind = *KindFromSingular(key);
    std::string id;
    if (!GetString(n[key], subject, key, &id)) return std::nullopt;
    c.entity_id = id == "any" ? "" : id;
    if (n["fields"] && !GetFields(n["fields"], subject, &c.fields)) return std::nullopt;
    return c;
  }
  for (auto [key, kind] : {std::pair{"any", Condition::Kind::kAny},
                           std::pair{"all", Condition::Kind::kAll},
                           std::pair{"none", Condition::Kind::kNone}}) {
    if (!n[key]) continue;
    if (!CheckMap(n, subject, "group", {key, "fields", "case_sensitive", "words"}))
      return std::nullopt;
    PatternDefaults own = d;
    if (!ParseDefaults(n, subject, &own)) return std::nullopt;
    return ParseGroup(n[key], kind, own, subject);
  }
  std::string first = n.begin() != n.end() && n.begin()->first.IsScalar()
                          ? n.begin()->first.Scalar()
                          : "";
  Problem(n, subject,
          "unknown condition '" + first +
              "' (expected re, near, tag, mineral, country, bloc, any, all or none)");
  return std::nullopt;
}

void Loader::ParseRule(const YAML::Node& n) {
  std::string subject = "rule";
  if (n.IsMap() && n["id"] && n["id"].IsScalar()) {
    subject = "rule '" + n["id"].Scalar() + "'";
  }
  if (!CheckMap(n, subject, "rule",
                {"id", "tag", "weight", "description", "fields", "case_sensitive",
                 "words", "any", "all", "none"}))
    return;
  Rule r;
  r.loc = Loc(n);
  if (!n["id"]) {
    Problem(n, subject, "rule needs an 'id'");
    return;
  }
  bool ok = GetString(n["id"], subject, "id", &r.id);
  if (!n["tag"]) {
    Problem(n, subject, "rule needs a 'tag'");
    ok = false;
  } else {
    ok &= GetString(n["tag"], subject, "tag", &r.tag);
  }
  r.weight = !r.tag.empty() && r.tag[0] == '_' ? 0.0 : 1.0;
  if (n["weight"]) ok &= GetDouble(n["weight"], subject, "weight", &r.weight);
  PatternDefaults d;
  ok &= ParseDefaults(n, subject, &d);
  if (!n["any"] && !n["all"]) {
    Problem(n, subject, "rule needs an 'any' or 'all' condition");
    ok = false;
  }
  r.when.kind = Condition::Kind::kAll;
  r.when.loc = r.loc;
  for (auto [key, kind] : {std::pair{"all", Condition::Kind::kAll},
                           std::pair{"any", Condition::Kind::kAny},
                           std::pair{"none", Condition::Kind::kNone}}) {
    if (!n[key]) continue;
    auto g = ParseGroup(n[key], kind, d, subject);
    if (!g) {
      ok = false;
      continue;
    }
    if (kind == Condition::Kind::kAll) {
      for (Condition& child : g->children) r.when.children.push_back(std::move(child));
    } else {
      r.when.children.push_back(std::move(*g));
    }
  }
  if (ok) pack_.rules.push_back(std::move(r));
}

void Loader::ParseEntity(const YAML::Node& n, EntityKind kind) {
  std::string subject = "entity " + std::string(EntityKindName(kind));
  if (n.IsMap() && n["id"] && n["id"].IsScalar()) subject += "/" + n["id"].Scalar();
  if (!CheckMap(n, subject, "entity",
                {"id", "forms", "exclude", "description", "fields", "case_sensitive",
                 "words"}))
    return;
  Entity e;
  e.kind = kind;
  e.loc = Loc(n);
  if (!n["id"]) {
    Problem(n, subject, "entity needs an 'id'");
    return;
  }
  if (!GetString(n["id"], subject, "id", &e.id)) return;
  if (e.id.empty() || e.id == "any") {
    Problem(n["id"], subject, "entity id must be non-empty and not 'any'");
    return;
  }
  if (kind == EntityKind::kCountry &&
      (e.id.size() != 2 || !std::all_of(e.id.begin(), e.id.end(),
                                        [](char ch) { return ch >= 'A' && ch <= 'Z'; }))) {
    Problem(n["id"], subject,
            "country id must be an ISO 3166-1 alpha-2 code (two capital letters)");
    return;
  }
  PatternDefaults d;
  if (!ParseDefaults(n, subject, &d)) return;
  if (!n["forms"]) {
    Problem(n, subject, "entity needs 'forms'");
    return;
  }
  e.forms = ParsePatternList(n["forms"], d, subject, "forms");
  if (n["exclude"]) e.exclude = ParsePatternList(n["exclude"], d, subject, "exclude");
  pack_.entities.push_back(std::move(e));
}

void Loader::ParseEntities(const YAML::Node& n) {
  if (!CheckMap(n, "", "entities", {"minerals", "countries", "blocs"})) return;
  for (const auto& kv : n) {
    auto kind = KindFromPlural(kv.first.Scalar());
    if (!kind) continue;  // reported by CheckMap
    const YAML::Node& body = kv.second;
    std::string subject = "entities " + kv.first.Scalar();
    if (!CheckMap(body, subject, "entity kind", {"exclude", "report_when", "items"}))
      continue;
    EntityKindSpec& spec = pack_.kinds[static_cast<int>(*kind)];
    if (body["exclude"]) {
      for (Pattern& p : ParsePatternList(body["exclude"], {}, subject, "exclude"))
        spec.exclude.push_back(std::move(p));
    }
    if (body["report_when"]) {
      if (have_report_when_[static_cast<int>(*kind)]) {
        Problem(body["report_when"], subject, "report_when is set twice");
      } else if (auto c = ParseCondition(body["report_when"], {}, subject)) {
        spec.report_when = std::move(*c);
        have_report_when_[static_cast<int>(*kind)] = true;
      }
    }
    if (body["items"]) {
      if (!body["items"].IsSequence()) {
        Problem(body["items"], subject, "items must be a list of entities");
        continue;
      }
      for (const auto& item : body["items"]) ParseEntity(item, *kind);
    }
  }
}

void Loader::LoadSource(const PackSource& src) {
  file_ = src.name;
  hash_ = Fnv1a(hash_, src.text);
  hash_ = Fnv1a(hash_, std::string_view("\0", 1));
  pack_.files.push_back(src.name);
  try {
    YAML::Node root = YAML::Load(src.text);
    if (root.IsNull()) return;  // an empty file adds nothing
    if (!CheckMap(root, "", "a pack file",
                  {"pack", "version", "description", "severity", "macros", "tags",
                   "entities", "rules"}))
      return;
    if (root["pack"]) {
      if (have_name_) {
        Problem(root["pack"], "", "'pack' is set in more than one file");
      } else if (GetString(root["pack"], "", "pack", &pack_.name)) {
        have_name_ = true;
        if (root["version"]) {
          GetString(root["version"], "", "version", &pack_.version);
        }
      }
    } else if (root["version"]) {
      Problem(root["version"], "", "'version' needs 'pack' in the same file");
    }
    if (root["severity"]) {
      const YAML::Node& s = root["severity"];
      if (have_severity_) {
        Problem(s, "", "'severity' is set in more than one file");
      } else if (CheckMap(s, "severity", "severity", {"low", "medium", "high", "critical"})) {
        have_severity_ = true;
        SeverityThresholds& t = pack_.severity;
        if (s["low"]) GetDouble(s["low"], "severity", "low", &t.low);
        if (s["medium"]) GetDouble(s["medium"], "severity", "medium", &t.medium);
        if (s["high"]) GetDouble(s["high"], "severity", "high", &t.high);
        if (s["critical"]) GetDouble(s["critical"], "severity", "critical", &t.critical);
        if (!(t.low <= t.medium && t.medium <= t.high && t.high <= t.critical)) {
          Problem(s, "severity", "thresholds must not decrease from low to critical");
        }
      }
    }
    if (root["macros"]) {
      const YAML::Node& m = root["macros"];
      if (!m.IsMap()) {
        Problem(m, "", "macros must be a mapping of name to regex");
      } else {
        for (const auto& kv : m) {
          std::string name = kv.first.Scalar();
          std::string subject = "macro '" + name + "'";
          std::string value;
          if (!GetString(kv.second, subject, "a macro", &value)) continue;
          if (auto it = macros_.find(name); it != macros_.end()) {
            Problem(kv.first, subject,
                    "duplicate macro (first defined at " + it->second.loc.file + ":" +
                        std::to_string(it->second.loc.line) + ")");
            continue;
          }
          macros_[name] = MacroDef{value, Loc(kv.first)};
        }
      }
    }
    if (root["tags"]) {
      const YAML::Node& t = root["tags"];
      if (!t.IsMap()) {
        Problem(t, "", "tags must be a mapping of tag name to settings");
      } else {
        for (const auto& kv : t) {
          std::string name = kv.first.Scalar();
          std::string subject = "tag '" + name + "'";
          if (declared_tags_.count(name)) {
            Problem(kv.first, subject, "tag is declared twice");
            continue;
          }
          TagSpec spec;
          spec.name = name;
          spec.loc = Loc(kv.first);
          if (!kv.second.IsNull()) {
            if (!CheckMap(kv.second, subject, "tag settings", {"min_score", "description"}))
              continue;
            if (kv.second["min_score"])
              GetDouble(kv.second["min_score"], subject, "min_score", &spec.min_score);
            if (kv.second["description"])
              GetString(kv.second["description"], subject, "description",
                        &spec.description);
          }
          declared_tags_[name] = spec.loc;
          pack_.tags[name] = std::move(spec);
        }
      }
    }
    if (root["entities"]) ParseEntities(root["entities"]);
    if (root["rules"]) {
      if (!root["rules"].IsSequence()) {
        Problem(root["rules"], "", "rules must be a list");
      } else {
        for (const auto& r : root["rules"]) ParseRule(r);
      }
    }
  } catch (const YAML::Exception& e) {
    SourceLoc loc{file_, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                  e.mark.column >= 0 ? e.mark.column + 1 : 0};
    AddProblem(loc, "", "YAML: " + e.msg);
  }
}

bool Loader::ExpandMacros(const std::string& in, const SourceLoc& loc,
                          const std::string& subject, int depth, std::string* out) {
  if (depth > 8) {
    AddProblem(loc, subject, "macros nest more than 8 deep (a macro cycle?)");
    return false;
  }
  out->clear();
  size_t pos = 0;
  while (pos < in.size()) {
    size_t open = in.find("{{", pos);
    if (open == std::string::npos) {
      out->append(in, pos, std::string::npos);
      break;
    }
    size_t close = in.find("}}", open + 2);
    if (close == std::string::npos) {
      out->append(in, pos, std::string::npos);
      break;
    }
    out->append(in, pos, open - pos);
    std::string name = in.substr(open + 2, close - open - 2);
    auto it = macros_.find(name);
    if (it == macros_.end()) {
      AddProblem(loc, subject, "unknown macro '{{" + name + "}}'");
      return false;
    }
    std::string inner;
    if (!ExpandMacros(it->second.value, loc, subject, depth + 1, &inner)) return false;
    out->append("(?:" + inner + ")");
    pos = close + 2;
  }
  return true;
}

void Loader::ExpandAndCheck(Pattern* p, const std::string& subject) {
  std::string expanded;
  if (!ExpandMacros(p->source, p->loc, subject, 0, &expanded)) return;
  p->regex = std::move(expanded);
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(64 << 20);
  opts.set_case_sensitive(p->case_sensitive);
  // The bare regex first, so that the message quotes what the author wrote
  // rather than the wrapped form.
  RE2 bare(p->regex, opts);
  if (!bare.ok()) {
    AddProblem(p->loc, subject,
               "pattern '" + p->source + "' does not compile: " + bare.error());
    return;
  }
  RE2 re(p->CompiledRegex(), opts);
  if (!re.ok()) {
    AddProblem(p->loc, subject,
               "pattern '" + p->source + "' does not compile: " + re.error());
  }
}

void Loader::ExpandAndCheck(Condition* c, const std::string& subject) {
  switch (c->kind) {
    case Condition::Kind::kPattern:
      ExpandAndCheck(&c->pattern, subject);
      break;
    case Condition::Kind::kNear:
      for (Pattern& p : c->near) ExpandAndCheck(&p, subject);
      break;
    default:
      for (Condition& child : c->children) ExpandAndCheck(&child, subject);
  }
}

void Loader::CheckReferences(
    const Condition& c, const std::string& subject, const std::set<std::string>& tags,
    const std::set<std::string> (&entity_ids)[kEntityKindCount]) {
  if (c.kind == Condition::Kind::kTag && !tags.count(c.tag)) {
    AddProblem(c.loc, subject, "unknown tag '" + c.tag + "' (no rule assigns it)");
  }
  if (c.kind == Condition::Kind::kEntity && !c.entity_id.empty() &&
      !entity_ids[static_cast<int>(c.entity_kind)].count(c.entity_id)) {
    AddProblem(c.loc, subject,
               "unknown " + std::string(EntityKindName(c.entity_kind)) + " '" +
                   c.entity_id + "'");
  }
  for (const Condition& child : c.children) CheckReferences(child, subject, tags, entity_ids);
}

void Loader::CollectTagRefs(const Condition& c, std::vector<std::string>* out) {
  if (c.kind == Condition::Kind::kTag) out->push_back(c.tag);
  for (const Condition& child : c.children) CollectTagRefs(child, out);
}

void Loader::CheckCycles() {
  // Tag graph: tag -> (rule, referenced tag). A cycle is reported once, at
  // the rule whose reference closes it.
  std::map<std::string, std::vector<std::pair<const Rule*, std::string>>> edges;
  for (const Rule& r : pack_.rules) {
    std::vector<std::string> refs;
    CollectTagRefs(r.when, &refs);
    for (std::string& t : refs) edges[r.tag].push_back({&r, std::move(t)});
  }
  enum Color { kWhite, kGrey, kBlack };
  std::map<std::string, Color> color;
  std::vector<std::string> stack;
  std::function<void(const std::string&)> visit = [&](const std::string& tag) {
    color[tag] = kGrey;
    stack.push_back(tag);
    for (const auto& [rule, next] : edges[tag]) {
      if (color[next] == kGrey) {
        std::string path;
        auto from = std::find(stack.begin(), stack.end(), next);
        for (auto it = from; it != stack.end(); ++it) path += *it + " -> ";
        path += next;
        AddProblem(rule->loc, "rule '" + rule->id + "'", "reference cycle: " + path);
      } else if (color[next] == kWhite) {
        visit(next);
      }
    }
    stack.pop_back();
    color[tag] = kBlack;
  };
  for (const auto& [tag, unused] : pack_.tags) {
    if (color[tag] == kWhite) visit(tag);
  }
}

Result<RulePack> Loader::Finish(std::vector<PackProblem>* problems) {
  // Duplicates.
  std::map<std::string, const Rule*> rule_ids;
  for (const Rule& r : pack_.rules) {
    auto [it, inserted] = rule_ids.emplace(r.id, &r);
    if (!inserted) {
      AddProblem(r.loc, "rule '" + r.id + "'",
                 "duplicate rule id (first defined at " + it->second->loc.file + ":" +
                     std::to_string(it->second->loc.line) + ")");
    }
    if (!pack_.tags.count(r.tag)) {
      TagSpec spec;
      spec.name = r.tag;
      spec.loc = r.loc;
      pack_.tags[r.tag] = std::move(spec);
    }
  }
  std::set<std::string> tags_with_rules;
  for (const Rule& r : pack_.rules) tags_with_rules.insert(r.tag);
  for (const auto& [name, loc] : declared_tags_) {
    if (!tags_with_rules.count(name)) {
      AddProblem(loc, "tag '" + name + "'", "tag is declared but no rule assigns it");
    }
  }
  std::set<std::string> entity_ids[kEntityKindCount];
  std::map<std::string, const Entity*> seen_entities;
  for (const Entity& e : pack_.entities) {
    std::string key = std::string(EntityKindName(e.kind)) + "/" + e.id;
    auto [it, inserted] = seen_entities.emplace(key, &e);
    if (!inserted) {
      AddProblem(e.loc, "entity " + key,
                 "duplicate entity id (first defined at " + it->second->loc.file + ":" +
                     std::to_string(it->second->loc.line) + ")");
    }
    entity_ids[static_cast<int>(e.kind)].insert(e.id);
  }
  // Patterns: expand macros and compile.
  for (Rule& r : pack_.rules) ExpandAndCheck(&r.when, "rule '" + r.id + "'");
  for (Entity& e : pack_.entities) {
    std::string subject = "entity " + std::string(EntityKindName(e.kind)) + "/" + e.id;
    for (Pattern& p : e.forms) ExpandAndCheck(&p, subject);
    for (Pattern& p : e.exclude) ExpandAndCheck(&p, subject);
  }
  for (int k = 0; k < kEntityKindCount; ++k) {
    std::string subject =
        "entities " + std::string(EntityKindName(static_cast<EntityKind>(k)));
    for (Pattern& p : pack_.kinds[k].exclude) ExpandAndCheck(&p, subject);
    if (pack_.kinds[k].report_when) ExpandAndCheck(&*pack_.kinds[k].report_when, subject);
  }
  // References and cycles.
  for (const Rule& r : pack_.rules) {
    CheckReferences(r.when, "rule '" + r.id + "'", tags_with_rules, entity_ids);
  }
  for (int k = 0; k < kEntityKindCount; ++k) {
    if (pack_.kinds[k].report_when) {
      CheckReferences(*pack_.kinds[k].report_when,
                      "entities " + std::string(EntityKindName(static_cast<EntityKind>(k))),
                      tags_with_rules, entity_ids);
    }
  }
  CheckCycles();

  if (!problems_.empty()) {
    std::string msg;
    for (const PackProblem& p : problems_) {
      if (!msg.empty()) msg += "\n";
      msg += p.ToString();
    }
    if (problems) *problems = std::move(problems_);
    return InvalidArgument(std::move(msg));
  }
  if (problems) problems->clear();
  if (pack_.name.empty()) pack_.name = "unnamed";
  if (pack_.version.empty()) pack_.version = "0";
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash_));
  pack_.version_string = pack_.name + "@" + pack_.version + "+" + hex;
  return std::move(pack_);
}

}  // namespace

Result<RulePack> LoadRulePackFromSources(const std::vector<PackSource>& sources,
                                         std::vector<PackProblem>* problems) {
  Loader loader;
  for (const PackSource& s : sources) loader.LoadSource(s);
  return loader.Finish(problems);
}

Result<RulePack> LoadRulePack(const std::vector<std::string>& paths,
                              std::vector<PackProblem>* problems) {
  if (paths.empty()) {
    if (problems) {
      PackProblem p;
      p.message = "no rule pack files given";
      problems->push_back(std::move(p));
    }
    return InvalidArgument("no rule pack files given");
  }
  std::vector<PackSource> sources;
  std::vector<PackProblem> read_problems;
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      PackProblem p;
      p.loc.file = path;
      p.message = "cannot open file";
      read_problems.push_back(std::move(p));
      continue;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    sources.push_back({path, ss.str()});
  }
  if (!read_problems.empty()) {
    std::string msg;
    for (const PackProblem& p : read_problems) {
      if (!msg.empty()) msg += "\n";
      msg += p.ToString();
    }
    if (problems) *problems = std::move(read_problems);
    return InvalidArgument(std::move(msg));
  }
  return LoadRulePackFromSources(sources, problems);
}

std::vector<std::string> DefaultPackPaths() {
  namespace fs = std::filesystem;
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("ASSAY_RULES_DIR"); env && *env) dirs.push_back(env);
#ifdef ASSAY_RULES_SOURCE_PACK_DIR
  dirs.push_back(ASSAY_RULES_SOURCE_PACK_DIR);
#endif
#ifdef ASSAY_RULES_INSTALL_DIR
  dirs.push_back(ASSAY_RULES_INSTALL_DIR);
#endif
  dirs.push_back("/usr/share/assay/rules");
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    if (!files.empty()) return files;
  }
  return {};
}

}  // namespace assay::rules
