// ZoneIndex: the crossmatch index over a Catalog. The sky is cut into declination zones of
// height h; sources are sorted by (zone, ra) into a struct of arrays of unit vectors. With the
// 2-D layout each zone also has a directory of equal-width RA cells (offsets into the sorted
// arrays), so a query finds its candidate run by arithmetic; the 1-D layout binary-searches RA
// within the zone instead. Candidates are tested exactly on squared chord length.
// Within the candidate run, the exact RA window [ra - α, ra + α] is found on the sorted RA
// array, resuming from where the previous query of the same zone stopped (a batch is matched in
// (zone, ra) order); the query's unit vector is computed only when that window is not empty.
// Built once, then immutable: const queries are safe from any number of threads (the resume
// state lives in each call).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/status.h"
#include "sky/catalog.h"
#include "sky/geometry.h"

namespace lantern::sky {

enum class ZoneLayout {
  kZones2d,  // zone -> RA cell directory
  kZones1d,  // binary search in RA within each zone
};

// Mean sources per h × h cell that the automatic zone height aims for: h* = sqrt(c / ρ) with ρ
// the catalog's mean density per square degree. This default is a starting point to be
// calibrated by the zone-height sweep in bench/sky_bench.cc; the options can override it.
inline constexpr double kDefaultSourcesPerCell = 4.0;
// Largest radius a query may use: cone searches of a few degrees, watchlist targets to 1800″.
inline constexpr double kMaxRadiusArcsec = 10.0 * 3600.0;

struct ZoneIndexOptions {
  ZoneLayout layout = ZoneLayout::kZones2d;
  // Zone height in degrees, in [1e-4, 180]; 0 picks h* = sqrt(sources_per_cell / ρ), clamped to
  // [0.002, 10]. A 2-D zone has about 360 cos δ / h cells, but never more than 2n + 1 for n
  // sources in it.
  double zone_height_deg = 0.0;
  double sources_per_cell = kDefaultSourcesPerCell;
};

struct SkyPoint {
  double ra_deg = 0.0;
  double dec_deg = 0.0;
};

// One pair: the query's index in the batch, the catalog row, their separation.
struct Match {
  uint32_t query = 0;
  uint32_t row = 0;
  double sep_arcsec = 0.0;
  bool operator==(const Match&) const = default;
};

// The arrays a ZoneIndex consists of, as views: what a built catalog file stores (lcat.h) and
// what ZoneIndex::FromArrays takes back. Sources are sorted by (zone, ra); num_zones =
// zone_start.size() - 1 and the zone height is 180° / num_zones.
struct ZoneArrays {
  std::span<const double> x, y, z, ra;   // sorted sources
  std::span<const uint32_t> row;         // sorted position -> catalog row; empty: the identity
  std::span<const uint32_t> zone_start;  // num_zones + 1 offsets into the sorted arrays
  // 2-D directory: zone z has cells_in_zone[z] cells, whose cells_in_zone[z] + 1 offsets lie
  // back to back, zone after zone, in cell_start. Empty for the 1-D layout.
  std::span<const uint32_t> cells_in_zone;
  std::span<const uint32_t> cell_start;
};

class BatchOrder;  // batch.h

class ZoneIndex {
 public:
  ZoneIndex() = default;
  // Copies positions out of `catalog` (which need not outlive the index). Fails if it holds more
  // than 2^32 - 1 rows or the options are out of range.
  static Result<ZoneIndex> Build(const Catalog& catalog, const ZoneIndexOptions& options = {});
  // Wraps arrays held elsewhere (e.g. a memory-mapped file) without copying them; `keep_alive`
  // owns their memory. Checks every size and offset (O(zones + cells), no pass over the
  // sources), so arrays from a damaged file cannot make a query read out of bounds; the 2-D
  // layout needs the directory arrays.
  static Result<ZoneIndex> FromArrays(ZoneLayout layout, const ZoneArrays& arrays,
                                      std::shared_ptr<const void> keep_alive);
  // Views of this index's arrays (valid while the index lives).
  ZoneArrays arrays() const;

