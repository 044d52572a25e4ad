// Unit conversions between survey conventions and Lantern's model: ZTF Julian dates and
// magnitudes versus MJD and nJy fluxes. Pure inline functions.
#pragma once

#include <cmath>
#include <string_view>

namespace lantern::survey {

inline constexpr double kJdToMjd = 2400000.5;
// AB magnitude zero point for fluxes in nJy: m = 31.4 - 2.5 log10(f / nJy).
inline constexpr double kNjyZeroPoint = 31.4;

inline double JdToMjd(double jd) { return jd - kJdToMjd; }
inline double MagToNjy(double mag) { return std::exp((kNjyZeroPoint - mag) * (M_LN10 / 2.5)); }
inline double NjyToMag(double flux) {
  return flux > 0 ? kNjyZeroPoint - 2.5 * std::log10(flux) : std::nan("");
}
// Error propagation for m = -2.5 log10 f: sigma_f = f ln(10)/2.5 sigma_m.
inline double MagErrToFluxErr(double flux, double mag_err) {
  return std::fabs(flux) * std::log(10.0) / 2.5 * mag_err;
}
inline double FluxErrToMagErr(double flux, double flux_err) {
  return flux != 0 ? 2.5 / std::log(10.0) * std::fabs(flux_err / flux) : std::nan("");
}
// ZTF filter id → band name.
inline std::string_view ZtfBand(long fid) {
  switch (fid) {
    case 1: return "g";
    case 2: return "r";
    case 3: return "i";
    default: return "";
  }
}

}  // namespace lantern::survey
