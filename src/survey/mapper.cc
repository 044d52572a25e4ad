#include "survey/mapper.h"

#include <array>
#include <cmath>
#include <fmt/format.h>

#include "survey/units.h"

namespace lantern::survey {

using alert::Alert;
using alert::CutoutKind;
using codec::Node;
using codec::Type;
using codec::Value;

namespace {

// The names a mapper reads, resolved once per record node to field positions.
enum F : int {
  // top level
  kObjectId, kCandid, kCandidate, kPrvCandidates, kFpHists, kSchemavsn, kCutoutScience,
  kCutoutTemplate, kCutoutDifference, kAlertId, kDiaSourceId, kDiaSource, kPrvDiaSources,
  kPrvDiaForcedSources, kPrvDiaNondetectionLimits, kDiaObject, kSsSource, kLsstSchemaVersion,
  kSurvey, kDetection, kPrvDetections, kForcedPhot, kNonDetections,
  // ZTF candidate / prv_candidate / fp_hist
  kJd, kRa, kDec, kFid, kMagpsf, kSigmapsf, kIsdiffpos, kRb, kDrb, kDiffmaglim, kForcediffimflux,
  kForcediffimfluxunc, kMagzpsci, kFileName, kStampData,
  // Rubin diaSource / diaForcedSource / diaNondetectionLimit
  kMidpointMjdTai, kBand, kPsfFlux, kPsfFluxErr, kIsNegative, kIsNegativeOld, kReliability,
  kDiaObjectId, kSsObjectId, kDiaForcedSourceId, kDiaNoise,
  // Lantern's own schema
  kSourceId, kMjd, kFlux, kFluxErr, kMag, kMagErr, kIsPositive, kLimitingMag, kLimitingFlux,
  kSchemaVersion,
  kFieldCount
};

constexpr std::array<std::string_view, kFieldCount> kNames = {
    "objectId", "candid", "candidate", "prv_candidates", "fp_hists", "schemavsn",
    "cutoutScience", "cutoutTemplate", "cutoutDifference", "alertId", "diaSourceId", "diaSource",
    "prvDiaSources", "prvDiaForcedSources", "prvDiaNondetectionLimits", "diaObject", "ssSource",
    "lsst_schema_version", "survey", "detection", "prvDetections", "forcedPhot", "nonDetections",
    "jd", "ra", "dec", "fid", "magpsf", "sigmapsf", "isdiffpos", "rb", "drb", "diffmaglim",
    "forcediffimflux", "forcediffimfluxunc", "magzpsci", "fileName", "stampData",
    "midpointMjdTai", "band", "psfFlux", "psfFluxErr", "isNegative", "is_negative", "reliability",
    "diaObjectId", "ssObjectId", "diaForcedSourceId", "diaNoise",
    "sourceId", "mjd", "flux", "fluxErr", "mag", "magErr", "isPositive", "limitingMag",
    "limitingFlux", "schemaVersion"};

using Positions = std::array<int16_t, kFieldCount>;

enum class Kind { kZtf, kLsst, kLantern };

}  // namespace

struct SchemaPlan {
  Kind kind = Kind::kZtf;
  std::string version;  // from the schema itself, when it says
  std::unordered_map<const Node*, Positions> positions;

  const Positions& For(const Node* node) {
    auto it = positions.find(node);
    if (it != positions.end()) return it->second;
    Positions p;
    p.fill(-1);
    for (int i = 0; i < kFieldCount; ++i) p[i] = static_cast<int16_t>(node->FieldIndex(kNames[i]));
    return positions.emplace(node, p).first->second;
  }
};

namespace {

// A record value with its resolved field positions.
struct Rec {
  Value v;
  const Positions* p = nullptr;

