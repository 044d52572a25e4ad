#include "sky/htm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

namespace lantern::sky {
namespace {

// 4^level.
uint64_t Pow4(int level) { return uint64_t{1} << (2 * level); }

// The id at `level` of corner k of root trixel `root`: child k holds corner k of its parent,
// as its own corner 0, so every later digit is 0.
uint64_t CornerId(uint64_t root, int k, int level) {
  if (level == 0) return root;
  return ((root << 2) | static_cast<uint64_t>(k)) << (2 * (level - 1));
}

UnitVector Normalized(double x, double y, double z) {
  const double n = std::sqrt(x * x + y * y + z * z);
  return {x / n, y / n, z / n};
}

UnitVector Centroid(const std::array<UnitVector, 3>& t) {
  return Normalized(t[0].x + t[1].x + t[2].x, t[0].y + t[1].y + t[2].y, t[0].z + t[1].z + t[2].z);
}

// The smallest of the three edge triple products: >= 0 when p is inside t.
double InsideMargin(const UnitVector& p, const std::array<UnitVector, 3>& t) {
  double margin = INFINITY;
  for (int i = 0; i < 3; ++i) {
    const UnitVector& a = t[i];
    const UnitVector& b = t[(i + 1) % 3];
    const double triple = (a.y * b.z - a.z * b.y) * p.x + (a.z * b.x - a.x * b.z) * p.y +
                          (a.x * b.y - a.y * b.x) * p.z;
    margin = std::fmin(margin, triple);
  }
  return margin;
}

TEST(HtmTest, LevelZeroIsTheOctant) {
  // S0..S3 = 8..11 and N0..N3 = 12..15, quadrants in RA order from 0 (north: reversed).
  EXPECT_EQ(HtmId(45, -45, 0), 8u);
  EXPECT_EQ(HtmId(135, -45, 0), 9u);
  EXPECT_EQ(HtmId(225, -45, 0), 10u);
  EXPECT_EQ(HtmId(315, -45, 0), 11u);
  EXPECT_EQ(HtmId(315, 45, 0), 12u);
  EXPECT_EQ(HtmId(225, 45, 0), 13u);
  EXPECT_EQ(HtmId(135, 45, 0), 14u);
  EXPECT_EQ(HtmId(45, 45, 0), 15u);
}

TEST(HtmTest, LevelOneChildrenFollowTheCorners) {
  // N3 = (v0, v1, v2) = ((0,1,0), north pole, (1,0,0)): child k holds corner k, child 3 the
  // middle.
  EXPECT_EQ(HtmId(89, 1, 1), 15u * 4 + 0);
  EXPECT_EQ(HtmId(45, 89, 1), 15u * 4 + 1);
  EXPECT_EQ(HtmId(1, 1, 1), 15u * 4 + 2);
  EXPECT_EQ(HtmId(45, std::asin(1 / std::sqrt(3.0)) * kRadToDeg, 1), 15u * 4 + 3);
}

TEST(HtmTest, IdsHaveTheLevelsRange) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> ra(0, 360), z(-1, 1);
  for (int i = 0; i < 2000; ++i) {
    const double r = ra(rng), d = std::asin(z(rng)) * kRadToDeg;
    for (int level = 0; level <= kHtmMaxLevel; ++level) {
      const uint64_t id = HtmId(r, d, level);
      ASSERT_GE(id, 8 * Pow4(level)) << r << "," << d << " level " << level;
      ASSERT_LT(id, 16 * Pow4(level)) << r << "," << d << " level " << level;
      ASSERT_EQ(HtmLevel(id), level);
    }
  }
}

TEST(HtmTest, ParentIsTheIdShiftedRight) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> ra(0, 360), z(-1, 1);
  for (int i = 0; i < 2000; ++i) {
    const double r = ra(rng), d = std::asin(z(rng)) * kRadToDeg;
    for (int level = 0; level < kHtmMaxLevel; ++level) {
      ASSERT_EQ(HtmId(r, d, level + 1) >> 2, HtmId(r, d, level)) << r << "," << d;
    }
  }
}

