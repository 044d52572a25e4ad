// Hierarchical Triangular Mesh (HTM) ids in the classic Szalay/Kunszt scheme of the SDSS HTM
// library: 8 root trixels (S0..S3 = ids 8..11, N0..N3 = ids 12..15) on the octahedron, each
// split recursively into 4 children by its edge midpoints; a level-L id is the root id followed
// by 2 bits per level, so it lies in [8·4^L, 16·4^L). Level 16 is Lasair's `htm16`. A point on
// a shared edge or vertex goes to the first trixel, in id order, that contains it within 1e-15
// (as the SDSS library decides). Pure functions on values; safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "sky/geometry.h"

namespace lantern::sky {

inline constexpr int kHtmMaxLevel = 29;  // 4 + 2·29 = 62 bits

// The level-`level` trixel containing `v` (a unit vector), or 0 — never a valid id — when the
// level is outside [0, kHtmMaxLevel] or a component is not finite.
uint64_t HtmId(const UnitVector& v, int level);

// The same from (ra, dec) in degrees; any finite RA (wrapped), dec in [-90, 90].
inline uint64_t HtmId(double ra_deg, double dec_deg, int level) {
  return HtmId(FromRaDec(ra_deg, dec_deg), level);
}

// The level of a valid id, or -1 when `id` is not an HTM id (no root 8..15 in its top bits).
int HtmLevel(uint64_t id);

// The corners (v0, v1, v2) of trixel `id`, counter-clockwise seen from outside the sphere, or
// nullopt when `id` is not a valid id of level <= kHtmMaxLevel.
std::optional<std::array<UnitVector, 3>> HtmTrixelCorners(uint64_t id);

// Level-`level` ids [begin, end).
struct HtmRange {
  uint64_t begin = 0;
  uint64_t end = 0;
};

// Appends to `out`, ascending and merged, id ranges at `level` (0..kHtmMaxLevel) that hold every
// point whose HtmId lies within `radius_rad` (< pi/2) of `center` (a unit vector), boundary
// points included. Trixels are tested against the cap recursively (corner in cap, centre in
// trixel, or an edge arc within the radius; a trixel with all corners inside is taken whole)
// down to `level`, or to about 3 levels below the radius's own scale, whichever is coarser, so
// large caps stay cheap; the ranges may therefore hold points outside the cap, never miss one.
void HtmCoverCap(const UnitVector& center, double radius_rad, int level,
                 std::vector<HtmRange>* out);

}  // namespace lantern::sky
