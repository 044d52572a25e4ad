#include "features/galactic.h"

#include <cmath>
#include <numbers>

namespace lantern::features {
namespace {

// Rows give the Galactic unit vectors (x toward l=0,b=0; z toward the north Galactic pole)
// in ICRS components: Hipparcos A_G transposed.
constexpr double kIcrsToGalactic[3][3] = {
    {-0.0548755604162154, -0.8734370902348850, -0.4838350155487132},
    {+0.4941094278755837, -0.4448296299600112, +0.7469822444972189},
    {-0.8676661490190047, -0.1980763734312015, +0.4559837761750669},
};

constexpr double kDegree = std::numbers::pi / 180.0;

}  // namespace

Galactic IcrsToGalactic(double ra_deg, double dec_deg) {
  const double ra = ra_deg * kDegree, dec = dec_deg * kDegree;
  const double v[3] = {std::cos(dec) * std::cos(ra), std::cos(dec) * std::sin(ra), std::sin(dec)};
  double g[3];
  for (int i = 0; i < 3; ++i) {
    g[i] =
        kIcrsToGalactic[i][0] * v[0] + kIcrsToGalactic[i][1] * v[1] + kIcrsToGalactic[i][2] * v[2];
  }
  Galactic out;
  out.l = std::atan2(g[1], g[0]) / kDegree;
  if (out.l < 0) out.l += 360.0;
  if (out.l >= 360.0) out.l -= 360.0;
  out.b = std::atan2(g[2], std::hypot(g[0], g[1])) / kDegree;
  return out;
}

}  // namespace lantern::features
