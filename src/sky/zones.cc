#include "sky/zones.h"
#include "sky/batch.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>
#include <numeric>

namespace lantern::sky {
namespace {

constexpr double kSkyAreaDeg2 = 4.0 * std::numbers::pi * kRadToDeg * kRadToDeg;
// Safety margin (degrees) added to radii, zone edges and RA half-widths when choosing
// candidates. Rounding in the unit vectors and chords is ~1e-14 degrees, so 1e-9 cannot drop a
// true pair; a wider candidate set never changes the result, only the exact test does.
constexpr double kPadDeg = 1e-9;
constexpr uint32_t kMaxCellsPerZone = 1u << 20;
constexpr double kMinZoneHeightDeg = 1e-4;
// How far past a query's first candidate row ScanRa prefetches (rows of 8-byte values).
constexpr uint32_t kPrefetchRows = 64;

// RA half-width (degrees) of the part of a circle of radius r around (dec_q) that lies in the
// declination band [a, b]; 180 when it may wrap the whole circle. r is padded by the caller.
double HalfWidthInBand(double dec_q, double r, double a, double b) {
  if (dec_q + r >= 90.0 || dec_q - r <= -90.0) return 180.0;
  a = std::max(a, dec_q - r);
  b = std::min(b, dec_q + r);
  if (a > b) return -1.0;  // band misses the circle
  const double sin_r = std::sin(r * kDegToRad);
  const double cos_q = std::cos(dec_q * kDegToRad);
  // The circle is widest in RA at dec_t = asin(sin δq / cos r), where α = asin(sin r / cos δq);
  // away from dec_t the half-width shrinks monotonically, so a band not holding dec_t is widest
  // at its edge nearer to dec_t, where hav Δα = (hav r − hav(d − δq)) / (cos δq cos d).
  const double dec_t = std::asin(std::sin(dec_q * kDegToRad) / std::cos(r * kDegToRad)) * kRadToDeg;
  if (a <= dec_t && dec_t <= b) {
    const double s = sin_r / cos_q;
    return s >= 1.0 ? 180.0 : std::asin(s) * kRadToDeg + kPadDeg;
  }
  const double d = dec_t < a ? a : b;
  const double cos_d = std::cos(d * kDegToRad);
  if (cos_d <= 0.0) return 180.0;
  const double hr = std::sin(0.5 * r * kDegToRad);
  const double hd = std::sin(0.5 * (d - dec_q) * kDegToRad);
  const double hav = (hr * hr - hd * hd) / (cos_q * cos_d);
  if (hav >= 1.0) return 180.0;
  return 2.0 * std::asin(std::sqrt(std::max(hav, 0.0))) * kRadToDeg + kPadDeg;
}

// First index in [begin, end) whose value is >= v (end if none), for an ascending run whose
// entries before `begin` are all < v. The next query of a sorted batch usually lies a few rows
// on, so the first rows are counted in blocks of 8 without a branch per row (one mispredicted
// branch per query rather than one per halving); then exponential steps and a binary search,
// O(log n) when the answer is far.
inline uint32_t LowerBoundFrom(const double* a, uint32_t begin, uint32_t end, double v) {
  for (int block = 0; block < 4 && end - begin >= 8; ++block) {
    uint32_t below = 0;
    for (int j = 0; j < 8; ++j) below += a[begin + j] < v;
    begin += below;
    if (below < 8) return begin;
  }
  uint64_t step = 4;
  while (end - begin > step && a[begin + step] < v) {
    begin += static_cast<uint32_t>(step) + 1;
    step *= 2;
  }
  const uint32_t limit = static_cast<uint32_t>(std::min<uint64_t>(end, begin + step + 1));
  return static_cast<uint32_t>(std::lower_bound(a + begin, a + limit, v) - a);
}

}  // namespace

// One query ready for matching. Its unit vector (two sincos, a large part of a query's cost) is
// made on first use: a query whose RA windows hold no source never needs it.
struct ZoneIndex::Query {
  double ra = 0.0;  // wrapped into [0, 360)
  double dec = 0.0;
  double r_deg = 0.0;
  double sin_rp = 0.0;  // sin(r + kPadDeg)
  double chord_sq = 0.0;

  void SetPosition(double ra_deg, double dec_deg) {
    ra = WrapRaDeg(ra_deg);
    dec = dec_deg;
    has_v_ = false;
  }
  void SetRadius(double r_arcsec) {
    r_deg = r_arcsec / 3600.0;
    sin_rp = std::sin((r_deg + kPadDeg) * kDegToRad);
    chord_sq = ChordSqFromRadians(r_arcsec * kArcsecToRad);
  }
  const UnitVector& Vector() {
    if (!has_v_) {
      v_ = FromRaDec(ra, dec);
      has_v_ = true;
    }
    return v_;
  }

