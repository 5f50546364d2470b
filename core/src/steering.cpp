#include "steer/steering.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "steer/text.h"

namespace steer {
namespace {

void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

}  // namespace

PacketFields parse_fields(const uint8_t* f, size_t len) {
  PacketFields p;
  parse_fields_into(f, len, p);
  return p;
}

namespace {

// rss_tuple's body, always inlined: the burst classifier calls it per packet.
[[gnu::always_inline]] inline size_t tuple_of(const PacketFields& f, uint32_t types, uint8_t* out) {
  size_t alen;
  bool l3, l4;
  if (f.ipv4) {
    alen = 4;
    l3 = types & kRssIpv4;
    l4 = f.has_ports && ((f.proto == 6 && (types & kRssIpv4Tcp)) || (f.proto == 17 && (types & kRssIpv4Udp)));
  } else if (f.ipv6) {
    alen = 16;
    l3 = types & kRssIpv6;
    l4 = f.has_ports && ((f.proto == 6 && (types & kRssIpv6Tcp)) || (f.proto == 17 && (types & kRssIpv6Udp)));
  } else {
    return 0;
  }
  if (!l3 && !l4) return 0;
  if (alen == 4) {  // copies of a constant size: no length-dispatched memcpy per packet
    std::memcpy(out, f.src, 4);
    std::memcpy(out + 4, f.dst, 4);
  } else {
    std::memcpy(out, f.src, 16);
    std::memcpy(out + 16, f.dst, 16);
  }
  if (!l4) return 2 * alen;
  put16(out + 2 * alen, f.sport);
  put16(out + 2 * alen + 2, f.dport);
  return 2 * alen + 4;
}

}  // namespace

size_t rss_tuple(const PacketFields& f, uint32_t types, uint8_t* out) {
  return tuple_of(f, types, out);
}

// The key is PacketFields' bytes (48): eth_type 0-1, VLAN id 2-3, proto 4,
// has_vlan 5, sport 8-9, dport 10-11 (16-bit fields in host order), src 16-31
// (IPv4 in 16-19), dst 32-47. A packet's key words are loads from its
// fields: nothing is built per packet.
constexpr size_t kKeyVlan = offsetof(PacketFields, vlan), kKeyProto = offsetof(PacketFields, proto),
                 kKeyHasVlan = offsetof(PacketFields, has_vlan), kKeySport = offsetof(PacketFields, sport),
                 kKeyDport = offsetof(PacketFields, dport), kKeySrc = offsetof(PacketFields, src),
                 kKeyDst = offsetof(PacketFields, dst);
static_assert(kKeyVlan == 2 && kKeyProto == 4 && kKeyHasVlan == 5 && kKeySport == 8 && kKeyDport == 10 &&
              kKeySrc == 16 && kKeyDst == 32);

SteeringTable::Key SteeringTable::key_of(const PacketFields& f) {
  static_assert(sizeof(Key) == sizeof(PacketFields));
  Key k;
  std::memcpy(k.bytes, &f, sizeof k.bytes);
  return k;
}

namespace {

// Key word w of a packet's fields (key_of(f).word(w), one load).
[[gnu::always_inline]] inline uint64_t field_word(const PacketFields& f, size_t w) {
  uint64_t x;
  std::memcpy(&x, reinterpret_cast<const uint8_t*>(&f) + 8 * w, 8);
  return x;
}

// A 16-bit key field in host order, as PacketFields holds it.
void put_host16(uint8_t* p, uint16_t v) {
  std::memcpy(p, &v, 2);
}

}  // namespace

bool SteeringTable::Key::operator==(const Key& o) const {
  return std::memcmp(bytes, o.bytes, sizeof bytes) == 0;
}

uint64_t SteeringTable::Key::word(size_t i) const {
  uint64_t w;
  std::memcpy(&w, bytes + 8 * i, 8);
  return w;
}

namespace {

// A group's key hash: kHashSeed, key_word per masked word, then key_final.
// Multiplication only carries bits upward, so keys that differ in a word's
// high bytes (the last address bytes, read little-endian) would share their
// low bits, and so their slots: a full avalanche at the end (the 64-bit
// finaliser of MurmurHash3) spreads them. Without it, the IPv6 rules of
// tools/bench/dispatch_cost probed clusters thousands of slots long.
constexpr uint64_t kHashSeed = 0x9e3779b97f4a7c15ull;

constexpr uint64_t kHashWordMul = 0xff51afd7ed558ccdull, kHashFinalMul = 0xc4ceb9fe1a85ec53ull;

// A group whose signature bitmap is at most this size (1,000 rules: 2 KiB)
// has its bits tested as each packet is hashed; a larger one (100,000 rules
// in 32 groups: 8 KiB each) prefetches them for the whole list first
// (BENCHMARKS.md, issue 12, step 11).
constexpr size_t kTestAsHashedBytes = 4096;

inline uint64_t key_word(uint64_t h, uint64_t w) {
  return (h ^ w) * kHashWordMul;
}

inline uint64_t key_final(uint64_t h) {
  h ^= h >> 33;
  h *= kHashFinalMul;
  return h ^ (h >> 33);
}

// fn(std::integral_constant<unsigned, n>{}) for n in [N, Max] (a larger n as
// Max): a run-time count made a compile-time one, once per call.
template <unsigned N, unsigned Max, class Fn>
[[gnu::always_inline]] inline void with_constant(unsigned n, Fn&& fn) {
  if constexpr (N == Max)
    fn(std::integral_constant<unsigned, N>{});
  else if (n == N)
    fn(std::integral_constant<unsigned, N>{});
  else
    with_constant<N + 1, Max>(n, fn);
}

// The key words of a packet's fields under a mask of N words, whose indexes
// (`at`) and masks (`wm`) the caller holds for a whole burst: the loop
// unrolled, nothing of the group read per packet.
template <unsigned N>
[[gnu::always_inline]] inline void masked_words(const PacketFields& f, const uint8_t* at, const uint64_t* wm,
                                                uint64_t* masked) {
#pragma GCC unroll 6
  for (unsigned u = 0; u < N; ++u) masked[u] = field_word(f, at[u]) & wm[u];
}

// Group::mask_words for a packet's fields: masked_words, and their hash.
template <unsigned N>
[[gnu::always_inline]] inline uint64_t masked_hash(const PacketFields& f, const uint8_t* at, const uint64_t* wm,
                                                   uint64_t* masked) {
  masked_words<N>(f, at, wm, masked);
  uint64_t h = kHashSeed;
#pragma GCC unroll 6
  for (unsigned u = 0; u < N; ++u) h = key_word(h, masked[u]);
  return key_final(h);
}

// A group's signature bit for a key hash, from its bitmap's words and mask.
[[gnu::always_inline]] inline unsigned sig_bit_of(const uint64_t* sig_bits, uint32_t sig_bits_mask, uint64_t h) {
  const uint32_t b = uint32_t(h >> 32) & sig_bits_mask;
  return unsigned(sig_bits[b / 64] >> (b % 64)) & 1;
}

// A group lookup's first stage, the scalar forms: for the m packets of `in`,
// each one's masked_hash under a mask of N words and its signature bit; the
// list positions whose bit is set go to `maybe` and their hashes to h, both
// compacted, and their count is returned. This one is for a bitmap that fits
// in L1: each bit is tested as its packet is hashed (the hash written to the
// next free entry, which only a packet whose bit is set keeps).
template <unsigned N>
[[gnu::always_inline]] inline size_t signature_pass_scalar(const PacketFields* f, const uint8_t* in, size_t m,
                                                           const uint8_t* at, const uint64_t* wm,
                                                           const uint64_t* sig_bits, uint32_t sig_bits_mask,
                                                           uint64_t* h, uint8_t* maybe) {
  uint64_t w[N + 1];
  size_t k = 0;
  for (size_t j = 0; j < m; ++j) {
    h[k] = masked_hash<N>(f[in[j]], at, wm, w);
    maybe[k] = uint8_t(j);
    k += sig_bit_of(sig_bits, sig_bits_mask, h[k]);
  }
  return k;
}

// The same for a bitmap larger than kTestAsHashedBytes: every packet's
// bitmap word prefetched first, so their misses overlap, then the bits
// tested. Out of line: at the common table sizes it does not run, and
// inlined it would sit in the hot loop's code (in the dispatcher, 1,000
// rules in 32 groups cost 15 cycles a packet more that way).
template <unsigned N>
[[gnu::noinline]] size_t signature_pass_prefetched(const PacketFields* f, const uint8_t* in, size_t m,
                                                   const uint8_t* at, const uint64_t* wm, const uint64_t* sig_bits,
                                                   uint32_t sig_bits_mask, uint64_t* h, uint8_t* maybe) {
  uint64_t w[N + 1];
  for (size_t j = 0; j < m; ++j) {
    h[j] = masked_hash<N>(f[in[j]], at, wm, w);
    __builtin_prefetch(&sig_bits[(uint32_t(h[j] >> 32) & sig_bits_mask) / 64]);
  }
  size_t k = 0;
  for (size_t j = 0; j < m; ++j) {  // compacted in place: k <= j
    const uint64_t hj = h[j];
    h[k] = hj;
    maybe[k] = uint8_t(j);
    k += sig_bit_of(sig_bits, sig_bits_mask, hj);
  }
  return k;
}

#if defined(__x86_64__)
#define STEER_VECTOR_LOOKUP 1

bool cpu_has_vector_lookup() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

// A group lookup's first stage, eight packets a vector: for the m packets of
// `in`, each one's masked_hash under a mask of N words (hd[j] for in[j]) and
// its signature bit; the list positions whose bit is set go to `maybe`
// (room for m + 8), their count is returned. The key words are gathered
// from the parsed fields (PacketFields is the key) and each bit's word from
// the bitmap: the scalar form's per-packet loads, hash and bit test in a few
// instructions a packet.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12: the intrinsics' _mm512_undefined_epi32()
#endif
template <unsigned N>
__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl"))) size_t signature_pass_vector(
    const PacketFields* f, const uint8_t* in, size_t m, const uint8_t* at, const uint64_t* wm, const uint64_t* sig_bits,
    uint32_t sig_bits_mask, uint64_t* hd, uint8_t* maybe) {
  const __m512i mul = _mm512_set1_epi64(int64_t(kHashWordMul));
  const __m512i fin = _mm512_set1_epi64(int64_t(kHashFinalMul));
  const __m512i seed = _mm512_set1_epi64(int64_t(kHashSeed));
  const __m512i bits_mask = _mm512_set1_epi64(sig_bits_mask);
  const __m512i one = _mm512_set1_epi64(1), low6 = _mm512_set1_epi64(63);
  const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
  __m512i words_mask[N + 1];
  for (unsigned u = 0; u < N; ++u) words_mask[u] = _mm512_set1_epi64(int64_t(wm[u]));
  const char* base = reinterpret_cast<const char*>(f);
  size_t k = 0;
  for (size_t j = 0; j < m; j += 8) {
    const __mmask8 live = m - j >= 8 ? __mmask8(0xff) : __mmask8((1u << (m - j)) - 1);
    const __m512i idx = _mm512_cvtepu8_epi64(_mm_maskz_loadu_epi8(live, in + j));
    static_assert(sizeof(PacketFields) == 48);
    const __m512i off = _mm512_add_epi64(_mm512_slli_epi64(idx, 5), _mm512_slli_epi64(idx, 4));  // x 48
    __m512i h = seed;
    for (unsigned u = 0; u < N; ++u) {
      const __m512i w = _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), live, off, base + 8 * at[u], 1);
      h = _mm512_mullo_epi64(_mm512_xor_si512(h, _mm512_and_si512(w, words_mask[u])), mul);
    }
    h = _mm512_xor_si512(h, _mm512_srli_epi64(h, 33));
    h = _mm512_mullo_epi64(h, fin);
    h = _mm512_xor_si512(h, _mm512_srli_epi64(h, 33));
    _mm512_mask_storeu_epi64(hd + j, live, h);
    const __m512i b = _mm512_and_si512(_mm512_srli_epi64(h, 32), bits_mask);
    const __m512i word =
        _mm512_mask_i64gather_epi64(_mm512_setzero_si512(), live, _mm512_srli_epi64(b, 6), sig_bits, 8);
    const __mmask8 set = _mm512_mask_test_epi64_mask(live, _mm512_srlv_epi64(word, _mm512_and_si512(b, low6)), one);
    const __m512i at_j = _mm512_maskz_compress_epi64(set, _mm512_add_epi64(lane, _mm512_set1_epi64(int64_t(j))));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(maybe + k), _mm512_cvtepi64_epi8(at_j));
    k += size_t(__builtin_popcount(set));
  }
  return k;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

}  // namespace

