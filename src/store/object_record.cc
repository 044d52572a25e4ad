#include "store/object_record.h"

#include "store/bytes.h"

namespace lantern::store {
namespace {

constexpr uint8_t kVersion = 1;

enum PointFlags : uint8_t {
  kPositive = 1, kHasPs1 = 2, kHasSsnamenr = 4, kSsnamenrValue = 8, kHasNid = 16,
};

void WritePoint(const features::LightCurvePoint& p, ByteWriter* w) {
  w->I64(p.source_id);
  w->F64(p.mjd);
  w->F64(p.ra);
  w->F64(p.dec);
  w->Str(p.band);
  w->F64(p.flux);
  w->F64(p.flux_err);
  w->F64(p.mag);
  w->F64(p.mag_err);
  w->F64(p.reliability);
  w->F64(p.rb);
  w->F64(p.drb);
  uint8_t flags = 0;
  if (p.is_positive) flags |= kPositive;
  if (p.has_ps1) flags |= kHasPs1;
  if (p.has_ssnamenr) flags |= kHasSsnamenr;
  if (p.ssnamenr) flags |= kSsnamenrValue;
  if (p.nid) flags |= kHasNid;
  w->U8(flags);
  if (p.nid) w->I64(*p.nid);
  if (p.has_ps1) {
    w->F64(p.distpsnr1);
    w->F64(p.sgscore1);
    w->F64(p.sgmag1);
    w->F64(p.srmag1);
  }
  if (p.ssnamenr) w->Str(*p.ssnamenr);
}

features::LightCurvePoint ReadPoint(ByteReader* r) {
  features::LightCurvePoint p;
  p.source_id = r->I64();
  p.mjd = r->F64();
  p.ra = r->F64();
  p.dec = r->F64();
  p.band = std::string(r->Str());
  p.flux = r->F64();
  p.flux_err = r->F64();
  p.mag = r->F64();
  p.mag_err = r->F64();
  p.reliability = r->F64();
  p.rb = r->F64();
  p.drb = r->F64();
  const uint8_t flags = r->U8();
  p.is_positive = flags & kPositive;
  p.has_ps1 = flags & kHasPs1;
  p.has_ssnamenr = flags & kHasSsnamenr;
  if (flags & kHasNid) p.nid = r->I64();
  if (p.has_ps1) {
    p.distpsnr1 = r->F64();
    p.sgscore1 = r->F64();
    p.sgmag1 = r->F64();
    p.srmag1 = r->F64();
  }
  if (flags & kSsnamenrValue) p.ssnamenr = std::string(r->Str());
  return p;
}

enum FeatureKind : uint8_t { kNull, kInt, kDouble, kString };

}  // namespace

void AppendFeatures(const features::Features& features, std::string* out) {
  ByteWriter w(out);
  w.Varint(features.columns().size());
  for (const auto& [name, value] : features.columns()) {
    w.Str(name);
    if (const auto* i = std::get_if<int64_t>(&value)) {
      w.U8(kInt);
      w.I64(*i);
    } else if (const auto* d = std::get_if<double>(&value)) {
      w.U8(kDouble);
      w.F64(*d);
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      w.U8(kString);
      w.Str(*s);
    } else {
      w.U8(kNull);
    }
  }
}

std::string SerializeObject(const ObjectRecord& record) {
  std::string out;
  const features::LightCurve& lc = record.light_curve;
  out.reserve(64 + lc.detections.size() * 120);
  ByteWriter w(&out);
  w.U8(kVersion);
  w.U8(static_cast<uint8_t>(lc.survey));
  w.Str(lc.object_id);
  w.F64(record.ra);
  w.F64(record.dec);
  w.I64(record.latest_alert_id);
  w.Varint(lc.detections.size());
  for (const features::LightCurvePoint& p : lc.detections) WritePoint(p, &w);
  w.Varint(lc.nondetections.size());
  for (const alert::NonDetection& n : lc.nondetections) {
    w.F64(n.mjd);
    w.Str(n.band);
    w.F64(n.limiting_mag);
    w.F64(n.limiting_flux);
  }
  AppendFeatures(record.features, &out);
  w.Str(record.context_json);
  return out;
}

Result<ObjectRecord> ParseObject(std::string_view bytes) {
  ByteReader r(bytes);
  if (r.U8() != kVersion) return InvalidArgument("object record: unknown version");
  ObjectRecord record;
  features::LightCurve& lc = record.light_curve;
  const uint8_t survey = r.U8();
  if (survey > 1) return InvalidArgument("object record: bad survey byte");
  lc.survey = static_cast<alert::Survey>(survey);
  lc.object_id = std::string(r.Str());
  record.ra = r.F64();
  record.dec = r.F64();
  record.latest_alert_id = r.I64();
  const uint64_t points = r.Varint();
  for (uint64_t i = 0; i < points && r.ok(); ++i) lc.detections.push_back(ReadPoint(&r));
  const uint64_t limits = r.Varint();
  for (uint64_t i = 0; i < limits && r.ok(); ++i) {
    alert::NonDetection n;
    n.mjd = r.F64();
    n.band = std::string(r.Str());
    n.limiting_mag = r.F64();
    n.limiting_flux = r.F64();
    lc.nondetections.push_back(std::move(n));
  }
  const uint64_t columns = r.Varint();
  for (uint64_t i = 0; i < columns && r.ok(); ++i) {
    std::string name(r.Str());
    switch (r.U8()) {
      case kInt: record.features.Add(std::move(name), r.I64()); break;
      case kDouble: record.features.Add(std::move(name), r.F64()); break;
      case kString: record.features.Add(std::move(name), std::string(r.Str())); break;
      default: record.features.Add(std::move(name), std::monostate{});
    }
  }
  record.context_json = std::string(r.Str());
  if (!r.ok() || !r.done()) return InvalidArgument("object record: truncated or corrupt");
  return record;
}

}  // namespace lantern::store
