#include "features/light_curve.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>
#include <utility>

namespace lantern::features {
namespace {

LightCurvePoint PointFrom(const alert::Detection& d, alert::Survey survey) {
  LightCurvePoint p;
  p.source_id = d.source_id;
  p.mjd = d.mjd;
  p.ra = d.ra;
  p.dec = d.dec;
  p.band = d.band;
  p.flux = d.flux;
  p.flux_err = d.flux_err;
  p.mag = d.mag;
  p.mag_err = d.mag_err;
  p.is_positive = d.is_positive;
  p.reliability = d.reliability;
  if (survey != alert::Survey::kZtf) return p;
  // ZTF: the quality and context fields Lasair's features read.
  p.rb = d.raw.GetDouble("rb");
  p.drb = d.raw.GetDouble("drb");
  if (auto nid = d.raw.Get("nid"); nid && nid->kind == alert::FieldKind::kInt) p.nid = nid->i;
  if (d.raw.Get("sgscore1")) {
    p.has_ps1 = true;
    p.distpsnr1 = d.raw.GetDouble("distpsnr1");
    p.sgscore1 = d.raw.GetDouble("sgscore1");
    p.sgmag1 = d.raw.GetDouble("sgmag1");
    p.srmag1 = d.raw.GetDouble("srmag1");
  }
  if (auto ss = d.raw.Get("ssnamenr")) {
    p.has_ssnamenr = true;
    if (ss->kind == alert::FieldKind::kString && !ss->s.empty() && ss->s != "null") {
      p.ssnamenr = std::string(ss->s);
    }
  }
  return p;
}

void SortAndDedupe(LightCurve* lc) {
  std::unordered_set<int64_t> seen;
  std::vector<LightCurvePoint> kept;
  kept.reserve(lc->detections.size());
  for (LightCurvePoint& p : lc->detections) {
    if (!std::isfinite(p.mjd)) continue;
    if (seen.insert(p.source_id).second) kept.push_back(std::move(p));
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const LightCurvePoint& a, const LightCurvePoint& b) {
                     return a.mjd != b.mjd ? a.mjd < b.mjd : a.source_id < b.source_id;
                   });
  lc->detections = std::move(kept);
}

}  // namespace

LightCurve FromAlert(const alert::Alert& alert) {
  LightCurve lc;
  lc.survey = alert.survey;
  lc.object_id = alert.object_id;
  lc.detections.reserve(alert.prv_detections.size() + 1);
  lc.detections.push_back(PointFrom(alert.detection, alert.survey));
  for (const alert::Detection& d : alert.prv_detections) {
    lc.detections.push_back(PointFrom(d, alert.survey));
  }
  lc.nondetections = alert.nondetections;
  SortAndDedupe(&lc);
  return lc;
}

void Merge(const LightCurve& other, LightCurve* into) {
  into->detections.insert(into->detections.end(), other.detections.begin(), other.detections.end());
  for (const alert::NonDetection& n : other.nondetections) {
    const bool known = std::any_of(
        into->nondetections.begin(), into->nondetections.end(),
        [&](const alert::NonDetection& m) { return m.mjd == n.mjd && m.band == n.band; });
    if (!known) into->nondetections.push_back(n);
  }
  SortAndDedupe(into);
}

MeanPosition ComputeMeanPosition(const LightCurve& lc, std::vector<double>* ra_values,
                                 std::vector<double>* dec_values) {
  MeanPosition out;
  double ra_ref = alert::kNaN, ra_sum = 0, dec_sum = 0;
  for (const LightCurvePoint& p : lc.detections) {
    if (!std::isfinite(p.ra) || !std::isfinite(p.dec)) continue;
    if (out.count == 0) ra_ref = p.ra;
    double delta = p.ra - ra_ref;
    if (delta >= 180.0) delta -= 360.0;
    if (delta < -180.0) delta += 360.0;
    const double ra = ra_ref + delta;
    ra_sum += ra;
    dec_sum += p.dec;
    if (ra_values) ra_values->push_back(ra);
    if (dec_values) dec_values->push_back(p.dec);
    ++out.count;
  }
  if (out.count == 0) return out;
  out.ra = std::fmod(ra_sum / static_cast<double>(out.count), 360.0);
  if (out.ra < 0) out.ra += 360.0;
  out.dec = dec_sum / static_cast<double>(out.count);
  return out;
}

}  // namespace lantern::features