inline uint64_t SteeringTable::Group::hash(const uint64_t* masked) const {
  uint64_t h = kHashSeed;
  for (uint8_t i = 0; i < n_used; ++i) h = key_word(h, masked[i]);
  return key_final(h);
}

inline uint64_t SteeringTable::Group::mask_words(const uint64_t* words, uint64_t* masked) const {
  for (uint8_t u = 0; u < n_used; ++u) masked[u] = words[used[u]] & word_mask[used[u]];
  return hash(masked);
}

template <unsigned N>
[[gnu::always_inline]] inline uint32_t SteeringTable::Group::find_n(const uint64_t* masked, uint64_t h) const {
  const uint32_t sig = uint32_t(h >> 32);
  for (uint32_t i = uint32_t(h) & slot_mask;; i = (i + 1) & slot_mask) {
    const Slot s = slots[i];
    if (s.rule == kEmpty) return kEmpty;
    if (s.sig != sig) continue;
    const uint64_t* k = &keys[size_t(i) * N];
    uint64_t diff = 0;
#pragma GCC unroll 6
    for (unsigned u = 0; u < N; ++u) diff |= k[u] ^ masked[u];
    if (!diff) return s.rule;
  }
}

// Slot i (occupied) holds `masked`. The signature first: a slot of another
// key costs no read of its key.
inline bool SteeringTable::Group::holds(uint32_t i, const uint64_t* masked, uint32_t sig) const {
  if (slots[i].sig != sig) return false;
  const uint64_t* k = &keys[size_t(i) * n_used];
  uint64_t diff = 0;
  for (uint8_t u = 0; u < n_used; ++u) diff |= k[u] ^ masked[u];
  return !diff;
}

