#include "sky/healpix_index.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <fmt/format.h>
#include <optional>

#include "error_handling.h"
#include "healpix_base.h"
#include "pointing.h"
#include "rangeset.h"
#include "vec3.h"

namespace lantern::sky {
namespace {

constexpr int kMaxAutoOrder = 16;
// Radius padding (radians) for query_disc_inclusive, on top of its own conservative pixel-radius
// margin: covers the rounding of the (theta, phi) it converts the centre into.
constexpr double kPadRad = 1e-10;

// Cover of one query: the nested pixels that may overlap the circle. The disc is queried at the
// index order, or about 3 orders finer than the radius's own scale if that is coarser (pixels
// are about 1.02 / 2^k radians across), and coarse pixels are expanded to their index-order
// descendants — a wider cover, never a narrower one, that bounds the pixel count (to a few
// hundred). healpix_cxx answers disc queries much faster in the RING scheme than in NESTED, so
// the query runs there and the few pixels are renumbered with ring2nest.
class HealpixCover {
 public:
  explicit HealpixCover(int order) : order_(order) {}

  void operator()(const CellQuery& q, std::vector<CellRange>* out) {
    const double r = q.radius_rad + kPadRad;
    const int scale = static_cast<int>(std::floor(std::log2(1.02 / r)));
    const int order = std::clamp(scale + 3, 0, order_);
    std::optional<T_Healpix_Base<int64>>& base = bases_[order];
    if (!base) base.emplace(order, RING);
    ring_.clear();
    base->query_disc_inclusive(pointing(vec3(q.v.x, q.v.y, q.v.z)), r, ring_);
    nest_.clear();
    for (tsize i = 0; i < ring_.nranges(); ++i) {
      for (int64 p = ring_.ivbegin(i); p < ring_.ivend(i); ++p) nest_.push_back(base->ring2nest(p));
    }
    std::sort(nest_.begin(), nest_.end());
    const int shift = 2 * (order_ - order);
    const size_t first = out->size();
    for (const int64 p : nest_) {
      const uint64_t begin = static_cast<uint64_t>(p) << shift;
      const uint64_t end = static_cast<uint64_t>(p + 1) << shift;
      if (out->size() > first && out->back().end == begin) {
        out->back().end = end;
      } else {
        out->push_back({begin, end});
      }
    }
  }

 private:
  int order_;
  std::optional<T_Healpix_Base<int64>> bases_[kMaxCellLevel + 1];
  rangeset<int64> ring_;
  std::vector<int64> nest_;
};

// healpix_cxx reports failures by throwing PlanckError (not a std::exception); none leave
// this file.
template <typename Fn>
Result<std::vector<Match>> Guarded(Fn&& fn) {
  try {
    return fn();
  } catch (const PlanckError& e) {
    return Internal(fmt::format("healpix index: {}", e.what()));
  } catch (const std::exception& e) {
    return Internal(fmt::format("healpix index: {}", e.what()));
  } catch (...) {
    return Internal("healpix index: healpix_cxx failed");
  }
}

}  // namespace

Result<HealpixIndex> HealpixIndex::Build(const Catalog& catalog,
                                         const HealpixIndexOptions& options) {
  int order = options.order;
  if (order == -1) {
    if (!(options.sources_per_cell > 0.0)) {
      return InvalidArgument(fmt::format("healpix index: sources_per_cell {} must be > 0",
                                         options.sources_per_cell));
    }
    const double pixels = std::max<double>(catalog.size(), 1.0) / options.sources_per_cell;
    order = static_cast<int>(std::lround(std::log(std::max(pixels / 12.0, 1.0)) / std::log(4.0)));
    order = std::min(order, kMaxAutoOrder);
  }
  if (order < 0 || order > kMaxCellLevel) {
    return InvalidArgument(
        fmt::format("healpix index: order {} is outside [0, {}]", order, kMaxCellLevel));
  }
  std::vector<uint64_t> cells(catalog.size());
  try {
    const T_Healpix_Base<int64> base(order, NEST);
    for (size_t i = 0; i < catalog.size(); ++i) {
      cells[i] = static_cast<uint64_t>(
          base.vec2pix(vec3(catalog.x()[i], catalog.y()[i], catalog.z()[i])));
    }
  } catch (const PlanckError& e) {
    return Internal(fmt::format("healpix index: {}", e.what()));
  }
  HealpixIndex ix;
  ix.order_ = order;
  const uint64_t num_pixels = uint64_t{12} << (2 * order);
  ASSIGN_OR_RETURN(ix.cells_,
                   SortedCells::Build(catalog, std::move(cells), num_pixels, "healpix"));
  return ix;
}

std::string HealpixIndex::Describe() const {
  return fmt::format("order {} ({} nested pixels)", order_, cells_.num_cells());
}

Result<std::vector<Match>> HealpixIndex::RunAllWithin(std::span<const SkyPoint> queries,
                                                      std::span<const double> radii) const {
  return Guarded([&] { return cells_.AllWithin(queries, radii, HealpixCover(order_)); });
}

Result<std::vector<Match>> HealpixIndex::RunNearestWithin(std::span<const SkyPoint> queries,
                                                          std::span<const double> radii) const {
  return Guarded([&] { return cells_.NearestWithin(queries, radii, HealpixCover(order_)); });
}

}  // namespace lantern::sky