  // Every catalog row within the radius of each query, ordered by query index, then separation,
  // then row. Pairs are "within r" when chord² <= ChordSqFromRadians(r) on the unit vectors.
  // Errors name the first invalid query (non-finite, |dec| > 90, radius out of [0, max]).
  Result<std::vector<Match>> AllWithin(std::span<const SkyPoint> queries,
                                       double radius_arcsec) const;
  // Per-target radius: radii_arcsec[i] applies to queries[i].
  Result<std::vector<Match>> AllWithin(std::span<const SkyPoint> queries,
                                       std::span<const double> radii_arcsec) const;
  // At most one match per query, the nearest within the radius (ties: lowest row), ordered by
  // query index; queries with nothing in range have no entry.
  Result<std::vector<Match>> NearestWithin(std::span<const SkyPoint> queries,
                                           double radius_arcsec) const;
  Result<std::vector<Match>> NearestWithin(std::span<const SkyPoint> queries,
                                           std::span<const double> radii_arcsec) const;
  // Everything within the radius of one position, nearest first (query index 0).
  Result<std::vector<Match>> Cone(SkyPoint center, double radius_arcsec) const;

  size_t size() const { return n_; }
  ZoneLayout layout() const { return layout_; }
  double zone_height_deg() const { return h_; }
  int num_zones() const { return nz_; }
  size_t num_cells() const { return num_cells_; }
  // Bytes held by the index (sorted arrays and directories).
  size_t MemoryBytes() const;

 private:
  struct Query;
  struct ScanState;

  int ZoneOf(double dec_deg) const;
  uint32_t RowOf(uint32_t sorted) const { return row_[sorted]; }
  // Derives zone_inv_cos2_ from nz_.
  void IndexZones();
  // Derives cell_base_ and cell_scale_ from cells_in_zone_.
  void IndexCells();
  uint32_t CellOf(int zone, double ra_deg) const;
  // Calls visit(sorted_index, chord_sq) for every source within the query's radius.
  template <typename Visit>
  void ForEachWithin(Query& query, ScanState* state, Visit&& visit) const;
  // Tests the sorted rows of zone z whose ra lies in [lo, hi].
  template <typename Visit>
  void ScanRa(int z, double lo, double hi, Query& query, ScanState* state, Visit&& visit) const;
  // Validates a batch and returns its matching order, (zone, ra) (batch.h).
  Result<BatchOrder> SortBatch(std::span<const SkyPoint> queries,
                               std::span<const double> radii) const;
  // Calls fn(query_index, query, state) for every query in sorted order, with one ScanState
  // for the whole batch.
  template <typename Fn>
  void ForEachQuerySorted(std::span<const SkyPoint> queries, std::span<const double> radii,
                          const BatchOrder& order, Fn&& fn) const;
  Result<std::vector<Match>> RunAll(std::span<const SkyPoint> queries,
                                    std::span<const double> radii) const;
  Result<std::vector<Match>> RunNearest(std::span<const SkyPoint> queries,
                                        std::span<const double> radii) const;

  ZoneLayout layout_ = ZoneLayout::kZones2d;
  double h_ = 1.0;
  double inv_h_ = 1.0;
  int nz_ = 0;
  size_t n_ = 0;
  size_t num_cells_ = 0;
  // Owns the memory the spans below view: vectors made by Build, or a mapped file. Shared, so
  // copies of an index share it.
  std::shared_ptr<const void> storage_;
  std::span<const uint32_t> zone_start_;  // nz_ + 1 offsets into the sorted arrays
  // Per zone, 1 / cos² of its largest |dec| (padded): bounds 1 / cos² δ for every query in the
  // zone, so the RA half-width needs no trigonometry of the query.
  std::vector<double> zone_inv_cos2_;
  // 2-D directory: zone z has cells_in_zone_[z] cells whose nc + 1 offsets start at
  // cell_start_[cell_base_[z]].
  std::vector<uint32_t> cell_base_;
  std::span<const uint32_t> cells_in_zone_;
  std::vector<double> cell_scale_;  // cells per degree of RA, per zone
  std::span<const uint32_t> cell_start_;
  // Sources sorted by (zone, ra); row_ maps them back to catalog rows (FromArrays makes an
  // identity map when given none).
  std::span<const double> x_, y_, z_, ra_;
  std::span<const uint32_t> row_;
};

}  // namespace lantern::sky