inline uint32_t SteeringTable::Group::find(const uint64_t* masked, uint64_t h) const {
  const uint32_t i = probe(masked, h);
  return slots[i].rule;  // kEmpty at an empty slot
}

inline uint32_t SteeringTable::Group::probe(const uint64_t* masked, uint64_t h) const {
  const uint32_t sig = uint32_t(h >> 32);
  uint32_t i = uint32_t(h) & slot_mask;
  while (slots[i].rule != kEmpty && !holds(i, masked, sig)) i = (i + 1) & slot_mask;
  return i;
}

void SteeringTable::Group::set_mask(const Key& m) {
  mask = m;
  n_used = 0;
  for (size_t w = 0; w < kKeyWords; ++w) {
    word_mask[w] = m.word(w);
    if (word_mask[w]) used[n_used++] = uint8_t(w);
  }
}

void SteeringTable::Group::size_for(size_t n) {
  size_t cap = 8;
  while (cap < kRoom * n) cap *= 2;
  slot_mask = uint32_t(cap - 1);
  occupied = 0;
  slots.assign(cap, Slot{0, kEmpty});
  keys.assign(std::max<size_t>(cap * n_used, 1), 0);  // a word even for a mask of none: &keys[0] is taken
  const size_t bit_count = std::max<size_t>(64, kBitsPerSlot * cap);
  sig_bits_mask = uint32_t(bit_count - 1);
  sig_bits.assign(bit_count / 64, 0);
  sig_bit_keys.assign(bit_count, 0);
}

void SteeringTable::Group::mark(uint32_t sig) {
  const uint32_t b = sig & sig_bits_mask;
  if (sig_bit_keys[b] != UINT8_MAX) ++sig_bit_keys[b];
  sig_bits[b / 64] |= uint64_t(1) << (b % 64);
}

bool SteeringTable::Group::bits_exact() const {
  std::vector<uint32_t> want(sig_bit_keys.size(), 0);
  for (const Slot& sl : slots)
    if (sl.rule != kEmpty) ++want[sl.sig & sig_bits_mask];
  for (size_t b = 0; b < want.size(); ++b)
    if (want[b] != sig_bit_keys[b] || bool(want[b]) != bool((sig_bits[b / 64] >> (b % 64)) & 1)) return false;
  return true;
}

bool SteeringTable::signature_bits_exact() const {
  for (const Group& g : groups_)
    if (!g.bits_exact()) return false;
  for (const Cluster& c : clusters_)
    if (c.filtered && !c.filter.bits_exact()) return false;
  return true;
}

void SteeringTable::Group::unmark(uint32_t sig) {
  const uint32_t b = sig & sig_bits_mask;
  // A count that reached its ceiling is no longer exact: the bit stays set
  // (a probe more, never a key missed).
  if (sig_bit_keys[b] == UINT8_MAX || --sig_bit_keys[b]) return;
  sig_bits[b / 64] &= ~(uint64_t(1) << (b % 64));
}

void SteeringTable::Group::reserve(size_t more) {
  if (kRoom * (size_t(occupied) + more) <= slots.size()) return;
  // Every key to its slot in a table with room for them all.
  std::vector<Slot> old_slots = std::move(slots);
  std::vector<uint64_t> old_keys = std::move(keys);
  size_for(std::max(size_t(occupied) + more, 2 * old_slots.size() / kRoom));  // at least twice the slots
  for (size_t j = 0; j < old_slots.size(); ++j)
    if (old_slots[j].rule != kEmpty) {
      const uint64_t* k = &old_keys[j * n_used];
      const uint64_t kh = hash(k);
      const uint32_t at = probe(k, kh);
      slots[at] = old_slots[j];
      std::memcpy(&keys[size_t(at) * n_used], k, n_used * sizeof(uint64_t));
      mark(old_slots[j].sig);
      ++occupied;
    }
}

void SteeringTable::Group::place(const uint64_t* masked, uint64_t h, uint32_t rule, uint32_t i) {
  if (kRoom * (size_t(occupied) + 1) > slots.size()) {
    reserve(1);
    i = probe(masked, h);
  }
  slots[i] = Slot{uint32_t(h >> 32), rule};
  std::memcpy(&keys[size_t(i) * n_used], masked, n_used * sizeof(uint64_t));
  mark(slots[i].sig);
  ++occupied;
}

void SteeringTable::Group::remove_slot(uint32_t i) {
  // Linear probing without tombstones: later keys of the run that could sit
  // at `i` move back into it, so a probe still stops at the first empty slot.
  unmark(slots[i].sig);
  uint32_t j = i;
  while (true) {
    j = (j + 1) & slot_mask;
    if (slots[j].rule == kEmpty) break;
    const uint32_t home = uint32_t(hash(&keys[size_t(j) * n_used])) & slot_mask;
    // j's key may move to i when its home is not in the cyclic range (i, j].
    const bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (stays) continue;
    slots[i] = slots[j];
    std::memcpy(&keys[size_t(i) * n_used], &keys[size_t(j) * n_used], n_used * sizeof(uint64_t));
    i = j;
  }
  slots[i] = Slot{0, kEmpty};
  --occupied;
}

