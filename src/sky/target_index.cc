#include "sky/target_index.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <numeric>

#include "sky/geometry.h"

namespace lantern::sky {
namespace {

constexpr double kSkyDeg2 = 4.0 * std::numbers::pi * kRadToDeg * kRadToDeg;

// Fraction of the sphere inside a cap of the given radius.
double CapFraction(double radius_arcsec) {
  return 0.5 * (1.0 - std::cos(radius_arcsec * kArcsecToRad));
}

// Initial class of a radius: (2^(k-1), 2^k] arcsec is class k; everything <= 1″ is class 0.
int ClassOf(double radius_arcsec) {
  if (radius_arcsec <= 1.0) return 0;
  return static_cast<int>(std::ceil(std::log2(radius_arcsec)));
}

}  // namespace

Result<TargetIndex> TargetIndex::Build(const Catalog& catalog,
                                       std::span<const double> radii_arcsec,
                                       const Options& options) {
  const size_t n = catalog.size();
  if (radii_arcsec.size() != n) {
    return InvalidArgument(fmt::format("{} radii for {} targets", radii_arcsec.size(), n));
  }
  if (n >= UINT32_MAX) return InvalidArgument(fmt::format("{} targets is too many", n));
  TargetIndex ix;
  ix.x_.assign(catalog.x().begin(), catalog.x().end());
  ix.y_.assign(catalog.y().begin(), catalog.y().end());
  ix.z_.assign(catalog.z().begin(), catalog.z().end());
  ix.chord_sq_.assign(n, -1.0);
  std::vector<uint32_t> order;
  for (size_t i = 0; i < n; ++i) {
    const double r = radii_arcsec[i];
    if (std::isnan(r)) continue;
    if (!(r >= 0.0 && r <= kMaxRadiusArcsec)) {
      return InvalidArgument(fmt::format("target {} ({}): radius {} arcsec is outside [0, {}]", i,
                                         catalog.IdString(i), r, kMaxRadiusArcsec));
    }
    ix.chord_sq_[i] = ChordSqFromRadians(r * kArcsecToRad);
    order.push_back(static_cast<uint32_t>(i));
  }
  ix.indexed_ = order.size();
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return radii_arcsec[a] < radii_arcsec[b];
  });

  // Initial classes by powers of two, then bottom-up merging while cheap: moving the current
  // group's targets up to the next class's radius adds n · (cap(r_next) - cap(r_now)) expected
  // candidates per alert.
  struct Group {
    size_t begin, end;  // into `order`
    double max_radius;
  };
  std::vector<Group> groups;
  for (size_t b = 0; b < order.size();) {
    const int k = ClassOf(radii_arcsec[order[b]]);
    size_t e = b;
    while (e < order.size() && ClassOf(radii_arcsec[order[e]]) == k) ++e;
    groups.push_back({b, e, radii_arcsec[order[e - 1]]});
    b = e;
  }
  std::vector<Group> merged;
  for (const Group& g : groups) {
    if (!merged.empty()) {
      Group& cur = merged.back();
      const double extra = static_cast<double>(cur.end - cur.begin) *
                           (CapFraction(g.max_radius) - CapFraction(cur.max_radius));
      if (extra <= options.merge_candidates) {
        cur.end = g.end;
        cur.max_radius = g.max_radius;
        continue;
      }
    }
    merged.push_back(g);
  }

  for (const Group& g : merged) {
    RadiusClass c;
    c.max_radius_arcsec = g.max_radius;
    c.rows.assign(order.begin() + g.begin, order.begin() + g.end);
    std::vector<double> ra, dec;
    ra.reserve(c.rows.size());
    dec.reserve(c.rows.size());
    for (const uint32_t row : c.rows) {
      ra.push_back(catalog.ra()[row]);
      dec.push_back(catalog.dec()[row]);
    }
    ASSIGN_OR_RETURN(const Catalog positions, Catalog::FromPositions(std::move(ra), std::move(dec)));
    // The zone height the index would pick for this density, raised to the class radius so a
    // query spans at most about three zones.
    const double density = static_cast<double>(c.rows.size()) / kSkyDeg2;
    const double auto_h = std::clamp(std::sqrt(kDefaultSourcesPerCell / density), 0.002, 10.0);
    ZoneIndexOptions zo;
    zo.zone_height_deg = std::clamp(std::max(auto_h, g.max_radius / 3600.0), 0.002, 10.0);
    ASSIGN_OR_RETURN(c.index, ZoneIndex::Build(positions, zo));
    ix.classes_.push_back(std::move(c));
  }
  return ix;
}

Result<std::vector<Match>> TargetIndex::Within(std::span<const SkyPoint> alerts) const {
  for (size_t i = 0; i < alerts.size(); ++i) {
    const SkyPoint& p = alerts[i];
    if (!std::isfinite(p.ra_deg) || !(p.dec_deg >= -90.0 && p.dec_deg <= 90.0)) {
      return InvalidArgument(
          fmt::format("alert {}: position ({}, {}) is not a valid ra, dec", i, p.ra_deg, p.dec_deg));
    }
  }
  std::vector<Match> hits;
  for (const RadiusClass& c : classes_) {
    ASSIGN_OR_RETURN(const std::vector<Match> candidates,
                     c.index.AllWithin(alerts, c.max_radius_arcsec));
    // Candidates come grouped by alert: one unit vector per alert, made as ZoneIndex makes it,
    // so the chord² here is bit-identical to the one the index tested.
    uint32_t current = UINT32_MAX;
    UnitVector v;
    for (const Match& m : candidates) {
      if (m.query != current) {
        current = m.query;
        v = FromRaDec(WrapRaDeg(alerts[current].ra_deg), alerts[current].dec_deg);
      }
      const uint32_t row = c.rows[m.row];
      if (ChordSq(v, {x_[row], y_[row], z_[row]}) <= chord_sq_[row]) {
        hits.push_back({m.query, row, m.sep_arcsec});
      }
    }
  }
  std::sort(hits.begin(), hits.end(), [](const Match& a, const Match& b) {
    if (a.query != b.query) return a.query < b.query;
    if (a.sep_arcsec != b.sep_arcsec) return a.sep_arcsec < b.sep_arcsec;
    return a.row < b.row;
  });
  return hits;
}

size_t TargetIndex::MemoryBytes() const {
  size_t bytes = (x_.capacity() + y_.capacity() + z_.capacity() + chord_sq_.capacity()) *
                 sizeof(double);
  for (const RadiusClass& c : classes_) {
    bytes += c.rows.capacity() * sizeof(uint32_t) + c.index.MemoryBytes();
  }
  return bytes;
}

}  // namespace lantern::sky
