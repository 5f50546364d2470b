// A port's rules as a sequence that is cheap to copy: the rules live in
// fixed-size chunks shared between copies, and a copy that changes a rule
// first takes its own copy of that rule's chunk (copy on write). A live change
// copies the running rule set several times (the state it was planned
// against, the plan's before and after, the running config it becomes); with
// a plain vector each of those copied every rule, so a change of 100 rules
// against 100,000 cost milliseconds. Here a copy is one pointer (the table of
// chunks is shared as well); the first write to a copy copies the table, one
// pointer per chunk, and a change of k rules copies at most k chunks.
//
// It behaves as a vector of FlowRule for what steering code does with one:
// size, index, iterate, push_back, resize, compare. Copies may be read from
// several threads; a copy is changed by one thread at a time, as a vector.
// A chunk no other copy holds (use_count() == 1) is changed in place, which is
// sound because steerd never edits a list other threads have copied: the
// running config is replaced by assignment, and the lists a change edits
// (the plan's after) are its own until published.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <vector>

#include "steer/flow_rule.h"

namespace steer {

class RuleList {
  static constexpr size_t kShift = 6;  // 64 rules a chunk: ~11 KB copied when one of them changes
  static constexpr size_t kChunk = size_t(1) << kShift;
  using Chunk = std::vector<FlowRule>;

 public:
  using value_type = FlowRule;
  using size_type = size_t;
  using reference = FlowRule&;
  using const_reference = const FlowRule&;

  template <bool Const>
  class Iter {
    using List = std::conditional_t<Const, const RuleList, RuleList>;

   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = FlowRule;
    using difference_type = std::ptrdiff_t;
    using pointer = std::conditional_t<Const, const FlowRule*, FlowRule*>;
    using reference = std::conditional_t<Const, const FlowRule&, FlowRule&>;
    Iter() = default;
    Iter(List* l, size_t i) : l_(l), i_(i) {}
    operator Iter<true>() const { return {l_, i_}; }  // NOLINT: iterator to const_iterator
    reference operator*() const { return (*l_)[i_]; }
    pointer operator->() const { return &(*l_)[i_]; }
    reference operator[](difference_type n) const { return (*l_)[size_t(difference_type(i_) + n)]; }
    Iter& operator++() { return ++i_, *this; }
    Iter operator++(int) { return {l_, i_++}; }
    Iter& operator--() { return --i_, *this; }
    Iter operator--(int) { return {l_, i_--}; }
    Iter& operator+=(difference_type n) { return i_ = size_t(difference_type(i_) + n), *this; }
    Iter& operator-=(difference_type n) { return i_ = size_t(difference_type(i_) - n), *this; }
    friend Iter operator+(Iter a, difference_type n) { return a += n; }
    friend Iter operator+(difference_type n, Iter a) { return a += n; }
    friend Iter operator-(Iter a, difference_type n) { return a -= n; }
    friend difference_type operator-(const Iter& a, const Iter& b) {
      return difference_type(a.i_) - difference_type(b.i_);
    }
    friend bool operator==(const Iter& a, const Iter& b) { return a.i_ == b.i_; }
    friend auto operator<=>(const Iter& a, const Iter& b) { return a.i_ <=> b.i_; }

   private:
    List* l_ = nullptr;
    size_t i_ = 0;
  };
  using iterator = Iter<false>;
  using const_iterator = Iter<true>;

  RuleList() = default;
  RuleList(std::initializer_list<FlowRule> rules) {
    for (const auto& r : rules) push_back(r);
  }
  RuleList(const std::vector<FlowRule>& rules) {  // NOLINT: converts as a vector would be copied
    for (const auto& r : rules) push_back(r);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const FlowRule& operator[](size_t i) const { return (*(*table_)[i >> kShift])[i & (kChunk - 1)]; }
  // Takes this copy's own chunk first when another copy shares it.
  FlowRule& operator[](size_t i) { return own(i >> kShift)[i & (kChunk - 1)]; }
  const FlowRule& back() const { return (*this)[size_ - 1]; }
  FlowRule& back() { return (*this)[size_ - 1]; }

  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }
  iterator begin() { return {this, 0}; }
  iterator end() { return {this, size_}; }

