#include "steer/line_diff.h"

#include <algorithm>
#include <sstream>
#include <vector>

namespace steer {
namespace {

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

struct Op {
  char kind;    // ' ', '-', '+'
  size_t a, b;  // line indexes (a for ' ' and '-', b for '+')
};

}  // namespace

std::string line_diff(const std::string& a_text, const std::string& b_text, const std::string& a_name,
                      const std::string& b_name, int context) {
  if (a_text == b_text) return "";
  const auto a = lines(a_text), b = lines(b_text);
  // Longest common subsequence over what the common prefix and suffix leave
  // (deployments are hundreds of lines; the middle is what changed).
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre && a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) ++suf;
  const size_t n = a.size() - pre - suf, m = b.size() - pre - suf;
  std::vector<std::vector<unsigned>> lcs(n + 1, std::vector<unsigned>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] = a[pre + i] == b[pre + j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::vector<Op> ops;
  for (size_t i = 0; i < pre; ++i) ops.push_back({' ', i, i});
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[pre + i] == b[pre + j]) {
      ops.push_back({' ', pre + i, pre + j});
      ++i, ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {  // removals first, as diff -u
      ops.push_back({'-', pre + i, pre + j});
      ++i;
    } else {
      ops.push_back({'+', pre + i, pre + j});
      ++j;
    }
  }
  for (size_t k = 0; k < suf; ++k) ops.push_back({' ', a.size() - suf + k, b.size() - suf + k});

  std::ostringstream out;
  out << "--- " << a_name << "\n+++ " << b_name << "\n";
  const size_t ctx = size_t(std::max(context, 0));
  size_t k = 0;
  while (k < ops.size()) {
    if (ops[k].kind == ' ') {
      ++k;
      continue;
    }
    // A hunk: from ctx lines before this change to ctx lines after the last
    // change that is at most 2*ctx equal lines from the one before it.
    size_t start = k >= ctx ? k - ctx : 0, end = k;
    for (size_t x = k; x < ops.size(); ++x) {
      if (ops[x].kind != ' ') {
        end = x;
        continue;
      }
      if (x - end > 2 * ctx) break;
    }
    const size_t stop = std::min(ops.size(), end + ctx + 1);
    size_t a_first = 0, b_first = 0, a_count = 0, b_count = 0;
    bool a_set = false, b_set = false;
    for (size_t x = start; x < stop; ++x) {
      if (ops[x].kind != '+') {
        if (!a_set) a_first = ops[x].a, a_set = true;
        ++a_count;
      }
      if (ops[x].kind != '-') {
        if (!b_set) b_first = ops[x].b, b_set = true;
        ++b_count;
      }
    }
    if (!a_set) a_first = ops[start].a;  // only additions: the line before them
    if (!b_set) b_first = ops[start].b;
    out << "@@ -" << (a_count ? a_first + 1 : a_first) << "," << a_count << " +" << (b_count ? b_first + 1 : b_first)
        << "," << b_count << " @@\n";
    for (size_t x = start; x < stop; ++x)
      out << ops[x].kind << (ops[x].kind == '+' ? b[ops[x].b] : a[ops[x].a]) << "\n";
    k = stop;
  }
  return out.str();
}

}  // namespace steer
