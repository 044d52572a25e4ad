// ICRS (equatorial J2000) → Galactic coordinates, the fixed rotation of the Hipparcos
// catalogue (ESA 1997, vol. 1, sect. 1.5.3), which realises the IAU 1958 system in ICRS.
// Pure functions; safe from any thread.
#pragma once

namespace lantern::features {

struct Galactic {
  double l = 0;  // longitude, degrees in [0, 360)
  double b = 0;  // latitude, degrees in [-90, 90]
};

Galactic IcrsToGalactic(double ra_deg, double dec_deg);

}  // namespace lantern::features
