#include "parsers/story.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "parsers/internal/fnv.h"

namespace assay::parsers {
namespace {

// ---------------------------------------------------------------------------
// Word lists: a small prior on how common a word is, in general English and
// in news about trade and minerals. A word in no list counts as distinctive.
// Lists hold surface forms; their light stems (Stem below) are matched too,
// so "exporters" finds "export". Lower-case ASCII, one space between words.
// ---------------------------------------------------------------------------

// Function words: never terms.
constexpr std::string_view kStopwords =
    "a about across after again against all along also although amid among "
    "an and another any are around as at be because been before being "
    "between both but by can cannot could did do does doing down dr during "
    "each either even every few for from further had has have having he her "
    "here him his how i if in into is it its just least less many may me "
    "might more most mr mrs ms much must my neither no nor not of off on "
    "once one ones only onto or other others our out over own per s said "
    "same say saying says she should since so some still such than that the "
    "their them then there these they this those though through to too "
    "under until up upon us very via was we were what when where whether "
    "which while who whom whose why will with within without would yet you "
    "your";
// Frequent words of general English and of any news report: never terms.
constexpr std::string_view kCommonWords =
    "able about according add added adds agencies agency allow allowed "
    "almost analyst analysts appear area areas around ask asked bad began "
    "begin begins best better big bigger biggest bloomberg bring brought "
    "build built business businesses buy call called calls came case cases "
    "cent certain change changed clear come comes companies company "
    "consider continue cost costs countries country create current cut cuts "
    "day days deal decide die different domestic early effort efforts end "
    "evening expect expected expects fact facts fall falls feel fell find "
    "firm firms first follow followed foreign found framework free friday "
    "full gave general get gets give given gives global go goes gone good "
    "got government governments great grew group groups grow half hand "
    "hands happen head held help helped helps high higher highest hold "
    "holds home house important include included includes including "
    "international investment investments issue issues keep kept key kill "
    "kind knew know known large larger largest last late lead leads learn "
    "least leave led left let level levels life likely little live local "
    "long lose lost low lower lowest made main major make makes making man "
    "market markets mean means meet meets men met monday month months more "
    "morning move moved moves nation national nations nearly need needed "
    "needs new news next night number numbers offer offered official "
    "officials old open opened opens other outlook own paid part parts pass "
    "pay people per percent person place places plan plans plant plants "
    "play point points possible president press price prices private "
    "problem program programme project projects provide provided public "
    "pull put puts quarter question questions raise raised raises ran rate "
    "rates reach read real recent record release remain remained remains "
    "remember report reported reports require required requires reuters "
    "right roughly run runs saturday saw second see seem seen sees sell "
    "sells send sent serve set sets share shares short show showed shown "
    "shows side sides sit small smaller smallest sold some source sources "
    "speak spend spokesman spokesperson spokeswoman stake stand start "
    "started starts state statement statements states stay step steps stop "
    "stopped suggest sunday sure system systems take taken takes taking "
    "talk target targets tell than thing things think third thought "
    "thursday time times today told tomorrow took top tried true try "
    "tuesday turn turned understand use used uses using value wait walk "
    "want wanted watch way ways wednesday week weeks went whole win wins "
    "woman women won work worked works world worse worst write wrong year "
    "years yesterday";
// Frequent in trade and minerals news (every other item says "export"):
// terms of weight 1, never more than 2.
constexpr std::string_view kDomainWords =
    "agreement agreements ban banned bans chain chains commerce control "
    "controls critical curb curbs deal deals demand department duties duty "
    "economic economy export exported exporter exporters exporting exports "
    "import imports industrial industry licence licences license licenses "
    "licensing material materials measure measures metal metals mine miner "
    "mineral minerals miners mines mining minister ministers ministry "
    "output pact partnership policies policy produce produced producer "
    "producers production raw resource resources restriction restrictions "
    "rule rules sanctions sector security sign signed signs strategic "
    "supplier suppliers supplies supply talks tariff tariffs trade trading "
    "united";
// Ordinary nouns and verbs, also when capitalised inside a name ("Entity
// List", "Supreme Court"): weight 1, or 2 when capitalised.
constexpr std::string_view kGenericWords =
    "abroad access act action actions activities activity administration "
    "agree agreed agrees airport allies ally announce announced "
    "announcement announces approval approvals approve approved army "
    "association attack attacks authorities authority bank banks batteries "
    "battery bay bill bloc block blocked blocks board bond bonds boost "
    "boosted bridge budget building campaign cap capacity capital caps car "
    "care cars center central centre chairman chief child children chip "
    "chips city club coal coast commercial commit commits committed "
    "committee concern concerns condition conditions conference conflict "
    "congress contract contracts cooperate cooperation council court courts "
    "created creating crisis cup data decided decision decline declined "
    "decrease defence defense departments develop developed developing "
    "development dialogue director district drop dropped ease eased eases "
    "east eastern effect effects election electric emergency energy "
    "entities entity exchange executive expand expanded expansion extend "
    "extended extends extract extraction factories factory families family "
    "farmer farmers fear fears finance financial fire floor food force "
    "forces forum fund funds future game games gas gold goods growth halt "
    "halted halts health history hospital impact impacts increase increased "
    "index institute interest interests investor investors iron island job "
    "jobs joint judge jump jumped jumps lake launch launched launches law "
    "lawmakers laws leader leaders league legal lift lifted lifts limit "
    "limited limits list loan loans maker makers media meeting member "
    "members money mountain network north northern ocean office offices oil "
    "operation operations opposition order orders parliament parties "
    "partner partners party past pause paused peace permit permits planned "
    "pledge pledged pledges police political politics port ports position "
    "power powers premier pressure prime priorities priority process "
    "processing product products protest protesters protests province "
    "quality ratification ratify reason reasons region regional request "
    "requests requirement requirements research respond response restrict "
    "restricted restricts result results resume resumed review rise risk "
    "risks river road roads role rose safety school science sea secretary "
    "sectors secure senate service services shareholder shareholders "
    "shortage shortages signing site situation slump solution solutions "
    "south southern staff station steel stock stocks storm street strike "
    "strikes student students study summit support supported supports surge "
    "surged surprise survey suspend suspended suspends suspension tax taxes "
    "team technologies technology term terms threat threaten threatened "
    "threatens tool tools town transfer union unions university vehicle "
    "vehicles village voluntary vote voters war warn warned warns water "
    "west western wind winds worker workers worldwide";
// Minerals and metals: weight 3. Not rare in this domain, but which mineral
// is one of the facts of a story.
constexpr std::string_view kMineralWords =
    "alumina aluminium aluminum antimony bauxite beryllium bismuth "
    "cassiterite cobalt coltan copper dysprosium fluorspar gallium "
    "germanium graphite indium iron lead lithium magnesium manganese "
    "molybdenum neodymium nickel niobium palladium platinum polysilicon "
    "silicon spodumene tantalum tellurium terbium tin titanium tungsten "
    "uranium vanadium zinc";

// Places under one canonical term, so that "Dutch", "the Netherlands" and
// "The Hague" agree. China and the US are in most items of this domain and
// weigh less. Multi-word names are in kPlacePairs.
struct PlaceAlias {
  std::string_view canonical;
  bool major;
  std::string_view names;
};
constexpr std::array<PlaceAlias, 14> kPlaces = {{
    {"#cn", true, "china chinese beijing"},
    {"#us", true, "america american americans washington"},
    {"#gb", false, "uk britain british london"},
    {"#fr", false, "france french paris"},
    {"#de", false, "germany german berlin"},
    {"#nl", false, "netherlands dutch hague"},
    {"#jp", false, "japan japanese tokyo"},
    {"#in", false, "india indian delhi"},
    {"#ru", false, "russia russian moscow kremlin"},
    {"#cd", false, "congo congolese kinshasa drc"},
    {"#au", false, "australia australian canberra"},
    {"#ca", false, "canada canadian ottawa"},
    {"#br", false, "brazil brazilian brasilia"},
    {"#eu", false, "eu brussels"},
}};
struct PlacePair {
  std::string_view first, second, canonical;
};
constexpr std::array<PlacePair, 6> kPlacePairs = {{
    {"united", "states", "#us"},
    {"united", "kingdom", "#gb"},
    {"european", "union", "#eu"},
    {"european", "commission", "#eu"},
    {"new", "delhi", "#in"},
    {"democratic", "republic", "#cd"},
}};

constexpr std::array<std::string_view, 12> kMonths = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};
constexpr std::array<std::string_view, 12> kNumberWords = {
    "one", "two", "three", "four", "five", "six",
    "seven", "eight", "nine", "ten", "eleven", "twelve"};

// ---------------------------------------------------------------------------
// Hashing and the lexicon table.
// ---------------------------------------------------------------------------

using internal::Fnv1a;

uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint32_t TermId(std::string_view term) {
  return static_cast<uint32_t>(Mix(Fnv1a(term)) >> 32);
}
// TermId(prefix + term) without building the string.
uint32_t TermId(std::string_view prefix, std::string_view term) {
  return static_cast<uint32_t>(Mix(Fnv1a(term, Fnv1a(prefix))) >> 32);
}

// What the lexicon knows of a word. Masks hold Kind bits: `word` for the
// surface form itself, `stem` for words whose stem this is.
enum Kind : uint8_t {
  kStop = 1,
  kCommon = 2,
  kDomain = 4,
  kGeneric = 8,
  kMineral = 16,
  kPairHead = 32,  // first word of one of kPlacePairs
};
enum Special : uint8_t { kNone, kPlace, kMajorPlace, kMonth, kNumber };

struct LexEntry {
  uint64_t key = 0;  // Fnv1a of the word; 0 marks an empty slot
  uint8_t word = 0;
  uint8_t stem = 0;
  Special special = kNone;
  uint32_t canonical = 0;  // TermId of the place, month or number
};

// Lower-case light stemmer: plural and -ed/-ing endings, a final "e", so that
// "closes", "closed", "closing" and "close" agree. Deliberately crude: both
// sides of a comparison are stemmed alike, so only collisions matter.
std::string_view Stem(std::string_view w) {
  // Compares a short literal suffix by hand: this runs for every word.
  auto ends = [&](std::string_view suf) {
    if (w.size() < suf.size()) return false;
    const char* tail = w.data() + (w.size() - suf.size());
    for (std::size_t k = 0; k < suf.size(); ++k) {
      if (tail[k] != suf[k]) return false;
    }
    return true;
  };
  thread_local std::string buf;  // for "ies" -> "y"
  if (w.size() > 4 && ends("ies")) {
    buf.assign(w.substr(0, w.size() - 3));
    buf.push_back('y');
    w = buf;
  } else if (w.size() > 3 && ends("s") && !ends("ss") && !ends("us") &&
             !ends("is")) {
    w.remove_suffix(1);
  }
  bool cut = false;
  if (w.size() >= 7 && ends("ing")) {
    w.remove_suffix(3);
    cut = true;
  } else if (w.size() >= 6 && ends("ed")) {
    w.remove_suffix(2);
    cut = true;
  }
  if (cut && w.size() >= 4) {
    char last = w.back();
    if (last == w[w.size() - 2] && last >= 'a' && last <= 'z' && last != 'l' &&
        last != 's' && last != 'z') {
      w.remove_suffix(1);
    }
  }
  if (w.size() > 4 && w.back() == 'e') w.remove_suffix(1);
  return w;
}

// Open addressing over Fnv1a keys, built once. A key collision between two
// list words (1 in ~10^16 per pair) would merge their entries: harmless.
class Lexicon {
 public:
  Lexicon() : slots_(kSlots) {
    auto each_word = [](std::string_view list, auto fn) {
      while (!list.empty()) {
        std::size_t sp = list.find(' ');
        std::string_view w = list.substr(0, sp);
        if (!w.empty()) fn(w);
        if (sp == std::string_view::npos) break;
        list.remove_prefix(sp + 1);
      }
    };
    auto add_kind = [&](std::string_view list, uint8_t kind, bool stems) {
      each_word(list, [&](std::string_view w) {
        Slot(w).word |= kind;
        if (stems) Slot(Stem(w)).stem |= kind;
      });
    };
    add_kind(kStopwords, kStop, false);
    add_kind(kCommonWords, kCommon, true);
    add_kind(kDomainWords, kDomain, true);
    add_kind(kGenericWords, kGeneric, true);
    add_kind(kMineralWords, kMineral, false);
    for (const PlaceAlias& p : kPlaces) {
      uint32_t id = TermId(p.canonical);
      each_word(p.names, [&](std::string_view w) {
        LexEntry& e = Slot(w);
        e.special = p.major ? kMajorPlace : kPlace;
        e.canonical = id;
      });
    }
    for (const PlacePair& p : kPlacePairs) Slot(p.first).word |= kPairHead;
    for (std::size_t i = 0; i < kMonths.size(); ++i) {
      uint32_t id = TermId(std::string("#m") + std::string(kMonths[i]));
      LexEntry& full = Slot(kMonths[i]);
      full.special = kMonth;
      full.canonical = id;
      // "Sept." and the three-letter abbreviations.
      LexEntry& abbr = Slot(kMonths[i].substr(0, 3));
      abbr.special = kMonth;
      abbr.canonical = id;
    }
    LexEntry& sept = Slot("sept");
    sept.special = kMonth;
    sept.canonical = TermId("#mseptember");
    for (std::size_t i = 0; i < kNumberWords.size(); ++i) {
      LexEntry& e = Slot(kNumberWords[i]);
      e.special = kNumber;
      e.canonical = TermId("#n" + std::to_string(i + 1));
    }
    LexEntry& dozen = Slot("dozen");
    dozen.special = kNumber;
    dozen.canonical = TermId("#n12");
  }

