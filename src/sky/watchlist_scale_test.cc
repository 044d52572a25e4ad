// Watchlist at scale (label integration, several seconds): 1e5 targets with mixed radii
// (mostly small, log-uniform 1″..1800″) against 1e6 alerts. Every hit set is compared with an
// independent matcher over all alerts (one ZoneIndex queried at 1800″, then each target's own
// radius) and with brute force over a sample of alerts that must hit every radius decade.
#include <gtest/gtest.h>

#include <array>

#include "sky/watchlist.h"
#include "sky/watchlist_reference.h"
#include "sky/zones.h"

namespace lantern::sky {
namespace {

TEST(WatchlistScaleTest, HundredThousandTargetsMillionAlerts) {
  const auto data = testing::MakeWatchData(/*seed=*/2026, 100000, 1000000);
  auto w = Watchlist::Build(1, "scale", data.targets);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto hits = w->Match(data.alerts);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  testing::ExpectOrdered(*hits);
  EXPECT_GT(hits->size(), 500000u);

  // Independent matcher over all alerts: one index, the largest radius, then the per-target
  // chord test.
  std::vector<double> ra, dec, chord;
  for (const WatchTarget& t : data.targets) {
    ra.push_back(t.ra_deg);
    dec.push_back(t.dec_deg);
    chord.push_back(ChordSqFromRadians(t.radius_arcsec * kArcsecToRad));
  }
  const Catalog cat = *Catalog::FromPositions(ra, dec);
  auto one = ZoneIndex::Build(cat);
  ASSERT_TRUE(one.ok());
  auto wide = one->AllWithin(data.alerts, kMaxWatchRadiusArcsec);
  ASSERT_TRUE(wide.ok());
  std::vector<WatchHit> want;
  for (const Match& m : *wide) {
    const SkyPoint& a = data.alerts[m.query];
    const UnitVector v = FromRaDec(WrapRaDeg(a.ra_deg), a.dec_deg);
    if (ChordSq(v, {cat.x()[m.row], cat.y()[m.row], cat.z()[m.row]}) <= chord[m.row]) {
      want.push_back({m.query, m.row, m.sep_arcsec});
    }
  }
  testing::ExpectSameHits(*hits, want);

  // The same with every radius class kept apart.
  std::vector<double> radii;
  for (const WatchTarget& t : data.targets) radii.push_back(t.radius_arcsec);
  auto split = TargetIndex::Build(cat, radii, {.merge_candidates = 0.0});
  ASSERT_TRUE(split.ok());
  EXPECT_GE(split->num_classes(), 11u);
  auto split_hits = split->Within(data.alerts);
  ASSERT_TRUE(split_hits.ok());
  ASSERT_EQ(split_hits->size(), hits->size());
  for (size_t i = 0; i < hits->size(); ++i) {
    ASSERT_EQ((*split_hits)[i].row, (*hits)[i].target) << i;
  }

  // Brute force over the first 4000 alerts, whose hits span every radius decade.
  const std::span<const SkyPoint> sample(data.alerts.data(), 4000);
  const auto brute = testing::BruteForceWatch(data.targets, sample);
  std::vector<WatchHit> head;
  for (const WatchHit& h : *hits) {
    if (h.alert < sample.size()) head.push_back(h);
  }
  testing::ExpectSameHits(head, brute);
  std::array<int, 4> per_decade{};  // [1,10), [10,100), [100,1000), [1000,1800]
  for (const WatchHit& h : brute) {
    const double r = data.targets[h.target].radius_arcsec;
    ++per_decade[r < 10 ? 0 : (r < 100 ? 1 : (r < 1000 ? 2 : 3))];
  }
  for (const int n : per_decade) EXPECT_GT(n, 50);
}

}  // namespace
}  // namespace lantern::sky
