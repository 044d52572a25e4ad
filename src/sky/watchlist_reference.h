// Test-only helpers for watchlists: generated target lists with mixed radii (mostly small,
// log-uniform 1″..1800″), alerts near and away from them, and the O(N·M) reference matcher
// that Watchlist is compared against. Single-threaded; header-only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "sky/geometry.h"
#include "sky/test_util.h"
#include "sky/watchlist.h"

namespace lantern::sky::testing {

struct WatchData {
  std::vector<WatchTarget> targets;
  std::vector<SkyPoint> alerts;
};

// Radii: 70 % log-uniform in [1, 10]″, 20 % in [10, 300]″, 10 % in [300, 1800]″, plus a few
// exactly on class boundaries (powers of two) and at the 1800″ limit. Positions: 10 % in a 10°
// cap (a denser field), the rest uniform on the sky. Alerts: half within 1.3 r of a random
// target, the rest in the dense cap or uniform.
inline WatchData MakeWatchData(uint64_t seed, size_t n_targets, size_t n_alerts) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const SkyPoint dense{359.0, 60.0};
  auto uniform = [&]() -> SkyPoint {
    return {360.0 * u(rng), std::asin(2.0 * u(rng) - 1.0) * kRadToDeg};
  };
  auto log_uniform = [&](double lo, double hi) { return lo * std::pow(hi / lo, u(rng)); };
  WatchData d;
  d.targets.reserve(n_targets);
  for (size_t i = 0; i < n_targets; ++i) {
    const double pick = u(rng);
    double r = pick < 0.7 ? log_uniform(1.0, 10.0)
                          : (pick < 0.9 ? log_uniform(10.0, 300.0) : log_uniform(300.0, 1800.0));
    if (i % 97 == 0) r = std::ldexp(1.0, static_cast<int>(rng() % 11));  // 1, 2, ..., 1024
    if (i % 211 == 0) r = 1800.0;
    const SkyPoint p = u(rng) < 0.1 ? InCap(rng, dense, 10.0) : uniform();
    d.targets.push_back({"t" + std::to_string(i), p.ra_deg, p.dec_deg, r});
  }
  d.alerts.reserve(n_alerts);
  for (size_t i = 0; i < n_alerts; ++i) {
    if (u(rng) < 0.5 && n_targets > 0) {
      const WatchTarget& t = d.targets[rng() % n_targets];
      d.alerts.push_back(
          Offset({t.ra_deg, t.dec_deg}, 1.3 * t.radius_arcsec / 3600.0 * u(rng), 360.0 * u(rng)));
    } else {
      d.alerts.push_back(u(rng) < 0.1 ? InCap(rng, dense, 10.0) : uniform());
    }
  }
  return d;
}

// Every (alert, target) pair by the module's predicate (chord² on the unit vectors, the radius
// as chord²), separations from the haversine formula; ordered by (alert, target).
inline std::vector<WatchHit> BruteForceWatch(const std::vector<WatchTarget>& targets,
                                             std::span<const SkyPoint> alerts) {
  std::vector<UnitVector> tv;
  std::vector<double> tc;
  for (const WatchTarget& t : targets) {
    tv.push_back(FromRaDec(WrapRaDeg(t.ra_deg), t.dec_deg));
    tc.push_back(ChordSqFromRadians(t.radius_arcsec * kArcsecToRad));
  }
  std::vector<WatchHit> hits;
  for (size_t a = 0; a < alerts.size(); ++a) {
    const UnitVector v = FromRaDec(WrapRaDeg(alerts[a].ra_deg), alerts[a].dec_deg);
    for (size_t t = 0; t < targets.size(); ++t) {
      if (ChordSq(v, tv[t]) <= tc[t]) {
        hits.push_back({static_cast<uint32_t>(a), static_cast<uint32_t>(t),
                        HaversineRadians(alerts[a].ra_deg, alerts[a].dec_deg, targets[t].ra_deg,
                                         targets[t].dec_deg) *
                            kRadToArcsec});
      }
    }
  }
  return hits;
}

// Same (alert, target) pairs; separations within 1e-6″ (haversine vs chord).
inline void ExpectSameHits(std::vector<WatchHit> got, std::vector<WatchHit> want) {
  auto by_pair = [](const WatchHit& a, const WatchHit& b) {
    return a.alert != b.alert ? a.alert < b.alert : a.target < b.target;
  };
  std::sort(got.begin(), got.end(), by_pair);
  std::sort(want.begin(), want.end(), by_pair);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].alert, want[i].alert) << "hit " << i;
    ASSERT_EQ(got[i].target, want[i].target) << "alert " << got[i].alert;
    ASSERT_NEAR(got[i].sep_arcsec, want[i].sep_arcsec, 1e-6) << "alert " << got[i].alert;
  }
}

// Ordered by alert, then separation, then target.
inline void ExpectOrdered(const std::vector<WatchHit>& hits) {
  for (size_t i = 1; i < hits.size(); ++i) {
    const WatchHit& a = hits[i - 1];
    const WatchHit& b = hits[i];
    const bool ok = a.alert != b.alert
                        ? a.alert < b.alert
                        : (a.sep_arcsec != b.sep_arcsec ? a.sep_arcsec < b.sep_arcsec
                                                        : a.target < b.target);
    ASSERT_TRUE(ok) << "hits " << i - 1 << " and " << i;
  }
}

}  // namespace lantern::sky::testing