 private:
  UnitVector v_;
  bool has_v_ = false;
};

// What one batch call carries from query to query: per zone parity (a query spanning two zones
// keeps both), the RA bound the last scan of that zone searched for and the first sorted row at
// or above it. Rows before it are below any bound at least as large, so the next query of a
// (zone, ra)-sorted batch resumes there instead of searching the zone again.
struct ZoneIndex::ScanState {
  struct Cursor {
    int zone = -1;
    double lo = 0.0;
    uint32_t pos = 0;
  };
  Cursor cursor[2];
  // The last RA half-width computed from a zone's bound, and what it was computed for: the
  // next query of a sorted batch is usually in the same zone with the same radius.
  int alpha_zone = -1;
  double alpha_sin_rp = 0.0;
  double alpha = 0.0;
};

Result<ZoneIndex> ZoneIndex::Build(const Catalog& catalog, const ZoneIndexOptions& options) {
  const size_t n = catalog.size();
  if (n >= kNoRow) {
    return InvalidArgument(fmt::format("zone index: {} rows; at most {} supported", n, kNoRow - 1));
  }
  double h = options.zone_height_deg;
  if (h == 0.0) {
    if (!(options.sources_per_cell > 0.0)) {
      return InvalidArgument(
          fmt::format("zone index: sources_per_cell {} must be > 0", options.sources_per_cell));
    }
    const double density = std::max<double>(n, 1.0) / kSkyAreaDeg2;
    h = std::clamp(std::sqrt(options.sources_per_cell / density), 0.002, 10.0);
  }
  if (!(h >= kMinZoneHeightDeg && h <= 180.0)) {
    return InvalidArgument(fmt::format("zone index: zone height {} deg is outside [{}, 180]", h,
                                       kMinZoneHeightDeg));
  }
  ZoneIndex ix;
  ix.layout_ = options.layout;
  ix.nz_ = static_cast<int>(std::ceil(180.0 / h));
  ix.h_ = 180.0 / ix.nz_;
  ix.inv_h_ = ix.nz_ / 180.0;
  ix.IndexZones();

  // Sort rows by (zone, ra).
  std::vector<int> zone(n);
  for (size_t i = 0; i < n; ++i) zone[i] = ix.ZoneOf(catalog.dec()[i]);
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  const auto ra = catalog.ra();
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    if (zone[a] != zone[b]) return zone[a] < zone[b];
    if (ra[a] != ra[b]) return ra[a] < ra[b];
    return a < b;
  });
  struct Owned {
    std::vector<double> x, y, z, ra;
    std::vector<uint32_t> row, zone_start, cells_in_zone, cell_start;
  };
  auto own = std::make_shared<Owned>();
  own->x.resize(n);
  own->y.resize(n);
  own->z.resize(n);
  own->ra.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t r = order[i];
    own->x[i] = catalog.x()[r];
    own->y[i] = catalog.y()[r];
    own->z[i] = catalog.z()[r];
    own->ra[i] = ra[r];
  }
  own->row = std::move(order);
  std::vector<uint32_t>& zone_start = own->zone_start;
  zone_start.assign(ix.nz_ + 1, 0);
  for (size_t i = 0; i < n; ++i) ++zone_start[zone[i] + 1];
  for (int z = 0; z < ix.nz_; ++z) zone_start[z + 1] += zone_start[z];

  if (ix.layout_ == ZoneLayout::kZones2d) {
    own->cells_in_zone.resize(ix.nz_);
    for (int z = 0; z < ix.nz_; ++z) {
      // Cells about h wide (as an arc) on the zone's edge nearer the equator.
      const double a = z * ix.h_ - 90.0;
      const double b = a + ix.h_;
      const double min_abs = (a <= 0.0 && b >= 0.0) ? 0.0 : std::min(std::fabs(a), std::fabs(b));
      // More cells than about twice the zone's sources would only add empty directory entries.
      const double in_zone = zone_start[z + 1] - zone_start[z];
      const double nc = std::min(std::floor(360.0 * std::cos(min_abs * kDegToRad) / ix.h_),
                                 2.0 * in_zone + 1.0);
      own->cells_in_zone[z] =
          static_cast<uint32_t>(std::clamp(nc, 1.0, double{kMaxCellsPerZone}));
    }
    ix.cells_in_zone_ = own->cells_in_zone;
    ix.IndexCells();
    own->cell_start.resize(ix.num_cells_ + ix.nz_);
    for (int z = 0; z < ix.nz_; ++z) {
      const uint32_t base = ix.cell_base_[z];
      const uint32_t cells = ix.cells_in_zone_[z];
      uint32_t i = zone_start[z];
      for (uint32_t c = 0; c <= cells; ++c) {
        // First sorted row of zone z whose cell is >= c.
        while (i < zone_start[z + 1] && ix.CellOf(z, own->ra[i]) < c) ++i;
        own->cell_start[base + c] = i;
      }
      own->cell_start[base + cells] = zone_start[z + 1];
    }
  }
  ix.n_ = n;
  ix.x_ = own->x;
  ix.y_ = own->y;
  ix.z_ = own->z;
  ix.ra_ = own->ra;
  ix.row_ = own->row;
  ix.zone_start_ = own->zone_start;
  ix.cells_in_zone_ = own->cells_in_zone;
  ix.cell_start_ = own->cell_start;
  ix.storage_ = std::move(own);
  return ix;
}

