#include "sky/htm.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numbers>

namespace lantern::sky {
namespace {

// Octahedron vertices and root trixels as in the SDSS HTM library.
constexpr UnitVector kVertex[6] = {{0, 0, 1}, {1, 0, 0},  {0, 1, 0},
                                   {-1, 0, 0}, {0, -1, 0}, {0, 0, -1}};
constexpr int kRoot[8][3] = {
    {1, 5, 2}, {2, 5, 3}, {3, 5, 4}, {4, 5, 1},  // S0..S3, ids 8..11
    {1, 0, 4}, {4, 0, 3}, {3, 0, 2}, {2, 0, 1},  // N0..N3, ids 12..15
};

// Boundary tolerance of the SDSS library: a point this close outside an edge is inside.
constexpr double kEpsilon = 1e-15;

using Triangle = std::array<UnitVector, 3>;

double Dot(const UnitVector& a, const UnitVector& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }

UnitVector Cross(const UnitVector& a, const UnitVector& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}

UnitVector Midpoint(const UnitVector& a, const UnitVector& b) {
  UnitVector m{a.x + b.x, a.y + b.y, a.z + b.z};
  const double n = std::sqrt(m.x * m.x + m.y * m.y + m.z * m.z);
  return {m.x / n, m.y / n, m.z / n};
}

// How far inside the three edges `p` lies (the smallest of the three triple products).
double Inside(const UnitVector& p, const Triangle& t) {
  const double a = Dot(Cross(t[0], t[1]), p);
  const double b = Dot(Cross(t[1], t[2]), p);
  const double c = Dot(Cross(t[2], t[0]), p);
  return std::fmin(a, std::fmin(b, c));
}

// The midpoints w0, w1, w2 of the edges of `t` opposite v0, v1, v2.
Triangle EdgeMidpoints(const Triangle& t) {
  return {Midpoint(t[1], t[2]), Midpoint(t[0], t[2]), Midpoint(t[0], t[1])};
}

// Child k of `t`, given the midpoints `w` of its edges (EdgeMidpoints).
Triangle Child(const Triangle& t, const Triangle& w, int k) {
  const auto& [w0, w1, w2] = w;
  switch (k) {
    case 0:
      return {t[0], w2, w1};
    case 1:
      return {t[1], w0, w2};
    case 2:
      return {t[2], w1, w0};
    default:
      return {w0, w1, w2};
  }
}

Triangle RootTriangle(int root) {
  return {kVertex[kRoot[root][0]], kVertex[kRoot[root][1]], kVertex[kRoot[root][2]]};
}

// Index of the first of `n` candidates that contains `p` within kEpsilon. Children tile their
// parent, so one always does; should rounding leave `p` in a crack, the candidate it is least
// outside of is taken.
template <typename Candidate>
int FirstContaining(const UnitVector& p, int n, Candidate candidate, Triangle* chosen) {
  int best = 0;
  double best_inside = -INFINITY;
  Triangle best_triangle;
  for (int i = 0; i < n; ++i) {
    const Triangle t = candidate(i);
    const double inside = Inside(p, t);
    if (inside >= -kEpsilon) {
      *chosen = t;
      return i;
    }
    if (inside > best_inside) {
      best = i;
      best_inside = inside;
      best_triangle = t;
    }
  }
  *chosen = best_triangle;
  return best;
}

// Radius padding (radians) in HtmCoverCap, before the level-dependent part: far above rounding
// in its tests, far below any radius that matters.
constexpr double kCoverPadRad = 1e-10;

// A cap padded by kCoverPadRad.
struct Cap {
  UnitVector center;
  double chord_sq = 0.0;  // of the padded radius
  double sin_r_sq = 0.0;  // sin² of the padded radius
};

void AppendRange(uint64_t begin, uint64_t end, std::vector<HtmRange>* out) {
  if (!out->empty() && out->back().end == begin) {
    out->back().end = end;
  } else {
    out->push_back({begin, end});
  }
}

// The side of the great circle with normal n (any length) on which the whole cap lies: +1 when
// the centre is farther than r on the side n points to, -1 on the other side, 0 when the circle
// passes within r. With d = n · centre = |n| sin(angle), "farther" is d² > sin² r · |n|².
int CapSide(const UnitVector& n, const Cap& cap) {
  const double d = Dot(n, cap.center);
  if (d * d <= cap.sin_r_sq * Dot(n, n)) return 0;
  return d > 0.0 ? 1 : -1;
}

// Depth-first in id order, so ranges come out ascending. `t` is known to meet the cap as far as
// its edges' great circles tell: the cap lies wholly outside none of them. A child whose new
// (inner) edge has the cap wholly outside is dropped — its outer edges lie on the parent's
// circles, already passed. This keeps a few trixels near corners that an exact test would drop,
// which only widens the cover. A trixel with all three corners inside the cap lies inside it
// (caps under a hemisphere are convex) and is taken whole.
void CoverNode(const Triangle& t, uint64_t id, int l, int depth, int level, const Cap& cap,
               std::vector<HtmRange>* out) {
  bool whole = l == depth;
  if (!whole) {
    whole = true;
    for (const UnitVector& v : t) whole = whole && ChordSq(v, cap.center) <= cap.chord_sq;
  }
  if (whole) {
    const int shift = 2 * (level - l);
    AppendRange(id << shift, (id + 1) << shift, out);
    return;
  }
  // Children as in Child(): w0, w1, w2 the midpoints opposite v0, v1, v2. Inner edge k has
  // normal m[k] pointing into child 3 and away from corner child k.
  const auto [w0, w1, w2] = EdgeMidpoints(t);
  const int side[3] = {CapSide(Cross(w1, w2), cap), CapSide(Cross(w2, w0), cap),
                       CapSide(Cross(w0, w1), cap)};
  const uint64_t base = id << 2;
  if (side[0] <= 0) CoverNode({t[0], w2, w1}, base, l + 1, depth, level, cap, out);
  if (side[1] <= 0) CoverNode({t[1], w0, w2}, base | 1, l + 1, depth, level, cap, out);
  if (side[2] <= 0) CoverNode({t[2], w1, w0}, base | 2, l + 1, depth, level, cap, out);
  if (side[0] >= 0 && side[1] >= 0 && side[2] >= 0) {
    CoverNode({w0, w1, w2}, base | 3, l + 1, depth, level, cap, out);
  }
}

}  // namespace

void HtmCoverCap(const UnitVector& center, double radius_rad, int level,
                 std::vector<HtmRange>* out) {
  if (level < 0 || level > kHtmMaxLevel || !(radius_rad >= 0.0)) return;
  // HtmId accepts a point up to 1e-15 outside an edge in triple-product units, i.e. up to about
  // 1e-15 / |edge| ≈ 6.4e-16 · 2^level radians: the pad grows with the level to cover that.
  const double pad = kCoverPadRad + 1e-14 * std::ldexp(1.0, level);
  const double r = std::min(radius_rad + pad, 0.5 * std::numbers::pi);
  Cap cap;
  cap.center = center;
  cap.chord_sq = ChordSqFromRadians(r);
  cap.sin_r_sq = std::sin(r) * std::sin(r);
  // Trixel edges at level l are about (pi/2) / 2^l: refining much below the radius only adds
  // cover work, so stop 3 levels under the level whose trixels match the radius.
  const int scale_level = static_cast<int>(std::floor(std::log2(0.5 * std::numbers::pi / r)));
  const int depth = std::clamp(scale_level + 3, 0, level);
  for (int root = 0; root < 8; ++root) {
    const Triangle t = RootTriangle(root);
    if (CapSide(Cross(t[0], t[1]), cap) >= 0 && CapSide(Cross(t[1], t[2]), cap) >= 0 &&
        CapSide(Cross(t[2], t[0]), cap) >= 0) {
      CoverNode(t, 8 + root, 0, depth, level, cap, out);
    }
  }
}

uint64_t HtmId(const UnitVector& v, int level) {
  if (level < 0 || level > kHtmMaxLevel) return 0;
  if (!std::isfinite(v.x) || !std::isfinite(v.y) || !std::isfinite(v.z)) return 0;
  Triangle t;
  uint64_t id = 8 + FirstContaining(v, 8, RootTriangle, &t);
  for (int l = 0; l < level; ++l) {
    const Triangle parent = t;
    const Triangle w = EdgeMidpoints(parent);  // shared by the four children
    const int k = FirstContaining(v, 4, [&](int i) { return Child(parent, w, i); }, &t);
    id = (id << 2) | static_cast<uint64_t>(k);
  }
  return id;
}

int HtmLevel(uint64_t id) {
  if (id < 8) return -1;
  const int bits = std::bit_width(id);  // 4 + 2·level
  if (bits % 2 != 0) return -1;
  return (bits - 4) / 2;
}

std::optional<std::array<UnitVector, 3>> HtmTrixelCorners(uint64_t id) {
  const int level = HtmLevel(id);
  if (level < 0 || level > kHtmMaxLevel) return std::nullopt;
  Triangle t = RootTriangle(static_cast<int>(id >> (2 * level)) - 8);
  for (int l = level - 1; l >= 0; --l) {
    t = Child(t, EdgeMidpoints(t), static_cast<int>((id >> (2 * l)) & 3));
  }
  return t;
}

}  // namespace lantern::sky
