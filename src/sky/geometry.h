// Spherical geometry on the celestial sphere: unit vectors from (ra, dec) in degrees, robust
// angular separation, chord² <-> angle conversion and RA wrap-around. Every crossmatch in
// src/sky decides "within r" by the same predicate, chord² <= ChordSqFromRadians(r), on the
// unit vectors made here. Pure functions on values; safe from any thread.
#pragma once

#include <cmath>
#include <numbers>

namespace lantern::sky {

inline constexpr double kDegToRad = std::numbers::pi / 180.0;
inline constexpr double kRadToDeg = 180.0 / std::numbers::pi;
inline constexpr double kArcsecToRad = kDegToRad / 3600.0;
inline constexpr double kRadToArcsec = kRadToDeg * 3600.0;

// A point on the unit sphere; x toward (ra 0, dec 0), z toward the north celestial pole.
struct UnitVector {
  double x = 1.0;
  double y = 0.0;
  double z = 0.0;
};

inline UnitVector FromRaDec(double ra_deg, double dec_deg) {
  const double ra = ra_deg * kDegToRad;
  const double dec = dec_deg * kDegToRad;
  const double cd = std::cos(dec);
  return {cd * std::cos(ra), cd * std::sin(ra), std::sin(dec)};
}

// Squared chord length between two points on the unit sphere: the quantity compared in every
// inner loop (no trigonometry there).
inline double ChordSq(const UnitVector& a, const UnitVector& b) {
  const double dx = a.x - b.x;
  const double dy = a.y - b.y;
  const double dz = a.z - b.z;
  return dx * dx + dy * dy + dz * dz;
}

// chord = 2 sin(θ/2): exact conversions, well conditioned for the small angles used here.
inline double ChordSqFromRadians(double theta) {
  const double s = std::sin(0.5 * theta);
  return 4.0 * s * s;
}
inline double RadiansFromChordSq(double chord_sq) {
  const double half = 0.5 * std::sqrt(chord_sq);
  return 2.0 * std::asin(half < 1.0 ? half : 1.0);
}

// Angle between two vectors as atan2(|a × b|, a · b): accurate at 0 and at 180°.
inline double SeparationRadians(const UnitVector& a, const UnitVector& b) {
  const double cx = a.y * b.z - a.z * b.y;
  const double cy = a.z * b.x - a.x * b.z;
  const double cz = a.x * b.y - a.y * b.x;
  return std::atan2(std::sqrt(cx * cx + cy * cy + cz * cz), a.x * b.x + a.y * b.y + a.z * b.z);
}

// Haversine separation straight from coordinates (degrees in, radians out); independent of the
// unit-vector path, which is why the brute-force reference uses it for reported separations.
inline double HaversineRadians(double ra1_deg, double dec1_deg, double ra2_deg, double dec2_deg) {
  const double s_dec = std::sin(0.5 * (dec2_deg - dec1_deg) * kDegToRad);
  const double s_ra = std::sin(0.5 * (ra2_deg - ra1_deg) * kDegToRad);
  const double h = s_dec * s_dec + std::cos(dec1_deg * kDegToRad) *
                                       std::cos(dec2_deg * kDegToRad) * s_ra * s_ra;
  return 2.0 * std::asin(std::sqrt(h < 1.0 ? h : 1.0));
}

// Maps any finite RA in degrees into [0, 360).
inline double WrapRaDeg(double ra_deg) {
  if (ra_deg >= 0.0 && ra_deg < 360.0) return ra_deg;
  double r = std::fmod(ra_deg, 360.0);
  if (r < 0.0) r += 360.0;
  return r >= 360.0 ? 0.0 : r;  // fmod of a tiny negative plus 360 can round up to 360
}

// Signed RA difference a - b folded into [-180, 180).
inline double RaDiffDeg(double a_deg, double b_deg) {
  const double d = WrapRaDeg(a_deg - b_deg);
  return d >= 180.0 ? d - 360.0 : d;
}

}  // namespace lantern::sky