  // The entry for `w`, or an empty one.
  const LexEntry& Find(std::string_view w) const { return FindHash(Fnv1a(w)); }
  // The same, given Fnv1a(w).
  const LexEntry& FindHash(uint64_t fnv) const {
    static const LexEntry kEmpty;
    uint64_t key = fnv | 1;
    for (std::size_t i = key & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
      if (slots_[i].key == key) return slots_[i];
      if (slots_[i].key == 0) return kEmpty;
    }
  }

 private:
  // Power of two, well above twice the ~2,000 words and stems.
  static constexpr std::size_t kSlots = 8192;

  static uint64_t Key(std::string_view w) { return Fnv1a(w) | 1; }

  LexEntry& Slot(std::string_view w) {
    uint64_t key = Key(w);
    for (std::size_t i = key & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
      if (slots_[i].key == key) return slots_[i];
      if (slots_[i].key == 0) {
        slots_[i].key = key;
        return slots_[i];
      }
    }
  }

  std::vector<LexEntry> slots_;
};

const Lexicon& TheLexicon() {
  static const Lexicon* const kLexicon = new Lexicon();  // never destroyed
  return *kLexicon;
}

// ---------------------------------------------------------------------------
// Tokens.
// ---------------------------------------------------------------------------

struct Token {
  uint32_t begin = 0;  // into Tokens::text, lower-cased
  uint32_t size = 0;
  bool initial = false;      // first word of a sentence or field
  bool first_upper = false;  // as written
  bool all_upper = false;    // two or more letters, all capitals ("HBM")
  bool title = false;        // from the title
};

struct Tokens {
  std::string text;
  std::vector<Token> tokens;
  std::string_view Word(const Token& t) const {
    return std::string_view(text).substr(t.begin, t.size);
  }
};

bool IsAsciiAlpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsUpper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
char Lower(unsigned char c) {
  return static_cast<char>(IsUpper(c) ? c + ('a' - 'A') : c);
}

// Punctuation spelled in UTF-8 that must not glue to a word: returns its
// length, or 0. Curly quotes and apostrophes, dashes, the ellipsis and the
// no-break space.
std::size_t Utf8Punct(std::string_view s, std::size_t i, bool* apostrophe,
                      bool* quote) {
  *apostrophe = *quote = false;
  auto b = [&](std::size_t k) {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
  };
  if (b(0) == 0xC2 && b(1) == 0xA0) return 2;
  if (b(0) == 0xE2 && b(1) == 0x80) {
    unsigned c = b(2);
    if (c == 0x98 || c == 0x99) {
      *apostrophe = true;
      return 3;
    }
    if (c == 0x9C || c == 0x9D) {
      *quote = true;
      return 3;
    }
    if ((c >= 0x90 && c <= 0x95) || c == 0xA6) return 3;
  }
  return 0;
}

inline bool IsWordByte(std::string_view s, std::size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return IsAsciiAlpha(c) || IsDigit(c);
  bool apostrophe, quote;
  return Utf8Punct(s, i, &apostrophe, &quote) == 0;
}

// Drops an outlet's name appended to a title: "Congo halts cobalt exports -
// Reuters", "... | Mining.com". Only a short tail after a spaced separator,
// and only when a real title remains.
std::string_view StripOutletSuffix(std::string_view title) {
  static constexpr std::array<std::string_view, 4> kSeparators = {
      " - ", " | ", " \xE2\x80\x93 ", " \xE2\x80\x94 "};
  std::size_t best = std::string_view::npos;
  std::size_t sep_len = 0;
  for (std::string_view sep : kSeparators) {
    std::size_t at = title.rfind(sep);
    if (at != std::string_view::npos &&
        (best == std::string_view::npos || at > best)) {
      best = at;
      sep_len = sep.size();
    }
  }
  if (best == std::string_view::npos) return title;
  std::string_view tail = title.substr(best + sep_len);
  std::string_view head = title.substr(0, best);
  auto words = [](std::string_view s) {
    std::size_t n = 0;
    bool in = false;
    for (char c : s) {
      bool space = c == ' ';
      if (!space && !in) ++n;
      in = !space;
    }
    return n;
  };
  if (words(tail) == 0 || words(tail) > 4 || words(head) < 3) return title;
  return head;
}

void Tokenise(std::string_view s, bool title, Tokens* out) {
  // The lower-cased words never outgrow the input: write them in place.
  std::size_t used = out->text.size();
  out->text.resize(used + s.size());
  char* const text = out->text.data();
  auto put = [&](char c) { text[used++] = c; };
  bool initial = true;
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool apostrophe = false, quote = false;
    std::size_t punct = c >= 0x80 ? Utf8Punct(s, i, &apostrophe, &quote) : 0;
    if (c == '\'') apostrophe = true;
    if (apostrophe) {
      std::size_t len = punct ? punct : 1;
      // Possessive "'s": drop it, the word before stays as it is.
      if (i + len < n && (s[i + len] == 's' || s[i + len] == 'S') &&
          (i + len + 1 >= n || !IsWordByte(s, i + len + 1))) {
        i += len + 1;
      } else {
        i += len;
      }
      continue;
    }
    if (punct) {
      if (quote) initial = true;
      i += punct;
      continue;
    }
    if (c < 0x80 && !IsAsciiAlpha(c) && !IsDigit(c)) {
      if (c == '.' || c == '!' || c == '?' || c == ':' || c == ';' ||
          c == '"') {
        initial = true;
      }
      ++i;
      continue;
    }
    Token t;
    t.begin = static_cast<uint32_t>(used);
    t.initial = initial;
    t.title = title;
    t.first_upper = IsUpper(c);
    initial = false;
    std::size_t j = i;
    bool lower_seen = false;
    std::size_t letters = 0;
    // Abbreviations spelled with dots: "U.S.", "U.K." become "us", "uk".
    if (IsAsciiAlpha(c) && i + 2 < n && s[i + 1] == '.' &&
        IsAsciiAlpha(static_cast<unsigned char>(s[i + 2])) &&
        (i + 3 >= n || !IsWordByte(s, i + 3))) {
      while (j + 1 < n && IsAsciiAlpha(static_cast<unsigned char>(s[j])) &&
             s[j + 1] == '.' &&
             (j + 2 >= n || !IsWordByte(s, j + 2) ||
              (IsAsciiAlpha(static_cast<unsigned char>(s[j + 2])) &&
               (j + 3 >= n || !IsWordByte(s, j + 3))))) {
        unsigned char l = static_cast<unsigned char>(s[j]);
        lower_seen |= !IsUpper(l);
        ++letters;
        put(Lower(l));
        j += 2;  // the letter and its dot: the dot ends no sentence
      }
      if (j < n && IsAsciiAlpha(static_cast<unsigned char>(s[j])) &&
          (j + 1 >= n || !IsWordByte(s, j + 1))) {
        unsigned char l = static_cast<unsigned char>(s[j]);
        lower_seen |= !IsUpper(l);
        ++letters;
        put(Lower(l));
        ++j;  // "U.S" without its last dot
      }
    } else {
      while (j < n) {
        unsigned char d = static_cast<unsigned char>(s[j]);
        if (IsWordByte(s, j)) {
          if (IsAsciiAlpha(d)) {
            ++letters;
            lower_seen |= !IsUpper(d);
          }
          put(Lower(d));
          ++j;
          continue;
        }
        // "1.5", "350,000": digits on both sides keep the number whole;
        // the thousands separator is dropped.
        if ((d == '.' || d == ',') && j > i && j + 1 < n &&
            IsDigit(static_cast<unsigned char>(s[j - 1])) &&
            IsDigit(static_cast<unsigned char>(s[j + 1]))) {
          if (d == '.') put('.');
          ++j;
          continue;
        }
        break;
      }
    }
    t.all_upper = letters >= 2 && !lower_seen;
    t.size = static_cast<uint32_t>(used - t.begin);
    out->tokens.push_back(t);
    i = j;
  }
  out->text.resize(used);
}

