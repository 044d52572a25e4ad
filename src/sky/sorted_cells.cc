#include "sky/sorted_cells.h"
#include "sky/batch.h"

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

Result<BatchOrder> SortedCells::SortBatch(std::span<const SkyPoint> queries,
                                          std::span<const double> radii) const {
  // Declination bands about one cell high: cells are contiguous runs of the sorted arrays, so
  // neighbouring queries touch neighbouring memory whatever the pixelization.
  return sky::SortBatch(queries, radii, static_cast<int>(std::ceil(180.0 / band_deg_)),
                        1.0 / band_deg_);
}

}  // namespace lantern::sky
