// What every sky index does with a query batch before and after matching: validation (the
// same checks and messages whatever the index), ordering by declination band and RA so that
// neighbouring queries touch neighbouring memory, and turning per-query nearest results into
// Matches. Pure functions; safe from any thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "core/status.h"
#include "sky/zones.h"

namespace lantern::sky {

// "No row": a catalog or batch may hold at most kNoRow - 1 entries.
inline constexpr uint32_t kNoRow = std::numeric_limits<uint32_t>::max();

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

// The order a batch is matched in: order[k] is the index of the k-th query to match. A batch
// that is already in that order (as a broker sorts it) is the identity, held without an array.
class BatchOrder {
 public:
  static BatchOrder Identity(size_t n) { return BatchOrder(n, {}); }
  // words: the sort key in the upper, the query index in the lower 32 bits, sorted.
  static BatchOrder Sorted(std::vector<uint64_t> words) {
    const size_t n = words.size();
    return BatchOrder(n, std::move(words));
  }

  size_t size() const { return n_; }
  bool identity() const { return words_.empty(); }
  uint32_t operator[](size_t k) const {
    return words_.empty() ? static_cast<uint32_t>(k) : static_cast<uint32_t>(words_[k]);
  }

 private:
  BatchOrder(size_t n, std::vector<uint64_t> words) : n_(n), words_(std::move(words)) {}

  size_t n_ = 0;
  std::vector<uint64_t> words_;
};

// Validates a batch (size, one radius or one per query in [0, kMaxRadiusArcsec], finite ra,
// |dec| <= 90; errors name the first bad query) and returns its matching order: by sort key —
// declination band (`bands` of them, band = (dec + 90) · inv_band_deg), then RA quantized to at
// least 9 bits, 22 bits in all unless the bands need more — then query index (a stable sort).
Result<BatchOrder> SortBatch(std::span<const SkyPoint> queries, std::span<const double> radii,
                             int bands, double inv_band_deg);

// Matches from per-query nearest results (best_row[q] == kNoRow: none), in query order.
std::vector<Match> NearestMatches(const std::vector<uint32_t>& best_row,
                                  const std::vector<double>& best_chord_sq);

}  // namespace lantern::sky