SteeringTable::Key SteeringTable::mask_of(const FlowMatch& m, Key* value) {
  Key mask{}, v{};
  uint16_t eth = m.eth_type.value_or(0);
  if (m.ipv4_src || m.ipv4_dst) eth = 0x0800;
  if (m.ipv6_src || m.ipv6_dst) eth = 0x86dd;
  uint8_t proto = m.ip_proto.value_or(0);
  if (m.tcp_src || m.tcp_dst) proto = 6;
  if (m.udp_src || m.udp_dst) proto = 17;
  if (eth || m.eth_type) {
    put_host16(mask.bytes, 0xffff);
    put_host16(v.bytes, eth);
  }
  if (proto) {
    mask.bytes[kKeyProto] = 0xff;
    v.bytes[kKeyProto] = proto;
  }
  if (m.vlan) {
    put_host16(mask.bytes + kKeyVlan, 0x0fff);
    put_host16(v.bytes + kKeyVlan, uint16_t(*m.vlan & 0x0fff));
    mask.bytes[kKeyHasVlan] = 0xff;  // a tagged packet's: an untagged one has VLAN id 0 too
    v.bytes[kKeyHasVlan] = 1;
  }
  const PortMatch* sp = m.tcp_src ? &*m.tcp_src : m.udp_src ? &*m.udp_src : nullptr;
  const PortMatch* dp = m.tcp_dst ? &*m.tcp_dst : m.udp_dst ? &*m.udp_dst : nullptr;
  if (sp) {
    put_host16(mask.bytes + kKeySport, sp->mask);
    put_host16(v.bytes + kKeySport, sp->value & sp->mask);
  }
  if (dp) {
    put_host16(mask.bytes + kKeyDport, dp->mask);
    put_host16(v.bytes + kKeyDport, dp->value & dp->mask);
  }
  auto addr = [&](size_t at, const uint8_t* a, size_t n, unsigned len) {
    prefix_mask(mask.bytes + at, n, len);
    for (size_t i = 0; i < n; ++i) v.bytes[at + i] = a[i] & mask.bytes[at + i];
  };
  if (m.ipv4_src) addr(kKeySrc, m.ipv4_src->data(), 4, m.ipv4_src_len);
  if (m.ipv4_dst) addr(kKeyDst, m.ipv4_dst->data(), 4, m.ipv4_dst_len);
  if (m.ipv6_src) addr(kKeySrc, m.ipv6_src->data(), 16, m.ipv6_src_len);
  if (m.ipv6_dst) addr(kKeyDst, m.ipv6_dst->data(), 16, m.ipv6_dst_len);
  *value = v;
  return mask;
}

namespace {

// Which fields a mask constrains (the key layout's fields, a bit each): the
// groups of one cluster constrain the same ones.
uint32_t field_set(const uint8_t* mask) {
  static constexpr struct {
    uint8_t at, len;
  } kFields[] = {{0, 2}, {kKeyVlan, 2}, {kKeyProto, 1}, {kKeySport, 2}, {kKeyDport, 2}, {kKeySrc, 16}, {kKeyDst, 16}};
  uint32_t set = 0;
  for (size_t i = 0; i < std::size(kFields); ++i)
    for (uint8_t b = 0; b < kFields[i].len; ++b)
      if (mask[kFields[i].at + b]) set |= 1u << i;
  return set;
}

}  // namespace

void SteeringTable::set_rss(const RssConfig& rss) {
  if (rss.key != toeplitz_key_) {
    toeplitz_key_ = rss.key;
    toeplitz_ = ToeplitzTable(rss.key);
    if (use_gfni_) gfni_ = ToeplitzGfni(rss.key);
  }
  types_ = rss.types;
  reta_ = rss.reta;
  const size_t rs = reta_.size();
  reta_mask_ = rs > 1 && (rs & (rs - 1)) == 0 ? uint32_t(rs - 1) : 0;
}

uint32_t SteeringTable::compile(const FlowRule& r) {
  Rule c;
  c.priority = r.priority;
  const FlowActionSpec& a = r.action;
  if (a.mark) {
    c.marked = true;
    c.mark = *a.mark;
  }
  if (a.drop) {
    c.kind = Rule::Drop;
  } else if (a.queue) {
    c.kind = Rule::Queue;
    c.queue = *a.queue;
  } else if (!a.rss.empty()) {
    c.kind = Rule::Rss;
    c.rss_off = uint32_t(rss_.size());
    c.rss_len = uint16_t(a.rss.size());
    rss_.insert(rss_.end(), a.rss.begin(), a.rss.end());
  } else {
    c.kind = Rule::MarkOnly;
  }
  uint32_t at;
  if (!free_.empty()) {
    at = free_.back();
    free_.pop_back();
    rules_[at] = c;
  } else {
    at = uint32_t(rules_.size());
    rules_.push_back(c);
    next_same_.push_back(Group::kEmpty);
  }
  next_same_[at] = Group::kEmpty;
  return at;
}

void SteeringTable::release(uint32_t rule) {
  Rule& r = rules_[rule];
  if (r.kind == Rule::Rss) rss_garbage_ += r.rss_len;
  r = Rule{};
  free_.push_back(rule);
  if (rss_garbage_ > 4096 && rss_garbage_ * 2 > rss_.size()) {  // the queues of rss actions gone: compact
    std::vector<uint16_t> kept;
    for (Rule& x : rules_)
      if (x.kind == Rule::Rss) {
        const uint32_t off = uint32_t(kept.size());
        kept.insert(kept.end(), rss_.begin() + x.rss_off, rss_.begin() + x.rss_off + x.rss_len);
        x.rss_off = off;
      }
    rss_ = std::move(kept);
    rss_garbage_ = 0;
  }
}

size_t SteeringTable::group_of(const Key& mask) const {
  size_t g = 0;
  while (g < groups_.size() && !(groups_[g].mask == mask)) ++g;
  return g;
}

size_t SteeringTable::group_for(const Key& mask) {
  const size_t g = group_of(mask);
  if (g == groups_.size()) {
    Group& ng = groups_.emplace_back();
    ng.set_mask(mask);
    ng.fields = field_set(mask.bytes);
  }
  return g;
}

SteeringTable::Cluster* SteeringTable::cluster_of(uint32_t fields) {
  for (Cluster& c : clusters_)
    if (c.fields == fields) return &c;
  return nullptr;
}

namespace {

// A group's stored key (its n_used masked words) as the full key's words.
void filter_words(const uint64_t* group_masked, const uint8_t* used, uint8_t n_used, uint64_t* words) {
  for (size_t w = 0; w < 6; ++w) words[w] = 0;
  for (uint8_t u = 0; u < n_used; ++u) words[used[u]] = group_masked[u];
}

}  // namespace

