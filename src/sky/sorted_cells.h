// SortedCells: the engine shared by the HTM and HEALPix indexes. The catalog is sorted by a cell
// id (an HTM trixel or a nested HEALPix pixel at one level) into a struct of unit vectors; a
// query lists the cell ranges that may hold sources within its radius ("cover"), and the rows of
// those ranges are tested exactly on chord² — the predicate of zones.h. Batch validation, error
// messages, result order and tie-breaking are those of ZoneIndex. Internal to src/sky.
// Immutable after Build; const methods are safe from any number of threads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sky/batch.h"
#include "sky/catalog.h"
#include "sky/geometry.h"
#include "sky/zones.h"

namespace lantern::sky {

// Cells [begin, end).
struct CellRange {
  uint64_t begin = 0;
  uint64_t end = 0;
};

// One query ready for covering: its unit vector, radius (unpadded) and chord² limit.
struct CellQuery {
  UnitVector v;
  double radius_rad = 0.0;
  double chord_sq = 0.0;
};

class SortedCells {
 public:
  SortedCells() = default;
  // cell_of_row[i] in [0, num_cells) is the cell of catalog row i. `what` names the index in
  // errors. Fails for more than 2^32 - 2 rows or a cell id out of range.
  static Result<SortedCells> Build(const Catalog& catalog, std::vector<uint64_t> cell_of_row,
                                   uint64_t num_cells, std::string_view what);

  size_t size() const { return row_.size(); }
  uint64_t num_cells() const { return num_cells_; }
  size_t MemoryBytes() const;

  // The batch queries of zones.h; radii holds one radius or one per query. cover(const
  // CellQuery&, std::vector<CellRange>*) appends ranges (in any order, not overlapping) whose
  // union holds every source within the query's radius.
  template <typename Cover>
  Result<std::vector<Match>> AllWithin(std::span<const SkyPoint> queries,
                                       std::span<const double> radii, Cover&& cover) const;
  template <typename Cover>
  Result<std::vector<Match>> NearestWithin(std::span<const SkyPoint> queries,
                                           std::span<const double> radii, Cover&& cover) const;

 private:

  // Validates a batch (the checks and messages of ZoneIndex) and returns a locality order:
  // by declination band, then ra (batch.h).
  Result<BatchOrder> SortBatch(std::span<const SkyPoint> queries,
                               std::span<const double> radii) const;
  // Sorted rows [first, second) of the cells in `r`.
  std::pair<uint32_t, uint32_t> Rows(const CellRange& r) const;
  // Calls fn(query_index, sorted_row, chord_sq) for every pair within the radius, query by
  // query in `order`.
  template <typename Cover, typename Fn>
  void ForEachPair(std::span<const SkyPoint> queries, std::span<const double> radii,
                   const BatchOrder& order, Cover& cover, Fn&& fn) const;

  uint64_t num_cells_ = 0;
  double band_deg_ = 1.0;       // declination band of the batch order, about one cell
  std::vector<uint32_t> dir_;   // num_cells_ + 1 row offsets, when the cells are few enough
  std::vector<uint64_t> cell_;  // sorted cell ids, otherwise (binary search)
  std::vector<double> x_, y_, z_;
  std::vector<uint32_t> row_;
};

template <typename Cover, typename Fn>
void SortedCells::ForEachPair(std::span<const SkyPoint> queries, std::span<const double> radii,
                              const BatchOrder& order, Cover& cover, Fn&& fn) const {
  const bool single = radii.size() == 1;
  CellQuery q;
  auto set_radius = [&q](double r_arcsec) {
    q.radius_rad = r_arcsec * kArcsecToRad;
    q.chord_sq = ChordSqFromRadians(r_arcsec * kArcsecToRad);
  };
  if (single) set_radius(radii[0]);
  std::vector<CellRange> ranges;
  const double* x = x_.data();
  const double* y = y_.data();
  const double* z = z_.data();
  for (size_t k = 0; k < order.size(); ++k) {
    const uint32_t qi = order[k];
    q.v = FromRaDec(WrapRaDeg(queries[qi].ra_deg), queries[qi].dec_deg);
    if (!single) set_radius(radii[qi]);
    ranges.clear();
    if (!row_.empty()) cover(q, &ranges);
    for (const CellRange& r : ranges) {
      const auto [begin, end] = Rows(r);
      for (uint32_t i = begin; i < end; ++i) {
        // The arithmetic of ZoneIndex::ScanRa, so that separations agree to the last bit.
        const double dx = x[i] - q.v.x;
        const double dy = y[i] - q.v.y;
        const double dz = z[i] - q.v.z;
        const double c2 = dx * dx + dy * dy + dz * dz;
        if (c2 <= q.chord_sq) fn(qi, i, c2);
      }
    }
  }
}

template <typename Cover>
Result<std::vector<Match>> SortedCells::AllWithin(std::span<const SkyPoint> queries,
                                                  std::span<const double> radii,
                                                  Cover&& cover) const {
  ASSIGN_OR_RETURN(const BatchOrder order, SortBatch(queries, radii));
  std::vector<Match> found;
  ForEachPair(queries, radii, order, cover, [&](uint32_t qi, uint32_t i, double c2) {
    found.push_back({qi, row_[i], RadiansFromChordSq(c2) * kRadToArcsec});
  });
  // Back into query order: counts per query, prefix sums, then one scatter (a query's pairs
  // are contiguous in `found`, so each group keeps its order) and a sort within each group.
  const size_t n = queries.size();
  std::vector<uint32_t> start(n + 1, 0);
  for (const Match& m : found) ++start[m.query + 1];
  for (size_t i = 0; i < n; ++i) start[i + 1] += start[i];
  std::vector<Match> out(found.size());
  {
    std::vector<uint32_t> next(start.begin(), start.end() - 1);
    for (const Match& m : found) out[next[m.query]++] = m;
  }
  for (size_t i = 0; i < n; ++i) {
    if (start[i + 1] - start[i] > 1) {
      std::sort(out.begin() + start[i], out.begin() + start[i + 1],
                [](const Match& a, const Match& b) {
                  return a.sep_arcsec != b.sep_arcsec ? a.sep_arcsec < b.sep_arcsec
                                                      : a.row < b.row;
                });
    }
  }
  return out;
}

template <typename Cover>
Result<std::vector<Match>> SortedCells::NearestWithin(std::span<const SkyPoint> queries,
                                                      std::span<const double> radii,
                                                      Cover&& cover) const {
  ASSIGN_OR_RETURN(const BatchOrder order, SortBatch(queries, radii));
  const size_t n = queries.size();
  std::vector<uint32_t> best_row(n, kNoRow);  // by query index
  std::vector<double> best_c2(n, std::numeric_limits<double>::infinity());
  ForEachPair(queries, radii, order, cover, [&](uint32_t qi, uint32_t i, double c2) {
    const uint32_t row = row_[i];
    if (c2 < best_c2[qi] || (c2 == best_c2[qi] && row < best_row[qi])) {
      best_c2[qi] = c2;
      best_row[qi] = row;
    }
  });
  return NearestMatches(best_row, best_c2);
}

}  // namespace lantern::sky