TEST(HtmTest, TrixelContainsItsPointsAndItsCentroidMapsBack) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> ra(0, 360), z(-1, 1);
  for (int i = 0; i < 2000; ++i) {
    const UnitVector p = FromRaDec(ra(rng), std::asin(z(rng)) * kRadToDeg);
    for (int level : {0, 1, 5, 10, 16, 20, 24}) {
      const uint64_t id = HtmId(p, level);
      const auto corners = HtmTrixelCorners(id);
      ASSERT_TRUE(corners.has_value());
      EXPECT_GE(InsideMargin(p, *corners), -1e-15);
      EXPECT_EQ(HtmId(Centroid(*corners), level), id);
    }
  }
}

TEST(HtmTest, Level16TrixelsAreAboutFiveArcsec) {
  // 90° edges halved 16 times: about 4.9″ (edges shrink unevenly, by less than 2×).
  const auto t = HtmTrixelCorners(HtmId(10, 20, 16));
  ASSERT_TRUE(t.has_value());
  const double edge = SeparationRadians((*t)[0], (*t)[1]) * kRadToArcsec;
  EXPECT_GT(edge, 3.0);
  EXPECT_LT(edge, 8.0);
}

TEST(HtmTest, PolesAndTheOriginAreCornersOfTheFirstTrixel) {
  // The north pole is corner v1 of N0 (12) and the south pole corner v1 of S0 (8), whatever
  // the RA; (1, 0, 0) is corner v0 of S0.
  for (int level = 0; level <= kHtmMaxLevel; ++level) {
    for (double ra : {0.0, 45.0, 123.0, 270.0, 359.999}) {
      EXPECT_EQ(HtmId(ra, 90, level), CornerId(12, 1, level)) << ra << " level " << level;
      EXPECT_EQ(HtmId(ra, -90, level), CornerId(8, 1, level)) << ra << " level " << level;
    }
    EXPECT_EQ(HtmId(0, 0, level), 8 * Pow4(level));
  }
}

TEST(HtmTest, EdgePointsGoToTheFirstTrixelInIdOrder) {
  // RA 90 on the equator is shared by S0, S1, N2 and N3: S0 (8) wins; it is its corner v2.
  EXPECT_EQ(HtmId(90, 0, 0), 8u);
  EXPECT_EQ(HtmId(90, 0, 3), CornerId(8, 2, 3));
  // The equator between RA 0 and 90 is the S0/N3 edge: S0 wins.
  EXPECT_EQ(HtmId(30, 0, 0), 8u);
  EXPECT_EQ(HtmId(30, 1e-9, 0), 15u);
}

TEST(HtmTest, Ra360IsRaZero) {
  for (int level : {0, 5, 10, 16, 20, 24}) {
    for (double dec : {-89.0, -45.0, -10.0, 0.0, 10.0, 45.0, 89.0}) {
      EXPECT_EQ(HtmId(360, dec, level), HtmId(0, dec, level)) << dec << " level " << level;
      EXPECT_EQ(HtmId(-10, dec, level), HtmId(350, dec, level)) << dec << " level " << level;
    }
  }
}

TEST(HtmTest, RejectsBadInput) {
  EXPECT_EQ(HtmId(10, 20, -1), 0u);
  EXPECT_EQ(HtmId(10, 20, kHtmMaxLevel + 1), 0u);
  EXPECT_EQ(HtmId(NAN, 20, 16), 0u);
  EXPECT_EQ(HtmLevel(7), -1);
  EXPECT_EQ(HtmLevel(16), -1);  // 5 bits: no root in the top 4
  EXPECT_FALSE(HtmTrixelCorners(3).has_value());
  EXPECT_TRUE(HtmTrixelCorners(8).has_value());
}

