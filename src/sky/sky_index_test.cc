// SkyIndex: all four kinds (2-D and 1-D zones, HTM, HEALPix) must return exactly the pairs of the
// brute-force reference, in the same order and with the same separations as each other, and the
// same errors for bad input — on generated catalogs around both poles, across RA 0/360, with
// duplicates, radii from 0.1″ to 1° (and per-query radii to 1800″), and on real Tycho-2.
#include "sky/sky_index.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <random>
#include <thread>

#include "sky/brute_force.h"
#include "sky/catalog_csv.h"
#include "sky/healpix_index.h"
#include "sky/htm_index.h"
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
    {"arcmin_octahedron_vertex", {90.0, 0.0}, 2.0, 60.0},
};


std::unique_ptr<SkyIndex> Build(const Catalog& cat, IndexKind kind, SkyIndexOptions opt = {}) {
  auto ix = BuildIndex(cat, kind, opt);
  EXPECT_TRUE(ix.ok()) << ix.status().ToString();
  return ix.ok() ? std::move(*ix) : nullptr;
}

// Resolutions beyond the automatic one: coarse and fine cells for every kind.
std::vector<SkyIndexOptions> Resolutions(IndexKind kind) {
  std::vector<SkyIndexOptions> out = {SkyIndexOptions{}};
  SkyIndexOptions o;
  switch (kind) {
    case IndexKind::kZones2d:
    case IndexKind::kZones1d:
      for (const double h : {0.0013, 1.0}) {
        o.zone_height_deg = h;
        out.push_back(o);
      }
      break;
    case IndexKind::kHtm:
      for (const int level : {0, 4, 13, kMaxCellLevel}) {
        o.htm_level = level;
        out.push_back(o);
      }
      break;
    case IndexKind::kHealpix:
      for (const int order : {0, 4, 13, kMaxCellLevel}) {
        o.healpix_order = order;
        out.push_back(o);
      }
      break;
  }
  return out;
}

TEST(SkyIndexTest, EveryKindMatchesBruteForceEverywhere) {
  uint64_t seed = 1;
  for (const Scenario& s : kScenarios) {
    const Data d = MakeData(seed++, s, 3000, 800);
    const double r = s.radius_arcsec;
    const auto want_all = BruteForceAll(d.catalog, d.queries, {&r, 1});
    const auto want_nearest = BruteForceNearest(d.catalog, d.queries, {&r, 1});
    ASSERT_GT(want_all.size(), d.queries.size() / 4) << s.name << ": scenario too sparse";
    // Reference order and separations: the 2-D zones, themselves checked against brute force.
    auto zones = Build(d.catalog, IndexKind::kZones2d);
    ASSERT_NE(zones, nullptr);
    const auto zones_all = *zones->AllWithin(d.queries, r);
    const auto zones_nearest = *zones->NearestWithin(d.queries, r);
    ExpectSameMatches(zones_all, want_all);
    ExpectSameMatches(zones_nearest, want_nearest);
    for (const IndexKind kind : kAllIndexKinds) {
      for (const SkyIndexOptions& opt : Resolutions(kind)) {
        auto ix = Build(d.catalog, kind, opt);
        ASSERT_NE(ix, nullptr);
        SCOPED_TRACE(::testing::Message() << s.name << " " << ix->name() << " "
                                          << ix->Describe());
        // Same pairs, same order, bit-identical separations; on a difference, name the pair.
        auto all = ix->AllWithin(d.queries, r);
        ASSERT_TRUE(all.ok()) << all.status().ToString();
        if (*all != zones_all) ExpectSameMatches(*all, want_all);
        ASSERT_TRUE(*all == zones_all);
        auto nearest = ix->NearestWithin(d.queries, r);
        ASSERT_TRUE(nearest.ok());
        if (*nearest != zones_nearest) ExpectSameMatches(*nearest, want_nearest);
        ASSERT_TRUE(*nearest == zones_nearest);
      }
    }
  }
}

