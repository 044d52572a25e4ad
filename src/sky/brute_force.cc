#include "sky/brute_force.h"

#include <algorithm>
#include <limits>

#include "sky/geometry.h"

namespace lantern::sky {
namespace {

template <typename Visit>
void Scan(const Catalog& catalog, const SkyPoint& s, double radius_arcsec, Visit&& visit) {
  const UnitVector q = FromRaDec(WrapRaDeg(s.ra_deg), s.dec_deg);
  const double limit = ChordSqFromRadians(radius_arcsec * kArcsecToRad);
  for (size_t row = 0; row < catalog.size(); ++row) {
    const UnitVector c{catalog.x()[row], catalog.y()[row], catalog.z()[row]};
    const double c2 = ChordSq(q, c);
    if (c2 <= limit) {
      const double sep = HaversineRadians(s.ra_deg, s.dec_deg, catalog.ra()[row],
                                          catalog.dec()[row]) * kRadToArcsec;
      visit(static_cast<uint32_t>(row), c2, sep);
    }
  }
}

double RadiusFor(std::span<const double> radii, size_t i) {
  return radii.size() == 1 ? radii[0] : radii[i];
}

}  // namespace

std::vector<Match> BruteForceAll(const Catalog& catalog, std::span<const SkyPoint> queries,
                                 std::span<const double> radii_arcsec) {
  std::vector<Match> out;
  for (size_t qi = 0; qi < queries.size(); ++qi) {
    const size_t first = out.size();
    Scan(catalog, queries[qi], RadiusFor(radii_arcsec, qi), [&](uint32_t row, double, double sep) {
      out.push_back({static_cast<uint32_t>(qi), row, sep});
    });
    std::sort(out.begin() + first, out.end(), [](const Match& a, const Match& b) {
      return a.sep_arcsec != b.sep_arcsec ? a.sep_arcsec < b.sep_arcsec : a.row < b.row;
    });
  }
  return out;
}

std::vector<Match> BruteForceNearest(const Catalog& catalog, std::span<const SkyPoint> queries,
                                     std::span<const double> radii_arcsec) {
  std::vector<Match> out;
  for (size_t qi = 0; qi < queries.size(); ++qi) {
    double best_c2 = std::numeric_limits<double>::infinity();
    Match best{static_cast<uint32_t>(qi), std::numeric_limits<uint32_t>::max(), 0.0};
    Scan(catalog, queries[qi], RadiusFor(radii_arcsec, qi),
         [&](uint32_t row, double c2, double sep) {
           if (c2 < best_c2 || (c2 == best_c2 && row < best.row)) {
             best_c2 = c2;
             best.row = row;
             best.sep_arcsec = sep;
           }
         });
    if (best.row != std::numeric_limits<uint32_t>::max()) out.push_back(best);
  }
  return out;
}

}  // namespace lantern::sky