// A title in Title Case (or all capitals) says nothing about which words are
// names: most of its words are capitalised.
bool CasingIsUninformative(const Tokens& toks,
                           const std::vector<const LexEntry*>& entries,
                           std::size_t from, std::size_t to) {
  std::size_t words = 0, caps = 0, lower = 0;
  for (std::size_t k = from; k < to; ++k) {
    const Token& t = toks.tokens[k];
    std::string_view w = toks.Word(t);
    if (w.empty() || IsDigit(static_cast<unsigned char>(w[0]))) continue;
    if (!t.all_upper) ++lower;
    if (entries[k]->word & kStop) continue;
    ++words;
    if (t.first_upper) ++caps;
  }
  if (words > 0 && lower == 0) return true;
  return words >= 3 && caps * 10 >= words * 7;
}

// ---------------------------------------------------------------------------
// Terms.
// ---------------------------------------------------------------------------

struct Candidate {
  uint32_t term;
  uint8_t weight;
  uint8_t cap;     // the most repetition may raise it to
  uint16_t order;  // first occurrence
};

class TermSet {
 public:
  // A term seen again weighs one more than the heavier of its sightings, up
  // to `cap`: a story's own subject is the word it repeats.
  void Add(uint32_t term, uint8_t weight, uint8_t cap = kStoryMaxTermWeight) {
    for (Candidate& c : items_) {
      if (c.term == term) {
        uint8_t raised = static_cast<uint8_t>(std::max<int>(c.weight, weight + 1));
        c.weight = std::min(raised, cap);
        return;
      }
    }
    items_.push_back(
        Candidate{term, weight, cap, static_cast<uint16_t>(items_.size())});
  }
  std::vector<Candidate>& items() { return items_; }
  void Clear() { items_.clear(); }