TEST(SkyIndexTest, PerQueryRadiiUpTo1800Arcsec) {
  for (const Scenario& s : {Scenario{"watchlist_wrap", {359.8, 60.0}, 2.0, 900.0},
                            Scenario{"watchlist_south_pole", {0.0, -89.5}, 2.0, 900.0}}) {
    const Data d = MakeData(7, s, 4000, 1500);
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> lg(std::log(0.1), std::log(1800.0));
    std::vector<double> radii;
    for (size_t i = 0; i < d.queries.size(); ++i) radii.push_back(std::exp(lg(rng)));
    radii[0] = 1800.0;
    const auto want_all = BruteForceAll(d.catalog, d.queries, radii);
    const auto want_nearest = BruteForceNearest(d.catalog, d.queries, radii);
    ASSERT_GT(want_all.size(), d.queries.size());
    std::vector<Match> first_all;
    for (const IndexKind kind : kAllIndexKinds) {
      auto ix = Build(d.catalog, kind);
      ASSERT_NE(ix, nullptr);
      SCOPED_TRACE(::testing::Message() << s.name << " " << ix->name());
      auto all = ix->AllWithin(d.queries, radii);
      ASSERT_TRUE(all.ok()) << all.status().ToString();
      ExpectSameMatches(*all, want_all);
      if (first_all.empty()) first_all = *all;
      EXPECT_EQ(*all, first_all);
      auto nearest = ix->NearestWithin(d.queries, radii);
      ASSERT_TRUE(nearest.ok());
      ExpectSameMatches(*nearest, want_nearest);
    }
  }
}

TEST(SkyIndexTest, ConeUpToDegreesAroundThePole) {
  const Data d = MakeData(11, {"cone", {0.0, 84.0}, 8.0, 60.0}, 20000, 0);
  for (const IndexKind kind : kAllIndexKinds) {
    auto ix = Build(d.catalog, kind);
    ASSERT_NE(ix, nullptr);
    for (const double r_deg : {0.01, 0.5, 3.0, 9.0}) {
      for (const SkyPoint c : {SkyPoint{0.0, 84.0}, SkyPoint{355.0, 88.0}, SkyPoint{3.0, 90.0}}) {
        SCOPED_TRACE(::testing::Message() << ix->name() << " r " << r_deg << " at " << c.ra_deg
                                          << ", " << c.dec_deg);
        const double r = r_deg * 3600.0;
        auto got = ix->Cone(c, r);
        ASSERT_TRUE(got.ok());
        const std::vector<SkyPoint> q = {c};
        ExpectSameMatches(*got, BruteForceAll(d.catalog, q, {&r, 1}));
        for (size_t i = 1; i < got->size(); ++i) {
          ASSERT_LE((*got)[i - 1].sep_arcsec, (*got)[i].sep_arcsec);
        }
      }
    }
  }
}

TEST(SkyIndexTest, DuplicatesAllMatchAndNearestTakesLowestRow) {
  const std::vector<double> ra = {10.0, 10.0, 10.0, 10.0 + 1.0 / 3600.0};
  const std::vector<double> dec = {-5.0, -5.0, -5.0, -5.0};
  auto cat = Catalog::FromPositions(ra, dec);
  ASSERT_TRUE(cat.ok());
  const std::vector<SkyPoint> q = {{10.0, -5.0}};
  for (const IndexKind kind : kAllIndexKinds) {
    auto ix = Build(*cat, kind);
    ASSERT_NE(ix, nullptr);
    auto all = ix->AllWithin(q, 2.0);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), 4u) << ix->name();
    for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ((*all)[i].row, i) << ix->name();
    EXPECT_EQ((*all)[3].row, 3u);
    auto nearest = ix->NearestWithin(q, 2.0);
    ASSERT_TRUE(nearest.ok());
    ASSERT_EQ(nearest->size(), 1u);
    EXPECT_EQ((*nearest)[0].row, 0u) << ix->name();
  }
}

