#include "rules/internal/literal_matcher.h"

#include <bitset>
#include <string>

namespace assay::rules::internal {
namespace {

// Patterns that expand to more alternatives than this stay with RE2.
constexpr size_t kMaxAlternatives = 1024;

// RE2's \w and \b: ASCII letters, digits and underscore.
constexpr bool IsWordChar(int c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         c == '_';
}

struct WordTable {
  bool word[256];
  constexpr WordTable() : word() {
    for (int c = 0; c < 256; ++c) word[c] = IsWordChar(c);
  }
};
constexpr WordTable kWordTable;

inline bool IsWordByte(unsigned char c) { return kWordTable.word[c]; }

std::bitset<256> WordSet() {
  std::bitset<256> s;
  for (int c = 0; c < 256; ++c) s[c] = IsWordByte(static_cast<unsigned char>(c));
  return s;
}

bool Boundary(std::string_view text, size_t i) {
  bool before = i > 0 && IsWordByte(static_cast<unsigned char>(text[i - 1]));
  bool after = i < text.size() && IsWordByte(static_cast<unsigned char>(text[i]));
  return before != after;
}

struct Unit {
  std::bitset<256> set;
  bool run = false;
  uint8_t min = 1;
};
using Seq = std::vector<Unit>;
using Seqs = std::vector<Seq>;  // alternatives, in order of preference

// Recursive descent over the subset; every parse function returns false when
// the pattern leaves it.
class Parser {
 public:
  Parser(std::string_view re, bool case_sensitive) : re_(re), fold_(!case_sensitive) {}

  bool Parse(Seqs* out) { return ParseAlt(out) && i_ == re_.size(); }

 private:
  bool ParseAlt(Seqs* out) {
    out->clear();
    for (;;) {
      Seqs branch;
      if (!ParseConcat(&branch)) return false;
      out->insert(out->end(), branch.begin(), branch.end());
      if (out->size() > kMaxAlternatives) return false;
      if (i_ < re_.size() && re_[i_] == '|') {
        ++i_;
        continue;
      }
      return true;
    }
  }

  bool ParseConcat(Seqs* out) {
    *out = Seqs{Seq{}};
    while (i_ < re_.size() && re_[i_] != '|' && re_[i_] != ')') {
      Seqs piece;
      if (!ParsePiece(&piece)) return false;
      Seqs product;
      if (out->size() * piece.size() > kMaxAlternatives) return false;
      for (const Seq& a : *out) {
        for (const Seq& b : piece) {
          Seq ab = a;
          ab.insert(ab.end(), b.begin(), b.end());
          product.push_back(std::move(ab));
        }
      }
      *out = std::move(product);
    }
    return true;
  }

  bool ParsePiece(Seqs* out) {
    bool word_class = false;
    if (!ParseAtom(out, &word_class)) return false;
    if (i_ >= re_.size()) return true;
    char q = re_[i_];
    if (q == '{') return false;
    if (q != '?' && q != '*' && q != '+') return true;
    ++i_;
    if (i_ < re_.size() && (re_[i_] == '?' || re_[i_] == '+')) return false;  // lazy, possessive
    if (q == '?') {
      out->push_back(Seq{});  // greedy: the atom first, then nothing
      return true;
    }
    if (!word_class) return false;  // runs of \w only
    Unit run;
    run.set = WordSet();
    run.run = true;
    run.min = q == '+' ? 1 : 0;
    *out = Seqs{Seq{run}};
    return true;
  }

  bool ParseAtom(Seqs* out, bool* word_class) {
    char c = re_[i_];
    if (c == '(') {
      ++i_;
      if (i_ < re_.size() && re_[i_] == '?') {
        if (i_ + 1 >= re_.size() || re_[i_ + 1] != ':') return false;  // flags, names
        i_ += 2;
      }
      if (!ParseAlt(out)) return false;
      if (i_ >= re_.size() || re_[i_] != ')') return false;
      ++i_;
      return true;
    }
    if (c == '[') return ParseClass(out);
    Unit e;
    if (c == '\\') {
      if (i_ + 1 >= re_.size()) return false;
      char x = re_[i_ + 1];
      i_ += 2;
      if (x == 'w') {
        e.set = WordSet();
        *word_class = true;
        *out = Seqs{Seq{e}};
        return true;
      }
      if (!IsEscapablePunct(x)) return false;
      AddChar(&e.set, x);
      *out = Seqs{Seq{e}};
      return true;
    }
    if (!IsPlainLiteral(c)) return false;
    ++i_;
    AddChar(&e.set, c);
    *out = Seqs{Seq{e}};
    return true;
  }

