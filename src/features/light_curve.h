// LightCurve: one object's detections (and non-detection limits) as the feature calculators
// read them, independent of where they came from. FromAlert builds one from a packet
// (triggering detection + previous detections + limits); Merge adds stored history, so the
// pipeline can recompute features over the full history later. The survey fields that
// features need beyond the common columns (ZTF rb/drb/nid, PS1 neighbour, ssnamenr) are
// copied into typed members, so a LightCurve owns all its data and does not keep the packet.
// Value types; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alert/alert.h"

namespace lantern::features {

// One difference-image detection. Doubles are NaN where the survey gave nothing.
struct LightCurvePoint {
  int64_t source_id = 0;      // ZTF candid, Rubin diaSourceId
  double mjd = alert::kNaN;   // MJD TAI
  double ra = alert::kNaN;    // degrees
  double dec = alert::kNaN;   // degrees
  std::string band;           // "u" "g" "r" "i" "z" "y"
  double flux = alert::kNaN;  // nJy, signed (Rubin psfFlux)
  double flux_err = alert::kNaN;
  double mag = alert::kNaN;  // ZTF magpsf
  double mag_err = alert::kNaN;
  bool is_positive = true;           // ZTF isdiffpos not "f"/"0"
  double reliability = alert::kNaN;  // Rubin reliability
  // ZTF only.
  double rb = alert::kNaN;
  double drb = alert::kNaN;
  std::optional<int64_t> nid;  // ZTF night id
  bool has_ps1 = false;        // the record carries the PS1 neighbour fields (full candidates)
  double distpsnr1 = alert::kNaN;
  double sgscore1 = alert::kNaN;
  double sgmag1 = alert::kNaN;
  double srmag1 = alert::kNaN;
  bool has_ssnamenr = false;            // the record carries the field ssnamenr
  std::optional<std::string> ssnamenr;  // null, "" and "null" become nullopt
};

struct LightCurve {
  alert::Survey survey = alert::Survey::kZtf;
  std::string object_id;
  // Sorted by (mjd, source_id); one entry per source_id.
  std::vector<LightCurvePoint> detections;
  std::vector<alert::NonDetection> nondetections;  // limits, kept for later features
};

// The light curve carried by one packet. Detections with a non-finite mjd are dropped; a
// source id seen twice keeps its first occurrence (the triggering detection first).
LightCurve FromAlert(const alert::Alert& alert);

// Adds the detections of `other` (same object) whose source ids `into` lacks, then re-sorts;
// limits are added unless `into` has one with the same mjd and band, and are left sorted by
// (mjd, band). Taken by value: a caller done with `other` moves it in and nothing is copied.
void Merge(LightCurve other, LightCurve* into);

// Mean position over detections with finite ra and dec. RA is averaged after unwrapping each
// value to within 180 degrees of the first such detection's RA, then reduced to [0, 360).
// `ra_values` (optional) receives the unwrapped RAs, `dec_values` the decs, in order.
struct MeanPosition {
  int64_t count = 0;
  double ra = alert::kNaN;
  double dec = alert::kNaN;
};
MeanPosition ComputeMeanPosition(const LightCurve& lc, std::vector<double>* ra_values = nullptr,
                                 std::vector<double>* dec_values = nullptr);

}  // namespace lantern::features
