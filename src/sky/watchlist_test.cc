#include "sky/watchlist.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "sky/test_util.h"
#include "sky/watchlist_reference.h"

namespace lantern::sky {
namespace {

using testing::Offset;

TEST(WatchlistCsvTest, ReadsNamesRadiiAndDefault) {
  auto t = ParseWatchTargetsCsv(
      "Name, RA ,Dec,radius,comment\n"
      "SN 2023ixf,210.910674,54.311661,10,\"a, quoted\"\n"
      "\"M 31\",10.684708,41.26875,,\n"
      "far,+359.5,-89.9,1800,x\n",
      3.0);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_EQ(t->size(), 3u);
  EXPECT_EQ((*t)[0].name, "SN 2023ixf");
  EXPECT_DOUBLE_EQ((*t)[0].ra_deg, 210.910674);
  EXPECT_DOUBLE_EQ((*t)[0].radius_arcsec, 10.0);
  EXPECT_EQ((*t)[1].name, "M 31");
  EXPECT_DOUBLE_EQ((*t)[1].radius_arcsec, 3.0);  // empty cell: the default
  EXPECT_DOUBLE_EQ((*t)[2].ra_deg, 359.5);
  EXPECT_DOUBLE_EQ((*t)[2].radius_arcsec, 1800.0);

  auto no_radius = ParseWatchTargetsCsv("name,ra,dec\na,1,2\n");
  ASSERT_TRUE(no_radius.ok());
  EXPECT_DOUBLE_EQ((*no_radius)[0].radius_arcsec, kDefaultWatchRadiusArcsec);
}

TEST(WatchlistCsvTest, ErrorsNameTheLineAndColumn) {
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"name,ra,dec\na,1,2\nb,x,2\n", "wl.csv: line 3: column 'ra': 'x' is not a finite number"},
      {"name,ra,dec\na,1,91\n", "wl.csv: line 2: column 'dec': 91 is outside [-90, 90]"},
      {"name,ra,dec,radius\na,1,2,1801\n", "wl.csv: line 2: column 'radius': 1801 arcsec"},
      {"name,ra,dec,radius\na,1,2,0\n", "column 'radius': 0 arcsec is outside (0, 1800]"},
      {"name,ra,dec\na,1\n", "wl.csv: line 2: 2 fields, but the header has 3"},
      {"name,ra,decl\na,1,2\n", "dec"},
      {"", "wl.csv: empty file"},
      {"name,ra,dec\na,nan,2\n", "line 2: column 'ra': 'nan' is not a finite number"},
  };
  for (const Case& c : cases) {
    auto t = ParseWatchTargetsCsv(c.text, kDefaultWatchRadiusArcsec, "wl.csv");
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_NE(t.status().message().find(c.want), std::string::npos)
        << t.status().message() << "\nwanted: " << c.want;
  }
  EXPECT_FALSE(ParseWatchTargetsCsv("name,ra,dec\n", 0.0).ok());  // bad default radius
  EXPECT_FALSE(LoadWatchTargetsCsv("/nonexistent/wl.csv").ok());
}

TEST(WatchlistTest, BuildRejectsBadTargets) {
  auto bad_radius = Watchlist::Build(7, "w", {{"a", 1, 2, 5}, {"b", 1, 2, 1800.5}});
  ASSERT_FALSE(bad_radius.ok());
  EXPECT_NE(bad_radius.status().message().find("target 1 ('b'): radius 1800.5"),
            std::string::npos)
      << bad_radius.status().message();
  EXPECT_FALSE(Watchlist::Build(7, "w", {{"a", 1, 2, 0}}).ok());
  EXPECT_FALSE(Watchlist::Build(7, "w", {{"a", 1, -90.5, 1}}).ok());
  EXPECT_FALSE(Watchlist::Build(7, "w", {{"a", std::nan(""), 0, 1}}).ok());

  auto ok = Watchlist::Build(7, "w", {{"a", 1, 2, 5}});
  ASSERT_TRUE(ok.ok());
  const SkyPoint bad_alert[] = {{1, 2}, {1, 95}};
  auto hits = ok->Match(bad_alert);
  ASSERT_FALSE(hits.ok());
  EXPECT_NE(hits.status().message().find("alert 1"), std::string::npos);
  EXPECT_TRUE(ok->Match({}).ok());
  auto empty = Watchlist::Build(8, "empty", {});
  ASSERT_TRUE(empty.ok());
  auto none = empty->Match(bad_alert);
  ASSERT_FALSE(none.ok());  // alerts are validated even when there are no targets
}