// A rule goes into its group: a new key takes a slot; a key the group has
// already keeps its best rule in the slot and the others, best first, in
// next_same_. The cluster's filter counts it under the shared mask.
void SteeringTable::insert_rule(Group& g, const Key& value, uint32_t rule) {
  uint64_t words[kKeyWords], masked[kKeyWords];
  for (size_t w = 0; w < kKeyWords; ++w) words[w] = value.word(w);
  const uint64_t h = g.mask_words(words, masked);
  const uint32_t i = g.probe(masked, h);
  const uint32_t prio = rules_[rule].priority;
  g.best_priority = std::min(g.best_priority, prio);
  if (g.slots[i].rule == Group::kEmpty) {
    g.place(masked, h, rule, i);
  } else if (prio < rules_[g.slots[i].rule].priority) {
    next_same_[rule] = g.slots[i].rule;
    g.slots[i].rule = rule;
  } else {
    uint32_t at = g.slots[i].rule;
    while (next_same_[at] != Group::kEmpty && rules_[next_same_[at]].priority < prio) at = next_same_[at];
    next_same_[rule] = next_same_[at];
    next_same_[at] = rule;
  }
  if (Cluster* c = cluster_of(g.fields); c && c->filtered) {
    uint64_t fm[kKeyWords];
    const uint64_t fh = c->filter.mask_words(words, fm);
    const uint32_t j = c->filter.probe(fm, fh);
    if (c->filter.slots[j].rule == Group::kEmpty)
      c->filter.place(fm, fh, 1, j);
    else
      ++c->filter.slots[j].rule;
  }
}

bool SteeringTable::erase_rule(Group& g, const Key& value, uint32_t priority) {
  uint64_t words[kKeyWords], masked[kKeyWords];
  for (size_t w = 0; w < kKeyWords; ++w) words[w] = value.word(w);
  const uint64_t h = g.mask_words(words, masked);
  const uint32_t i = g.probe(masked, h);
  uint32_t at = g.slots[i].rule;
  if (at == Group::kEmpty) return false;
  if (rules_[at].priority == priority) {
    if (next_same_[at] != Group::kEmpty)
      g.slots[i].rule = next_same_[at];
    else
      g.remove_slot(i);
  } else {
    uint32_t prev = at;
    for (at = next_same_[at]; at != Group::kEmpty && rules_[at].priority != priority; at = next_same_[at]) prev = at;
    if (at == Group::kEmpty) return false;
    next_same_[prev] = next_same_[at];
  }
  release(at);
  if (Cluster* c = cluster_of(g.fields); c && c->filtered) {
    uint64_t fm[kKeyWords];
    const uint64_t fh = c->filter.mask_words(words, fm);
    const uint32_t j = c->filter.probe(fm, fh);
    if (c->filter.slots[j].rule != Group::kEmpty && --c->filter.slots[j].rule == 0) c->filter.remove_slot(j);
  }
  return true;
}

void SteeringTable::fill_filter(Cluster& c) {
  c.filtered = c.count > 1;
  c.filter = Group{};
  if (!c.filtered) return;
  Key shared = groups_[c.first].mask;
  size_t values = 0;
  for (uint32_t gi = c.first; gi < c.first + c.count; ++gi) {
    for (size_t b = 0; b < sizeof shared.bytes; ++b) shared.bytes[b] &= groups_[gi].mask.bytes[b];
    values += groups_[gi].occupied;
  }
  c.filter.set_mask(shared);
  c.filter.size_for(values);
  for (uint32_t gi = c.first; gi < c.first + c.count; ++gi) {
    const Group& g = groups_[gi];
    for (size_t s = 0; s < g.slots.size(); ++s) {
      if (g.slots[s].rule == Group::kEmpty) continue;
      uint32_t n = 0;
      for (uint32_t r = g.slots[s].rule; r != Group::kEmpty; r = next_same_[r]) ++n;
      uint64_t words[kKeyWords], fm[kKeyWords];
      filter_words(&g.keys[s * g.n_used], g.used, g.n_used, words);
      const uint64_t fh = c.filter.mask_words(words, fm);
      const uint32_t j = c.filter.probe(fm, fh);
      if (c.filter.slots[j].rule == Group::kEmpty)
        c.filter.place(fm, fh, n, j);
      else
        c.filter.slots[j].rule += n;
    }
  }
}

void SteeringTable::arrange(const std::vector<uint32_t>& rebuild) {
  // Clusters: groups by the fields they constrain, each cluster's groups by
  // priority, clusters by their best priority (their first group's). A
  // cluster whose groups are the ones it had keeps its filter.
  const bool all = std::find(rebuild.begin(), rebuild.end(), ~0u) != rebuild.end();
  std::map<uint32_t, std::vector<size_t>> by_fields;
  for (size_t g = 0; g < groups_.size(); ++g) by_fields[groups_[g].fields].push_back(g);
  std::map<uint32_t, Cluster> old;
  for (Cluster& c : clusters_) old.emplace(c.fields, std::move(c));
  std::vector<std::vector<size_t>> members;
  for (auto& [fields, m] : by_fields) {
    std::sort(m.begin(), m.end(),
              [&](size_t a, size_t b) { return groups_[a].best_priority < groups_[b].best_priority; });
    members.push_back(std::move(m));
  }
  std::sort(members.begin(), members.end(),
            [&](const auto& a, const auto& b) { return groups_[a[0]].best_priority < groups_[b[0]].best_priority; });
  std::vector<Group> groups;
  groups.reserve(groups_.size());
  clusters_.clear();
  for (const auto& m : members) {
    Cluster& c = clusters_.emplace_back();
    c.fields = groups_[m[0]].fields;
    c.best_priority = groups_[m[0]].best_priority;
    c.first = uint32_t(groups.size());
    c.count = uint32_t(m.size());
    auto it = old.find(c.fields);
    if (!all && it != old.end() && it->second.filtered && c.count > 1 &&
        std::find(rebuild.begin(), rebuild.end(), c.fields) == rebuild.end()) {
      c.filtered = true;
      c.filter = std::move(it->second.filter);
    }
    for (size_t g : m) groups.push_back(std::move(groups_[g]));
  }
  groups_ = std::move(groups);
  for (Cluster& c : clusters_)
    if (!c.filtered) fill_filter(c);
}

bool SteeringTable::vector_lookup_supported() {
#ifdef STEER_VECTOR_LOOKUP
  static const bool cpu = cpu_has_vector_lookup();
  return cpu;
#else
  return false;
#endif
}

bool SteeringTable::vector_lookup_default() {
  const char* want = std::getenv("STEER_LOOKUP");  // read per table: a table is built per change, not per packet
  return vector_lookup_supported() && want && std::strcmp(want, "vector") == 0;
}