  // [abc], [a-z], [- ], [\-.]; no negation, no classes inside.
  bool ParseClass(Seqs* out) {
    ++i_;
    Unit e;
    if (i_ < re_.size() && re_[i_] == '^') return false;
    bool first = true;
    while (i_ < re_.size() && (re_[i_] != ']' || first)) {
      first = false;
      char lo;
      if (!ClassChar(&lo)) return false;
      if (i_ + 1 < re_.size() && re_[i_] == '-' && re_[i_ + 1] != ']') {
        ++i_;
        char hi;
        if (!ClassChar(&hi) || hi < lo) return false;
        for (int ch = lo; ch <= hi; ++ch) AddChar(&e.set, static_cast<char>(ch));
      } else {
        AddChar(&e.set, lo);
      }
    }
    if (i_ >= re_.size()) return false;
    ++i_;  // ']'
    *out = Seqs{Seq{e}};
    return true;
  }

  bool ClassChar(char* out) {
    char c = re_[i_];
    if (c == '\\') {
      if (i_ + 1 >= re_.size() || !IsEscapablePunct(re_[i_ + 1])) return false;
      *out = re_[i_ + 1];
      i_ += 2;
      return true;
    }
    if (c == '[' || static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) {
      return false;  // [:alpha:] and non-ASCII
    }
    *out = c;
    ++i_;
    return true;
  }

  static bool IsEscapablePunct(char x) {
    unsigned char u = static_cast<unsigned char>(x);
    return u >= 0x21 && u <= 0x7E && !IsWordByte(u);
  }

  static bool IsPlainLiteral(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) return false;
    switch (c) {
      case '.': case '^': case '$': case '|': case '?': case '*': case '+':
      case '(': case ')': case '[': case ']': case '{': case '}': case '\\':
        return false;
      default:
        return true;
    }
  }

  void AddChar(std::bitset<256>* set, char c) const {
    unsigned char u = static_cast<unsigned char>(c);
    set->set(u);
    if (fold_ && u >= 'a' && u <= 'z') set->set(u - 'a' + 'A');
    if (fold_ && u >= 'A' && u <= 'Z') set->set(u - 'A' + 'a');
  }

  std::string_view re_;
  bool fold_;
  size_t i_ = 0;
};

}  // namespace