 private:
  std::vector<Candidate> items_;
};

struct Scratch {
  Tokens toks;
  std::vector<const LexEntry*> entries;
  std::vector<uint64_t> hashes;
  TermSet terms;
  void Clear() {
    toks.text.clear();
    toks.tokens.clear();
    entries.clear();
    hashes.clear();
    terms.Clear();
  }
};

bool IsYear(std::string_view w) {
  return w.size() == 4 && (w.substr(0, 2) == "19" || w.substr(0, 2) == "20") &&
         std::all_of(w.begin(), w.end(),
                     [](char c) { return IsDigit(static_cast<unsigned char>(c)); });
}

void AddNumber(std::string_view w, TermSet* terms) {
  bool plain = std::all_of(w.begin(), w.end(), [](char c) {
    return IsDigit(static_cast<unsigned char>(c)) || c == '.';
  });
  if (!plain) {  // "hbm2e", "3d", "u3o8"
    terms->Add(TermId(w), 3);
    return;
  }
  // A year dates a story loosely; a single digit is everywhere; a figure
  // such as 140 entities or 18,125 tonnes is nearly a fingerprint.
  uint8_t weight = IsYear(w) ? 3 : (w.size() == 1 ? 2 : 4);
  terms->Add(TermId("#n", w), weight);
}

}  // namespace