SteeringTable::SteeringTable(const SteeringConfig& cfg)
    : use_gfni_(ToeplitzGfni::usable()), use_vector_(vector_lookup_default()) {
  set_rss(cfg.rss);
  std::vector<Key> values(cfg.flows.size());
  std::vector<uint32_t> group(cfg.flows.size());
  std::vector<size_t> count;
  for (uint32_t i = 0; i < cfg.flows.size(); ++i) {
    const FlowRule& r = cfg.flows[i];
    (void)compile(r);  // index i: a verdict's rule is the rule's position in cfg.flows
    const size_t g = group_for(mask_of(r.match, &values[i]));
    if (g == count.size()) count.push_back(0);
    group[i] = uint32_t(g);
    ++count[g];
  }
  for (size_t g = 0; g < groups_.size(); ++g) groups_[g].size_for(count[g]);
  for (uint32_t i = 0; i < cfg.flows.size(); ++i) insert_rule(groups_[group[i]], values[i], i);  // no clusters yet
  arrange({~0u});
}

void SteeringTable::update(const RssConfig& rss, const std::vector<FlowRule>& erase,
                           const std::vector<FlowRule>& insert) {
  set_rss(rss);
  std::vector<uint32_t> rebuild;  // fields of clusters whose groups came or went
  bool emptied = false;
  for (const FlowRule& r : erase) {
    Key value;
    const Key mask = mask_of(r.match, &value);
    const size_t g = group_of(mask);
    if (g == groups_.size()) continue;
    (void)erase_rule(groups_[g], value, r.priority);
    emptied = emptied || groups_[g].occupied == 0;
  }
  if (emptied) {
    for (size_t g = groups_.size(); g-- > 0;)
      if (groups_[g].occupied == 0) {
        rebuild.push_back(groups_[g].fields);
        groups_.erase(groups_.begin() + long(g));
      }
  }
  // A filter takes the values of new rules as they come; a cluster whose
  // groups change gets a new one (arrange).
  bool reorder = emptied;
  std::vector<Key> values(insert.size());
  std::vector<uint32_t> group(insert.size());
  for (size_t k = 0; k < insert.size(); ++k) {
    const size_t had = groups_.size();
    const size_t g = group_for(mask_of(insert[k].match, &values[k]));
    if (g == had) {
      groups_[g].size_for(0);
      rebuild.push_back(groups_[g].fields);
      reorder = true;
    }
    group[k] = uint32_t(g);
  }
  // Each group sized once for what comes, then the slots the inserts will
  // probe warmed together: at 100,000 rules a group's table is megabytes
  // read at random, and one miss after another was most of an insert.
  if (insert.size() > 1) {
    std::vector<uint32_t> more(groups_.size(), 0);
    for (uint32_t g : group) ++more[g];
    for (size_t g = 0; g < groups_.size(); ++g)
      if (more[g]) groups_[g].reserve(more[g]);
    for (size_t k = 0; k < insert.size(); ++k) {
      const Group& g = groups_[group[k]];
      uint64_t words[kKeyWords], masked[kKeyWords];
      for (size_t w = 0; w < kKeyWords; ++w) words[w] = values[k].word(w);
      const uint64_t h = g.mask_words(words, masked);
      __builtin_prefetch(g.slot_for(h), 1);
      __builtin_prefetch(&g.keys[size_t(uint32_t(h) & g.slot_mask) * g.n_used], 1);  // where place() writes
    }
  }
  for (size_t k = 0; k < insert.size(); ++k) {
    Group& g = groups_[group[k]];
    const uint32_t before = g.best_priority;
    insert_rule(g, values[k], compile(insert[k]));
    reorder = reorder || g.best_priority != before;
  }
  if (reorder) arrange(rebuild);
}

uint32_t SteeringTable::hash(const PacketFields& f) const {
  uint8_t tuple[ToeplitzTable::kMaxInput];
  const size_t n = rss_tuple(f, types_, tuple);
  // The table form even where GFNI is usable: the tuple's byte stores are
  // still in flight, and GFNI's 64-byte load of it cannot be store-forwarded
  // (123-134 cycles a packet against 71-87 with the table, BENCHMARKS.md).
  // classify_burst writes a chunk's tuples before hashing any, and uses GFNI.
  return n ? toeplitz_.hash(tuple, n) : 0;
}

[[gnu::always_inline]] inline void SteeringTable::apply_rule(SteerVerdict& v, int32_t rule) const {
  if (rule < 0) return;
  const Rule& a = rules_[size_t(rule)];
  v.rule = rule;
  if (a.marked) {
    v.marked = true;
    v.mark = a.mark;
  }
  if (a.kind == Rule::Drop)
    v.kind = SteerVerdict::Drop;
  else if (a.kind == Rule::Queue)
    v.queue = a.queue;
  else if (a.kind == Rule::Rss)
    v.queue = rss_[a.rss_off + v.hash % a.rss_len];
}

SteerVerdict SteeringTable::classify(const PacketFields& f) const {
  SteerVerdict v;
  v.hash = hash(f);
  v.queue = reta_queue(v.hash);
  const Key k = key_of(f);
  int32_t best = -1;
  uint32_t best_prio = UINT32_MAX;
  uint64_t words[kKeyWords];
  for (size_t w = 0; w < kKeyWords; ++w) words[w] = k.word(w);
  for (const Group& g : groups_) {
    if (g.best_priority >= best_prio) continue;
    uint64_t masked[kKeyWords];
    const uint32_t r = g.find(masked, g.mask_words(words, masked));
    if (r != Group::kEmpty && rules_[r].priority < best_prio) {
      best = int32_t(r);
      best_prio = rules_[r].priority;
    }
  }
  apply_rule(v, best);
  return v;
}

// Tuples kTupleStride bytes apart; a length of 0 hashes to 0.
void SteeringTable::hash_tuples(const uint8_t* tuples, const size_t* len, size_t n, uint32_t* out) const {
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
  // (GCC 12 cannot see that the caller wrote the n lengths read here.)
  if (use_gfni_)
    gfni_.hash_burst(tuples, len, n, out);
  else
    for (size_t i = 0; i < n; ++i) out[i] = len[i] ? toeplitz_.hash(tuples + i * kTupleStride, len[i]) : 0;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
}

void SteeringTable::classify_burst(const PacketFields* f, size_t n, SteerVerdict* out) const {
  // Every tuple of a chunk first, then every hash: the GFNI form reads a
  // tuple with one 64-byte load, which stalls when the byte stores that wrote
  // it are still in flight (no store forwarding across them); a pass later
  // they are not.
  alignas(64) uint8_t tuple[kChunk][kTupleStride];
  size_t len[kChunk];
  uint32_t hashes[kChunk];
  for (size_t i = 0; i < n; i += kChunk) {
    const size_t c = std::min(kChunk, n - i);
    for (size_t j = 0; j < c; ++j) len[j] = tuple_of(f[i + j], types_, tuple[j]);
    hash_tuples(tuple[0], len, c, hashes);
    classify_chunk(f + i, hashes, c, out + i);
  }
}