  bool Has(F f) const { return p && (*p)[f] >= 0; }
  Value Get(F f) const {
    if (!p || (*p)[f] < 0) return Value();
    return v.FieldAt(static_cast<uint32_t>((*p)[f]));
  }
  // Numeric field as double; NaN if absent or null. Numbers and ["null", number] unions
  // (nearly every column) are read straight from the slot by their decoder opcode.
  double Num(F f) const {
    if (!p || (*p)[f] < 0) return std::nan("");
    const uint32_t idx = static_cast<uint32_t>((*p)[f]);
    const codec::FieldCode code = v.node().field_codes[idx];
    const codec::Slot& s = v.FieldSlot(idx);
    const bool present = s.branch == code.value_branch;
    switch (code.op) {
      case codec::FieldOp::kFloat: return s.f;
      case codec::FieldOp::kDouble: return s.d;
      case codec::FieldOp::kInt: case codec::FieldOp::kLong: return static_cast<double>(s.i);
      case codec::FieldOp::kOptFloat: return present ? s.f : std::nan("");
      case codec::FieldOp::kOptDouble: return present ? s.d : std::nan("");
      case codec::FieldOp::kOptInt:
      case codec::FieldOp::kOptLong: return present ? static_cast<double>(s.i) : std::nan("");
      default: {
        const Value x = v.FieldAt(idx);
        return x.AsNumber();
      }
    }
  }
  bool IsSet(F f) const {
    const Value x = Get(f);
    return x.valid() && !x.is_null();
  }
  int64_t Long(F f, int64_t fallback = 0) const {
    if (!p || (*p)[f] < 0) return fallback;
    const uint32_t idx = static_cast<uint32_t>((*p)[f]);
    const codec::FieldCode code = v.node().field_codes[idx];
    const codec::Slot& s = v.FieldSlot(idx);
    switch (code.op) {
      case codec::FieldOp::kInt: case codec::FieldOp::kLong: return s.i;
      case codec::FieldOp::kOptInt:
      case codec::FieldOp::kOptLong: return s.branch == code.value_branch ? s.i : fallback;
      default: {
        const Value x = v.FieldAt(idx);
        if (x.type() == Type::kInt || x.type() == Type::kLong) return x.AsLong();
        return fallback;
      }
    }
  }
  std::string_view Str(F f) const {
    const Value x = Get(f);
    if (!x.valid()) return {};
    if (x.type() == Type::kString || x.type() == Type::kBytes) return x.AsString();
    if (x.type() == Type::kEnum) return x.AsEnum();
    return {};
  }
  alert::FieldRecord Raw(const codec::Datum& d) const { return {&d, codec::Datum::Handle(v)}; }
};

Rec MakeRec(SchemaPlan& plan, const Value& v) {
  if (!v.valid() || v.type() != Type::kRecord) return {};
  return Rec{v, &plan.For(&v.node())};
}

// Number of elements of an array field (0 when absent or null).
uint32_t ArraySize(const Rec& parent, F field) {
  const Value a = parent.Get(field);
  return a.valid() && a.type() == Type::kArray ? a.Size() : 0;
}

// Calls fn(Rec) for each record element of an array field (null arrays and null items skipped).
template <typename Fn>
void ForEachRecord(SchemaPlan& plan, const Rec& parent, F field, Fn fn) {
  const Value a = parent.Get(field);
  if (!a.valid() || a.type() != Type::kArray) return;
  const Positions* p = nullptr;
  for (uint32_t i = 0; i < a.Size(); ++i) {
    const Value item = a.At(i);
    if (item.type() != Type::kRecord) continue;
    if (!p) p = &plan.For(&item.node());
    fn(Rec{item, p});
  }
}

std::string IdText(const Value& v) {
  if (!v.valid() || v.is_null()) return "";
  if (v.type() == Type::kString) return std::string(v.AsString());
  if (v.type() == Type::kInt || v.type() == Type::kLong) return std::to_string(v.AsLong());
  return "";
}

void AddCutout(Alert* out, CutoutKind kind, std::string_view bytes, std::string_view file_name) {
  if (bytes.empty()) return;
  alert::Cutout c;
  c.kind = kind;
  c.bytes = bytes;
  c.format = alert::DetectCutoutFormat(bytes);
  c.file_name = std::string(file_name);
  out->cutouts.push_back(std::move(c));
}

// Forced photometry already in nJy (Rubin diaForcedSource, Lantern forcedPhot); the fields
// holding id, time, flux and error differ by name only.
alert::ForcedPhot ForcedInNjy(const Rec& f, F id, F mjd, F flux, F flux_err,
                              const codec::Datum& d) {
  alert::ForcedPhot fp;
  fp.source_id = f.Long(id);
  fp.mjd = f.Num(mjd);
  fp.band = std::string(f.Str(kBand));
  fp.flux = f.Num(flux);
  fp.flux_err = f.Num(flux_err);
  fp.raw = f.Raw(d);
  return fp;
}

// Rubin and Lantern carry cutouts as top-level bytes fields.
void AddBytesCutouts(const Rec& root, Alert* out) {
  AddCutout(out, CutoutKind::kScience, root.Str(kCutoutScience), "");
  AddCutout(out, CutoutKind::kTemplate, root.Str(kCutoutTemplate), "");
  AddCutout(out, CutoutKind::kDifference, root.Str(kCutoutDifference), "");
}

// --- ZTF -------------------------------------------------------------------------------

alert::Detection ZtfDetection(const Rec& r, const codec::Datum& d) {
  alert::Detection det;
  det.source_id = r.Long(kCandid);
  det.mjd = JdToMjd(r.Num(kJd));
  det.ra = r.Num(kRa);
  det.dec = r.Num(kDec);
  det.band = std::string(ZtfBand(r.Long(kFid)));
  det.mag = r.Num(kMagpsf);
  det.mag_err = r.Num(kSigmapsf);
  const std::string_view pos = r.Str(kIsdiffpos);
  det.is_positive = !(pos == "f" || pos == "0");
  const double flux = MagToNjy(det.mag);
  det.flux = det.is_positive ? flux : -flux;
  det.flux_err = MagErrToFluxErr(flux, det.mag_err);
  det.reliability = r.IsSet(kDrb) ? r.Num(kDrb) : r.Num(kRb);
  det.raw = r.Raw(d);
  return det;
}

Status MapZtf(SchemaPlan& plan, const Rec& root, const codec::Datum& d, Alert* out) {
  out->survey = alert::Survey::kZtf;
  const Rec cand = MakeRec(plan, root.Get(kCandidate));
  if (!cand.v.valid()) return InvalidArgument("ZTF packet without a candidate record");
  out->object_id = IdText(root.Get(kObjectId));
  out->detection = ZtfDetection(cand, d);
  out->alert_id = root.IsSet(kCandid) ? root.Long(kCandid) : out->detection.source_id;
  out->schema_version = plan.version.empty() ? std::string(root.Str(kSchemavsn)) : plan.version;
  out->prv_detections.reserve(ArraySize(root, kPrvCandidates));
  out->nondetections.reserve(ArraySize(root, kPrvCandidates));
  out->forced.reserve(ArraySize(root, kFpHists));
  ForEachRecord(plan, root, kPrvCandidates, [&](const Rec& p) {
    if (p.IsSet(kCandid)) {
      out->prv_detections.push_back(ZtfDetection(p, d));
      return;
    }
    alert::NonDetection nd;
    nd.mjd = JdToMjd(p.Num(kJd));
    nd.band = std::string(ZtfBand(p.Long(kFid)));
    nd.limiting_mag = p.Num(kDiffmaglim);
    nd.limiting_flux = MagToNjy(nd.limiting_mag);
    nd.raw = p.Raw(d);
    out->nondetections.push_back(std::move(nd));
  });
  ForEachRecord(plan, root, kFpHists, [&](const Rec& f) {
    alert::ForcedPhot fp;
    fp.mjd = JdToMjd(f.Num(kJd));
    fp.band = std::string(ZtfBand(f.Long(kFid)));
    // forcediffimflux is in DN at the image zero point; -99999 marks "not measured".
    const double dn = f.Num(kForcediffimflux), dn_err = f.Num(kForcediffimfluxunc);
    const double scale = MagToNjy(f.Num(kMagzpsci));
    if (dn > -99999) fp.flux = dn * scale;
    if (dn_err > -99999) fp.flux_err = dn_err * scale;
    fp.raw = f.Raw(d);
    out->forced.push_back(std::move(fp));
  });
  const std::pair<F, CutoutKind> kCutouts[] = {{kCutoutScience, CutoutKind::kScience},
                                               {kCutoutTemplate, CutoutKind::kTemplate},
                                               {kCutoutDifference, CutoutKind::kDifference}};
  for (const auto& [field, kind] : kCutouts) {
    const Rec c = MakeRec(plan, root.Get(field));
    if (c.v.valid()) AddCutout(out, kind, c.Str(kStampData), c.Str(kFileName));
  }
  return Status::Ok();
}

// --- Rubin -----------------------------------------------------------------------------

alert::Detection LsstDetection(const Rec& r, const codec::Datum& d) {
  alert::Detection det;
  det.source_id = r.Long(kDiaSourceId);
  det.mjd = r.Num(kMidpointMjdTai);
  det.ra = r.Num(kRa);
  det.dec = r.Num(kDec);
  det.band = std::string(r.Str(kBand));
  det.flux = r.Num(kPsfFlux);
  det.flux_err = r.Num(kPsfFluxErr);
  det.mag = NjyToMag(std::fabs(det.flux));
  det.mag_err = FluxErrToMagErr(det.flux, det.flux_err);
  if (r.IsSet(kIsNegative)) det.is_positive = !r.Get(kIsNegative).AsBool();
  else if (r.IsSet(kIsNegativeOld)) det.is_positive = !r.Get(kIsNegativeOld).AsBool();
  else det.is_positive = !(det.flux < 0);
  det.reliability = r.Num(kReliability);
  det.raw = r.Raw(d);
  return det;
}

// "lsst.v9_0" or "lsst.v11_1.alert" → "9.0" / "11.1".
std::string VersionFromName(std::string_view name) {
  const size_t v = name.find(".v");
  if (v == std::string_view::npos) return "";
  std::string out;
  for (size_t i = v + 2; i < name.size() && name[i] != '.'; ++i)
    out += name[i] == '_' ? '.' : name[i];
  return out;
}

Status MapLsst(SchemaPlan& plan, const Rec& root, const codec::Datum& d, int32_t schema_id,
               Alert* out) {
  out->survey = alert::Survey::kLsst;
  const Rec src = MakeRec(plan, root.Get(kDiaSource));
  if (!src.v.valid()) return InvalidArgument("Rubin packet without a diaSource record");
  out->detection = LsstDetection(src, d);
  out->alert_id = root.IsSet(kDiaSourceId) ? root.Long(kDiaSourceId)
                  : root.IsSet(kAlertId)   ? root.Long(kAlertId)
                                           : out->detection.source_id;
  if (src.IsSet(kDiaObjectId) && src.Long(kDiaObjectId) != 0) {
    out->object_id = std::to_string(src.Long(kDiaObjectId));
  } else if (src.IsSet(kSsObjectId) && src.Long(kSsObjectId) != 0) {
    out->object_id = std::to_string(src.Long(kSsObjectId));
  } else {
    const Rec obj = MakeRec(plan, root.Get(kDiaObject));
    const Rec ss = MakeRec(plan, root.Get(kSsSource));
    if (obj.IsSet(kDiaObjectId)) out->object_id = std::to_string(obj.Long(kDiaObjectId));
    else if (ss.IsSet(kSsObjectId)) out->object_id = std::to_string(ss.Long(kSsObjectId));
  }
  if (schema_id >= 0) out->schema_version = fmt::format("{}.{}", schema_id / 100, schema_id % 100);
  else if (!plan.version.empty()) out->schema_version = plan.version;
  else out->schema_version = VersionFromName(root.Str(kLsstSchemaVersion));
  out->prv_detections.reserve(ArraySize(root, kPrvDiaSources));
  out->forced.reserve(ArraySize(root, kPrvDiaForcedSources));
  ForEachRecord(plan, root, kPrvDiaSources,
                [&](const Rec& p) { out->prv_detections.push_back(LsstDetection(p, d)); });
  ForEachRecord(plan, root, kPrvDiaForcedSources, [&](const Rec& f) {
    out->forced.push_back(
        ForcedInNjy(f, kDiaForcedSourceId, kMidpointMjdTai, kPsfFlux, kPsfFluxErr, d));
  });
  ForEachRecord(plan, root, kPrvDiaNondetectionLimits, [&](const Rec& n) {
    alert::NonDetection nd;
    nd.mjd = n.Num(kMidpointMjdTai);
    nd.band = std::string(n.Str(kBand));
    nd.limiting_flux = n.Num(kDiaNoise);
    nd.limiting_mag = NjyToMag(nd.limiting_flux);
    nd.raw = n.Raw(d);
    out->nondetections.push_back(std::move(nd));
  });
  AddBytesCutouts(root, out);
  return Status::Ok();
}

// --- Lantern's own schema ----------------------------------------------------------------

alert::Detection LanternDetection(const Rec& r, const codec::Datum& d) {
  alert::Detection det;
  det.source_id = r.Long(kSourceId);
  det.mjd = r.Num(kMjd);
  det.ra = r.Num(kRa);
  det.dec = r.Num(kDec);
  det.band = std::string(r.Str(kBand));
  det.flux = r.Num(kFlux);
  det.flux_err = r.Num(kFluxErr);
  det.mag = r.Num(kMag);
  det.mag_err = r.Num(kMagErr);
  det.is_positive = !r.IsSet(kIsPositive) || r.Get(kIsPositive).AsBool();
  det.reliability = r.Num(kReliability);
  det.raw = r.Raw(d);
  return det;
}

Status MapLantern(SchemaPlan& plan, const Rec& root, const codec::Datum& d, Alert* out) {
  const std::string_view survey = root.Str(kSurvey);
  if (survey == "ztf") out->survey = alert::Survey::kZtf;
  else if (survey == "lsst") out->survey = alert::Survey::kLsst;
  else return InvalidArgument(fmt::format("Lantern packet with unknown survey \"{}\"", survey));
  const Rec det = MakeRec(plan, root.Get(kDetection));
  if (!det.v.valid()) return InvalidArgument("Lantern packet without a detection record");
  out->detection = LanternDetection(det, d);
  out->alert_id = root.Long(kAlertId);
  out->object_id = IdText(root.Get(kObjectId));
  out->schema_version = std::string(root.Str(kSchemaVersion));
  ForEachRecord(plan, root, kPrvDetections,
                [&](const Rec& p) { out->prv_detections.push_back(LanternDetection(p, d)); });
  ForEachRecord(plan, root, kForcedPhot, [&](const Rec& f) {
    out->forced.push_back(ForcedInNjy(f, kSourceId, kMjd, kFlux, kFluxErr, d));
  });
  ForEachRecord(plan, root, kNonDetections, [&](const Rec& n) {
    alert::NonDetection nd;
    nd.mjd = n.Num(kMjd);
    nd.band = std::string(n.Str(kBand));
    nd.limiting_mag = n.Num(kLimitingMag);
    nd.limiting_flux = n.Num(kLimitingFlux);
    nd.raw = n.Raw(d);
    out->nondetections.push_back(std::move(nd));
  });
  AddBytesCutouts(root, out);
  return Status::Ok();
}

}  // namespace

SurveyMapper::SurveyMapper() = default;
SurveyMapper::~SurveyMapper() = default;

SchemaPlan& SurveyMapper::PlanFor(const codec::Datum& datum) {
  auto it = plans_.find(&datum.schema());
  if (it != plans_.end()) return *it->second;
  auto plan = std::make_unique<SchemaPlan>();
  const codec::Schema& s = datum.schema();
  const Node& root = s.root();
  if (root.FieldIndex("survey") >= 0 && root.FieldIndex("detection") >= 0) {
    plan->kind = Kind::kLantern;
  } else if (root.FieldIndex("candidate") >= 0) {
    plan->kind = Kind::kZtf;
    plan->version = s.Attribute("version");
  } else {
    plan->kind = Kind::kLsst;
    plan->version = VersionFromName(root.full_name);  // "lsst.v11_0.alert"
  }
  schemas_.push_back(datum.schema_ptr());
  return *plans_.emplace(&s, std::move(plan)).first->second;
}

Result<Alert> SurveyMapper::Map(std::shared_ptr<const codec::Datum> datum, int32_t schema_id) {
  const codec::Datum& d = *datum;
  SchemaPlan& plan = PlanFor(d);
  const Value root = d.root();
  if (root.type() != Type::kRecord) return InvalidArgument("top-level value is not a record");
  const Rec r = MakeRec(plan, root);
  if (plan.kind == Kind::kLsst && !r.Has(kDiaSource))
    return InvalidArgument("packet is neither ZTF (no candidate field) nor Rubin (no diaSource field)");
  Alert out;
  out.raw = r.Raw(d);
  Status st;
  switch (plan.kind) {
    case Kind::kZtf: st = MapZtf(plan, r, d, &out); break;
    case Kind::kLsst: st = MapLsst(plan, r, d, schema_id, &out); break;
    case Kind::kLantern: st = MapLantern(plan, r, d, &out); break;
  }
  RETURN_IF_ERROR(st);
  out.packet = std::move(datum);
  return out;
}

}  // namespace lantern::survey
