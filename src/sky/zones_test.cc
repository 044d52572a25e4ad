#include "sky/zones.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <thread>

#include "sky/brute_force.h"
#include "sky/test_util.h"

namespace lantern::sky {
namespace {

using testing::ExpectSameMatches;
using testing::InCap;
using testing::Offset;

using testing::Data;
using testing::MakeData;
using testing::Scenario;

const Scenario kScenarios[] = {
    {"equator", {120.0, 0.0}, 1.0, 2.0},
    {"north_pole", {17.0, 90.0}, 0.1, 2.0},
    {"north_pole_wide", {200.0, 89.95}, 0.5, 60.0},
    {"south_pole", {300.0, -89.99}, 0.05, 0.5},
    {"south_pole_1deg", {0.0, -90.0}, 3.0, 3600.0},
    {"ra_wrap", {0.0, 10.0}, 0.5, 5.0},
    {"ra_wrap_high_dec", {359.99, 80.0}, 1.0, 600.0},
    {"tiny_radius", {45.0, -30.0}, 0.02, 0.1},
    {"one_degree", {250.0, 45.0}, 5.0, 3600.0},
    {"arcmin", {0.0, -60.0}, 2.0, 60.0},
};

struct Layout {
  ZoneLayout layout;
  double zone_height_deg;
};

const Layout kLayouts[] = {
    {ZoneLayout::kZones2d, 0.0},  {ZoneLayout::kZones1d, 0.0},  {ZoneLayout::kZones2d, 0.0013},
    {ZoneLayout::kZones2d, 0.05}, {ZoneLayout::kZones1d, 0.05}, {ZoneLayout::kZones2d, 1.0},
    {ZoneLayout::kZones2d, 7.0},  {ZoneLayout::kZones1d, 180.0},
};

TEST(ZoneIndexTest, MatchesBruteForceEverywhere) {
  uint64_t seed = 1;
  for (const Scenario& s : kScenarios) {
    const Data d = MakeData(seed++, s, 3000, 800);
    const double r = s.radius_arcsec;
    const auto want_all = BruteForceAll(d.catalog, d.queries, {&r, 1});
    const auto want_nearest = BruteForceNearest(d.catalog, d.queries, {&r, 1});
    ASSERT_GT(want_all.size(), d.queries.size() / 4) << s.name << ": scenario too sparse";
    for (const Layout& l : kLayouts) {
      SCOPED_TRACE(::testing::Message() << s.name << " layout " << static_cast<int>(l.layout)
                                        << " h " << l.zone_height_deg);
      auto ix = ZoneIndex::Build(d.catalog, {l.layout, l.zone_height_deg});
      ASSERT_TRUE(ix.ok()) << ix.status().ToString();
      auto all = ix->AllWithin(d.queries, r);
      ASSERT_TRUE(all.ok()) << all.status().ToString();
      ExpectSameMatches(*all, want_all);
      auto nearest = ix->NearestWithin(d.queries, r);
      ASSERT_TRUE(nearest.ok());
      ExpectSameMatches(*nearest, want_nearest);
    }
  }
}

// A batch the caller already sorted by (zone, ra), as a broker sorts it, is matched without
// reordering (matches written straight out, every query resuming the previous one's scan):
// the results must be those of brute force all the same.
TEST(ZoneIndexTest, BatchAlreadyInZoneOrderMatchesBruteForce) {
  uint64_t seed = 100;
  for (const Scenario& s : kScenarios) {
    Data d = MakeData(seed++, s, 3000, 800);
    d.queries.push_back(d.queries.front());  // a repeated position: equal sort keys
    const double r = s.radius_arcsec;
    for (const Layout& l : kLayouts) {
      SCOPED_TRACE(::testing::Message() << s.name << " layout " << static_cast<int>(l.layout)
                                        << " h " << l.zone_height_deg);
      auto ix = ZoneIndex::Build(d.catalog, {l.layout, l.zone_height_deg});
      ASSERT_TRUE(ix.ok()) << ix.status().ToString();
      const double zones_per_deg = ix->num_zones() / 180.0;  // as ZoneIndex computes zones
      auto zone = [&](const SkyPoint& p) {
        return std::min(static_cast<int>((p.dec_deg + 90.0) * zones_per_deg),
                        ix->num_zones() - 1);
      };
      std::vector<SkyPoint> sorted = d.queries;
      std::sort(sorted.begin(), sorted.end(), [&](const SkyPoint& a, const SkyPoint& b) {
        return zone(a) != zone(b) ? zone(a) < zone(b) : a.ra_deg < b.ra_deg;
      });
      auto all = ix->AllWithin(sorted, r);
      ASSERT_TRUE(all.ok()) << all.status().ToString();
      ExpectSameMatches(*all, BruteForceAll(d.catalog, sorted, {&r, 1}));
      auto nearest = ix->NearestWithin(sorted, r);
      ASSERT_TRUE(nearest.ok());
      ExpectSameMatches(*nearest, BruteForceNearest(d.catalog, sorted, {&r, 1}));
      ASSERT_GT(nearest->size(), sorted.size() / 4);
    }
  }
}

TEST(ZoneIndexTest, NearestIsTheFirstOfAllAndOrderIsByQueryThenSeparation) {
  const Data d = MakeData(99, kScenarios[0], 5000, 2000);
  auto ix = ZoneIndex::Build(d.catalog);
  ASSERT_TRUE(ix.ok());
  auto all = ix->AllWithin(d.queries, 30.0);
  auto nearest = ix->NearestWithin(d.queries, 30.0);
  ASSERT_TRUE(all.ok() && nearest.ok());
  std::vector<Match> firsts;
  for (size_t i = 0; i < all->size(); ++i) {
    const Match& m = (*all)[i];
    if (i == 0 || (*all)[i - 1].query != m.query) {
      firsts.push_back(m);
    } else {
      const Match& p = (*all)[i - 1];
      ASSERT_LE(p.query, m.query);
      ASSERT_TRUE(p.sep_arcsec < m.sep_arcsec || (p.sep_arcsec == m.sep_arcsec && p.row < m.row));
    }
  }
  EXPECT_EQ(firsts, *nearest);
}

TEST(ZoneIndexTest, DuplicatePositionsAllMatchAndNearestTakesLowestRow) {
  const std::vector<double> ra = {10.0, 10.0, 10.0, 10.0 + 1.0 / 3600.0};
  const std::vector<double> dec = {-5.0, -5.0, -5.0, -5.0};
  auto cat = Catalog::FromPositions(ra, dec);
  ASSERT_TRUE(cat.ok());
  auto ix = ZoneIndex::Build(*cat);
  ASSERT_TRUE(ix.ok());
  const std::vector<SkyPoint> q = {{10.0, -5.0}};
  auto all = ix->AllWithin(q, 2.0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].row, 0u);
  EXPECT_EQ((*all)[2].row, 2u);
  EXPECT_EQ((*all)[0].sep_arcsec, 0.0);
  EXPECT_NEAR((*all)[3].sep_arcsec, std::cos(5.0 * kDegToRad), 1e-9);
  auto nearest = ix->NearestWithin(q, 2.0);
  ASSERT_TRUE(nearest.ok());
  ASSERT_EQ(nearest->size(), 1u);
  EXPECT_EQ((*nearest)[0].row, 0u);
}

TEST(ZoneIndexTest, PerTargetRadius) {
  for (const ZoneLayout layout : {ZoneLayout::kZones2d, ZoneLayout::kZones1d}) {
    const Data d = MakeData(7, {"watchlist", {359.8, 60.0}, 2.0, 900.0}, 4000, 1500);
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> lg(std::log(0.1), std::log(1800.0));
    std::vector<double> radii;
    for (size_t i = 0; i < d.queries.size(); ++i) radii.push_back(std::exp(lg(rng)));
    auto ix = ZoneIndex::Build(d.catalog, {layout, 0.0});
    ASSERT_TRUE(ix.ok());
    auto all = ix->AllWithin(d.queries, radii);
    ASSERT_TRUE(all.ok());
    ExpectSameMatches(*all, BruteForceAll(d.catalog, d.queries, radii));
    auto nearest = ix->NearestWithin(d.queries, radii);
    ASSERT_TRUE(nearest.ok());
    ExpectSameMatches(*nearest, BruteForceNearest(d.catalog, d.queries, radii));
  }
}

TEST(ZoneIndexTest, ConeSearchUpToDegrees) {
  const Data d = MakeData(11, {"cone", {0.0, 70.0}, 8.0, 60.0}, 20000, 0);
  for (const ZoneLayout layout : {ZoneLayout::kZones2d, ZoneLayout::kZones1d}) {
    auto ix = ZoneIndex::Build(d.catalog, {layout, 0.0});
    ASSERT_TRUE(ix.ok());
    for (const double r_deg : {0.01, 0.5, 3.0, 6.0}) {
      for (const SkyPoint c : {SkyPoint{0.0, 70.0}, SkyPoint{355.0, 74.0}, SkyPoint{3.0, 84.0}}) {
        auto got = ix->Cone(c, r_deg * 3600.0);
        ASSERT_TRUE(got.ok());
        const double r = r_deg * 3600.0;
        const std::vector<SkyPoint> q = {c};
        ExpectSameMatches(*got, BruteForceAll(d.catalog, q, {&r, 1}));
        for (size_t i = 1; i < got->size(); ++i) {
          ASSERT_LE((*got)[i - 1].sep_arcsec, (*got)[i].sep_arcsec);
        }
      }
    }
  }
}

TEST(ZoneIndexTest, QueryRaOutsideZeroTo360IsWrapped) {
  auto cat = Catalog::FromPositions({359.9999, 0.0001}, {0.0, 0.0});
  ASSERT_TRUE(cat.ok());
  for (const ZoneLayout layout : {ZoneLayout::kZones2d, ZoneLayout::kZones1d}) {
    auto ix = ZoneIndex::Build(*cat, {layout, 0.0});
    ASSERT_TRUE(ix.ok());
    const std::vector<SkyPoint> q = {{-0.0001, 0.0}, {360.0001, 0.0}, {720.0, 0.0}};
    auto all = ix->AllWithin(q, 1.0);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 6u);
    const uint32_t want_rows[] = {0, 1, 1, 0};
    const double want_sep[] = {0.0, 0.72, 0.0, 0.72, 0.36, 0.36};
    for (size_t i = 0; i < 6; ++i) {
      EXPECT_EQ((*all)[i].query, i / 2);
      // Query 2 sits midway: which of its two matches is nearer is decided by rounding.
      if (i < 4) {
        EXPECT_EQ((*all)[i].row, want_rows[i]);
      }
      EXPECT_NEAR((*all)[i].sep_arcsec, want_sep[i], 1e-6);
    }
    EXPECT_NE((*all)[4].row, (*all)[5].row);
  }
}