StorySignature ComputeStorySignature(std::string_view title,
                                     std::string_view summary) {
  const Lexicon& lex = TheLexicon();
  // Scratch space reused across calls on one thread: this runs for every
  // article, and the allocations cost as much as the work.
  thread_local Scratch scratch;
  scratch.Clear();
  Tokens& toks = scratch.toks;
  toks.text.reserve(title.size() + summary.size());  // no reallocation
  Tokenise(StripOutletSuffix(title), true, &toks);
  const std::size_t title_end = toks.tokens.size();
  Tokenise(summary, false, &toks);
  std::vector<const LexEntry*>& entries = scratch.entries;
  std::vector<uint64_t>& hashes = scratch.hashes;
  for (const Token& t : toks.tokens) {
    hashes.push_back(Fnv1a(toks.Word(t)));
    entries.push_back(&lex.FindHash(hashes.back()));
  }
  const bool ignore_title_case =
      CasingIsUninformative(toks, entries, 0, title_end);
  const bool ignore_summary_case =
      CasingIsUninformative(toks, entries, title_end, toks.tokens.size());
  static const uint32_t kUsTerm = TermId("#us");

  TermSet& terms = scratch.terms;
  const std::size_t count = toks.tokens.size();
  for (std::size_t k = 0; k < count; ++k) {
    const Token& t = toks.tokens[k];
    std::string_view w = toks.Word(t);
    if (w.empty()) continue;
    const bool ignore_case = t.title ? ignore_title_case : ignore_summary_case;
    // A capitalised word inside a sentence is a name; so is an acronym.
    const bool cap =
        !ignore_case && ((t.first_upper && !t.initial) || t.all_upper);

    const LexEntry& e = *entries[k];
    if ((e.word & kPairHead) && k + 1 < count &&
        toks.tokens[k + 1].title == t.title) {
      std::string_view next = toks.Word(toks.tokens[k + 1]);
      bool paired = false;
      for (const PlacePair& p : kPlacePairs) {
        if (w == p.first && next == p.second) {
          bool major = p.canonical == "#us";
          terms.Add(TermId(p.canonical), major ? 1 : 2, major ? 2 : 3);
          paired = true;
          break;
        }
      }
      if (paired) {
        ++k;
        continue;
      }
    }
    if (IsDigit(static_cast<unsigned char>(w[0]))) {
      AddNumber(w, &terms);
      continue;
    }
    switch (e.special) {
      case kNumber:
        terms.Add(e.canonical, 2);
        continue;
      case kMonth:
        // "may", "march" and "jan" are words too; a month is written
        // with a capital.
        if (t.first_upper) {
          terms.Add(e.canonical, 2);
          continue;
        }
        break;
      case kPlace:
        terms.Add(e.canonical, 2, 3);
        continue;
      case kMajorPlace:
        terms.Add(e.canonical, 1, 2);
        continue;
      case kNone:
        break;
    }
    if (w == "us") {
      // "US" is the country, "us" a pronoun.
      if (t.all_upper) terms.Add(kUsTerm, 1, 2);
      continue;
    }
    if (e.word & kStop) continue;
    std::string_view stem = Stem(w);
    // Most words are their own stem: reuse the hash and the entry.
    const bool same = stem.data() == w.data() && stem.size() == w.size();
    const uint64_t stem_hash = same ? hashes[k] : Fnv1a(stem);
    const LexEntry& stem_entry = same ? e : lex.FindHash(stem_hash);
    const uint8_t kinds = static_cast<uint8_t>(e.word | stem_entry.stem);
    if (kinds & kCommon) continue;
    const uint32_t id = static_cast<uint32_t>(Mix(stem_hash) >> 32);
    if (kinds & kDomain) {
      terms.Add(id, 1, 2);
    } else if (kinds & kGeneric) {
      terms.Add(id, cap ? 2 : 1, 3);
    } else if (e.word & kMineral) {
      terms.Add(id, 3);
    } else {
      // Long words are rarer; names rarer still.
      terms.Add(id, cap ? 4 : (w.size() >= 7 ? 3 : 2));
    }
  }

  std::vector<Candidate>& items = terms.items();
  std::sort(items.begin(), items.end(),
            [](const Candidate& a, const Candidate& b) {
              return a.weight != b.weight ? a.weight > b.weight
                                          : a.order < b.order;
            });
  if (items.size() > kStorySignatureMaxTerms) {
    items.resize(kStorySignatureMaxTerms);
  }
  std::sort(items.begin(), items.end(),
            [](const Candidate& a, const Candidate& b) {
              return a.term < b.term;
            });
  StorySignature sig;
  sig.terms.reserve(items.size());
  sig.weights.reserve(items.size());
  for (const Candidate& c : items) {
    sig.terms.push_back(c.term);
    sig.weights.push_back(c.weight);
  }
  return sig;
}