TEST(SkyIndexTest, EmptyCatalogAndEmptyBatch) {
  const std::vector<SkyPoint> q = {{0, 0}, {10, 90}, {359.9, -90}};
  for (const IndexKind kind : kAllIndexKinds) {
    auto ix = Build(Catalog(), kind);
    ASSERT_NE(ix, nullptr);
    EXPECT_EQ(ix->size(), 0u);
    auto all = ix->AllWithin(q, 3600.0);
    ASSERT_TRUE(all.ok()) << ix->name();
    EXPECT_TRUE(all->empty());
    auto nearest = ix->NearestWithin(q, 3600.0);
    ASSERT_TRUE(nearest.ok());
    EXPECT_TRUE(nearest->empty());
    auto none = ix->AllWithin(std::span<const SkyPoint>(), 1.0);
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
    // Validation still applies to an empty catalog.
    EXPECT_FALSE(ix->AllWithin(q, -1.0).ok()) << ix->name();
  }
}

TEST(SkyIndexTest, SameErrorsForBadQueriesEverywhere) {
  auto cat = Catalog::FromPositions({1.0, 2.0}, {1.0, 2.0});
  ASSERT_TRUE(cat.ok());
  const std::vector<SkyPoint> ok = {{0, 0}, {1, 1}};
  const std::vector<SkyPoint> bad_dec = {{0, 0}, {0, 90.5}};
  const std::vector<SkyPoint> nan_ra = {{std::nan(""), 0}};
  const std::vector<double> two_radii = {1.0, 2.0};
  const std::vector<double> bad_radius = {1.0, -2.0};
  const std::vector<double> three_radii = {1.0, 2.0, 3.0};
  // Each check returns the error text of one bad call.
  const std::vector<std::function<Status(const SkyIndex&)>> checks = {
      [&](const SkyIndex& ix) { return ix.AllWithin(bad_dec, 1.0).status(); },
      [&](const SkyIndex& ix) { return ix.NearestWithin(nan_ra, 1.0).status(); },
      [&](const SkyIndex& ix) { return ix.AllWithin(ok, -1.0).status(); },
      [&](const SkyIndex& ix) { return ix.AllWithin(ok, kMaxRadiusArcsec * 2).status(); },
      [&](const SkyIndex& ix) { return ix.NearestWithin(ok, bad_radius).status(); },
      [&](const SkyIndex& ix) { return ix.AllWithin(ok, three_radii).status(); },
      [&](const SkyIndex& ix) { return ix.NearestWithin(bad_dec, two_radii).status(); },
      [&](const SkyIndex& ix) { return ix.Cone({0, -91}, 1.0).status(); },
  };
  auto zones = Build(*cat, IndexKind::kZones2d);
  ASSERT_NE(zones, nullptr);
  for (const IndexKind kind : kAllIndexKinds) {
    auto ix = Build(*cat, kind);
    ASSERT_NE(ix, nullptr);
    for (size_t i = 0; i < checks.size(); ++i) {
      const Status want = checks[i](*zones);
      const Status got = checks[i](*ix);
      ASSERT_FALSE(want.ok()) << "check " << i;
      EXPECT_EQ(got.ToString(), want.ToString()) << ix->name() << " check " << i;
    }
    EXPECT_NE(checks[0](*ix).message().find("query 1"), std::string::npos);
  }
}