std::unique_ptr<LiteralMatcher> LiteralMatcher::Compile(std::string_view regex,
                                                        bool case_sensitive, bool whole_words) {
  Seqs seqs;
  Parser parser(regex, case_sensitive);
  if (regex.empty() || !parser.Parse(&seqs) || seqs.empty()) return nullptr;
  const std::bitset<256> word = WordSet();
  std::unique_ptr<LiteralMatcher> m(new LiteralMatcher());
  m->whole_words_ = whole_words;
  m->fold_ = !case_sensitive;
  // Built with per-node edge lists, then flattened.
  struct Build {
    std::vector<std::pair<uint8_t, int32_t>> edges;
    int32_t run[2] = {-1, -1};
    int32_t best = -1;
  };
  std::vector<Build> trie(1);
  size_t expanded = 0;
  for (size_t rank = 0; rank < seqs.size(); ++rank) {
    const Seq& seq = seqs[rank];
    size_t min_len = 0;
    for (size_t k = 0; k < seq.size(); ++k) {
      min_len += seq[k].run ? seq[k].min : 1;
      // A run is taken whole: giving back bytes could only help a next
      // element that accepts word bytes.
      if (seq[k].run && k + 1 < seq.size() && (seq[k + 1].set & word).any()) return nullptr;
    }
    if (min_len == 0) return nullptr;  // could match the empty string
    // Insert every byte string of the alternative (a class is one edge per
    // byte it holds, folded to lower case when matching ignores case). The
    // strings of one alternative cannot both match at one position, so
    // they share its rank.
    std::vector<int32_t> at = {0};
    for (const Unit& u : seq) {
      std::vector<int32_t> next;
      for (int32_t n : at) {
        if (u.run) {
          if (trie[n].run[u.min] < 0) {
            trie[n].run[u.min] = static_cast<int32_t>(trie.size());
            trie.emplace_back();
          }
          next.push_back(trie[n].run[u.min]);
          continue;
        }
        for (int b = 0; b < 256; ++b) {
          if (!u.set[b] || (m->fold_ && b >= 'A' && b <= 'Z')) continue;
          int32_t child = -1;
          for (const auto& [byte, to] : trie[n].edges) {
            if (byte == b) child = to;
          }
          if (child < 0) {
            child = static_cast<int32_t>(trie.size());
            trie[n].edges.emplace_back(static_cast<uint8_t>(b), child);
            trie.emplace_back();
          }
          next.push_back(child);
        }
      }
      at = std::move(next);
      expanded += at.size();
      if (expanded > kMaxAlternatives * 16) return nullptr;
    }
    for (int32_t n : at) {
      if (trie[n].best < 0) trie[n].best = static_cast<int32_t>(rank);
    }
  }
  m->alternatives_ = seqs.size();
  for (const Build& b : trie) {
    Node n;
    n.edges = static_cast<uint32_t>(m->edge_byte_.size());
    n.edge_count = static_cast<uint32_t>(b.edges.size());
    for (const auto& [byte, to] : b.edges) {
      m->edge_byte_.push_back(byte);
      m->edge_to_.push_back(to);
    }
    n.run[0] = b.run[0];
    n.run[1] = b.run[1];
    n.best = b.best;
    m->nodes_.push_back(n);
  }
  const Build& root = trie[0];
  for (int32_t& r : m->root_next_) r = -1;
  for (const auto& [byte, to] : root.edges) {
    m->root_next_[byte] = to;
    m->first_[byte] = true;
    if (m->fold_ && byte >= 'a' && byte <= 'z') {
      m->root_next_[byte - 'a' + 'A'] = to;
      m->first_[byte - 'a' + 'A'] = true;
    }
  }
  // A leading run: any word byte, or (when it may be empty) what follows it.
  for (int min = 0; min < 2; ++min) {
    if (root.run[min] < 0) continue;
    for (int c = 0; c < 256; ++c) m->first_[c] = m->first_[c] || IsWordChar(c);
    if (min == 0) {
      for (const auto& [byte, to] : trie[root.run[0]].edges) m->first_[byte] = true;
    }
  }
  m->word_starts_only_ = whole_words;
  for (int c = 0; c < 256; ++c) {
    if (m->first_[c] && !IsWordChar(c)) m->word_starts_only_ = false;
  }
  return m;
}

bool LiteralMatcher::CanScan(std::string_view text) {
  return text.find("\xC5\xBF") == std::string_view::npos &&
         text.find("\xE2\x84\xAA") == std::string_view::npos;
}