double StorySimilarity(const StorySignature& a, const StorySignature& b) {
  return StorySimilarity(StoryTerms(a), StoryTerms(b));
}

double StorySimilarity(StoryTerms a, StoryTerms b) {
  // Two reworded reports of one event share a handful of names and figures
  // and little else, so the score is the weight they share against a capped
  // total: 15 shared points between two long reports count as much as all of
  // a short one's.
  constexpr int kWeightCap = 30;
  constexpr int kMinSharedWeight = 6;
  constexpr std::size_t kMinShared = 3;
  const std::size_t na = a.size;
  const std::size_t nb = b.size;
  if (na == 0 || nb == 0) return 0.0;
  int total_a = 0, total_b = 0, shared_weight = 0;
  std::size_t shared = 0;
  for (std::size_t k = 0; k < na; ++k) total_a += a.weights[k];
  for (std::size_t k = 0; k < nb; ++k) total_b += b.weights[k];
  for (std::size_t i = 0, j = 0; i < na && j < nb;) {
    if (a.terms[i] < b.terms[j]) {
      ++i;
    } else if (b.terms[j] < a.terms[i]) {
      ++j;
    } else {
      shared_weight += std::min(a.weights[i], b.weights[j]);
      ++shared;
      ++i;
      ++j;
    }
  }
  // Unless the two have the same terms (a copy of a short title), a match
  // needs several shared terms and more shared weight than a few ordinary
  // words can make ("government plan to support industry"). Containment is
  // not enough: a one-word title would match every article using the word.
  const bool same_terms = shared == na && shared == nb;
  if (!same_terms && (shared < kMinShared || shared_weight < kMinSharedWeight)) {
    return 0.0;
  }
  const int denom = std::min({total_a, total_b, kWeightCap});
  if (denom <= 0) return 0.0;
  return std::min(1.0, static_cast<double>(shared_weight) / denom);
}

