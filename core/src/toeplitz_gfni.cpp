// The GFNI form of the Toeplitz hash (toeplitz.h says how it works). The
// functions that use the instructions carry a target attribute, so the rest
// of the build keeps the baseline ISA and a CPU without them never runs them.
#include <cstdlib>
#include <cstring>

#include "steer/toeplitz.h"

#if defined(__x86_64__)
// GCC 12's AVX-512 intrinsics pass _mm512_undefined_* values, which
// -Wuninitialized reports inside the header (GCC bug 105593); nothing here
// reads an uninitialized value.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#endif

namespace steer {
namespace {

bool cpu_has_gfni() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("gfni") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vbmi");
#else
  return false;
#endif
}

// Per 512-bit register r: byte k (< 4) of lane l takes input byte
// 8r + l - k; `keep` zeroes the other bytes.
struct Placement {
  alignas(64) uint8_t idx[5][64];
  uint64_t keep[5];
};

constexpr Placement make_placement() {
  Placement p{};
  for (unsigned r = 0; r < 5; ++r)
    for (unsigned l = 0; l < 8; ++l)
      for (unsigned k = 0; k < 8; ++k) {
        const int src = int(8 * r + l) - int(k);
        p.idx[r][8 * l + k] = uint8_t(src < 0 ? 0 : src);
        if (k < 4 && src >= 0) p.keep[r] |= uint64_t(1) << (8 * l + k);
      }
  return p;
}

constexpr Placement kPlacement = make_placement();

}  // namespace

bool ToeplitzGfni::supported() {
  static const bool ok = cpu_has_gfni();
  return ok;
}

bool ToeplitzGfni::usable() {
  static const bool ok = [] {
    const char* force = std::getenv("STEER_TOEPLITZ");
    return supported() && !(force && std::strcmp(force, "table") == 0);
  }();
  return ok;
}

ToeplitzGfni::ToeplitzGfni(const std::vector<uint8_t>& key) {
  // Key bit n, most significant first; past the key's end, 0 (as the table).
  auto bit = [&](size_t n) -> unsigned { return n / 8 < key.size() ? (key[n / 8] >> (7 - n % 8)) & 1u : 0u; };
  // GF2P8AFFINEQB: result bit i = parity(matrix byte 7 - i AND x). Output bit
  // i of hash byte k is hash bit 8k + 7 - i counted from the top, which takes
  // input bit b (from the top of byte p) through key bit 8(p + k) + b + 7 - i.
  for (size_t m = 0; m < kLanes; ++m) {
    uint64_t q = 0;
    for (unsigned i = 0; i < 8; ++i)
      for (unsigned b = 0; b < 8; ++b)
        if (bit(8 * m + b + 7 - i)) q |= uint64_t(1) << (8 * (7 - i) + (7 - b));
    matrix_[m] = q;
  }
}

#if defined(__x86_64__)
__attribute__((target("gfni,avx512f,avx512bw,avx512vbmi"))) uint32_t ToeplitzGfni::hash(const uint8_t* input,
                                                                                        size_t len) const {
  // Bytes past `len` load as 0, so every lane may read input byte m - k.
  const __m512i in = _mm512_maskz_loadu_epi8(len >= 64 ? ~__mmask64(0) : (__mmask64(1) << len) - 1, input);
  __m512i acc = _mm512_setzero_si512();
  const size_t regs = (len + 3 + 7) / 8;  // lanes 0 .. len + 2
  for (size_t r = 0; r < regs; ++r) {
    const __m512i placed = _mm512_maskz_permutexvar_epi8(kPlacement.keep[r], _mm512_load_si512(kPlacement.idx[r]), in);
    acc = _mm512_xor_si512(acc, _mm512_gf2p8affine_epi64_epi8(placed, _mm512_load_si512(&matrix_[8 * r]), 0));
  }
  // Fold the eight lanes: swap 256-bit halves, then 128-bit quarters.
  acc = _mm512_xor_si512(acc, _mm512_shuffle_i64x2(acc, acc, 0x4e));
  acc = _mm512_xor_si512(acc, _mm512_shuffle_i64x2(acc, acc, 0xb1));
  const __m128i x2 = _mm512_castsi512_si128(acc);
  const uint64_t x1 = uint64_t(_mm_cvtsi128_si64(x2)) ^ uint64_t(_mm_extract_epi64(x2, 1));
  return __builtin_bswap32(uint32_t(x1));  // byte 0 is the most significant
}

// hash() for a burst. The five placements and matrices are loaded once: per
// tuple what is left is the masked load, a permute and an affine transform
// per 8 bytes of lanes, and the fold.
__attribute__((target("gfni,avx512f,avx512bw,avx512vbmi"))) void ToeplitzGfni::hash_burst(const uint8_t* tuples,
                                                                                          const size_t* len, size_t n,
                                                                                          uint32_t* out) const {
  __m512i idx[5], mat[5];
  for (size_t r = 0; r < 5; ++r) {
    idx[r] = _mm512_load_si512(kPlacement.idx[r]);
    mat[r] = _mm512_load_si512(&matrix_[8 * r]);
  }
#define STEER_LANES(r, in) \
  _mm512_gf2p8affine_epi64_epi8(_mm512_maskz_permutexvar_epi8(kPlacement.keep[r], idx[r], in), mat[r], 0)
  for (size_t i = 0; i < n; ++i) {
    const size_t l = len[i];
    const __m512i in = _mm512_maskz_loadu_epi8(l >= 64 ? ~__mmask64(0) : (__mmask64(1) << l) - 1, tuples + i * kStride);
    __m512i acc = STEER_LANES(0, in);
    switch ((l + 3 + 7) / 8) {  // registers holding lanes 0 .. l + 2
      case 5:
        acc = _mm512_xor_si512(acc, STEER_LANES(4, in));
        [[fallthrough]];
      case 4:
        acc = _mm512_xor_si512(acc, STEER_LANES(3, in));
        [[fallthrough]];
      case 3:
        acc = _mm512_xor_si512(acc, STEER_LANES(2, in));
        [[fallthrough]];
      case 2:
        acc = _mm512_xor_si512(acc, STEER_LANES(1, in));
        break;
      default:
        break;
    }
    acc = _mm512_xor_si512(acc, _mm512_shuffle_i64x2(acc, acc, 0x4e));
    acc = _mm512_xor_si512(acc, _mm512_shuffle_i64x2(acc, acc, 0xb1));
    const __m128i x2 = _mm512_castsi512_si128(acc);
    out[i] = __builtin_bswap32(uint32_t(uint64_t(_mm_cvtsi128_si64(x2)) ^ uint64_t(_mm_extract_epi64(x2, 1))));
  }
#undef STEER_LANES
}
#else
uint32_t ToeplitzGfni::hash(const uint8_t*, size_t) const {
  return 0;
}
void ToeplitzGfni::hash_burst(const uint8_t*, const size_t*, size_t n, uint32_t* out) const {
  for (size_t i = 0; i < n; ++i) out[i] = 0;
}
#endif

}  // namespace steer
