#include "store/queries.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "codec/json.h"
#include "sky/geometry.h"
#include "store/bytes.h"
#include "store/keys.h"
#include "store/rows.h"

namespace lantern::store {
namespace {

using Json = nlohmann::json;

Json FeatureJson(const features::Features& features) {
  Json out = Json::object();
  for (const auto& [name, value] : features.columns()) {
    if (const auto* i = std::get_if<int64_t>(&value)) {
      out[name] = *i;
    } else if (const auto* d = std::get_if<double>(&value)) {
      out[name] = *d;
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      out[name] = *s;
    } else {
      out[name] = nullptr;
    }
  }
  return out;
}

// Appends `[row, row, ...]` for every row of `table` under the object key.
Status AppendRows(const Store& store, Table table, std::string_view object_key, RowReader* reader,
                  std::string* out) {
  out->push_back('[');
  bool first = true;
  Status status;
  RETURN_IF_ERROR(store.ScanPrefix(table, object_key, [&](std::string_view, std::string_view v) {
    auto row = reader->Read(v);
    if (!row.ok()) {
      status = row.status();
      return false;
    }
    if (!first) out->push_back(',');
    first = false;
    *out += "{\"mjd\":";
    codec::AppendJsonNumber(row->mjd, out);
    *out += ",\"band\":";
    codec::AppendJsonString(row->band, out);
    std::string fields;
    codec::AppendJson(row->record->root(), &fields);
    if (fields.size() > 2) {  // "{...}" with at least one field
      out->push_back(',');
      out->append(fields, 1, std::string::npos);
    } else {
      out->push_back('}');
    }
    return true;
  }));
  RETURN_IF_ERROR(status);
  out->push_back(']');
  return Status::Ok();
}

}  // namespace

Result<std::optional<ObjectRecord>> FindObject(const Store& store, std::string_view object_id) {
  for (alert::Survey survey : {alert::Survey::kZtf, alert::Survey::kLsst}) {
    ASSIGN_OR_RETURN(std::optional<std::string> value,
                     store.Get(Table::kObjects, ObjectKey(survey, object_id)));
    if (!value) continue;
    ASSIGN_OR_RETURN(ObjectRecord record, ParseObject(*value));
    return std::optional<ObjectRecord>(std::move(record));
  }
  return std::optional<ObjectRecord>();
}

Result<std::string> ObjectJson(const Store& store, const ObjectRecord& record) {
  const features::LightCurve& lc = record.light_curve;
  Json head = Json::object();
  head["object_id"] = lc.object_id;
  head["survey"] = std::string(alert::SurveyName(lc.survey));
  head["ra"] = std::isfinite(record.ra) ? Json(record.ra) : Json(nullptr);
  head["dec"] = std::isfinite(record.dec) ? Json(record.dec) : Json(nullptr);
  head["latest_alert_id"] = record.latest_alert_id;
  head["features"] = FeatureJson(record.features);
  head["context"] = record.context_json.empty() ? Json(nullptr)
                                                : Json::parse(record.context_json, nullptr, false);
  std::string out = head.dump();
  out.pop_back();  // reopen the object for the row lists
  const std::string key = ObjectKey(lc.survey, lc.object_id);
  RowReader reader(&store);
  const std::pair<const char*, Table> lists[] = {
      {"detections", Table::kDetections},
      {"forced", Table::kForced},
      {"nondetections", Table::kNonDetections},
  };
  for (const auto& [name, table] : lists) {
    out += ",\"";
    out += name;
    out += "\":";
    RETURN_IF_ERROR(AppendRows(store, table, key, &reader, &out));
  }
  // Watchlist hits are keyed watchlist id | object key | alert id; scan them all for this
  // object (the table holds hits only, so it stays small).
  Json hits = Json::array();
  RETURN_IF_ERROR(store.Scan(Table::kWatchlistHits, {}, {}, [&](std::string_view k,
                                                                std::string_view v) {
    if (k.size() == 4 + key.size() + 8 && k.substr(4, key.size()) == key) {
      Json hit = Json::parse(v, nullptr, false);
      if (!hit.is_discarded()) hits.push_back(std::move(hit));
    }
    return true;
  }));
  out += ",\"watchlist_hits\":" + hits.dump() + "}";
  return out;
}

Result<std::vector<ConeHit>> Cone(const Store& store, double ra_deg, double dec_deg,
                                  double radius_arcsec) {
  if (!std::isfinite(ra_deg) || !std::isfinite(dec_deg) || dec_deg < -90 || dec_deg > 90) {
    return InvalidArgument("cone: position out of range");
  }
  if (!(radius_arcsec >= 0) || radius_arcsec > 3600) {
    return InvalidArgument("cone: radius must be in [0, 3600] arcsec");
  }
  ra_deg = sky::WrapRaDeg(ra_deg);
  const double r_deg = radius_arcsec / 3600.0;
  const sky::UnitVector center = sky::FromRaDec(ra_deg, dec_deg);
  const double chord_sq = sky::ChordSqFromRadians(radius_arcsec * sky::kArcsecToRad);
  std::vector<ConeHit> hits;
  const int z_lo = PositionZone(std::max(-90.0, dec_deg - r_deg));
  const int z_hi = PositionZone(std::min(90.0, dec_deg + r_deg));
  // RA half-width over the whole dec range searched (180° when it reaches a pole).
  const double dec_far = std::min(90.0, std::abs(dec_deg) + r_deg);
  double alpha = 180.0;
  if (dec_far < 90.0) {
    const double s = std::sin(r_deg * sky::kDegToRad) / std::cos(dec_far * sky::kDegToRad);
    if (s < 1.0) alpha = std::asin(s) * sky::kRadToDeg * 1.0000001 + 1e-9;
  }
  std::vector<std::pair<double, double>> ranges;
  if (alpha >= 180.0) {
    ranges.emplace_back(0.0, 360.0);
  } else if (ra_deg - alpha < 0) {
    ranges.emplace_back(0.0, ra_deg + alpha);
    ranges.emplace_back(ra_deg - alpha + 360.0, 360.0);
  } else if (ra_deg + alpha >= 360.0) {
    ranges.emplace_back(ra_deg - alpha, 360.0);
    ranges.emplace_back(0.0, ra_deg + alpha - 360.0);
  } else {
    ranges.emplace_back(ra_deg - alpha, ra_deg + alpha);
  }
  Status status;
  for (int z = z_lo; z <= z_hi; ++z) {
    for (const auto& [lo, hi] : ranges) {
      RETURN_IF_ERROR(store.Scan(
          Table::kPositions, PositionPrefix(z, lo), PositionPrefix(z, std::nextafter(hi, 1e9)),
          [&](std::string_view k, std::string_view v) {
            if (k.size() < 11 || v.size() < 8) return true;
            const double ra = ReadOrderedDouble(k.substr(2));
            ByteReader r(v);
            const double dec = r.F64();
            const sky::UnitVector p = sky::FromRaDec(ra, dec);
            if (sky::ChordSq(p, center) > chord_sq) return true;
            ConeHit hit;
            std::string_view id;
            if (!ParseObjectKey(k.substr(10), &hit.survey, &id)) return true;
            hit.object_id = std::string(id);
            hit.ra = ra;
            hit.dec = dec;
            hit.sep_arcsec = sky::SeparationRadians(p, center) * sky::kRadToArcsec;
            hits.push_back(std::move(hit));
            return true;
          }));
    }
  }
  std::sort(hits.begin(), hits.end(), [](const ConeHit& a, const ConeHit& b) {
    return a.sep_arcsec != b.sep_arcsec ? a.sep_arcsec < b.sep_arcsec : a.object_id < b.object_id;
  });
  return hits;
}

Result<std::string> TableDigest(const Store& store, Table table) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::string lengths;
  RETURN_IF_ERROR(store.Scan(table, {}, {}, [&](std::string_view k, std::string_view v) {
    lengths.clear();
    AppendBigEndian64(k.size(), &lengths);
    AppendBigEndian64(v.size(), &lengths);
    EVP_DigestUpdate(ctx.get(), lengths.data(), lengths.size());
    EVP_DigestUpdate(ctx.get(), k.data(), k.size());
    EVP_DigestUpdate(ctx.get(), v.data(), v.size());
    return true;
  }));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &n);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string DeadLetterValue(std::string_view reason, std::string_view raw) {
  std::string out;
  ByteWriter w(&out);
  w.Str(reason);
  out.append(raw);
  return out;
}

std::string ReasonClass(std::string_view message) {
  // Drop leading locations ("byte 4711: ", "record 3 at byte 12: ", "in field x.y: ").
  for (;;) {
    const size_t colon = message.find(": ");
    if (colon == std::string_view::npos) break;
    const std::string_view head = message.substr(0, colon);
    if (head.rfind("byte ", 0) != 0 && head.rfind("record ", 0) != 0 &&
        head.rfind("in field ", 0) != 0) {
      break;
    }
    message.remove_prefix(colon + 2);
  }
  std::string out;
  for (char c : message) out.push_back((c >= '0' && c <= '9') ? '#' : c);
  if (out.size() > 120) out.resize(120);
  return out;
}

Result<std::map<std::string, uint64_t>> DeadLettersByReason(const Store& store) {
  std::map<std::string, uint64_t> out;
  RETURN_IF_ERROR(store.Scan(Table::kDeadLetters, {}, {}, [&](std::string_view,
                                                              std::string_view v) {
    ByteReader r(v);
    const std::string_view reason = r.Str();
    ++out[r.ok() ? ReasonClass(reason) : std::string("corrupt dead letter")];
    return true;
  }));
  return out;
}

}  // namespace lantern::store
