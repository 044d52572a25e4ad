#include "sky/htm_index.h"

#include <cmath>
#include <fmt/format.h>

#include "sky/htm.h"

namespace lantern::sky {
namespace {

constexpr int kMaxAutoLevel = 16;

// Cover of one query as cell ranges: level-L ids minus the first id of the level, 8·4^L.
class HtmCover {
 public:
  explicit HtmCover(int level) : level_(level), first_id_(uint64_t{8} << (2 * level)) {}

  void operator()(const CellQuery& q, std::vector<CellRange>* out) {
    ranges_.clear();
    HtmCoverCap(q.v, q.radius_rad, level_, &ranges_);
    for (const HtmRange& r : ranges_) out->push_back({r.begin - first_id_, r.end - first_id_});
  }

 private:
  int level_;
  uint64_t first_id_;
  std::vector<HtmRange> ranges_;
};

}  // namespace

Result<HtmIndex> HtmIndex::Build(const Catalog& catalog, const HtmIndexOptions& options) {
  int level = options.level;
  if (level == -1) {
    if (!(options.sources_per_cell > 0.0)) {
      return InvalidArgument(
          fmt::format("htm index: sources_per_cell {} must be > 0", options.sources_per_cell));
    }
    const double trixels = std::max<double>(catalog.size(), 1.0) / options.sources_per_cell;
    level = static_cast<int>(std::lround(std::log(std::max(trixels / 8.0, 1.0)) / std::log(4.0)));
    level = std::min(level, kMaxAutoLevel);
  }
  if (level < 0 || level > kMaxCellLevel) {
    return InvalidArgument(
        fmt::format("htm index: level {} is outside [0, {}]", level, kMaxCellLevel));
  }
  const uint64_t first_id = uint64_t{8} << (2 * level);
  std::vector<uint64_t> cells(catalog.size());
  for (size_t i = 0; i < catalog.size(); ++i) {
    const UnitVector v{catalog.x()[i], catalog.y()[i], catalog.z()[i]};
    cells[i] = HtmId(v, level) - first_id;
  }
  HtmIndex ix;
  ix.level_ = level;
  ASSIGN_OR_RETURN(ix.cells_, SortedCells::Build(catalog, std::move(cells), first_id, "htm"));
  return ix;
}

std::string HtmIndex::Describe() const {
  return fmt::format("level {} ({} trixels)", level_, cells_.num_cells());
}

Result<std::vector<Match>> HtmIndex::RunAllWithin(std::span<const SkyPoint> queries,
                                                  std::span<const double> radii) const {
  return cells_.AllWithin(queries, radii, HtmCover(level_));
}

Result<std::vector<Match>> HtmIndex::RunNearestWithin(std::span<const SkyPoint> queries,
                                                      std::span<const double> radii) const {
  return cells_.NearestWithin(queries, radii, HtmCover(level_));
}

}  // namespace lantern::sky
