#include "change_log.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string_view>

#include "steer/text.h"

namespace steer::state {
namespace {

bool plain(char c) {
  return c != ' ' && c != '%' && c != '\n' && c != '\r' && c != '\t';
}

void put(std::string& out, const std::string& v) {
  if (std::all_of(v.begin(), v.end(), plain)) {  // most texts: nothing to escape
    out += v;
    return;
  }
  for (char c : v) {
    if (plain(c)) {
      out += c;
    } else {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", static_cast<unsigned char>(c));
      out += b;
    }
  }
}

bool unescape(const char* p, size_t n, std::string* out) {
  out->clear();
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != '%') {
      *out += p[i];
      continue;
    }
    unsigned v = 0;
    if (i + 2 >= n) return false;
    if (std::from_chars(p + i + 1, p + i + 3, v, 16).ptr != p + i + 3) return false;
    *out += char(v);
    i += 2;
  }
  return true;
}

template <class T>
bool number(const std::string& t, T* v) {
  return !t.empty() && std::from_chars(t.data(), t.data() + t.size(), *v).ptr == t.data() + t.size();
}

// "add=NAME priority=N FIELD=TEXT...": a rule in a record and in a base.
void put_rule(std::string& s, const FlowRule& r) {
  s += "add=";
  put(s, r.name);
  s += " priority=" + std::to_string(r.priority);
  for (const auto& f : rule_fields(r)) {
    s += ' ';
    s += f.key;
    s += '=';
    put(s, f.text);
  }
}

// Tokens: (with `header`) generation and port, then key=value pairs.
bool parse_body(std::string_view line, bool header, LoggedChange* out, std::string* why);

}  // namespace

