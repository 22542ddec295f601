// A strict reader of the Prometheus text exposition format (0.0.4), for
// tests that scrape /metrics: every line must be a HELP, a TYPE or a sample
// of a declared family, or the parse fails naming the line.
#ifndef ASSAY_TESTS_TESTING_PROMETHEUS_TEXT_H_
#define ASSAY_TESTS_TESTING_PROMETHEUS_TEXT_H_

#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace assay::testing {

struct Exposition {
  // "name{label=\"value\"}" (or "name") -> value.
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;  // family -> counter, gauge, histogram
  std::string error;                         // empty when every line parsed

  bool ok() const { return error.empty(); }
  std::optional<double> Get(const std::string& series) const {
    auto it = samples.find(series);
    if (it == samples.end()) return std::nullopt;
    return it->second;
  }
};

inline Exposition ParseExposition(const std::string& text) {
  static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) [^\n]+)");
  static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|\+Inf|-Inf|NaN))");
  Exposition e;
  if (text.empty() || text.back() != '\n') {
    e.error = "the exposition must end with a newline";
    return e;
  }
  std::istringstream in(text);
  std::string line;
  std::set<std::string> helped;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::smatch m;
    const std::string where = "line " + std::to_string(n) + ": '" + line + "'";
    if (std::regex_match(line, m, kHelp)) {
      if (!helped.insert(m[1]).second) e.error = where + ": second HELP for the family";
    } else if (std::regex_match(line, m, kType)) {
      if (e.types.count(m[1]) != 0) e.error = where + ": second TYPE for the family";
      if (helped.count(m[1]) == 0) e.error = where + ": TYPE before HELP";
      e.types[m[1]] = m[2];
    } else if (std::regex_match(line, m, kSample)) {
      std::string family = m[1];
      if (e.types.count(family) == 0) {
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
          const std::string s = suffix;
          if (family.size() > s.size() && family.ends_with(s) &&
              e.types.count(family.substr(0, family.size() - s.size())) != 0) {
            family = family.substr(0, family.size() - s.size());
          }
        }
      }
      if (e.types.count(family) == 0) e.error = where + ": sample of an undeclared family";
      const std::string series = std::string(m[1]) + std::string(m[2]);
      if (e.samples.count(series) != 0) e.error = where + ": duplicate series";
      e.samples[series] = std::stod(m[3] == "+Inf" ? "inf" : m[3] == "-Inf" ? "-inf" : std::string(m[3]));
    } else {
      e.error = where + ": not HELP, TYPE or a sample";
    }
    if (!e.error.empty()) return e;
  }
  return e;
}

}  // namespace assay::testing

#endif  // ASSAY_TESTS_TESTING_PROMETHEUS_TEXT_H_