void SteeringTable::classify_hashed(const PacketFields* f, const uint32_t* hashes, size_t n, SteerVerdict* out) const {
  for (size_t i = 0; i < n; i += kChunk) classify_chunk(f + i, hashes + i, std::min(kChunk, n - i), out + i);
}

// One stage at a time across the chunk: the RETA; key words; then per
// cluster its filter and per group its probes, each as two passes (hash and
// prefetch the slot for every packet still looking, then compare), so the
// slot loads of a pass are in flight together instead of one after another.
void SteeringTable::classify_chunk(const PacketFields* f, const uint32_t* hashes, size_t n, SteerVerdict* out) const {
  for (size_t i = 0; i < n; ++i) {
    out[i] = SteerVerdict{};
    out[i].hash = hashes[i];
    out[i].queue = reta_queue(hashes[i]);
  }
  if (groups_.empty()) return;
  uint64_t h[kChunk];
  uint32_t best_prio[kChunk];
  int32_t best[kChunk];
  uint8_t look[kChunk], sel[kChunk];
  for (size_t i = 0; i < n; ++i) {
    best_prio[i] = UINT32_MAX;
    best[i] = -1;
  }
  // Hashes the packets of `in` under g's mask, keeps those whose signature
  // bit is set and probes for them, calling found(j, rule) in ascending j
  // (rule kEmpty: none); a packet it is not called for has no rule here. The
  // mask's word count is a constant in each of the seven forms.
  auto lookup = [&](const Group& g, const uint8_t* in, size_t m, auto&& found) {
    auto pass = [&](auto words_n) {
      constexpr unsigned N = decltype(words_n)::value;
      uint8_t at[N + 1];
      uint64_t wm[N + 1];
      for (unsigned u = 0; u < N; ++u) {
        at[u] = g.used[u];
        wm[u] = g.word_mask[g.used[u]];
      }
      // Only the packets whose signature bit is set go on to probe: for a
      // miss that is the branch-free test of one bit, not a slot's. Each form
      // leaves their list positions in maybe[] and their hashes in h[], both
      // compacted; their masked words are made again for the probe, not kept
      // for all.
      uint8_t maybe[kChunk + 8];  // the vector form's compress stores a whole vector
      const uint64_t* sig = g.sig_bits.data();
      size_t k;
#ifdef STEER_VECTOR_LOOKUP
      if (use_vector_) {
        uint64_t hd[kChunk];
        k = signature_pass_vector<N>(f, in, m, at, wm, sig, g.sig_bits_mask, hd, maybe);
        for (size_t q = 0; q < k; ++q) h[q] = hd[maybe[q]];
      } else
#endif
        k = g.sig_bits.size() * sizeof(uint64_t) <= kTestAsHashedBytes
                ? signature_pass_scalar<N>(f, in, m, at, wm, sig, g.sig_bits_mask, h, maybe)
                : signature_pass_prefetched<N>(f, in, m, at, wm, sig, g.sig_bits_mask, h, maybe);
      uint64_t w[N + 1];
      for (size_t q = 0; q < k; ++q) __builtin_prefetch(g.slot_for(h[q]));
      for (size_t q = 0; q < k; ++q) {
        masked_words<N>(f[in[maybe[q]]], at, wm, w);
        found(maybe[q], g.find_n<N>(w, h[q]));
      }
    };
    with_constant<0, kKeyWords>(g.n_used, pass);
  };
  // Until a packet of the chunk has a rule, every packet is still looking
  // in every cluster and group (their best priorities are all below
  // UINT32_MAX, or they hold no rule): the lists of those still looking are
  // then kAll's first n entries, not built per packet.
  static constexpr auto kAll = [] {
    std::array<uint8_t, kChunk> a{};
    for (size_t i = 0; i < kChunk; ++i) a[i] = uint8_t(i);
    return a;
  }();
  bool any = false;  // some packet has a rule
  for (const Cluster& c : clusters_) {
    const uint8_t* list = kAll.data();
    size_t m = c.best_priority == UINT32_MAX ? 0 : n;
    if (any) {
      m = 0;
      for (size_t i = 0; i < n; ++i)
        if (best_prio[i] > c.best_priority) look[m++] = uint8_t(i);
      list = look;
    }
    if (c.filtered && m) {
      size_t kept = 0;
      lookup(c.filter, list, m, [&](size_t j, uint32_t r) {
        look[kept] = list[j];  // kept <= j: an entry is read before it is overwritten
        kept += r != Group::kEmpty;
      });
      m = kept;
      list = look;
    }
    for (uint32_t gi = c.first; gi < c.first + c.count && m; ++gi) {
      const Group& g = groups_[gi];
      const uint8_t* in = list;
      size_t s = 0;
      if (!any) {  // every packet of `list` ranks below the group, unless it holds no rule
        s = g.best_priority == UINT32_MAX ? 0 : m;
      } else {
        for (size_t j = 0; j < m; ++j)
          if (best_prio[list[j]] > g.best_priority) sel[s++] = list[j];
        in = sel;
      }
      if (!s) break;  // the cluster's later groups rank lower still
      lookup(g, in, s, [&](size_t j, uint32_t r) {
        const size_t i = in[j];
        if (r != Group::kEmpty && rules_[r].priority < best_prio[i]) {
          best[i] = int32_t(r);
          best_prio[i] = rules_[r].priority;
          any = true;
        }
      });
    }
  }
  if (any)
    for (size_t i = 0; i < n; ++i) apply_rule(out[i], best[i]);
}

std::vector<uint16_t> reta_spread(uint32_t size, const std::vector<uint16_t>& queues) {
  std::vector<uint16_t> r(size);
  for (uint32_t i = 0; i < size && !queues.empty(); ++i) r[i] = queues[i % queues.size()];
  return r;
}

std::vector<uint16_t> reta_weights(uint32_t size, const std::map<uint16_t, uint32_t>& weights) {
  // Smooth weighted round-robin: interleaves queues in proportion.
  std::vector<uint16_t> r;
  std::map<uint16_t, int64_t> current;
  int64_t total = 0;
  for (auto [q, w] : weights) total += w;
  if (!total) return std::vector<uint16_t>(size, 0);
  for (uint32_t i = 0; i < size; ++i) {
    uint16_t pick = 0;
    int64_t best = INT64_MIN;
    for (auto [q, w] : weights) {
      current[q] += w;
      if (current[q] > best) {
        best = current[q];
        pick = q;
      }
    }
    current[pick] -= total;
    r.push_back(pick);
  }
  return r;
}