std::vector<uint32_t> StoryIndexTerms(const StorySignature& sig) {
  const std::size_t n = std::min(sig.terms.size(), sig.weights.size());
  std::vector<std::pair<int, uint32_t>> ranked;
  ranked.reserve(n);
  for (std::size_t k = 0; k < n; ++k) {
    ranked.emplace_back(-static_cast<int>(sig.weights[k]), sig.terms[k]);
  }
  std::sort(ranked.begin(), ranked.end());
  if (ranked.size() > kStoryIndexTermCount) ranked.resize(kStoryIndexTermCount);
  std::vector<uint32_t> out;
  out.reserve(ranked.size());
  for (const auto& r : ranked) out.push_back(r.second);
  std::sort(out.begin(), out.end());
  return out;
}

namespace {
constexpr unsigned char kEncodingVersion = 1;
}  // namespace

std::string EncodeStorySignature(const StorySignature& sig) {
  const std::size_t n = std::min(
      {sig.terms.size(), sig.weights.size(), kStorySignatureMaxTerms});
  std::string out;
  out.reserve(2 + 5 * n);
  out.push_back(static_cast<char>(kEncodingVersion));
  out.push_back(static_cast<char>(n));
  for (std::size_t k = 0; k < n; ++k) {
    uint32_t t = sig.terms[k];
    for (int shift = 0; shift < 32; shift += 8) {
      out.push_back(static_cast<char>((t >> shift) & 0xFF));
    }
    out.push_back(static_cast<char>(sig.weights[k]));
  }
  return out;
}

std::optional<StorySignature> DecodeStorySignature(std::string_view bytes) {
  auto byte = [&](std::size_t k) {
    return static_cast<unsigned char>(bytes[k]);
  };
  if (bytes.size() < 2 || byte(0) != kEncodingVersion) return std::nullopt;
  const std::size_t n = byte(1);
  if (n > kStorySignatureMaxTerms || bytes.size() != 2 + 5 * n) {
    return std::nullopt;
  }
  StorySignature sig;
  sig.terms.reserve(n);
  sig.weights.reserve(n);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t at = 2 + 5 * k;
    uint32_t t = 0;
    for (std::size_t b = 0; b < 4; ++b) {
      t |= static_cast<uint32_t>(byte(at + b)) << (8 * b);
    }
    const unsigned char w = byte(at + 4);
    if (w == 0 || w > kStoryMaxTermWeight) return std::nullopt;
    if (!sig.terms.empty() && t <= sig.terms.back()) return std::nullopt;
    sig.terms.push_back(t);
    sig.weights.push_back(w);
  }
  return sig;
}

}  // namespace assay::parsers