  void push_back(FlowRule r) {
    if ((size_ & (kChunk - 1)) == 0) {
      table().push_back(std::make_shared<Chunk>());
      table_->back()->reserve(kChunk);
    }
    own(table_->size() - 1).push_back(std::move(r));
    ++size_;
  }
  void pop_back() { resize(size_ - 1); }
  void resize(size_t n) {
    if (n < size_) {  // whole chunks go without being copied; only a partly kept last one is taken
      table().resize((n + kChunk - 1) >> kShift);
      size_ = n;
      if (n & (kChunk - 1)) own(table_->size() - 1).resize(n & (kChunk - 1));
    }
    while (size_ < n) push_back(FlowRule{});
  }
  void reserve(size_t n) { table().reserve((n + kChunk - 1) >> kShift); }
  // Removes the rules at `at` (positions, ascending, distinct); the others
  // keep their order. Chunks before the first position stay shared; each rule
  // after it is copied once (moved where no other copy holds its chunk).
  void erase_sorted(const std::vector<uint32_t>& at) {
    if (at.empty()) return;
    const size_t first = at[0] >> kShift, old_size = size_;
    Table& t = table();
    Table tail(t.begin() + ptrdiff_t(first), t.end());
    t.resize(first);
    size_ = first << kShift;
    size_t j = 0;
    for (size_t c = 0; c < tail.size(); ++c) {
      Chunk& src = *tail[c];
      const bool alone = tail[c].use_count() == 1;
      for (size_t k = 0, i = (first + c) << kShift; k < src.size() && i < old_size; ++k, ++i) {
        if (j < at.size() && at[j] == i) {
          ++j;
          continue;
        }
        push_back(alone ? std::move(src[k]) : src[k]);
      }
      tail[c].reset();
    }
  }
  void clear() {
    table_.reset();
    size_ = 0;
  }
  // True when `o` is a copy of this one that neither has changed since (the
  // same chunks): equal without comparing rules.
  bool shares_all(const RuleList& o) const {
    return size_ == o.size_ && (table_ == o.table_ || !size_ || *table_ == *o.table_);
  }

  friend bool operator==(const RuleList& a, const RuleList& b) {
    if (a.size_ != b.size_) return false;
    if (a.table_ == b.table_ || !a.size_) return true;
    for (size_t c = 0; c < a.table_->size(); ++c)
      if ((*a.table_)[c] != (*b.table_)[c] && *(*a.table_)[c] != *(*b.table_)[c]) return false;
    return true;
  }
  friend bool operator==(const RuleList& a, const std::vector<FlowRule>& b) { return a == RuleList(b); }

 private:
  using Table = std::vector<std::shared_ptr<Chunk>>;
  // The table of chunks, this copy's own: copied (its chunk pointers, not
  // the rules) when another copy shares it.
  Table& table() {
    if (!table_)
      table_ = std::make_shared<Table>();
    else if (table_.use_count() != 1)
      table_ = std::make_shared<Table>(*table_);
    return *table_;
  }
  Chunk& own(size_t c) {
    auto& chunk = table()[c];
    if (chunk.use_count() != 1) {
      auto mine = std::make_shared<Chunk>();
      mine->reserve(kChunk);
      *mine = *chunk;
      chunk = std::move(mine);
    }
    return *chunk;
  }

  // Copying a list copies one pointer: the table and the chunks are shared
  // until one copy writes (a change's plan copies the port's rules several
  // times and writes a few of them).
  std::shared_ptr<Table> table_;
  size_t size_ = 0;
};

}  // namespace steer