void ZoneIndex::IndexZones() {
  zone_inv_cos2_.resize(nz_);
  for (int z = 0; z < nz_; ++z) {
    // ZoneOf may place a declination a rounding error outside the zone's band: pad the edge.
    const double a = z * h_ - 90.0;
    const double edge = std::min(std::max(std::fabs(a), std::fabs(a + h_)) + kPadDeg, 90.0);
    const double c = std::cos(edge * kDegToRad);  // > 0 even at 90 (cos of π/2 rounds to 6e-17)
    zone_inv_cos2_[z] = 1.0 / (c * c);
  }
}

void ZoneIndex::IndexCells() {
  cell_base_.resize(nz_);
  cell_scale_.resize(nz_);
  size_t total = 0;
  for (int z = 0; z < nz_; ++z) {
    cell_base_[z] = static_cast<uint32_t>(total);
    cell_scale_[z] = cells_in_zone_[z] / 360.0;
    total += cells_in_zone_[z] + 1;
  }
  num_cells_ = total - nz_;
}

Result<ZoneIndex> ZoneIndex::FromArrays(ZoneLayout layout, const ZoneArrays& a,
                                        std::shared_ptr<const void> keep_alive) {
  const size_t n = a.x.size();
  if (n >= kNoRow) {
    return InvalidArgument(fmt::format("zone index: {} rows; at most {} supported", n, kNoRow - 1));
  }
  if (a.y.size() != n || a.z.size() != n || a.ra.size() != n ||
      (!a.row.empty() && a.row.size() != n)) {
    return InvalidArgument(fmt::format(
        "zone index: array sizes differ (x {}, y {}, z {}, ra {}, row {})", n, a.y.size(),
        a.z.size(), a.ra.size(), a.row.size()));
  }
  const size_t nz = a.zone_start.empty() ? 0 : a.zone_start.size() - 1;
  if (nz < 1 || nz > static_cast<size_t>(std::ceil(180.0 / kMinZoneHeightDeg))) {
    return InvalidArgument(fmt::format("zone index: {} zone offsets", a.zone_start.size()));
  }
  // Offsets must start at 0, never decrease and end at n: then every scan stays in bounds.
  auto check_run = [n](std::span<const uint32_t> s, uint32_t first, uint32_t last,
                       const char* what, size_t at) -> Status {
    if (s.front() != first || s.back() != last) {
      return InvalidArgument(fmt::format("zone index: {} offsets at {} do not span [{}, {}]", what,
                                         at, first, last));
    }
    for (size_t i = 1; i < s.size(); ++i) {
      if (s[i] < s[i - 1] || s[i] > n) {
        return InvalidArgument(
            fmt::format("zone index: {} offset {} ({}) is out of order", what, at + i, s[i]));
      }
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(check_run(a.zone_start, 0, static_cast<uint32_t>(n), "zone", 0));
  if (!a.row.empty()) {
    for (size_t i = 0; i < n; ++i) {
      if (a.row[i] >= n) {
        return InvalidArgument(fmt::format("zone index: row {} maps to {} of {}", i, a.row[i], n));
      }
    }
  }
  ZoneIndex ix;
  ix.layout_ = layout;
  ix.nz_ = static_cast<int>(nz);
  ix.h_ = 180.0 / ix.nz_;
  ix.inv_h_ = ix.nz_ / 180.0;
  ix.IndexZones();
  ix.n_ = n;
  ix.x_ = a.x;
  ix.y_ = a.y;
  ix.z_ = a.z;
  ix.ra_ = a.ra;
  ix.row_ = a.row;
  ix.zone_start_ = a.zone_start;
  if (layout == ZoneLayout::kZones2d) {
    if (a.cells_in_zone.size() != nz) {
      return InvalidArgument(fmt::format("zone index: {} cell counts for {} zones",
                                         a.cells_in_zone.size(), nz));
    }
    size_t total = 0;
    for (const uint32_t c : a.cells_in_zone) {
      if (c < 1 || c > kMaxCellsPerZone) {
        return InvalidArgument(fmt::format("zone index: a zone has {} cells", c));
      }
      total += c + 1;
    }
    if (a.cell_start.size() != total) {
      return InvalidArgument(fmt::format("zone index: {} cell offsets, expected {}",
                                         a.cell_start.size(), total));
    }
    ix.cells_in_zone_ = a.cells_in_zone;
    ix.cell_start_ = a.cell_start;
    ix.IndexCells();
    for (size_t z = 0; z < nz; ++z) {
      RETURN_IF_ERROR(check_run(a.cell_start.subspan(ix.cell_base_[z], a.cells_in_zone[z] + 1),
                                a.zone_start[z], a.zone_start[z + 1], "cell", ix.cell_base_[z]));
    }
  }
  if (a.row.empty()) {
    // Rows are stored in index order: an identity map, so the query loops need no branch.
    struct Owned {
      std::shared_ptr<const void> keep_alive;
      std::vector<uint32_t> identity;
    };
    auto owned = std::make_shared<Owned>();
    owned->keep_alive = std::move(keep_alive);
    owned->identity.resize(n);
    std::iota(owned->identity.begin(), owned->identity.end(), 0u);
    ix.row_ = owned->identity;
    ix.storage_ = std::move(owned);
  } else {
    ix.storage_ = std::move(keep_alive);
  }
  return ix;
}

ZoneArrays ZoneIndex::arrays() const {
  return {x_, y_, z_, ra_, row_, zone_start_, cells_in_zone_, cell_start_};
}

size_t ZoneIndex::MemoryBytes() const {
  return (x_.size() + y_.size() + z_.size() + ra_.size() + cell_scale_.size() +
          zone_inv_cos2_.size()) *
             sizeof(double) +
         (row_.size() + zone_start_.size() + cell_base_.size() + cells_in_zone_.size() +
          cell_start_.size()) *
             sizeof(uint32_t);
}

int ZoneIndex::ZoneOf(double dec_deg) const {
  const double f = (dec_deg + 90.0) * inv_h_;
  if (!(f > 0.0)) return 0;
  return std::min(static_cast<int>(f), nz_ - 1);
}

uint32_t ZoneIndex::CellOf(int zone, double ra_deg) const {
  const double f = ra_deg * cell_scale_[zone];
  if (!(f > 0.0)) return 0;
  return std::min(static_cast<uint32_t>(f), cells_in_zone_[zone] - 1);
}

// Forced inline: as a call it cost 5 % of a sky-sorted batch (measured; GCC declines on size).
template <typename Visit>
[[gnu::always_inline]] inline void ZoneIndex::ScanRa(int z, double lo, double hi, Query& query,
                                                     ScanState* state, Visit&& visit) const {
  uint32_t begin = zone_start_[z];
  const uint32_t end = zone_start_[z + 1];
  if (begin == end) return;
  ScanState::Cursor& cursor = state->cursor[z & 1];
  if (cursor.zone == z && cursor.lo <= lo) {
    // Resume where the previous query of this zone stopped: every row before it is below lo.
    begin = cursor.pos;
  } else if (layout_ == ZoneLayout::kZones2d && lo > 0.0) {
    // The cell holding lo starts the search by arithmetic.
    begin = cell_start_[cell_base_[z] + CellOf(z, lo)];
  }
  const double* ra = ra_.data();
  begin = LowerBoundFrom(ra, begin, end, lo);
  cursor = {z, lo, begin};
  const double* x = x_.data();
  const double* y = y_.data();
  const double* zz = z_.data();
  // The next queries of a sorted batch land a few rows on: fetch those rows early.
  if (begin + kPrefetchRows < n_) {
    __builtin_prefetch(ra + begin + kPrefetchRows);
    __builtin_prefetch(x + begin + kPrefetchRows);
    __builtin_prefetch(y + begin + kPrefetchRows);
    __builtin_prefetch(zz + begin + kPrefetchRows);
    __builtin_prefetch(row_.data() + begin + kPrefetchRows);
  }
  if (begin == end || ra[begin] > hi) return;
  const UnitVector& q = query.Vector();
  const double chord_sq = query.chord_sq;
  for (uint32_t i = begin; i < end && ra[i] <= hi; ++i) {
    const double dx = x[i] - q.x;
    const double dy = y[i] - q.y;
    const double dz = zz[i] - q.z;
    const double c2 = dx * dx + dy * dy + dz * dz;
    if (c2 <= chord_sq) visit(i, c2);
  }
}

template <typename Visit>
void ZoneIndex::ForEachWithin(Query& query, ScanState* state, Visit&& visit) const {
  if (n_ == 0) return;
  const double ra = query.ra;
  const double dec = query.dec;
  const double rp = query.r_deg + kPadDeg;
  const int z0 = ZoneOf(dec - rp);
  const int z1 = ZoneOf(dec + rp);
  double alpha_all = -1.0;  // one half-width for every zone when the query spans few zones
  if (dec + rp >= 90.0 || dec - rp <= -90.0) {
    alpha_all = 180.0;
  } else if (z1 - z0 <= 1) {
    // α = asin(sin r / cos δ) with cos δ at its smallest over the query's zone (a bound, too
    // wide by a relative h·tan δ), and asin(s) <= s / sqrt(1 - s²) (θ <= tan θ, too wide by a
    // relative s²/3): no trigonometry per query.
    const int zq = ZoneOf(dec);
    if (zq != state->alpha_zone || query.sin_rp != state->alpha_sin_rp) {
      const double s2 = query.sin_rp * query.sin_rp * zone_inv_cos2_[zq];
      state->alpha = s2 >= 0.5 ? 180.0 : std::sqrt(s2 / (1.0 - s2)) * kRadToDeg + kPadDeg;
      state->alpha_zone = zq;
      state->alpha_sin_rp = query.sin_rp;
    }
    alpha_all = state->alpha;
  }
  for (int z = z0; z <= z1; ++z) {
    double alpha = alpha_all;
    if (alpha < 0.0) {
      const double a = z * h_ - 90.0 - kPadDeg;
      alpha = HalfWidthInBand(dec, rp, a, a + h_ + 2.0 * kPadDeg);
      if (alpha < 0.0) continue;
    }
    if (alpha >= 180.0) {
      ScanRa(z, 0.0, 360.0, query, state, visit);
      continue;
    }
    const double lo = ra - alpha;
    const double hi = ra + alpha;
    if (lo < 0.0) {
      ScanRa(z, lo + 360.0, 360.0, query, state, visit);
      ScanRa(z, 0.0, hi, query, state, visit);
    } else if (hi >= 360.0) {
      ScanRa(z, lo, 360.0, query, state, visit);
      ScanRa(z, 0.0, hi - 360.0, query, state, visit);
    } else {
      ScanRa(z, lo, hi, query, state, visit);
    }
  }
}

Result<BatchOrder> ZoneIndex::SortBatch(std::span<const SkyPoint> queries,
                                        std::span<const double> radii) const {
  // Bands are the zones themselves.
  return sky::SortBatch(queries, radii, nz_, inv_h_);
}

template <typename Fn>
void ZoneIndex::ForEachQuerySorted(std::span<const SkyPoint> queries,
                                   std::span<const double> radii,
                                   const BatchOrder& order, Fn&& fn) const {
  // Queries are read in sorted order, i.e. at random: prefetch a few ahead.
  constexpr size_t kPrefetch = 16;
  const bool single = radii.size() == 1;
  Query q;
  ScanState state;
  if (single) q.SetRadius(radii[0]);
  const size_t n = order.size();
  for (size_t k = 0; k < n; ++k) {
    if (k + kPrefetch < n) {
      const uint32_t ahead = order[k + kPrefetch];
      __builtin_prefetch(&queries[ahead]);
      if (!single) __builtin_prefetch(&radii[ahead]);
    }
    const uint32_t qi = order[k];
    q.SetPosition(queries[qi].ra_deg, queries[qi].dec_deg);
    if (!single) q.SetRadius(radii[qi]);
    fn(qi, q, &state);
  }
}

Result<std::vector<Match>> ZoneIndex::RunAll(std::span<const SkyPoint> queries,
                                             std::span<const double> radii) const {
  ASSIGN_OR_RETURN(const BatchOrder order, SortBatch(queries, radii));
  const size_t n = queries.size();
  std::vector<Match> found;
  std::vector<uint32_t> group(n + 1, 0);  // sorted entry k found [group[k], group[k + 1])
  size_t k = 0;
  ForEachQuerySorted(queries, radii, order, [&](uint32_t qi, Query& q, ScanState* state) {
    ForEachWithin(q, state, [&](uint32_t i, double c2) {
      found.push_back({qi, RowOf(i), RadiansFromChordSq(c2) * kRadToArcsec});
    });
    group[++k] = static_cast<uint32_t>(found.size());
  });
  // Back into query order: counts per query, prefix sums, then one copy per group.
  std::vector<uint32_t> start(n + 1, 0);
  for (k = 0; k < n; ++k) start[order[k] + 1] = group[k + 1] - group[k];
  for (size_t i = 0; i < n; ++i) start[i + 1] += start[i];
  std::vector<Match> out(found.size());
  for (k = 0; k < n; ++k) {
    const auto first = out.begin() + start[order[k]];
    const auto last = std::copy(found.begin() + group[k], found.begin() + group[k + 1], first);
    if (last - first > 1) {
      std::sort(first, last, [](const Match& a, const Match& b) {
        return a.sep_arcsec != b.sep_arcsec ? a.sep_arcsec < b.sep_arcsec : a.row < b.row;
      });
    }
  }
  return out;
}

Result<std::vector<Match>> ZoneIndex::RunNearest(std::span<const SkyPoint> queries,
                                                 std::span<const double> radii) const {
  ASSIGN_OR_RETURN(const BatchOrder order, SortBatch(queries, radii));
  const size_t n = queries.size();
  // A batch the caller already sorted by (zone, ra) is matched in query order, so its matches
  // go straight to the output; otherwise the best per query, gathered into query order after.
  const bool in_order = order.identity();
  std::vector<Match> out;
  std::vector<uint32_t> best_row;  // by query index
  std::vector<double> best_c2;
  if (in_order) {
    out.reserve(n);  // address space only: pages past the last match are never touched
  } else {
    best_row.assign(n, kNoRow);
    best_c2.assign(n, 0.0);
  }
  ForEachQuerySorted(queries, radii, order, [&](uint32_t qi, Query& q, ScanState* state) {
    uint32_t row_q = kNoRow;
    double c2_q = std::numeric_limits<double>::infinity();
    ForEachWithin(q, state, [&](uint32_t i, double c2) {
      const uint32_t row = RowOf(i);
      if (c2 < c2_q || (c2 == c2_q && row < row_q)) {
        c2_q = c2;
        row_q = row;
      }
    });
    if (row_q == kNoRow) return;
    if (in_order) {
      out.push_back({qi, row_q, RadiansFromChordSq(c2_q) * kRadToArcsec});
    } else {
      best_row[qi] = row_q;
      best_c2[qi] = c2_q;
    }
  });
  if (!in_order) return NearestMatches(best_row, best_c2);
  return out;
}

Result<std::vector<Match>> ZoneIndex::AllWithin(std::span<const SkyPoint> queries,
                                                double radius_arcsec) const {
  return RunAll(queries, std::span<const double>(&radius_arcsec, 1));
}
Result<std::vector<Match>> ZoneIndex::AllWithin(std::span<const SkyPoint> queries,
                                                std::span<const double> radii_arcsec) const {
  if (radii_arcsec.size() != queries.size()) {
    return InvalidArgument(
        fmt::format("{} radii for {} queries", radii_arcsec.size(), queries.size()));
  }
  return RunAll(queries, radii_arcsec);
}
Result<std::vector<Match>> ZoneIndex::NearestWithin(std::span<const SkyPoint> queries,
                                                    double radius_arcsec) const {
  return RunNearest(queries, std::span<const double>(&radius_arcsec, 1));
}
Result<std::vector<Match>> ZoneIndex::NearestWithin(std::span<const SkyPoint> queries,
                                                    std::span<const double> radii_arcsec) const {
  if (radii_arcsec.size() != queries.size()) {
    return InvalidArgument(
        fmt::format("{} radii for {} queries", radii_arcsec.size(), queries.size()));
  }
  return RunNearest(queries, radii_arcsec);
}
Result<std::vector<Match>> ZoneIndex::Cone(SkyPoint center, double radius_arcsec) const {
  return AllWithin(std::span<const SkyPoint>(&center, 1), radius_arcsec);
}

}  // namespace lantern::sky