namespace {

std::string queue_range(uint16_t queues) {
  return queues == 1 ? "queue 0" : "queues 0-" + std::to_string(queues - 1);
}

// validate_steering's checks that do not look at the rules; err(field, message).
template <class Err>
void check_globals(const SteeringConfig& s, uint16_t queues, Err err) {
  if (s.rss.key.size() != 40 && s.rss.key.size() != 52)
    err("rss.key", std::to_string(s.rss.key.size()) + " bytes; an RSS key is 40 or 52 bytes (80 or 104 hex digits)");
  if (s.rss.reta.empty() || s.rss.reta.size() > 65536)
    err("rss.reta", std::to_string(s.rss.reta.size()) + " entries; a RETA has 1 to 65536 (128 or 512 are usual)");
  for (size_t i = 0; i < s.rss.reta.size(); ++i)
    if (s.rss.reta[i] >= queues) {
      err("rss.reta[" + std::to_string(i) + "]",
          "queue " + std::to_string(s.rss.reta[i]) + " does not exist; this port steers to " + queue_range(queues));
      break;
    }
  if (s.rss.types & ~uint32_t(kRssAll)) err("rss.types", "unknown hash type bits");
  if (s.drain_timeout_ms < 1 || s.drain_timeout_ms > 60000)
    err("drain_timeout_ms", std::to_string(s.drain_timeout_ms) + " is out of range; use 1-60000");
}

bool name_valid(const std::string& name) {
  return !name.empty() && name.size() <= kMaxRuleName &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") ==
             std::string::npos;
}

// The checks of one rule's action and match (not its name or priority, which
// are checked against the other rules); `p` is its path ("flows[3]").
template <class Err>
void check_rule(const FlowRule& r, const std::string& p, uint16_t queues, Err err) {
  const FlowActionSpec& a = r.action;
  const int kinds = int(a.queue.has_value()) + int(!a.rss.empty()) + int(a.drop);
  if (kinds > 1) err(p + ".action", "choose one of queue, rss or drop (mark may go with queue or rss)");
  if (kinds == 0 && !a.mark) err(p + ".action", "empty; give queue: N, rss: [queues], drop: true or mark: N");
  if (a.drop && a.mark) err(p + ".action", "a dropped packet cannot carry a mark; remove mark or drop");
  if (a.queue && *a.queue >= queues)
    err(p + ".action.queue",
        "queue " + std::to_string(*a.queue) + " does not exist; this port steers to " + queue_range(queues));
  if (a.rss.size() > kMaxRuleRssQueues)
    err(p + ".action.rss", std::to_string(a.rss.size()) + " queues; list at most " + std::to_string(kMaxRuleRssQueues));
  for (size_t j = 0; j < a.rss.size() && j < kMaxRuleRssQueues; ++j)
    if (a.rss[j] >= queues)
      err(p + ".action.rss[" + std::to_string(j) + "]",
          "queue " + std::to_string(a.rss[j]) + " does not exist; this port steers to " + queue_range(queues));
  const FlowMatch& m = r.match;
  const bool v4 = m.ipv4_src || m.ipv4_dst, v6 = m.ipv6_src || m.ipv6_dst;
  const bool tcp = m.tcp_src || m.tcp_dst, udp = m.udp_src || m.udp_dst;
  if (v4 && v6) err(p + ".match", "matches both IPv4 and IPv6 addresses; a packet is one or the other");
  if (tcp && udp) err(p + ".match", "matches both TCP and UDP ports; a packet is one or the other");
  if (m.eth_type && ((v4 && *m.eth_type != 0x0800) || (v6 && *m.eth_type != 0x86dd)))
    err(p + ".match.eth_type", "contradicts the IP addresses matched");
  if (m.ip_proto && ((tcp && *m.ip_proto != 6) || (udp && *m.ip_proto != 17)))
    err(p + ".match.ip_proto", "contradicts the TCP/UDP ports matched");
  if (m.vlan && *m.vlan > 4095) err(p + ".match.vlan", std::to_string(*m.vlan) + " is not a VLAN id (0-4095)");
  if (m.ipv4_src_len > 32 || m.ipv4_dst_len > 32) err(p + ".match", "IPv4 prefix longer than 32");
  if (m.ipv6_src_len > 128 || m.ipv6_dst_len > 128) err(p + ".match", "IPv6 prefix longer than 128");
}

}  // namespace

std::vector<ConfigError> validate_steering(const SteeringConfig& s, uint16_t queues, const std::string& path) {
  std::vector<ConfigError> errs;
  auto err = [&](const std::string& p, const std::string& m) { errs.push_back({path + "." + p, m}); };
  check_globals(s, queues, err);
  if (s.flows.size() > kMaxRules) {
    err("flows", std::to_string(s.flows.size()) + " rules; a port holds at most " + std::to_string(kMaxRules));
    return errs;
  }
  std::unordered_map<std::string_view, size_t> names;
  std::unordered_map<uint32_t, size_t> prios;
  names.reserve(s.flows.size());
  prios.reserve(s.flows.size());
  size_t over = 0;
  for (size_t i = 0; i < s.flows.size(); ++i) {
    if (errs.size() >= kMaxErrors) {
      over = s.flows.size() - i;
      break;
    }
    const FlowRule& r = s.flows[i];
    const std::string p = "flows[" + std::to_string(i) + "]";
    if (r.name.empty())
      err(p + ".name", "every rule needs a name (it is how rules are deleted and replaced)");
    else if (!name_valid(r.name))
      err(p + ".name",
          "a rule name is 1-" + std::to_string(kMaxRuleName) + " letters, digits, '_', '.', ':' or '-'; rename it");
    else if (auto [it, fresh] = names.emplace(r.name, i); !fresh)
      err(p + ".name", "\"" + r.name + "\" is already the name of flows[" + std::to_string(it->second) + "]");
    if (auto [it, fresh] = prios.emplace(r.priority, i); !fresh)
      err(p + ".priority", std::to_string(r.priority) + " is also the priority of flows[" + std::to_string(it->second) +
                               "] (" + s.flows[it->second].name +
                               "); lower numbers win, so two rules may not tie: give one another priority");
    check_rule(r, p, queues, err);
  }
  if (over)
    err("flows",
        "and " + std::to_string(over) + " more rules not checked after " + std::to_string(kMaxErrors) + " errors");
  return errs;
}

bool steering_globals_valid(const SteeringConfig& s, uint16_t queues) {
  bool ok = s.flows.size() <= kMaxRules;
  check_globals(s, queues, [&](const std::string&, const std::string&) { ok = false; });
  return ok;
}

bool rule_valid_alone(const FlowRule& r, uint16_t queues) {
  bool ok = name_valid(r.name);
  check_rule(r, "", queues, [&](const std::string&, const std::string&) { ok = false; });
  return ok;
}

}  // namespace steer