TEST(ZoneIndexTest, ConcurrentQueriesOnOneIndexAgree) {
  const Data d = MakeData(21, kScenarios[8], 20000, 4000);
  auto ix = ZoneIndex::Build(d.catalog);
  ASSERT_TRUE(ix.ok());
  auto want = ix->AllWithin(d.queries, 600.0);
  ASSERT_TRUE(want.ok());
  std::vector<std::vector<Match>> got(4);
  std::vector<std::thread> threads;
  for (auto& g : got) {
    threads.emplace_back([&] { g = *ix->AllWithin(d.queries, 600.0); });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, *want);
}

TEST(ZoneIndexTest, EmptyCatalogAndEmptyBatch) {
  auto ix = ZoneIndex::Build(Catalog());
  ASSERT_TRUE(ix.ok());
  const std::vector<SkyPoint> q = {{0, 0}, {10, 90}, {359.9, -90}};
  auto all = ix->AllWithin(q, 3600.0);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
  auto nearest = ix->NearestWithin(q, 3600.0);
  ASSERT_TRUE(nearest.ok());
  EXPECT_TRUE(nearest->empty());
  auto none = ix->AllWithin(std::span<const SkyPoint>(), 1.0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(ZoneIndexTest, RejectsInvalidQueries) {
  auto ix = ZoneIndex::Build(*Catalog::FromPositions({1.0}, {1.0}));
  ASSERT_TRUE(ix.ok());
  const std::vector<SkyPoint> bad_dec = {{0, 0}, {0, 90.5}};
  auto r = ix->AllWithin(bad_dec, 1.0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("query 1"), std::string::npos) << r.status().message();
  const std::vector<SkyPoint> ok = {{0, 0}};
  EXPECT_FALSE(ix->AllWithin(ok, -1.0).ok());
  EXPECT_FALSE(ix->AllWithin(ok, kMaxRadiusArcsec * 2).ok());
  const std::vector<double> radii = {1.0, 2.0};
  EXPECT_FALSE(ix->NearestWithin(ok, radii).ok());
  EXPECT_FALSE(ZoneIndex::Build(Catalog(), {ZoneLayout::kZones2d, -1.0}).ok());
}

TEST(ZoneIndexTest, ZoneHeightFollowsDensity) {
  // h* = sqrt(c / rho): a million sources over the sky, c = 4 -> ~0.406 deg.
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-1.0, 1.0), ra(0.0, 360.0);
  std::vector<double> r, d;
  for (int i = 0; i < 1000000; ++i) {
    r.push_back(ra(rng));
    d.push_back(std::asin(u(rng)) * kRadToDeg);
  }
  auto cat = Catalog::FromPositions(std::move(r), std::move(d));
  ASSERT_TRUE(cat.ok());
  auto ix = ZoneIndex::Build(*cat);
  ASSERT_TRUE(ix.ok());
  EXPECT_NEAR(ix->zone_height_deg(), 0.406, 0.002);
  // Roughly c sources per cell on average (cells are square on their equatorward edge).
  const double per_cell = static_cast<double>(ix->size()) / ix->num_cells();
  EXPECT_GT(per_cell, 2.0);
  EXPECT_LT(per_cell, 6.0);
  auto custom = ZoneIndex::Build(*cat, {ZoneLayout::kZones1d, 0.0, 16.0});
  ASSERT_TRUE(custom.ok());
  EXPECT_NEAR(custom->zone_height_deg(), 2 * 0.406, 0.004);
  EXPECT_EQ(custom->num_cells(), 0u);
}

}  // namespace
}  // namespace lantern::sky
