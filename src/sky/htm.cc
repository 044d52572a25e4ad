#include "sky/htm.h"

#include <bit>
#include <cmath>

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

// Child k of `t`, with w0, w1, w2 the midpoints of the edges opposite v0, v1, v2.
Triangle Child(const Triangle& t, int k) {
  const UnitVector w0 = Midpoint(t[1], t[2]);
  const UnitVector w1 = Midpoint(t[0], t[2]);
  const UnitVector w2 = Midpoint(t[0], t[1]);
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

}  // namespace

uint64_t HtmId(const UnitVector& v, int level) {
  if (level < 0 || level > kHtmMaxLevel) return 0;
  if (!std::isfinite(v.x) || !std::isfinite(v.y) || !std::isfinite(v.z)) return 0;
  Triangle t;
  uint64_t id = 8 + FirstContaining(v, 8, RootTriangle, &t);
  for (int l = 0; l < level; ++l) {
    const Triangle parent = t;
    const int k = FirstContaining(v, 4, [&](int i) { return Child(parent, i); }, &t);
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
  for (int l = level - 1; l >= 0; --l) t = Child(t, static_cast<int>((id >> (2 * l)) & 3));
  return t;
}

}  // namespace lantern::sky
