#include "sky/batch.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sky/geometry.h"

namespace lantern::sky {

Result<BatchOrder> SortBatch(std::span<const SkyPoint> queries, std::span<const double> radii,
                             int bands, double inv_band_deg) {
  const size_t n = queries.size();
  if (n >= kNoRow) return InvalidArgument(fmt::format("batch of {} queries is too large", n));
  if (radii.size() != 1 && radii.size() != n) {
    return InvalidArgument(fmt::format("{} radii for {} queries", radii.size(), n));
  }
  for (size_t i = 0; i < radii.size(); ++i) {
    if (!(radii[i] >= 0.0 && radii[i] <= kMaxRadiusArcsec)) {
      return InvalidArgument(fmt::format("query {}: radius {} arcsec is outside [0, {}]", i,
                                         radii[i], kMaxRadiusArcsec));
    }
  }
  // RA buckets of 360/2^9 deg or finer keep consecutive queries within a few cells of each
  // other, which is all the ordering is for; 22 bits make two radix passes.
  int band_bits = 1;
  while ((1 << band_bits) < bands) ++band_bits;
  const int ra_bits = std::max(9, 22 - band_bits);
  const double ra_scale = std::ldexp(1.0, ra_bits) / 360.0;
  const uint64_t ra_max = (uint64_t{1} << ra_bits) - 1;
  auto key = [&](const SkyPoint& s) {
    const uint64_t band = std::min(static_cast<uint64_t>((s.dec_deg + 90.0) * inv_band_deg),
                                   static_cast<uint64_t>(bands - 1));
    const uint64_t ra_key =
        std::min(static_cast<uint64_t>(WrapRaDeg(s.ra_deg) * ra_scale), ra_max);
    return (band << ra_bits) | ra_key;
  };
  // First pass: validate, and see whether the batch is already in order (then no key array is
  // written, and matching reads the queries front to back).
  bool in_order = true;
  uint64_t previous = 0;
  for (size_t i = 0; i < n; ++i) {
    const SkyPoint& s = queries[i];
    if (!std::isfinite(s.ra_deg) || !(s.dec_deg >= -90.0 && s.dec_deg <= 90.0)) {
      return InvalidArgument(fmt::format("query {}: position ({}, {}) is not a valid ra, dec", i,
                                         s.ra_deg, s.dec_deg));
    }
    const uint64_t k = key(s);
    in_order = in_order && k >= previous;
    previous = k;
  }
  if (in_order) return BatchOrder::Identity(n);
  std::vector<uint64_t> words(n);
  for (size_t i = 0; i < n; ++i) words[i] = (key(queries[i]) << 32) | i;
  RadixSortByHighBits(&words, band_bits + ra_bits);
  return BatchOrder::Sorted(std::move(words));
}

std::vector<Match> NearestMatches(const std::vector<uint32_t>& best_row,
                                  const std::vector<double>& best_chord_sq) {
  std::vector<Match> out;
  out.reserve(best_row.size() - std::count(best_row.begin(), best_row.end(), kNoRow));
  for (size_t i = 0; i < best_row.size(); ++i) {
    if (best_row[i] == kNoRow) continue;
    out.push_back({static_cast<uint32_t>(i), best_row[i],
                   RadiansFromChordSq(best_chord_sq[i]) * kRadToArcsec});
  }
  return out;
}

}  // namespace lantern::sky
