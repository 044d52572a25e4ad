#include "sky/sorted_cells.h"
#include "sky/radix_sort.h"

#include <cmath>
#include <fmt/format.h>
#include <numbers>
#include <numeric>

namespace lantern::sky {
namespace {

constexpr double kSkyAreaDeg2 = 4.0 * std::numbers::pi * kRadToDeg * kRadToDeg;


}  // namespace

Result<SortedCells> SortedCells::Build(const Catalog& catalog, std::vector<uint64_t> cell_of_row,
                                       uint64_t num_cells, std::string_view what) {
  const size_t n = catalog.size();
  if (n >= kNoRow) {
    return InvalidArgument(fmt::format("{} index: {} rows; at most {} supported", what, n,
                                       kNoRow - 1));
  }
  if (cell_of_row.size() != n) {
    return Internal(fmt::format("{} index: {} cells for {} rows", what, cell_of_row.size(), n));
  }
  for (size_t i = 0; i < n; ++i) {
    if (cell_of_row[i] >= num_cells) {
      return Internal(fmt::format("{} index: row {} has cell {} of {}", what, i, cell_of_row[i],
                                  num_cells));
    }
  }
  SortedCells s;
  s.num_cells_ = num_cells;
  s.band_deg_ = std::clamp(std::sqrt(kSkyAreaDeg2 / static_cast<double>(num_cells)), 0.002, 10.0);
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return cell_of_row[a] != cell_of_row[b] ? cell_of_row[a] < cell_of_row[b] : a < b;
  });
  s.x_.resize(n);
  s.y_.resize(n);
  s.z_.resize(n);
  s.row_ = order;
  for (size_t i = 0; i < n; ++i) {
    s.x_[i] = catalog.x()[order[i]];
    s.y_[i] = catalog.y()[order[i]];
    s.z_[i] = catalog.z()[order[i]];
  }
  // A directory costs 4 bytes a cell: worth it while cells are not many more than sources.
  if (num_cells <= 4 * static_cast<uint64_t>(n) + 4096) {
    s.dir_.assign(num_cells + 1, 0);
    for (const uint64_t c : cell_of_row) ++s.dir_[c + 1];
    for (uint64_t c = 0; c < num_cells; ++c) s.dir_[c + 1] += s.dir_[c];
  } else {
    s.cell_.resize(n);
    for (size_t i = 0; i < n; ++i) s.cell_[i] = cell_of_row[order[i]];
  }
  return s;
}

size_t SortedCells::MemoryBytes() const {
  return (x_.size() + y_.size() + z_.size()) * sizeof(double) + cell_.size() * sizeof(uint64_t) +
         (dir_.size() + row_.size()) * sizeof(uint32_t);
}

std::pair<uint32_t, uint32_t> SortedCells::Rows(const CellRange& r) const {
  const uint64_t begin = std::min(r.begin, num_cells_);
  const uint64_t end = std::min(r.end, num_cells_);
  if (begin >= end) return {0, 0};
  if (!dir_.empty()) return {dir_[begin], dir_[end]};
  const auto lo = std::lower_bound(cell_.begin(), cell_.end(), begin);
  const auto hi = std::lower_bound(lo, cell_.end(), end);
  return {static_cast<uint32_t>(lo - cell_.begin()), static_cast<uint32_t>(hi - cell_.begin())};
}

Result<std::vector<uint64_t>> SortedCells::SortBatch(std::span<const SkyPoint> queries,
                                                     std::span<const double> radii) const {
  // Checks and messages as in ZoneIndex::SortBatch, in the same order.
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
  // Locality order: declination bands about one cell high, RA quantized within them (22 bits
  // in all, two radix passes). Cells are contiguous runs of the sorted arrays, so neighbouring
  // queries touch neighbouring memory whatever the pixelization.
  const double inv_band = 1.0 / band_deg_;
  const int bands = static_cast<int>(std::ceil(180.0 * inv_band));
  int band_bits = 1;
  while ((1 << band_bits) < bands) ++band_bits;
  const int ra_bits = std::max(9, 22 - band_bits);
  const double ra_scale = std::ldexp(1.0, ra_bits) / 360.0;
  const uint64_t ra_max = (uint64_t{1} << ra_bits) - 1;
  std::vector<uint64_t> keys(n);
  for (size_t i = 0; i < n; ++i) {
    const SkyPoint& s = queries[i];
    if (!std::isfinite(s.ra_deg) || !(s.dec_deg >= -90.0 && s.dec_deg <= 90.0)) {
      return InvalidArgument(fmt::format("query {}: position ({}, {}) is not a valid ra, dec", i,
                                         s.ra_deg, s.dec_deg));
    }
    const uint64_t band = std::min(static_cast<uint64_t>((s.dec_deg + 90.0) * inv_band),
                                   static_cast<uint64_t>(bands - 1));
    const uint64_t ra_key =
        std::min(static_cast<uint64_t>(WrapRaDeg(s.ra_deg) * ra_scale), ra_max);
    keys[i] = (((band << ra_bits) | ra_key) << 32) | i;
  }
  RadixSortByHighBits(&keys, band_bits + ra_bits);
  return keys;
}

}  // namespace lantern::sky
