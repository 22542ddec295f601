#include "parsers/date.h"

#include <array>
#include <chrono>
#include <string>
#include <vector>

namespace assay::parsers {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_days;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
bool IsAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

int ToInt(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// A broken-down time with its zone offset; Build() validates it.
struct Parts {
  int year = -1, month = -1, day = -1;
  int hour = 0, minute = 0, second = 0;
  int offset_minutes = 0;  // local = UTC + offset
};

std::optional<UnixSeconds> Build(const Parts& p) {
  if (p.year < 0 || p.year > 9999 || p.month < 1 || p.month > 12 ||
      p.day < 1) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year(p.year),
                                  std::chrono::month(static_cast<unsigned>(p.month)),
                                  std::chrono::day(static_cast<unsigned>(p.day))};
  if (!ymd.ok()) return std::nullopt;
  // 24:00:00 is the end of the day; a leap second is clamped.
  if (p.hour < 0 || p.minute < 0 || p.minute > 59 || p.second < 0 ||
      p.second > 60) {
    return std::nullopt;
  }
  if (p.hour > 24 || (p.hour == 24 && (p.minute != 0 || p.second != 0))) {
    return std::nullopt;
  }
  int sec = p.second == 60 ? 59 : p.second;
  UnixSeconds t = sys_days(ymd) + hours(p.hour) + minutes(p.minute) + seconds(sec);
  return t - minutes(p.offset_minutes);
}

// ---------------------------------------------------------------------------
// Zones

struct Zone {
  std::string_view name;
  int minutes;
};
constexpr Zone kZones[] = {
    {"ut", 0},        {"utc", 0},       {"gmt", 0},     {"z", 0},
    {"wet", 0},       {"west", 60},     {"bst", 60},    {"cet", 60},
    {"cest", 120},    {"met", 60},      {"mest", 120},  {"mez", 60},
    {"mesz", 120},    {"eet", 120},     {"eest", 180},  {"msk", 180},
    {"ist", 330},     {"sgt", 480},     {"hkt", 480},   {"awst", 480},
    {"jst", 540},     {"kst", 540},     {"acst", 570},  {"aest", 600},
    {"aedt", 660},    {"nzst", 720},    {"nzdt", 780},  {"est", -300},
    {"edt", -240},    {"cst", -360},    {"cdt", -300},  {"mst", -420},
    {"mdt", -360},    {"pst", -480},    {"pdt", -420},  {"ast", -240},
    {"adt", -180},    {"at", -240},     {"et", -300},   {"ct", -360},
    {"mt", -420},     {"pt", -480},     {"akst", -540}, {"akdt", -480},
    {"hst", -600},    {"nst", -210},    {"ndt", -150},
};

std::optional<int> NamedZone(std::string_view lower) {
  for (const Zone& z : kZones) {
    if (z.name == lower) return z.minutes;
  }
  // Military zones: A..I = +1..+9, K..M = +10..+12, N..Y = -1..-12.
  if (lower.size() == 1 && lower[0] >= 'a' && lower[0] <= 'y' && lower[0] != 'j') {
    char c = lower[0];
    if (c <= 'i') return (c - 'a' + 1) * 60;
    if (c <= 'm') return (c - 'k' + 10) * 60;
    return -(c - 'n' + 1) * 60;
  }
  return std::nullopt;
}

// "+0200", "-05:00", "+05", "+5".
std::optional<int> NumericZone(std::string_view s) {
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  int sign = s[0] == '-' ? -1 : 1;
  std::string_view r = s.substr(1);
  int h = 0, m = 0;
  if (r.size() == 5 && r[2] == ':' && AllDigits(r.substr(0, 2)) &&
      AllDigits(r.substr(3))) {
    h = ToInt(r.substr(0, 2));
    m = ToInt(r.substr(3));
  } else if (r.size() == 4 && AllDigits(r)) {
    h = ToInt(r.substr(0, 2));
    m = ToInt(r.substr(2));
  } else if ((r.size() == 1 || r.size() == 2) && AllDigits(r)) {
    h = ToInt(r);
  } else {
    return std::nullopt;
  }
  if (h > 23 || m > 59) return std::nullopt;
  return sign * (h * 60 + m);
}

std::optional<int> AnyZone(std::string_view token) {
  std::string l = Lower(token);
  std::string_view v = l;
  if (v.starts_with("etc/")) v.remove_prefix(4);
  if (auto z = NumericZone(v)) return z;
  if (auto z = NamedZone(v)) return z;
  // "GMT+2", "UTC-01:01".
  for (std::string_view base : {"gmt", "utc", "ut"}) {
    if (v.starts_with(base) && v.size() > base.size()) {
      if (auto z = NumericZone(v.substr(base.size()))) return z;
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Names

struct Name {
  std::string_view text;  // lower case (ASCII) or as written (Greek)
  int value;
};
constexpr Name kMonths[] = {
    {"jan", 1}, {"feb", 2}, {"mar", 3}, {"apr", 4}, {"may", 5}, {"jun", 6},
    {"jul", 7}, {"aug", 8}, {"sep", 9}, {"oct", 10}, {"nov", 11}, {"dec", 12},
    // Greek abbreviations seen in feeds.
    {"Ιαν", 1}, {"Φεβ", 2}, {"Μάώ", 3}, {"Μαώ", 3}, {"Μάρ", 3}, {"Μαρ", 3},
    {"Απρ", 4}, {"Μάι", 5}, {"Μαϊ", 5}, {"Μαι", 5}, {"Ιούν", 6}, {"Ιον", 6},
    {"Ιούλ", 7}, {"Ιολ", 7}, {"Αύγ", 8}, {"Αυγ", 8}, {"Σεπ", 9}, {"Οκτ", 10},
    {"Νοέ", 11}, {"Νοε", 11}, {"Δεκ", 12}};
constexpr std::string_view kWeekdays[] = {
    "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    "Κυρ", "Δευ", "Τρι", "Τετ", "Πεμ", "Παρ", "Σαβ"};

std::optional<int> MonthName(std::string_view token) {
  std::string l = Lower(token);
  if (!l.empty() && IsAsciiAlpha(l[0])) {
    // "Jan", "January", "Sept".
    static constexpr std::string_view kFull[] = {
        "january", "february", "march", "april", "may", "june", "july",
        "august", "september", "october", "november", "december"};
    if (l.size() < 3) return std::nullopt;
    for (int i = 0; i < 12; ++i) {
      if (kFull[i].starts_with(l) || (l == "sept" && i == 8)) return i + 1;
    }
    return std::nullopt;
  }
  for (const Name& n : kMonths) {
    if (n.text == token) return n.value;
  }
  return std::nullopt;
}

bool IsWeekday(std::string_view token) {
  std::string l = Lower(token);
  if (l.size() >= 3 && IsAsciiAlpha(l[0])) {
    static constexpr std::string_view kFull[] = {
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
        "sunday"};
    for (std::string_view f : kFull) {
      if (f.starts_with(l)) return true;
    }
    return l == "tues" || l == "thur" || l == "thurs";
  }
  for (std::string_view w : kWeekdays) {
    if (w == token) return true;
  }
  return false;
}

// "HH:MM", "HH:MM:SS", "HH:MM:SS.fff".
bool ParseClock(std::string_view s, Parts* p) {
  size_t dot = s.find('.');
  if (dot != std::string_view::npos) {
    if (!AllDigits(s.substr(dot + 1))) return false;
    s = s.substr(0, dot);
  }
  std::vector<std::string_view> f;
  size_t start = 0;
  while (true) {
    size_t c = s.find(':', start);
    f.push_back(s.substr(start, c == std::string_view::npos ? c : c - start));
    if (c == std::string_view::npos) break;
    start = c + 1;
  }
  if (f.size() < 2 || f.size() > 3) return false;
  for (std::string_view x : f) {
    if (!AllDigits(x) || x.size() > 2) return false;
  }
  p->hour = ToInt(f[0]);
  p->minute = ToInt(f[1]);
  p->second = f.size() == 3 ? ToInt(f[2]) : 0;
  return true;
}

int ExpandYear(std::string_view digits) {
  int y = ToInt(digits);
  if (digits.size() == 2) y += y < 50 ? 2000 : 1900;
  return y;
}

// ---------------------------------------------------------------------------
// RFC 822 and its relatives, read as a bag of tokens: weekday, day, month
// name, year, clock, zone in (almost) any order. Covers RFC 822/1123/2822,
// asctime ("Sun Jan  4 16:29:06 2004"), JavaScript's Date.toString and
// Twitter's "Sun Jul 15 01:16:00 +0000 2012".
std::optional<UnixSeconds> ParseTokens(std::string_view text) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (IsSpace(text[i]) || text[i] == ',')) ++i;
    size_t b = i;
    while (i < text.size() && !IsSpace(text[i]) && text[i] != ',') ++i;
    if (i > b) tokens.push_back(text.substr(b, i - b));
  }
  Parts p;
  bool have_clock = false, have_zone = false;
  int meridiem = 0;  // +1 p.m., -1 a.m.
  for (size_t k = 0; k < tokens.size(); ++k) {
    std::string_view t = tokens[k];
    // A trailing comment, as in "+0000 (UTC)".
    if (t.front() == '(' && have_clock) break;
    if (have_clock && meridiem == 0) {
      std::string l = Lower(t);
      if (l == "am" || l == "a.m.") {
        meridiem = -1;
        continue;
      }
      if (l == "pm" || l == "p.m.") {
        meridiem = 1;
        continue;
      }
    }
    if (AllDigits(t)) {
      if (t.size() <= 2 && p.day < 0) {
        p.day = ToInt(t);
      } else if ((t.size() == 4 || t.size() == 2) && p.year < 0) {
        p.year = ExpandYear(t);
      } else {
        return std::nullopt;
      }
      continue;
    }
    if (IsDigit(t[0]) && t.find(':') != std::string_view::npos && !have_clock) {
      // A zone may be glued to the clock: "11:47:32+0000", "10:00Z".
      size_t z = t.find_first_of("+-Zz", 1);
      std::string_view clock = t.substr(0, z);
      if (!ParseClock(clock, &p)) return std::nullopt;
      have_clock = true;
      if (z != std::string_view::npos) {
        auto off = AnyZone(t.substr(z));
        if (!off) return std::nullopt;
        p.offset_minutes = *off;
        have_zone = true;
      }
      continue;
    }
    if (auto m = MonthName(t); m && p.month < 0) {
      p.month = *m;
      continue;
    }
    if (IsWeekday(t) && !have_clock) continue;
    if (!have_zone) {
      if (auto off = AnyZone(t)) {
        p.offset_minutes = *off;
        have_zone = true;
        continue;
      }
    }
    return std::nullopt;
  }
  if (p.year < 0 || p.month < 0 || p.day < 0) return std::nullopt;
  if (meridiem != 0) {
    if (p.hour < 1 || p.hour > 12) return std::nullopt;
    if (meridiem > 0 && p.hour != 12) p.hour += 12;
    if (meridiem < 0 && p.hour == 12) p.hour = 0;
  }
  return Build(p);
}

// ---------------------------------------------------------------------------
// ISO 8601 / W3C-DTF.

// The "shape" of a string: digits as 'd', everything else as itself.
std::string Shape(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (IsDigit(c)) c = 'd';
  }
  return out;
}

bool SetOrdinal(int year, int ordinal, Parts* p) {
  if (ordinal < 1 || ordinal > 366) return false;
  sys_days d = sys_days(std::chrono::year(year) / 1 / 1) + days(ordinal - 1);
  std::chrono::year_month_day ymd(d);
  if (static_cast<int>(ymd.year()) != year) return false;
  p->year = year;
  p->month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  p->day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  return true;
}

bool SetWeek(int year, int week, int weekday, Parts* p) {
  if (week < 1 || week > 53 || weekday < 1 || weekday > 7) return false;
  sys_days jan4 = sys_days(std::chrono::year(year) / 1 / 4);
  unsigned iso_wd = std::chrono::weekday(jan4).iso_encoding();  // Mon = 1
  sys_days week1 = jan4 - days(iso_wd - 1);
  sys_days d = week1 + days((week - 1) * 7 + (weekday - 1));
  std::chrono::year_month_day ymd(d);
  p->year = static_cast<int>(ymd.year());
  p->month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  p->day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  return true;
}

bool ParseIsoDatePart(std::string_view s, Parts* p) {
  std::string sh = Shape(s);
  auto num = [&](size_t pos, size_t len) { return ToInt(s.substr(pos, len)); };
  if (sh == "dddd-dd-dd") {
    p->year = num(0, 4), p->month = num(5, 2), p->day = num(8, 2);
  } else if (sh == "dddd-ddd-dd" && s[5] == '0') {  // "2003-012-31"
    p->year = num(0, 4), p->month = num(5, 3), p->day = num(9, 2);
  } else if (sh == "dddddddd") {
    p->year = num(0, 4), p->month = num(4, 2), p->day = num(6, 2);
  } else if (sh == "dddd-dd") {
    p->year = num(0, 4), p->month = num(5, 2), p->day = 1;
  } else if (sh == "dddd") {
    p->year = num(0, 4), p->month = 1, p->day = 1;
  } else if (sh == "dddd-ddd") {
    return SetOrdinal(num(0, 4), num(5, 3), p);
  } else if (sh == "ddddddd") {
    return SetOrdinal(num(0, 4), num(4, 3), p);
  } else if (sh == "dddd-Wdd" || sh == "ddddWdd") {
    return SetWeek(num(0, 4), num(sh.size() - 2, 2), 1, p);
  } else if (sh == "dddd-Wdd-d") {
    return SetWeek(num(0, 4), num(6, 2), num(9, 1), p);
  } else if (sh == "ddddWddd") {
    return SetWeek(num(0, 4), num(5, 2), num(7, 1), p);
  } else if (sh == "dd-dd-dd") {
    p->year = ExpandYear(s.substr(0, 2)), p->month = num(3, 2), p->day = num(6, 2);
  } else if (sh == "dddddd") {
    p->year = ExpandYear(s.substr(0, 2)), p->month = num(2, 2), p->day = num(4, 2);
  } else if (sh == "dd-ddd" || sh == "ddddd") {
    return SetOrdinal(ExpandYear(s.substr(0, 2)), num(sh.size() - 3, 3), p);
  } else if (sh == "-dd-dd" || sh == "-dddd") {
    p->year = ExpandYear(s.substr(1, 2));
    p->month = num(sh.size() - 2, 2);
    p->day = 1;
  } else {
    return false;
  }
  return true;
}

bool ParseIsoTimePart(std::string_view s, Parts* p) {
  // Zone suffix.
  size_t z = s.find_first_of("Zz+-");
  if (z != std::string_view::npos) {
    std::string_view zone = s.substr(z);
    if (zone == "Z" || zone == "z") {
      p->offset_minutes = 0;
    } else if (auto off = NumericZone(zone)) {
      p->offset_minutes = *off;
    } else {
      return false;
    }
    s = s.substr(0, z);
  } else if (size_t sp = s.find(' '); sp != std::string_view::npos) {
    // "10:14:55 GMT"
    auto off = AnyZone(s.substr(sp + 1));
    if (!off) return false;
    p->offset_minutes = *off;
    s = s.substr(0, sp);
  }
  if (s.find(':') != std::string_view::npos) return ParseClock(s, p);
  size_t dot = s.find_first_of(".,");
  if (dot != std::string_view::npos) {
    if (!AllDigits(s.substr(dot + 1))) return false;
    s = s.substr(0, dot);
  }
  if (!AllDigits(s) || (s.size() != 2 && s.size() != 4 && s.size() != 6)) {
    return false;
  }
  p->hour = ToInt(s.substr(0, 2));
  p->minute = s.size() >= 4 ? ToInt(s.substr(2, 2)) : 0;
  p->second = s.size() == 6 ? ToInt(s.substr(4, 2)) : 0;
  return true;
}

std::optional<UnixSeconds> ParseIso(std::string_view s) {
  size_t t = s.find_first_of("Tt ");
  Parts p;
  if (!ParseIsoDatePart(s.substr(0, t), &p)) return std::nullopt;
  if (t != std::string_view::npos) {
    std::string_view rest = s.substr(t + 1);
    while (!rest.empty() && IsSpace(rest.front())) rest.remove_prefix(1);
    if (!rest.empty() && !ParseIsoTimePart(rest, &p)) return std::nullopt;
  }
  return Build(p);
}

// Korean feeds: "2004-05-25 오후 11:23:17" (오전 = a.m., 오후 = p.m.), in
// Korean Standard Time unless a zone is given.
std::optional<UnixSeconds> ParseKorean(std::string_view s) {
  constexpr std::string_view kAm = "오전", kPm = "오후";
  size_t am = s.find(kAm), pm = s.find(kPm);
  bool is_pm = pm != std::string_view::npos;
  size_t pos = is_pm ? pm : am;
  if (pos == std::string_view::npos) return std::nullopt;
  std::string_view date = s.substr(0, pos);
  std::string_view clock = s.substr(pos + kAm.size());
  while (!date.empty() && IsSpace(date.back())) date.remove_suffix(1);
  while (!clock.empty() && IsSpace(clock.front())) clock.remove_prefix(1);
  Parts p;
  if (!ParseIsoDatePart(date, &p) || !ParseClock(clock, &p)) return std::nullopt;
  if (p.hour < 1 || p.hour > 12) return std::nullopt;
  if (is_pm && p.hour != 12) p.hour += 12;
  if (!is_pm && p.hour == 12) p.hour = 0;
  p.offset_minutes = 9 * 60;
  return Build(p);
}

}  // namespace

std::optional<UnixSeconds> ParseDate(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  if (text.empty() || text.size() > 128) return std::nullopt;
  if (IsDigit(text[0]) || text[0] == '-') {
    if (auto t = ParseIso(text)) return t;
    if (auto t = ParseKorean(text)) return t;
  }
  return ParseTokens(text);
}

}  // namespace assay::parsers