// The point at angle d (radians) from unit vector c, toward position angle pa.
UnitVector AtDistance(const UnitVector& c, double d, double pa) {
  // Two unit vectors orthogonal to c.
  UnitVector e1 = std::fabs(c.z) < 0.9 ? UnitVector{-c.y, c.x, 0.0} : UnitVector{0.0, -c.z, c.y};
  const double n1 = std::sqrt(e1.x * e1.x + e1.y * e1.y + e1.z * e1.z);
  e1 = {e1.x / n1, e1.y / n1, e1.z / n1};
  const UnitVector e2{c.y * e1.z - c.z * e1.y, c.z * e1.x - c.x * e1.z, c.x * e1.y - c.y * e1.x};
  const double a = std::cos(pa) * std::sin(d), b = std::sin(pa) * std::sin(d);
  return {c.x * std::cos(d) + a * e1.x + b * e2.x, c.y * std::cos(d) + a * e1.y + b * e2.y,
          c.z * std::cos(d) + a * e1.z + b * e2.z};
}

bool Covered(const std::vector<HtmRange>& ranges, uint64_t id) {
  for (const HtmRange& r : ranges) {
    if (id >= r.begin && id < r.end) return true;
  }
  return false;
}

TEST(HtmTest, CoverCapHoldsEveryPointInsideAndFewOutside) {
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  // Centres on poles, octahedron vertices and edges (RA 0/90/180/270, the equator) and random.
  std::vector<UnitVector> centers = {{0, 0, 1}, {0, 0, -1}, {1, 0, 0}, {0, 1, 0}, {-1, 0, 0},
                                     FromRaDec(45.0, 0.0), FromRaDec(0.0, 30.0),
                                     FromRaDec(359.9999, -0.0001)};
  for (int i = 0; i < 40; ++i) centers.push_back(FromRaDec(360 * u(rng), 180 * u(rng) - 90));
  const double kArcsec = kArcsecToRad;
  for (const double r : {0.1 * kArcsec, 2 * kArcsec, 60 * kArcsec, 3600 * kArcsec,
                         36000 * kArcsec}) {
    for (const int level : {0, 3, 7, 12, 20}) {
      for (const UnitVector& c : centers) {
        std::vector<HtmRange> ranges;
        HtmCoverCap(c, r, level, &ranges);
        ASSERT_FALSE(ranges.empty());
        for (size_t i = 0; i < ranges.size(); ++i) {
          ASSERT_LT(ranges[i].begin, ranges[i].end);
          ASSERT_GE(ranges[i].begin, uint64_t{8} << (2 * level));
          ASSERT_LE(ranges[i].end, uint64_t{16} << (2 * level));
          if (i > 0) {
            ASSERT_LT(ranges[i - 1].end, ranges[i].begin);  // ascending, merged
          }
        }
        // Inside (the centre, the rim, in between): always covered.
        for (int k = 0; k < 50; ++k) {
          const double d = k == 0 ? 0.0 : k < 10 ? r : r * std::sqrt(u(rng));
          const UnitVector p = AtDistance(c, d, 2 * std::numbers::pi * u(rng));
          ASSERT_TRUE(Covered(ranges, HtmId(p, level)))
              << "level " << level << " r " << r << " d " << d;
        }
        // Beyond 2.5 r plus three trixel edges at the depth refined to: never covered. (The
        // cover keeps trixels whose edge circles all pass within r of the centre, which near a
        // 60° corner reaches out to 2 r.)
        const int scale = static_cast<int>(std::floor(std::log2(0.5 * std::numbers::pi / r)));
        const int depth = std::clamp(scale + 3, 0, level);
        const double edge = 0.5 * std::numbers::pi / std::ldexp(1.0, depth);
        const double far = 2.5 * r + 3.0 * edge;
        if (far > 2.5) continue;
        for (int k = 0; k < 20; ++k) {
          const UnitVector p = AtDistance(c, far * (1.0 + u(rng)), 2 * std::numbers::pi * u(rng));
          ASSERT_FALSE(Covered(ranges, HtmId(p, level))) << "level " << level << " r " << r;
        }
      }
    }
  }
  std::vector<HtmRange> none;
  HtmCoverCap({1, 0, 0}, 1e-3, kHtmMaxLevel + 1, &none);
  HtmCoverCap({1, 0, 0}, -1.0, 5, &none);
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace lantern::sky
