// HtmIndex: the catalog sorted by classic HTM trixel id (htm.h) at one level, chosen from the
// catalog's density or given. A query covers its circle with trixels (HtmCoverCap: recursive
// trixel-vs-cap test) and scans the rows of the resulting id ranges with the exact chord² test,
// so results equal ZoneIndex's (see sky_index.h). Built once, then immutable: const queries are
// safe from any number of threads.
#pragma once

#include <string>

#include "core/status.h"
#include "sky/catalog.h"
#include "sky/sky_index.h"
#include "sky/sorted_cells.h"

namespace lantern::sky {

struct HtmIndexOptions {
  // 0..kMaxCellLevel; -1 picks the level whose 8·4^L trixels hold about sources_per_cell
  // sources each (level 7 for 1e6 sources), at most 16.
  int level = -1;
  double sources_per_cell = kDefaultSourcesPerCell;
};

class HtmIndex final : public SkyIndex {
 public:
  static Result<HtmIndex> Build(const Catalog& catalog, const HtmIndexOptions& options = {});

  IndexKind kind() const override { return IndexKind::kHtm; }
  size_t size() const override { return cells_.size(); }
  size_t MemoryBytes() const override { return cells_.MemoryBytes(); }
  std::string Describe() const override;
  int level() const { return level_; }

 private:
  Result<std::vector<Match>> RunAllWithin(std::span<const SkyPoint> queries,
                                          std::span<const double> radii) const override;
  Result<std::vector<Match>> RunNearestWithin(std::span<const SkyPoint> queries,
                                              std::span<const double> radii) const override;

  int level_ = 0;
  SortedCells cells_;
};

}  // namespace lantern::sky
