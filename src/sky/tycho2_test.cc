// Crossmatch over the real Tycho-2 subset in ../shared/data (723k stars): the zone indexes must
// agree with brute force on a sample of queries and with each other on all of them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "sky/brute_force.h"
#include "sky/catalog_csv.h"
#include "sky/test_util.h"
#include "sky/zones.h"

namespace lantern::sky {
namespace {

std::string DataDir() {
  const char* env = std::getenv("LANTERN_SHARED_DATA");
  return env != nullptr && *env != '\0' ? env : "../shared/data";
}

TEST(Tycho2Test, ZonesAgreeWithBruteForce) {
  const std::string path = DataDir() + "/catalogs/tycho2_astrometry_index4109.csv.gz";
  uint64_t progress_calls = 0;
  CsvCatalogOptions opt;
  opt.progress = [&](const CsvLoadProgress&) { ++progress_calls; };
  auto loaded = LoadCatalogCsv(path, opt);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Catalog& cat = loaded->catalog;
  ASSERT_GT(cat.size(), 700000u);
  EXPECT_EQ(cat.ids().kind(), IdColumn::Kind::kInt64);
  EXPECT_EQ(cat.IdString(0), "1");
  EXPECT_GT(progress_calls, 10u);

  std::mt19937_64 rng(2026);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<SkyPoint> queries;
  for (int i = 0; i < 20000; ++i) {
    if (i % 2 == 0) {  // near a star, so that small radii match
      const size_t j = rng() % cat.size();
      queries.push_back(testing::Offset({cat.ra()[j], cat.dec()[j]}, 40.0 / 3600.0 * u(rng),
                                        360.0 * u(rng)));
    } else {
      queries.push_back({360.0 * u(rng), std::asin(2.0 * u(rng) - 1.0) * kRadToDeg});
    }
  }
  auto ix2 = ZoneIndex::Build(cat, {ZoneLayout::kZones2d, 0.0});
  auto ix1 = ZoneIndex::Build(cat, {ZoneLayout::kZones1d, 0.0});
  ASSERT_TRUE(ix2.ok() && ix1.ok());
  const std::span<const SkyPoint> sample(queries.data(), 300);
  for (const double r : {30.0, 3600.0}) {
    SCOPED_TRACE(r);
    auto all2 = ix2->AllWithin(queries, r);
    auto all1 = ix1->AllWithin(queries, r);
    auto near2 = ix2->NearestWithin(queries, r);
    ASSERT_TRUE(all2.ok() && all1.ok() && near2.ok());
    EXPECT_EQ(*all2, *all1);
    EXPECT_GT(near2->size(), queries.size() / 3);
    // Brute force over the whole catalog for the first 300 queries.
    std::vector<Match> head;
    for (const Match& m : *all2) {
      if (m.query < sample.size()) head.push_back(m);
    }
    testing::ExpectSameMatches(head, BruteForceAll(cat, sample, {&r, 1}));
    std::vector<Match> near_head;
    for (const Match& m : *near2) {
      if (m.query < sample.size()) near_head.push_back(m);
    }
    testing::ExpectSameMatches(near_head, BruteForceNearest(cat, sample, {&r, 1}));
  }
}

}  // namespace
}  // namespace lantern::sky
