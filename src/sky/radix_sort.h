// The batch sort shared by the sky indexes: queries are packed as 64-bit words (sort key in
// the upper, query index in the lower 32 bits) and ordered by their key. Pure function.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace lantern::sky {

// Stable LSD radix sort of 64-bit words by bits [32, 32 + key_bits), 11 bits per pass. Input
// already in order costs one check; passes in which every word has the same digit are skipped.
inline void RadixSortByHighBits(std::vector<uint64_t>* words, int key_bits) {
  if (std::is_sorted(words->begin(), words->end())) return;
  std::vector<uint64_t> tmp(words->size());
  for (int shift = 32; shift < 32 + key_bits; shift += 11) {
    uint32_t count[2048] = {};
    for (const uint64_t w : *words) ++count[(w >> shift) & 2047];
    if (std::find(count, count + 2048, words->size()) != count + 2048) continue;
    uint32_t sum = 0;
    for (uint32_t& c : count) {
      const uint32_t k = c;
      c = sum;
      sum += k;
    }
    for (const uint64_t w : *words) tmp[count[(w >> shift) & 2047]++] = w;
    words->swap(tmp);
  }
}

}  // namespace lantern::sky
