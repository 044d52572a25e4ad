#include "stream/rates.h"

#include <cmath>

#include <gtest/gtest.h>

#include "codec/test_data.h"

namespace lantern::stream {
namespace {

TEST(Rates, ExactStatisticsOnSyntheticSeconds) {
  RateCounter c;
  // Second 1000: 3 alerts, 1001: 1, 1003: 5 (1002 empty), 1070: 2 (next minute).
  for (int i = 0; i < 3; ++i) c.AddSecond(1000, 40594);
  c.AddSecond(1001, 40594);
  for (int i = 0; i < 5; ++i) c.AddSecond(1003, 40594);
  for (int i = 0; i < 2; ++i) c.AddSecond(1070, 40595);
  const RateStats s = c.Stats();
  EXPECT_EQ(s.alerts, 11u);
  EXPECT_EQ(s.first_second, 1000);
  EXPECT_EQ(s.last_second, 1070);
  EXPECT_EQ(s.span_seconds, 71u);
  EXPECT_EQ(s.seconds_with_alerts, 4u);
  EXPECT_EQ(s.seconds_without_alerts, 67u);
  EXPECT_EQ(s.min_per_second, 1u);
  EXPECT_EQ(s.max_per_second, 5u);
  EXPECT_DOUBLE_EQ(s.mean_per_second, 11.0 / 4);
  EXPECT_DOUBLE_EQ(s.median_per_second, 2.5);  // counts 1 2 3 5
  // Minutes: [960, 1020) holds 9, [1020, 1080) holds 2.
  EXPECT_EQ(s.peak_per_minute, 9u);
  ASSERT_EQ(s.nights.size(), 2u);
  EXPECT_EQ(s.nights[0].date, "1970-01-08");  // MJD 40594
  EXPECT_EQ(s.nights[0].alerts, 9u);
  EXPECT_EQ(s.nights[0].peak_per_second, 5u);
  EXPECT_EQ(s.nights[1].alerts, 2u);
  EXPECT_DOUBLE_EQ(s.ratio_lsst_minimum, 5.0 / 1000);
  EXPECT_DOUBLE_EQ(s.ratio_lsst_design, 5.0 / 10000);
  EXPECT_DOUBLE_EQ(s.ratio_lsst_stretch, 5.0 / 100000);
}

TEST(Rates, OddCountMedianAndEmpty) {
  RateCounter c;
  EXPECT_EQ(c.Stats().alerts, 0u);
  c.AddSecond(-5, 0);  // before 1970: floor, not truncation, for minutes
  c.AddSecond(-5, 0);
  c.AddSecond(-61, 0);
  c.AddSecond(0, 0);
  const RateStats s = c.Stats();
  EXPECT_DOUBLE_EQ(s.median_per_second, 1.0);  // counts 1 1 2
  EXPECT_EQ(s.peak_per_minute, 2u);            // [-60, 0) holds the two at -5
  EXPECT_EQ(s.span_seconds, 62u);
}

TEST(Rates, TimesAndNights) {
  // MJD 60000.25 = 2023-02-25 06:00 UTC.
  EXPECT_DOUBLE_EQ(AlertUnixSeconds(alert::Survey::kZtf, 60000.25), 1677304800.0);
  EXPECT_DOUBLE_EQ(AlertUnixSeconds(alert::Survey::kLsst, 60000.25), 1677304800.0 - 37);
  // 06:00 UTC is 22:12 local mean time at Palomar on the 24th: the night of 2023-02-24.
  EXPECT_EQ(NightOf(alert::Survey::kZtf, 60000.25), 59999);
  // 2023-02-25 20:00 UTC is 12:10 at Palomar: the next night has begun.
  EXPECT_EQ(NightOf(alert::Survey::kZtf, 60000 + 20 / 24.0), 60000);
  // 15:00 UTC is 10:17 local at Cerro Pachón: still the night of the 24th.
  EXPECT_EQ(NightOf(alert::Survey::kLsst, 60000 + 15 / 24.0), 59999);
  RateCounter c;
  c.Add(alert::Survey::kZtf, std::nan(""));
  c.Add(alert::Survey::kLsst, 1480360995.0);  // Unix seconds in an MJD field (Rubin 7.x sample)
  c.Add(alert::Survey::kZtf, 60000.25);
  EXPECT_EQ(c.Stats().alerts, 1u);
  EXPECT_EQ(c.Stats().alerts_without_time, 2u);
  EXPECT_EQ(c.Stats().nights.at(0).date, "2023-02-24");
}

TEST(Rates, BadPathIsAnError) {
  RateCounter c;
  EXPECT_FALSE(CountAlertTimes(FileMessages({"/nonexistent/lantern"}), nullptr, &c).ok());
}

// Every real alert is counted once: the totals equal the manifests' record counts.
TEST(Rates, RealDataMatchesManifests) {
  const std::string root = codec::test_data::SharedDataDir();
  if (root.empty()) GTEST_SKIP() << "LANTERN_SHARED_DATA is not set";
  uint64_t expected = 0;
  std::vector<std::string> dirs;
  for (const char* dir : {"/ztf/alerts/native", "/ztf/alerts/fink_spark", "/ztf/alerts/fink_multi",
                          "/lsst/alerts"}) {
    auto rows = codec::test_data::ReadCsv(root + dir + "/MANIFEST.csv");
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    for (const auto& row : *rows) expected += std::stoull(row.at("nrec"));
    dirs.push_back(root + dir);
  }
  codec::SchemaDirectory schemas(root + "/lsst/schema");
  RateCounter c;
  auto report = CountAlertTimes(FileMessages(dirs), &schemas, &c);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->errors.empty()) << report->errors.front();
  EXPECT_EQ(report->messages, 318u + 1086u + 3u + 221u);
  EXPECT_EQ(report->alerts, expected);
  const RateStats s = c.Stats();
  EXPECT_EQ(s.alerts + s.alerts_without_time, expected);
  uint64_t per_second = 0, per_night = 0;
  for (const auto& [sec, n] : c.per_second()) per_second += n;
  for (const auto& night : s.nights) per_night += night.alerts;
  EXPECT_EQ(per_second, s.alerts);
  EXPECT_EQ(per_night, s.alerts);
}

}  // namespace
}  // namespace lantern::stream