TEST(WatchlistTest, OrdersByAlertThenSeparationAndHandlesWrapAndPoles) {
  // Two nested cones around the same centre and one beside it; one cone across RA 0/360 and one
  // at the pole.
  const SkyPoint c{150.0, 20.0};
  const SkyPoint beside = Offset(c, 30.0 / 3600.0, 90.0);
  auto w = Watchlist::Build(
      1, "w",
      {{"big", c.ra_deg, c.dec_deg, 600.0},
       {"small", c.ra_deg, c.dec_deg, 5.0},
       {"beside", beside.ra_deg, beside.dec_deg, 35.0},
       {"wrap", 359.999, 0.0, 10.0},
       {"pole", 123.0, 90.0, 60.0}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  const SkyPoint alerts[] = {
      Offset(c, 2.0 / 3600.0, 45.0),   // in big, small, beside (28.6″ away)
      Offset(c, 10.0 / 3600.0, 270.0),  // in big only (beside is 40″ away)
      {0.001, 0.0},                     // 7.2″ from "wrap" across RA 0
      {300.0, 89.99},                   // 36″ from the pole
      {10.0, -10.0},                    // nothing
  };
  auto hits = w->Match(alerts);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->size(), 6u);
  const auto& h = *hits;
  EXPECT_EQ(h[0].alert, 0u);
  EXPECT_EQ(h[0].target, 0u);  // big and small tie at 2″: lower target index first
  EXPECT_EQ(h[1].target, 1u);
  EXPECT_NEAR(h[0].sep_arcsec, 2.0, 1e-6);
  EXPECT_EQ(h[2].target, 2u);
  EXPECT_GT(h[2].sep_arcsec, 28.0);
  EXPECT_EQ(h[3].alert, 1u);
  EXPECT_EQ(h[3].target, 0u);
  EXPECT_NEAR(h[3].sep_arcsec, 10.0, 1e-6);
  EXPECT_EQ(h[4].alert, 2u);
  EXPECT_EQ(h[4].target, 3u);
  EXPECT_NEAR(h[4].sep_arcsec, 7.2, 1e-6);
  EXPECT_EQ(h[5].alert, 3u);
  EXPECT_EQ(h[5].target, 4u);
  EXPECT_NEAR(h[5].sep_arcsec, 36.0, 1e-6);
}

TEST(WatchlistTest, MixedRadiiAgreeWithBruteForce) {
  const auto data = testing::MakeWatchData(/*seed=*/11, /*n_targets=*/3000, /*n_alerts=*/20000);
  auto w = Watchlist::Build(3, "mixed", data.targets);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto hits = w->Match(data.alerts);
  ASSERT_TRUE(hits.ok());
  const auto want = testing::BruteForceWatch(data.targets, data.alerts);
  testing::ExpectSameHits(*hits, want);
  EXPECT_GT(want.size(), 5000u);
  testing::ExpectOrdered(*hits);

  // The same with every radius class kept apart (no merging): more classes, same answer.
  ASSERT_TRUE(w.ok());
  std::vector<double> ra, dec, radii;
  for (const WatchTarget& t : data.targets) {
    ra.push_back(t.ra_deg);
    dec.push_back(t.dec_deg);
    radii.push_back(t.radius_arcsec);
  }
  const Catalog cat = *Catalog::FromPositions(ra, dec);
  auto split = TargetIndex::Build(cat, radii, {.merge_candidates = 0.0});
  ASSERT_TRUE(split.ok());
  EXPECT_GE(split->num_classes(), 10u);
  EXPECT_LT(w->index().num_classes(), split->num_classes());
  auto split_hits = split->Within(data.alerts);
  ASSERT_TRUE(split_hits.ok());
  ASSERT_EQ(split_hits->size(), hits->size());
  for (size_t i = 0; i < hits->size(); ++i) {
    ASSERT_EQ((*split_hits)[i].query, (*hits)[i].alert);
    ASSERT_EQ((*split_hits)[i].row, (*hits)[i].target);
    ASSERT_EQ((*split_hits)[i].sep_arcsec, (*hits)[i].sep_arcsec);
  }
}

TEST(WatchlistTest, ConcurrentMatchesAreIdentical) {
  const auto data = testing::MakeWatchData(5, 2000, 20000);
  auto w = Watchlist::Build(4, "mt", data.targets);
  ASSERT_TRUE(w.ok());
  auto serial = w->Match(data.alerts);
  ASSERT_TRUE(serial.ok());
  std::vector<std::vector<WatchHit>> out(4);
  std::vector<std::thread> threads;
  for (auto& o : out) {
    threads.emplace_back([&] { o = *w->Match(data.alerts); });
  }
  for (auto& t : threads) t.join();
  for (const auto& o : out) EXPECT_EQ(o, *serial);
}

}  // namespace
}  // namespace lantern::sky
