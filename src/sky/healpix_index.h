// HealpixIndex: the catalog sorted by nested HEALPix pixel (healpix_cxx) at one order, chosen
// from the catalog's density or given. A query asks healpix_cxx for the pixels overlapping its
// circle (query_disc_inclusive, as pixel ranges) and scans their rows with the exact chord²
// test, so results equal ZoneIndex's (see sky_index.h). healpix_cxx stays inside the .cc.
// Built once, then immutable: const queries are safe from any number of threads.
#pragma once

#include <string>

#include "core/status.h"
#include "sky/catalog.h"
#include "sky/sky_index.h"
#include "sky/sorted_cells.h"

namespace lantern::sky {

struct HealpixIndexOptions {
  // 0..kMaxCellLevel; -1 picks the order whose 12·4^k pixels hold about sources_per_cell
  // sources each (order 7 for 1e6 sources), at most 16.
  int order = -1;
  double sources_per_cell = kDefaultSourcesPerCell;
};

class HealpixIndex final : public SkyIndex {
 public:
  static Result<HealpixIndex> Build(const Catalog& catalog,
                                    const HealpixIndexOptions& options = {});

  IndexKind kind() const override { return IndexKind::kHealpix; }
  size_t size() const override { return cells_.size(); }
  size_t MemoryBytes() const override { return cells_.MemoryBytes(); }
  std::string Describe() const override;
  int order() const { return order_; }

 private:
  Result<std::vector<Match>> RunAllWithin(std::span<const SkyPoint> queries,
                                          std::span<const double> radii) const override;
  Result<std::vector<Match>> RunNearestWithin(std::span<const SkyPoint> queries,
                                              std::span<const double> radii) const override;

  int order_ = 0;
  SortedCells cells_;
};

}  // namespace lantern::sky