uint64_t fnv1a64(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string format_record(const std::string& port, uint64_t generation, const SteeringChange& c) {
  std::string s = std::to_string(generation) + " ";
  put(s, port);
  if (c.key) s += " key=" + to_hex(*c.key);
  if (c.types) {
    s += " types=";
    const auto names = rss_type_names(*c.types);
    for (size_t i = 0; i < names.size(); ++i) s += (i ? "," : "") + names[i];
  }
  if (c.reta) {
    s += " reta=";
    char b[8];
    for (size_t i = 0; i < c.reta->size(); ++i) {
      if (i) s += ',';
      auto r = std::to_chars(b, b + sizeof b, (*c.reta)[i]);
      s.append(b, r.ptr);
    }
  }
  for (const auto& name : c.remove) {
    s += " remove=";
    put(s, name);
  }
  for (const auto& r : c.add) {
    s += ' ';
    put_rule(s, r);
  }
  char sum[24];
  std::snprintf(sum, sizeof sum, " ~%016" PRIx64 "\n", fnv1a64(s));
  return s + sum;
}

bool parse_record(const std::string& line, LoggedChange* out, std::string* why) {
  *out = LoggedChange{};
  const size_t tilde = line.rfind(" ~");
  uint64_t sum = 0;
  if (tilde == std::string::npos || line.size() - tilde != 18 ||
      std::from_chars(line.data() + tilde + 2, line.data() + line.size(), sum, 16).ptr != line.data() + line.size() ||
      sum != fnv1a64(std::string_view(line).substr(0, tilde))) {
    *why = "its checksum does not match";
    return false;
  }
  return parse_body(std::string_view(line).substr(0, tilde), true, out, why);
}

namespace {

bool parse_body(std::string_view line, bool header, LoggedChange* out, std::string* why) {
  const size_t tilde = line.size();
  size_t pos = 0, token = header ? 0 : 2;
  FlowRule* rule = nullptr;
  std::string value;
  while (pos < tilde) {
    size_t end = line.find(' ', pos);
    if (end == std::string::npos || end > tilde) end = tilde;
    const char* t = line.data() + pos;
    const size_t n = end - pos;
    pos = end + 1;
    if (token++ == 0) {
      if (std::from_chars(t, t + n, out->generation).ptr != t + n) {
        *why = "its generation does not read";
        return false;
      }
      continue;
    }
    if (token == 2) {
      if (!unescape(t, n, &out->port) || out->port.empty()) {
        *why = "its port does not read";
        return false;
      }
      continue;
    }
    const char* eq = static_cast<const char*>(std::memchr(t, '=', n));
    if (!eq) {
      *why = "\"" + std::string(t, n) + "\" is not a field=value";
      return false;
    }
    const std::string key(t, eq);
    if (!unescape(eq + 1, size_t(t + n - eq - 1), &value)) {
      *why = key + ": a bad %-escape";
      return false;
    }
    SteeringChange& c = out->change;
    const auto bad = [&](const std::string& what) {
      *why = key + "=" + quote_name(value) + ": " + what;
      return false;
    };
    if (key == "add") {
      c.add.push_back(FlowRule{});
      rule = &c.add.back();
      rule->name = value;
    } else if (rule) {  // everything after an add= belongs to that rule
      if (key == "priority") {
        if (!number(value, &rule->priority)) return bad("not a priority");
      } else if (std::string e = set_rule_field(rule, key, value); !e.empty()) {
        return bad(e);
      }
    } else if (key == "key") {
      std::vector<uint8_t> k;
      if (!parse_hex(value, &k)) return bad("not hex");
      c.key = std::move(k);
    } else if (key == "types") {
      uint32_t types = 0;
      for (size_t p = 0; p < value.size();) {
        size_t comma = std::min(value.find(',', p), value.size());
        const uint32_t bit = rss_type_bit(value.substr(p, comma - p));
        if (!bit) return bad("not a list of hash types");
        types |= bit;
        p = comma + 1;
      }
      c.types = types;
    } else if (key == "reta") {
      std::vector<uint16_t> reta;
      for (size_t p = 0; p <= value.size();) {
        size_t comma = std::min(value.find(',', p), value.size());
        uint16_t q = 0;
        if (!number(value.substr(p, comma - p), &q)) return bad("not a list of queues");
        reta.push_back(q);
        p = comma + 1;
      }
      c.reta = std::move(reta);
    } else if (key == "remove") {
      c.remove.push_back(value);
    } else {
      return bad("not a field of a change record");
    }
  }
  if (token < 2) {
    *why = "it has no port";
    return false;
  }
  return true;
}

}  // namespace

std::string format_rules(const RuleList& rules) {
  std::string s;
  for (const auto& r : rules) {
    put_rule(s, r);
    s += '\n';
  }
  return s;
}

bool parse_rules(const std::string& text, RuleList* out, std::string* why) {
  *out = RuleList{};
  size_t pos = 0, number = 0;
  LoggedChange one;
  while (pos < text.size()) {
    ++number;
    const size_t nl = std::min(text.find('\n', pos), text.size());
    one = LoggedChange{};
    std::string bad;
    if (!parse_body(std::string_view(text).substr(pos, nl - pos), false, &one, &bad) || one.change.add.size() != 1 ||
        !one.change.remove.empty() || one.change.key || one.change.types || one.change.reta) {
      *why = "rule line " + std::to_string(number) + ": " + (bad.empty() ? "not one rule" : bad);
      return false;
    }
    out->push_back(std::move(one.change.add[0]));
    pos = nl + 1;
  }
  return true;
}

bool read_change_log(const std::string& path, ChangeLogText* out, std::string* why) {
  *out = ChangeLogText{};
  why->clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return true;  // no log: nothing since the base
    *why = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t pos = 0, number = 0;
  while (pos < text.size()) {
    ++number;
    const size_t nl = text.find('\n', pos);
    const bool last = nl == std::string::npos || nl + 1 == text.size();
    LoggedChange rec;
    std::string bad;
    const bool ok = nl != std::string::npos && parse_record(text.substr(pos, nl - pos), &rec, &bad);
    if (!ok) {
      if (last) {  // a write a crash cut short: never answered
        out->torn = true;
        return true;
      }
      *why = path + " record " + std::to_string(number) + ": " + (bad.empty() ? "cut short" : bad) +
             ", and records follow it";
      return false;
    }
    out->records.push_back(std::move(rec));
    pos = nl + 1;
  }
  return true;
}

}  // namespace steer::state
