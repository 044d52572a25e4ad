// Helpers shared by the sky tests: random positions in spherical caps and comparison of match
// lists against the brute-force reference. Test-only; single-threaded.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "sky/catalog.h"
#include "sky/geometry.h"
#include "sky/zones.h"

namespace lantern::sky::testing {

// The point at angular distance d_deg and position angle pa_deg from (ra, dec).
inline SkyPoint Offset(SkyPoint p, double d_deg, double pa_deg) {
  const double dec1 = p.dec_deg * kDegToRad, d = d_deg * kDegToRad, pa = pa_deg * kDegToRad;
  const double sin_dec2 =
      std::sin(dec1) * std::cos(d) + std::cos(dec1) * std::sin(d) * std::cos(pa);
  const double dec2 = std::asin(std::clamp(sin_dec2, -1.0, 1.0));
  const double dra = std::atan2(std::sin(pa) * std::sin(d) * std::cos(dec1),
                                std::cos(d) - std::sin(dec1) * sin_dec2);
  return {WrapRaDeg(p.ra_deg + dra * kRadToDeg), dec2 * kRadToDeg};
}

// Uniform in the cap of radius cap_deg around center.
inline SkyPoint InCap(std::mt19937_64& rng, SkyPoint center, double cap_deg) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double cos_max = std::cos(cap_deg * kDegToRad);
  const double d = std::acos(1.0 - u(rng) * (1.0 - cos_max)) * kRadToDeg;
  return Offset(center, d, 360.0 * u(rng));
}

inline std::vector<Match> SortedByPair(std::vector<Match> m) {
  std::sort(m.begin(), m.end(), [](const Match& a, const Match& b) {
    return a.query != b.query ? a.query < b.query : a.row < b.row;
  });
  return m;
}

// Same pairs; separations equal within 1e-9 arcsec.
inline void ExpectSameMatches(const std::vector<Match>& got, const std::vector<Match>& want) {
  const auto g = SortedByPair(got);
  const auto w = SortedByPair(want);
  ASSERT_EQ(g.size(), w.size());
  for (size_t i = 0; i < g.size(); ++i) {
    ASSERT_EQ(g[i].query, w[i].query) << "pair " << i;
    ASSERT_EQ(g[i].row, w[i].row) << "query " << g[i].query;
    ASSERT_NEAR(g[i].sep_arcsec, w[i].sep_arcsec, 1e-9) << "query " << g[i].query;
  }
}

// A randomized crossmatch case: catalog and queries around `center`.
struct Scenario {
  const char* name;
  SkyPoint center;
  double cap_deg;  // catalog and queries drawn from this cap
  double radius_arcsec;
};

// Catalog: uniform in the cap, plus exact duplicates. Queries: near catalog sources (offsets up
// to 1.5 r), uniform in the cap, and a few far from everything.
struct Data {
  Catalog catalog;
  std::vector<SkyPoint> queries;
};

inline Data MakeData(uint64_t seed, const Scenario& s, size_t n_cat, size_t n_query) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> ra, dec;
  for (size_t i = 0; i < n_cat; ++i) {
    SkyPoint p = InCap(rng, s.center, s.cap_deg);
    if (i > 10 && u(rng) < 0.05) {  // duplicate an earlier source exactly
      const size_t j = rng() % ra.size();
      p = {ra[j], dec[j]};
    }
    ra.push_back(p.ra_deg);
    dec.push_back(p.dec_deg);
  }
  Data d;
  d.catalog = *Catalog::FromPositions(ra, dec);
  const double r_deg = s.radius_arcsec / 3600.0;
  for (size_t i = 0; i < n_query; ++i) {
    const double pick = u(rng);
    if (pick < 0.6 && n_cat > 0) {
      const size_t j = rng() % n_cat;
      d.queries.push_back(Offset({ra[j], dec[j]}, 1.5 * r_deg * u(rng), 360.0 * u(rng)));
    } else if (pick < 0.97) {
      d.queries.push_back(InCap(rng, s.center, s.cap_deg));
    } else {
      d.queries.push_back(Offset(s.center, 90.0, 360.0 * u(rng)));
    }
  }
  return d;
}

}  // namespace lantern::sky::testing
