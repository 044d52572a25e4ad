// The survey-neutral alert model (DESIGN.md "Survey-neutral model"). The survey adapters in
// src/survey fill these from decoded ZTF or Rubin packets; every later stage reads only these
// types. Common columns are typed members with survey-neutral units (MJD TAI, degrees, nJy);
// every original field stays reachable through `raw`. An Alert owns its packet (shared), so
// the views inside stay valid as long as the Alert or a copy lives. Value types.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alert/fields.h"

namespace lantern::alert {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

enum class Survey : uint8_t { kZtf, kLsst };
std::string_view SurveyName(Survey survey);  // "ztf" | "lsst"

// A difference-image detection (ZTF candidate / prv_candidate with candid; Rubin diaSource).
struct Detection {
  int64_t source_id = 0;  // ZTF candid, Rubin diaSourceId
  double mjd = kNaN;      // MJD TAI of the exposure mid-point
  double ra = kNaN;       // degrees
  double dec = kNaN;      // degrees
  std::string band;       // "g", "r", "i", "u", "z", "y"
  double flux = kNaN;     // difference flux, nJy (signed: negative for negative detections)
  double flux_err = kNaN; // nJy
  double mag = kNaN;      // survey magnitude where the survey gives one (ZTF magpsf), else AB
  double mag_err = kNaN;
  bool is_positive = true;       // positive (science brighter than template) difference
  double reliability = kNaN;     // ZTF rb/drb, Rubin reliability; NaN when absent
  FieldRecord raw;               // every original field of this detection
};

// Forced photometry at a known position (ZTF fp_hists, Rubin diaForcedSource).
struct ForcedPhot {
  int64_t source_id = 0;  // Rubin diaForcedSourceId; 0 for ZTF (none given)
  double mjd = kNaN;
  std::string band;
  double flux = kNaN;     // nJy
  double flux_err = kNaN; // nJy
  FieldRecord raw;
};

// An upper limit where nothing was detected (ZTF prv_candidate without candid; Rubin 7.x
// diaNondetectionLimit). ZTF gives these no id: the key is object id + mjd + band.
struct NonDetection {
  double mjd = kNaN;
  std::string band;
  double limiting_mag = kNaN;  // 5-sigma limiting magnitude where given (ZTF diffmaglim)
  double limiting_flux = kNaN; // nJy (Rubin diaNoise, or converted from limiting_mag)
  FieldRecord raw;
};

enum class CutoutKind : uint8_t { kScience, kTemplate, kDifference };
std::string_view CutoutKindName(CutoutKind kind);  // "science" | "template" | "difference"

enum class CutoutFormat : uint8_t { kFitsGzip, kFits, kJpeg, kUnknown };
std::string_view CutoutFormatName(CutoutFormat format);
// Sniffs the format from the first bytes.
CutoutFormat DetectCutoutFormat(std::string_view bytes);

// A stamp image around the detection. `bytes` views the packet until the cutout is extracted.
struct Cutout {
  CutoutKind kind = CutoutKind::kScience;
  CutoutFormat format = CutoutFormat::kUnknown;
  std::string_view bytes;
  std::string file_name;  // ZTF cutout.fileName where given
  std::string ref;        // where the cutout stage stored it (empty until extracted)
};

struct Alert {
  Survey survey = Survey::kZtf;
  std::string schema_version;  // e.g. "4.02", "11.1"
  int64_t alert_id = 0;        // ZTF candid / Rubin diaSourceId (alertId in 7.x)
  std::string object_id;       // ZTF objectId / Rubin diaObjectId (or ssObjectId) as text
  Detection detection;         // the triggering detection
  std::vector<Detection> prv_detections;
  std::vector<ForcedPhot> forced;
  std::vector<NonDetection> nondetections;
  std::vector<Cutout> cutouts;
  FieldRecord raw;             // the whole original packet (top-level record)
  std::shared_ptr<const PacketFields> packet;  // owns what the views point into

  const Cutout* FindCutout(CutoutKind kind) const;
};

}  // namespace lantern::alert
