#include "alert/alert.h"

namespace lantern::alert {

std::string_view SurveyName(Survey survey) { return survey == Survey::kZtf ? "ztf" : "lsst"; }

std::string_view CutoutKindName(CutoutKind kind) {
  switch (kind) {
    case CutoutKind::kScience: return "science";
    case CutoutKind::kTemplate: return "template";
    case CutoutKind::kDifference: return "difference";
  }
  return "unknown";
}

std::string_view CutoutFormatName(CutoutFormat format) {
  switch (format) {
    case CutoutFormat::kFitsGzip: return "fits.gz";
    case CutoutFormat::kFits: return "fits";
    case CutoutFormat::kJpeg: return "jpeg";
    case CutoutFormat::kUnknown: return "unknown";
  }
  return "unknown";
}

CutoutFormat DetectCutoutFormat(std::string_view b) {
  if (b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0x1f &&
      static_cast<unsigned char>(b[1]) == 0x8b)
    return CutoutFormat::kFitsGzip;
  if (b.size() >= 6 && b.substr(0, 6) == "SIMPLE") return CutoutFormat::kFits;
  if (b.size() >= 3 && static_cast<unsigned char>(b[0]) == 0xff &&
      static_cast<unsigned char>(b[1]) == 0xd8 && static_cast<unsigned char>(b[2]) == 0xff)
    return CutoutFormat::kJpeg;
  return CutoutFormat::kUnknown;
}

const Cutout* Alert::FindCutout(CutoutKind kind) const {
  for (const Cutout& c : cutouts)
    if (c.kind == kind) return &c;
  return nullptr;
}

}  // namespace lantern::alert