void LiteralMatcher::Walk(int32_t node, std::string_view text, size_t pos, int32_t* rank,
                          size_t* end) const {
  for (;;) {
    const Node& n = nodes_[node];
    if (n.best >= 0 && (*rank < 0 || n.best < *rank) &&
        (!whole_words_ || Boundary(text, pos))) {
      *rank = n.best;
      *end = pos;
    }
    if (n.run[0] >= 0 || n.run[1] >= 0) {
      size_t after = pos;
      while (after < text.size() && IsWordByte(static_cast<unsigned char>(text[after]))) ++after;
      if (n.run[0] >= 0) Walk(n.run[0], text, after, rank, end);
      if (n.run[1] >= 0 && after > pos) Walk(n.run[1], text, after, rank, end);
    }
    if (pos >= text.size()) return;
    unsigned char c = static_cast<unsigned char>(text[pos]);
    if (fold_ && c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    int32_t next = -1;
    for (uint32_t k = n.edges; k < n.edges + n.edge_count; ++k) {
      if (edge_byte_[k] == c) {
        next = edge_to_[k];
        break;
      }
    }
    if (next < 0) return;
    node = next;
    ++pos;
  }
}

bool LiteralMatcher::Find(std::string_view text, size_t pos, size_t* start, size_t* end) const {
  const size_t size = text.size();
  const unsigned char* s = reinterpret_cast<const unsigned char*>(text.data());
  // The root's own edges are looked up in a table; Walk takes it from there.
  auto try_at = [&](size_t p) {
    int32_t rank = -1;
    const Node& root = nodes_[0];
    if (root.run[0] >= 0 || root.run[1] >= 0) {
      Walk(0, text, p, &rank, end);
    } else if (root_next_[s[p]] >= 0) {
      Walk(root_next_[s[p]], text, p + 1, &rank, end);
    }
    if (rank < 0) return false;
    *start = p;
    return true;
  };
  if (word_starts_only_) {
    size_t p = pos;
    // Inside a word: no match can start before its end.
    if (p > 0) {
      while (p < size && IsWordByte(s[p]) && IsWordByte(s[p - 1])) ++p;
    }
    while (p < size) {
      while (p < size && !IsWordByte(s[p])) ++p;
      if (p >= size) return false;
      if (first_[s[p]] && try_at(p)) return true;
      while (p < size && IsWordByte(s[p])) ++p;
    }
    return false;
  }
  for (size_t p = pos; p < size; ++p) {
    if (!first_[s[p]]) continue;
    if (whole_words_ && !Boundary(text, p)) continue;
    if (try_at(p)) return true;
  }
  return false;
}

bool LiteralSet::Add(std::string_view regex, bool case_sensitive, bool whole_words,
                     int32_t id) {
  if (case_sensitive || !whole_words || regex.empty()) return false;
  Seqs seqs;
  Parser parser(regex, case_sensitive);
  if (!parser.Parse(&seqs) || seqs.empty()) return false;
  const std::bitset<256> word = WordSet();
  for (const Seq& seq : seqs) {
    size_t min_len = 0;
    for (size_t k = 0; k < seq.size(); ++k) {
      min_len += seq[k].run ? seq[k].min : 1;
      if (seq[k].run && k + 1 < seq.size() && (seq[k + 1].set & word).any()) return false;
    }
    if (min_len == 0 || seq.empty()) return false;
    if (seq[0].run ? seq[0].min == 0 : (seq[0].set & ~word).any()) return false;
  }
  for (const Seq& seq : seqs) {
    std::vector<int32_t> at = {0};
    for (const Unit& u : seq) {
      std::vector<int32_t> next;
      for (int32_t n : at) {
        if (u.run) {
          if (build_[n].run[u.min] < 0) {
            build_[n].run[u.min] = static_cast<int32_t>(build_.size());
            build_.emplace_back();
          }
          next.push_back(build_[n].run[u.min]);
          continue;
        }
        for (int b = 0; b < 256; ++b) {
          if (!u.set[b] || (b >= 'A' && b <= 'Z')) continue;  // folded
          int32_t child = -1;
          for (const auto& [byte, to] : build_[n].edges) {
            if (byte == b) child = to;
          }
          if (child < 0) {
            child = static_cast<int32_t>(build_.size());
            build_[n].edges.emplace_back(static_cast<uint8_t>(b), child);
            build_.emplace_back();
          }
          next.push_back(child);
        }
      }
      at = std::move(next);
    }
  }
  // Ranks: alternatives in order; the first to reach a node keeps it.
  for (size_t rank = 0; rank < seqs.size(); ++rank) {
    std::vector<int32_t> at = {0};
    for (const Unit& u : seqs[rank]) {
      std::vector<int32_t> next;
      for (int32_t n : at) {
        if (u.run) {
          next.push_back(build_[n].run[u.min]);
          continue;
        }
        for (const auto& [byte, to] : build_[n].edges) {
          if (u.set[byte]) next.push_back(to);
        }
      }
      at = std::move(next);
    }
    for (int32_t n : at) {
      bool seen = false;
      for (const auto& t : build_[n].terms) seen = seen || t.first == id;
      if (!seen) build_[n].terms.emplace_back(id, static_cast<int32_t>(rank));
    }
  }
  return true;
}

void LiteralSet::Finish() {
  nodes_.clear();
  for (const Build& b : build_) {
    Node n;
    n.edges = static_cast<uint32_t>(edge_byte_.size());
    n.edge_count = static_cast<uint32_t>(b.edges.size());
    for (const auto& [byte, to] : b.edges) {
      edge_byte_.push_back(byte);
      edge_to_.push_back(to);
    }
    n.terms = static_cast<uint32_t>(terms_.size());
    n.term_count = static_cast<uint32_t>(b.terms.size());
    terms_.insert(terms_.end(), b.terms.begin(), b.terms.end());
    n.run[0] = b.run[0];
    n.run[1] = b.run[1];
    nodes_.push_back(n);
  }
  for (int32_t& r : root_next_) r = -1;
  for (const auto& [byte, to] : build_[0].edges) {
    root_next_[byte] = to;
    if (byte >= 'a' && byte <= 'z') root_next_[byte - 'a' + 'A'] = to;
  }
  build_.clear();
  build_.shrink_to_fit();
}

void LiteralSet::Walk(int32_t node, std::string_view text, size_t pos, const uint8_t* wanted,
                      uint8_t mask, std::vector<Best>* best) const {
  for (;;) {
    const Node& n = nodes_[node];
    if (n.term_count > 0 && Boundary(text, pos)) {
      for (uint32_t k = n.terms; k < n.terms + n.term_count; ++k) {
        auto [id, rank] = terms_[k];
        if ((wanted[id] & mask) == 0) continue;
        bool found = false;
        for (Best& b : *best) {
          if (b.id != id) continue;
          found = true;
          if (rank < b.rank) b = Best{id, rank, static_cast<uint32_t>(pos)};
        }
        if (!found) best->push_back(Best{id, rank, static_cast<uint32_t>(pos)});
      }
    }
    if (n.run[0] >= 0 || n.run[1] >= 0) {
      size_t after = pos;
      while (after < text.size() && IsWordByte(static_cast<unsigned char>(text[after]))) ++after;
      if (n.run[0] >= 0) Walk(n.run[0], text, after, wanted, mask, best);
      if (n.run[1] >= 0 && after > pos) Walk(n.run[1], text, after, wanted, mask, best);
    }
    if (pos >= text.size()) return;
    unsigned char c = static_cast<unsigned char>(text[pos]);
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    int32_t next = -1;
    for (uint32_t k = n.edges; k < n.edges + n.edge_count; ++k) {
      if (edge_byte_[k] == c) {
        next = edge_to_[k];
        break;
      }
    }
    if (next < 0) return;
    node = next;
    ++pos;
  }
}

void LiteralSet::Scan(std::string_view text, const uint8_t* wanted, uint8_t mask,
                      std::vector<Hit>* out) const {
  if (nodes_.empty()) return;
  const size_t size = text.size();
  const unsigned char* s = reinterpret_cast<const unsigned char*>(text.data());
  std::vector<Best> best;
  const Node& root = nodes_[0];
  const bool root_runs = root.run[0] >= 0 || root.run[1] >= 0;
  size_t p = 0;
  while (p < size) {
    while (p < size && !IsWordByte(s[p])) ++p;
    if (p >= size) break;
    best.clear();
    if (root_runs) {
      Walk(0, text, p, wanted, mask, &best);
    } else if (root_next_[s[p]] >= 0) {
      Walk(root_next_[s[p]], text, p + 1, wanted, mask, &best);
    }
    for (const Best& b : best) {
      out->push_back(Hit{b.id, static_cast<uint32_t>(p), b.end});
    }
    while (p < size && IsWordByte(s[p])) ++p;
  }
}

}  // namespace assay::rules::internal
