// Features on small hand-built light curves whose expected values were worked out by hand
// from the definitions in docs/features.md.
#include "features/features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "features/galactic.h"
#include "features/light_curve.h"
#include "sky/htm.h"

namespace lantern::features {
namespace {

constexpr double kJd0 = 2400000.5;

LightCurvePoint Ztf(int64_t id, double mjd, double ra, double dec, const char* band, double mag,
                    double mag_err, bool positive, double rb, int64_t nid) {
  LightCurvePoint p;
  p.source_id = id;
  p.mjd = mjd;
  p.ra = ra;
  p.dec = dec;
  p.band = band;
  p.mag = mag;
  p.mag_err = mag_err;
  p.is_positive = positive;
  p.rb = rb;
  p.nid = nid;
  return p;
}

double Num(const Features& f, const char* name) {
  const FeatureValue* v = f.Find(name);
  EXPECT_NE(v, nullptr) << name;
  if (v == nullptr || !std::holds_alternative<double>(*v)) {
    ADD_FAILURE() << name << " is not a double";
    return std::nan("");
  }
  return std::get<double>(*v);
}

int64_t Int(const Features& f, const char* name) {
  const FeatureValue* v = f.Find(name);
  EXPECT_NE(v, nullptr) << name;
  if (v == nullptr || !std::holds_alternative<int64_t>(*v)) {
    ADD_FAILURE() << name << " is not an integer";
    return -1;
  }
  return std::get<int64_t>(*v);
}

bool IsNull(const Features& f, const char* name) {
  const FeatureValue* v = f.Find(name);
  return v != nullptr && std::holds_alternative<std::monostate>(*v);
}

LightCurve ZtfCurve() {
  LightCurve lc;
  lc.survey = alert::Survey::kZtf;
  // Given out of time order: features must not depend on the order of the input.
  lc.detections.push_back(Ztf(4, 60010.0, 10.002, 20.0, "r", 18.0, 0.1, false, 0.9, 110));
  lc.detections.push_back(Ztf(1, 60000.0, 10.0, 20.0, "g", 19.0, 0.1, true, 0.8, 100));
  lc.detections.push_back(Ztf(3, 60002.0, 10.0, 20.0, "g", 18.0, 0.2, true, 0.5, 102));
  lc.detections.push_back(Ztf(2, 60000.1, 10.002, 20.0, "r", 18.5, 0.1, true, alert::kNaN, 100));
  lc.detections[3].drb = 0.9;
  lc.detections[1].has_ps1 = true;
  lc.detections[1].sgscore1 = 0.3;
  lc.detections[2].has_ps1 = true;
  lc.detections[2].sgscore1 = 0.9;
  lc.detections[2].distpsnr1 = 1.5;
  lc.detections[2].has_ssnamenr = true;
  lc.detections[2].ssnamenr = "123";
  lc.detections[0].has_ssnamenr = true;  // the latest carrier says: no solar-system object
  // Sort as FromAlert does.
  LightCurve sorted;
  sorted.survey = lc.survey;
  Merge(lc, &sorted);
  return sorted;
}

TEST(ZtfFeaturesTest, CountsTimesAndMagnitudes) {
  const Features f = ComputeZtf(ZtfCurve());
  EXPECT_EQ(Int(f, "ncand"), 4);
  EXPECT_DOUBLE_EQ(Num(f, "jdmin"), 60000.0 + kJd0);
  EXPECT_DOUBLE_EQ(Num(f, "jdmax"), 60010.0 + kJd0);
  EXPECT_DOUBLE_EQ(Num(f, "jdgmax"), 60002.0 + kJd0);
  EXPECT_DOUBLE_EQ(Num(f, "jdrmax"), 60010.0 + kJd0);
  EXPECT_DOUBLE_EQ(Num(f, "gmag"), 18.0);
  EXPECT_DOUBLE_EQ(Num(f, "rmag"), 18.0);
  EXPECT_DOUBLE_EQ(Num(f, "maggmin"), 18.0);
  EXPECT_DOUBLE_EQ(Num(f, "maggmax"), 19.0);
  EXPECT_DOUBLE_EQ(Num(f, "maggmean"), 18.5);
  EXPECT_DOUBLE_EQ(Num(f, "magrmin"), 18.0);
  EXPECT_DOUBLE_EQ(Num(f, "magrmax"), 18.5);
  EXPECT_DOUBLE_EQ(Num(f, "magrmean"), 18.25);
}

TEST(ZtfFeaturesTest, PositionIsMeanAndSpreadInArcsec) {
  const Features f = ComputeZtf(ZtfCurve());
  EXPECT_NEAR(Num(f, "ramean"), 10.001, 1e-12);
  EXPECT_DOUBLE_EQ(Num(f, "decmean"), 20.0);
  EXPECT_NEAR(Num(f, "rastd"), 3.6, 1e-9);  // population std 0.001 deg
  EXPECT_DOUBLE_EQ(Num(f, "decstd"), 0.0);
  const Galactic g = IcrsToGalactic(10.001, 20.0);
  EXPECT_DOUBLE_EQ(Num(f, "glonmean"), g.l);
  EXPECT_DOUBLE_EQ(Num(f, "glatmean"), g.b);
}

TEST(ZtfFeaturesTest, Htm16IsTheTrixelOfTheMeanPosition) {
  const Features f = ComputeZtf(ZtfCurve());
  EXPECT_EQ(Int(f, "htm16"), static_cast<int64_t>(sky::HtmId(Num(f, "ramean"), 20.0, 16)));
  // (10.001, 20) is in N3 (id 15): the level-16 id starts with those 4 bits.
  EXPECT_EQ(Int(f, "htm16") >> 32, 15);
}

TEST(ZtfFeaturesTest, RateNeedsTwoPositiveDetections) {
  const Features f = ComputeZtf(ZtfCurve());
  EXPECT_DOUBLE_EQ(Num(f, "dmdt_g"), 0.5);       // (19 - 18) / 2 days: brightening
  EXPECT_DOUBLE_EQ(Num(f, "dmdt_g_err"), 0.15);  // (0.1 + 0.2) / 2
  EXPECT_TRUE(IsNull(f, "dmdt_r"));              // the latest r is a negative difference
  EXPECT_TRUE(IsNull(f, "dmdt_r_err"));
}

TEST(ZtfFeaturesTest, MovingAverages) {
  const Features f = ComputeZtf(ZtfCurve());
  EXPECT_NEAR(Num(f, "mag_g02"), 18.0 + std::exp(-1.0), 1e-12);
  EXPECT_NEAR(Num(f, "mag_g08"), 18.0 + std::exp(-0.25), 1e-12);
  EXPECT_NEAR(Num(f, "mag_g28"), 18.0 + std::exp(-2.0 / 28), 1e-12);
  EXPECT_NEAR(Num(f, "mag_r02"), 18.0 + 0.5 * std::exp(-9.9 / 2), 1e-12);
  EXPECT_NEAR(Num(f, "mag_r28"), 18.0 + 0.5 * std::exp(-9.9 / 28), 1e-12);
}

TEST(ZtfFeaturesTest, GoodPositiveCountsAndColour) {
  const Features f = ComputeZtf(ZtfCurve());
  EXPECT_EQ(Int(f, "ncandgp"), 2);  // ids 1 (rb) and 2 (drb); 3 is not good, 4 is negative
  EXPECT_EQ(Int(f, "ncandgp_7"), 0);
  EXPECT_EQ(Int(f, "ncandgp_14"), 2);
  EXPECT_DOUBLE_EQ(Num(f, "g_minus_r"), 0.5);  // night 100: 19.0 - 18.5
  EXPECT_DOUBLE_EQ(Num(f, "jd_g_minus_r"), 60000.0 + kJd0);
}

TEST(ZtfFeaturesTest, ContextFromLatestCarrier) {
  const Features f = ComputeZtf(ZtfCurve());
  EXPECT_FLOAT_EQ(Num(f, "sgscore1"), 0.9);
  EXPECT_DOUBLE_EQ(Num(f, "distpsnr1"), 1.5);
  EXPECT_TRUE(IsNull(f, "sgmag1"));
  EXPECT_TRUE(IsNull(f, "ssnamenr"));
}

TEST(ZtfFeaturesTest, RaWrapsAroundZero) {
  LightCurve lc;
  lc.survey = alert::Survey::kZtf;
  lc.detections.push_back(Ztf(1, 60000, 359.999, -5, "g", 19, 0.1, true, 0.9, 1));
  lc.detections.push_back(Ztf(2, 60001, 0.001, -5, "g", 19, 0.1, true, 0.9, 2));
  const Features f = ComputeZtf(lc);
  const double ra = Num(f, "ramean");
  EXPECT_NEAR(std::min(ra, 360 - ra), 0.0, 1e-9);
  EXPECT_NEAR(Num(f, "rastd"), 3.6, 1e-6);
}

TEST(ZtfFeaturesTest, EmptyCurveGivesNulls) {
  LightCurve lc;
  const Features f = ComputeZtf(lc);
  EXPECT_EQ(Int(f, "ncand"), 0);
  EXPECT_TRUE(IsNull(f, "ramean"));
  EXPECT_TRUE(IsNull(f, "mag_g02"));
  EXPECT_EQ(f.columns().size(), ZtfColumns().size());
  EXPECT_TRUE(IsNull(f, "htm16"));
  EXPECT_EQ(ZtfColumns().size(), 40u);
}

TEST(GalacticTest, KnownDirections) {
  const Galactic pole = IcrsToGalactic(192.85948, 27.12825);
  EXPECT_NEAR(pole.b, 90.0, 1e-4);
  const Galactic origin = IcrsToGalactic(0.0, 0.0);
  EXPECT_NEAR(origin.l, 96.33728, 1e-4);
  EXPECT_NEAR(origin.b, -60.18855, 1e-4);
  const Galactic centre = IcrsToGalactic(266.40499, -28.93617);
  EXPECT_NEAR(std::min(centre.l, 360 - centre.l), 0.0, 1e-4);
  EXPECT_NEAR(centre.b, 0.0, 1e-4);
}

// --- LSST --------------------------------------------------------------------------------

constexpr double kT = 60100.3;  // the latest source
constexpr double kMinute = 1.0 / (24 * 60);

LightCurvePoint Lsst(int64_t id, double mjd, const char* band, double flux, double r) {
  LightCurvePoint p;
  p.source_id = id;
  p.mjd = mjd;
  p.ra = 150.0;
  p.dec = -30.0;
  p.band = band;
  p.flux = flux;
  p.flux_err = 10.0;
  p.reliability = r;
  return p;
}

LightCurve LsstCurve() {
  LightCurve lc;
  lc.survey = alert::Survey::kLsst;
  // g sample 20-60 days back: mean 100, sample sd sqrt(250 / 4).
  const double fluxes[] = {100, 110, 90, 105, 95};
  const double rel[] = {0.9, 0.8, 0.2, 0.6, 0.4};
  for (int k = 0; k < 5; ++k) {
    lc.detections.push_back(Lsst(10 + k, kT - 20 - 10 * k, "g", fluxes[k], rel[k]));
  }
  lc.detections.push_back(Lsst(20, kT - 5 - 10 * kMinute, "u", 50, alert::kNaN));
  lc.detections.push_back(Lsst(21, kT - 5, "g", 140, 0.7));
  lc.detections.push_back(Lsst(22, kT - 1, "z", alert::kNaN, 0.3));  // no flux
  lc.detections.push_back(Lsst(23, kT - 20 * kMinute, "i", 100, 0.55));
  lc.detections.push_back(Lsst(24, kT, "r", 200, 0.95));
  LightCurve sorted;
  sorted.survey = lc.survey;
  Merge(lc, &sorted);
  return sorted;
}

TEST(LsstFeaturesTest, Counts) {
  const Features f = ComputeLsst(LsstCurve());
  EXPECT_EQ(Int(f, "nDiaSources"), 10);
  EXPECT_EQ(Int(f, "nPosDiaSources"), 9);
  EXPECT_EQ(Int(f, "nPosDiaSourcesNights"), 7);
  EXPECT_EQ(Int(f, "nuSources"), 1);
  EXPECT_EQ(Int(f, "ngSources"), 6);
  EXPECT_EQ(Int(f, "nrSources"), 1);
  EXPECT_EQ(Int(f, "niSources"), 1);
  EXPECT_EQ(Int(f, "nzSources"), 0);
  EXPECT_EQ(Int(f, "nySources"), 0);
  EXPECT_EQ(f.columns().size(), LsstColumns().size());
  EXPECT_EQ(LsstColumns().size(), 49u);
}

TEST(LsstFeaturesTest, Htm16IsTheTrixelOfTheMeanDetectionPosition) {
  const LightCurve lc = LsstCurve();
  const MeanPosition pos = ComputeMeanPosition(lc);
  ASSERT_GT(pos.count, 0);
  EXPECT_EQ(Int(ComputeLsst(lc), "htm16"), static_cast<int64_t>(sky::HtmId(pos.ra, pos.dec, 16)));
  EXPECT_TRUE(IsNull(ComputeLsst(LightCurve{}), "htm16"));
}

TEST(LsstFeaturesTest, LatestAndMeanFluxes) {
  const Features f = ComputeLsst(LsstCurve());
  EXPECT_DOUBLE_EQ(Num(f, "g_psfFlux"), 140);
  EXPECT_DOUBLE_EQ(Num(f, "g_latestMJD"), kT - 5);
  EXPECT_NEAR(Num(f, "g_psfFluxMean"), 640.0 / 6, 1e-9);
  EXPECT_NEAR(Num(f, "g_psfFluxMeanErr"), 10 / std::sqrt(6.0), 1e-12);
  EXPECT_TRUE(IsNull(f, "z_psfFlux"));
  EXPECT_TRUE(IsNull(f, "z_psfFluxMean"));
  EXPECT_DOUBLE_EQ(Num(f, "latest_psfFlux"), 200);
  EXPECT_DOUBLE_EQ(Num(f, "firstDiaSourceMjdTai"), kT - 60);
  EXPECT_DOUBLE_EQ(Num(f, "lastDiaSourceMjdTai"), kT);
  EXPECT_NEAR(Num(f, "glat"), IcrsToGalactic(150, -30).b, 1e-12);
}

TEST(LsstFeaturesTest, Reliability) {
  const Features f = ComputeLsst(LsstCurve());
  EXPECT_DOUBLE_EQ(Num(f, "medianR"), 0.6);
  EXPECT_DOUBLE_EQ(Num(f, "latestR"), 0.95);
  EXPECT_EQ(Int(f, "nSourcesGood"), 6);
}

TEST(LsstFeaturesTest, Jumps) {
  const Features f = ComputeLsst(LsstCurve());
  EXPECT_NEAR(Num(f, "jump1"), 40 / std::sqrt(250.0 / 4), 1e-12);
  EXPECT_DOUBLE_EQ(Num(f, "jump2"), 0.0);
}

TEST(LsstFeaturesTest, Pairs) {
  const Features f = ComputeLsst(LsstCurve());
  EXPECT_DOUBLE_EQ(Num(f, "latestPairMJD"), kT);
  EXPECT_NEAR(Num(f, "latestPairColourMag"), -2.5 * std::log10(2.0), 1e-12);
  EXPECT_EQ(std::get<std::string>(*f.Find("latestPairColourBands")), "r-i");
  EXPECT_DOUBLE_EQ(Num(f, "penultimatePairMJD"), kT - 5);
  EXPECT_NEAR(Num(f, "penultimatePairColourMag"), -2.5 * std::log10(50.0 / 140), 1e-12);
  EXPECT_EQ(std::get<std::string>(*f.Find("penultimatePairColourBands")), "u-g");
}

TEST(LsstFeaturesTest, EmptyCurve) {
  LightCurve lc;
  lc.survey = alert::Survey::kLsst;
  const Features f = Compute(lc);
  EXPECT_EQ(Int(f, "nDiaSources"), 0);
  EXPECT_TRUE(IsNull(f, "jump1"));
  EXPECT_TRUE(IsNull(f, "latestPairMJD"));
  EXPECT_TRUE(IsNull(f, "latestPairColourBands"));
}

TEST(LightCurveTest, MergeKeepsOneCopyPerSource) {
  LightCurve a = LsstCurve();
  const size_t n = a.detections.size();
  LightCurve b;
  b.detections.push_back(Lsst(24, kT, "r", 999, 0.1));      // known: a's copy wins
  b.detections.push_back(Lsst(99, kT - 100, "y", 5, 0.1));  // new and earliest
  Merge(b, &a);
  ASSERT_EQ(a.detections.size(), n + 1);
  EXPECT_EQ(a.detections.front().source_id, 99);
  EXPECT_DOUBLE_EQ(a.detections.back().flux, 200);
}

TEST(LightCurveTest, MergeKeepsOneLimitPerTimeAndBandInOrder) {
  auto limit = [](double mjd, const char* band, double mag) {
    alert::NonDetection n;
    n.mjd = mjd;
    n.band = band;
    n.limiting_mag = mag;
    return n;
  };
  LightCurve stored;
  // Stored out of order (as an older record may be): Merge sorts first.
  stored.nondetections = {limit(3, "g", 20), limit(1, "r", 20), limit(1, "g", 20)};
  LightCurve packet;
  packet.nondetections = {limit(2, "g", 21), limit(1, "g", 99),  // (1, g) is known: kept 20
                          limit(2, "g", 22), limit(0.5, "r", 21), limit(3, "r", 21)};
  Merge(packet, &stored);
  std::vector<std::pair<double, std::string>> got;
  for (const alert::NonDetection& n : stored.nondetections) got.emplace_back(n.mjd, n.band);
  const std::vector<std::pair<double, std::string>> want = {
      {0.5, "r"}, {1, "g"}, {1, "r"}, {2, "g"}, {3, "g"}, {3, "r"}};
  EXPECT_EQ(got, want);
  EXPECT_DOUBLE_EQ(stored.nondetections[1].limiting_mag, 20);  // the stored copy wins
  EXPECT_DOUBLE_EQ(stored.nondetections[3].limiting_mag, 21);  // the packet's first copy wins
  Merge(packet, &stored);  // merging again changes nothing
  EXPECT_EQ(stored.nondetections.size(), want.size());
}

}  // namespace
}  // namespace lantern::features
