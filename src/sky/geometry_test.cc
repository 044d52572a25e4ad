#include "sky/geometry.h"

#include <gtest/gtest.h>

#include <random>

namespace lantern::sky {
namespace {

TEST(GeometryTest, UnitVectorsPointWhereExpected) {
  const UnitVector a = FromRaDec(0, 0);
  EXPECT_DOUBLE_EQ(a.x, 1.0);
  const UnitVector b = FromRaDec(90, 0);
  EXPECT_NEAR(b.y, 1.0, 1e-15);
  const UnitVector c = FromRaDec(123, 90);
  EXPECT_DOUBLE_EQ(c.z, 1.0);
}

TEST(GeometryTest, SeparationIsAccurateAtTinyAndLargeAngles) {
  // One milliarcsecond in declination (20 + mas itself is only good to ~1e-11 arcsec).
  const double mas = 1e-3 / 3600.0;
  EXPECT_NEAR(SeparationRadians(FromRaDec(10, 20), FromRaDec(10, 20 + mas)) * kRadToArcsec, 1e-3,
              1e-10);
  EXPECT_NEAR(SeparationRadians(FromRaDec(0, 0), FromRaDec(180, 0)) * kRadToDeg, 180.0, 1e-12);
  EXPECT_NEAR(HaversineRadians(10, 20, 10, 20 + mas) * kRadToArcsec, 1e-3, 1e-10);
  // Across RA 0/360.
  EXPECT_NEAR(HaversineRadians(359.9999, 0, 0.0001, 0) * kRadToArcsec, 0.72, 1e-9);
}

TEST(GeometryTest, ChordConversionsRoundTripAndAgreeWithHaversine) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> ra(0, 360), dec(-90, 90);
  for (int i = 0; i < 10000; ++i) {
    const double r1 = ra(rng), d1 = dec(rng);
    const double r2 = r1 + std::ldexp(1.0, -static_cast<int>(rng() % 30)), d2 = d1 * 0.999;
    const double theta = HaversineRadians(r1, d1, r2, d2);
    const double c2 = ChordSq(FromRaDec(r1, d1), FromRaDec(r2, d2));
    // Agreement to well under a microarcsecond.
    EXPECT_NEAR(RadiansFromChordSq(c2) * kRadToArcsec, theta * kRadToArcsec, 1e-6);
    EXPECT_NEAR(RadiansFromChordSq(ChordSqFromRadians(theta)), theta, 1e-15);
  }
}

TEST(GeometryTest, RaWrap) {
  EXPECT_EQ(WrapRaDeg(360.0), 0.0);
  EXPECT_EQ(WrapRaDeg(-90.0), 270.0);
  EXPECT_EQ(WrapRaDeg(725.0), 5.0);
  EXPECT_LT(WrapRaDeg(-1e-20), 360.0);
  EXPECT_DOUBLE_EQ(RaDiffDeg(1.0, 359.0), 2.0);
  EXPECT_DOUBLE_EQ(RaDiffDeg(359.0, 1.0), -2.0);
}

}  // namespace
}  // namespace lantern::sky
