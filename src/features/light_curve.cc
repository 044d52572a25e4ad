#include "features/light_curve.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <utility>

#include "core/sort.h"

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
  // ZTF: the quality and context fields Lasair's features read, by name with position hints
  // per record shape (a packet's candidate and its prv_candidates differ): the names are
  // looked up again only when a shape changes.
  struct Hints {
    const void* shape = nullptr;
    int rb = -1, drb = -1, nid = -1, distpsnr1 = -1, sgscore1 = -1, sgmag1 = -1, srmag1 = -1,
        ssnamenr = -1;
  };
  thread_local std::array<Hints, 4> hints;
  thread_local size_t next_slot = 0;
  const void* shape = d.raw.handle().node;
  Hints* h = nullptr;
  for (Hints& slot : hints) {
    if (slot.shape == shape) h = &slot;
  }
  if (h == nullptr) {
    h = &hints[next_slot++ % hints.size()];
    *h = Hints{shape};
  }
  p.rb = d.raw.GetDouble("rb", &h->rb);
  p.drb = d.raw.GetDouble("drb", &h->drb);
  if (auto nid = d.raw.Get("nid", &h->nid); nid && nid->kind == alert::FieldKind::kInt) {
    p.nid = nid->i;
  }
  if (auto sg = d.raw.Get("sgscore1", &h->sgscore1)) {
    p.has_ps1 = true;
    p.sgscore1 = sg->AsDouble();
    p.distpsnr1 = d.raw.GetDouble("distpsnr1", &h->distpsnr1);
    p.sgmag1 = d.raw.GetDouble("sgmag1", &h->sgmag1);
    p.srmag1 = d.raw.GetDouble("srmag1", &h->srmag1);
  }
  if (auto ss = d.raw.Get("ssnamenr", &h->ssnamenr)) {
    p.has_ssnamenr = true;
    if (ss->kind == alert::FieldKind::kString && !ss->s.empty() && ss->s != "null") {
      p.ssnamenr = std::string(ss->s);
    }
  }
  return p;
}

// Drops detections without a finite time and every later occurrence of a source id, then
// sorts by (mjd, source id). Duplicates are found by sorting (id, position) pairs: no hashing,
// no allocation per detection.
void SortAndDedupe(LightCurve* lc) {
  std::vector<LightCurvePoint>& points = lc->detections;
  std::vector<std::pair<int64_t, uint32_t>> ids;
  ids.reserve(points.size());
  for (uint32_t i = 0; i < points.size(); ++i) {
    if (std::isfinite(points[i].mjd)) ids.emplace_back(points[i].source_id, i);
  }
  std::sort(ids.begin(), ids.end());
  std::vector<bool> keep(points.size(), false);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i == 0 || ids[i].first != ids[i - 1].first) keep[ids[i].second] = true;
  }
  size_t kept = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    if (!keep[i]) continue;
    if (kept != i) points[kept] = std::move(points[i]);
    ++kept;
  }
  points.resize(kept);
  auto before = [](const LightCurvePoint& a, const LightCurvePoint& b) {
    return a.mjd != b.mjd ? a.mjd < b.mjd : a.source_id < b.source_id;
  };
  // Usually in order already (a stored history with new points last), or but for the first
  // point (a packet's own light curve: its newest detection, then its history).
  StableSortMostlySorted(points.begin(), points.end(), before);
}

// Limits are kept in (mjd, band) order, a limit without a finite time last.
bool LimitBefore(const alert::NonDetection& a, const alert::NonDetection& b) {
  const double ma = std::isnan(a.mjd) ? INFINITY : a.mjd;
  const double mb = std::isnan(b.mjd) ? INFINITY : b.mjd;
  return ma != mb ? ma < mb : a.band < b.band;
}

bool SameLimit(const alert::NonDetection& a, const alert::NonDetection& b) {
  return !LimitBefore(a, b) && !LimitBefore(b, a);
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

void Merge(LightCurve other, LightCurve* into) {
  std::vector<LightCurvePoint>& points = into->detections;
  if (points.empty()) {
    points = std::move(other.detections);  // a new object: nothing stored to merge with
  } else {
    points.insert(points.end(), std::make_move_iterator(other.detections.begin()),
                  std::make_move_iterator(other.detections.end()));
  }
  SortAndDedupe(into);
  // Limits: binary search in the (sorted) known ones, then the new ones merged in, so a long
  // history costs O(n + m log n) per packet rather than O(n m).
  std::vector<alert::NonDetection>& limits = into->nondetections;
  StableSortMostlySorted(limits.begin(), limits.end(), LimitBefore);
  const auto known = static_cast<std::ptrdiff_t>(limits.size());
  for (alert::NonDetection& n : other.nondetections) {
    if (!std::binary_search(limits.begin(), limits.begin() + known, n, LimitBefore)) {
      limits.push_back(std::move(n));
    }
  }
  StableSortMostlySorted(limits.begin() + known, limits.end(), LimitBefore);
  limits.erase(std::unique(limits.begin() + known, limits.end(), SameLimit), limits.end());
  std::inplace_merge(limits.begin(), limits.begin() + known, limits.end(), LimitBefore);
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