TEST(SkyIndexTest, ParseIndexKindAndBuildOptions) {
  for (const IndexKind kind : kAllIndexKinds) {
    auto parsed = ParseIndexKind(IndexKindName(kind));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, kind);
  }
  auto bad = ParseIndexKind("kdtree");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("kdtree"), std::string::npos);

  // Automatic resolution: n / c cells. 1e5 sources, c = 4: 25000 cells -> HTM level 6
  // (8·4^6 = 32768 trixels), HEALPix order 6 (12·4^6 = 49152 pixels).
  std::mt19937_64 rng(5);
  std::vector<double> ra, dec;
  for (int i = 0; i < 100000; ++i) {
    const SkyPoint p = InCap(rng, {0, 0}, 180.0);
    ra.push_back(p.ra_deg);
    dec.push_back(p.dec_deg);
  }
  auto cat = Catalog::FromPositions(ra, dec);
  ASSERT_TRUE(cat.ok());
  auto htm = HtmIndex::Build(*cat);
  ASSERT_TRUE(htm.ok());
  EXPECT_EQ(htm->level(), 6);
  EXPECT_EQ(htm->size(), 100000u);
  EXPECT_LT(htm->MemoryBytes(), 40u * 100000u);
  auto hp = HealpixIndex::Build(*cat);
  ASSERT_TRUE(hp.ok());
  EXPECT_EQ(hp->order(), 6);
  auto hp16 = HealpixIndex::Build(*cat, {-1, 64.0});
  ASSERT_TRUE(hp16.ok());
  EXPECT_EQ(hp16->order(), 4);
  EXPECT_EQ(HtmIndex::Build(*cat, {9})->level(), 9);

  EXPECT_FALSE(BuildIndex(*cat, IndexKind::kHtm, {.htm_level = kMaxCellLevel + 1}).ok());
  EXPECT_FALSE(BuildIndex(*cat, IndexKind::kHealpix, {.healpix_order = -2}).ok());
  EXPECT_FALSE(BuildIndex(*cat, IndexKind::kHealpix, {.sources_per_cell = 0.0}).ok());
  EXPECT_FALSE(BuildIndex(*cat, IndexKind::kZones1d, {.zone_height_deg = -1.0}).ok());
}

TEST(SkyIndexTest, ConcurrentQueriesOnOneIndexAgree) {
  const Data d = MakeData(21, kScenarios[8], 20000, 4000);
  for (const IndexKind kind : {IndexKind::kHtm, IndexKind::kHealpix}) {
    auto ix = Build(d.catalog, kind);
    ASSERT_NE(ix, nullptr);
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
}

std::string DataDir() {
  const char* env = std::getenv("LANTERN_SHARED_DATA");
  return env != nullptr && *env != '\0' ? env : "../shared/data";
}

TEST(SkyIndexTest, Tycho2EveryKindAgrees) {
  auto loaded =
      LoadCatalogCsv(DataDir() + "/catalogs/tycho2_astrometry_index4109.csv.gz", {});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Catalog& cat = loaded->catalog;
  ASSERT_GT(cat.size(), 700000u);
  std::mt19937_64 rng(2027);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<SkyPoint> queries;
  for (int i = 0; i < 20000; ++i) {
    if (i % 2 == 0) {
      const size_t j = rng() % cat.size();
      queries.push_back(Offset({cat.ra()[j], cat.dec()[j]}, 40.0 / 3600.0 * u(rng),
                               360.0 * u(rng)));
    } else {
      queries.push_back({360.0 * u(rng), std::asin(2.0 * u(rng) - 1.0) * kRadToDeg});
    }
  }
  const std::span<const SkyPoint> sample(queries.data(), 200);
  for (const double r : {30.0, 3600.0}) {
    SCOPED_TRACE(r);
    const auto want = BruteForceAll(cat, sample, {&r, 1});
    const auto want_nearest = BruteForceNearest(cat, sample, {&r, 1});
    std::vector<Match> ref_all, ref_nearest;
    for (const IndexKind kind : kAllIndexKinds) {
      auto ix = Build(cat, kind);
      ASSERT_NE(ix, nullptr);
      SCOPED_TRACE(ix->name());
      auto all = ix->AllWithin(queries, r);
      auto nearest = ix->NearestWithin(queries, r);
      ASSERT_TRUE(all.ok() && nearest.ok());
      EXPECT_GT(nearest->size(), queries.size() / 3);
      if (ref_all.empty()) {
        ref_all = *all;
        ref_nearest = *nearest;
      }
      // All 20000 queries against the 2-D zones; the first 200 against brute force.
      EXPECT_EQ(*all, ref_all);
      EXPECT_EQ(*nearest, ref_nearest);
      std::vector<Match> head, near_head;
      for (const Match& m : *all) {
        if (m.query < sample.size()) head.push_back(m);
      }
      for (const Match& m : *nearest) {
        if (m.query < sample.size()) near_head.push_back(m);
      }
      ExpectSameMatches(head, want);
      ExpectSameMatches(near_head, want_nearest);
    }
  }
}

}  // namespace
}  // namespace lantern::sky
