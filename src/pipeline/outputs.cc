#include "pipeline/outputs.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "codec/canonical_form.h"
#include "codec/datum.h"
#include "codec/json.h"
#include "codec/varint.h"
#include "survey/lantern_schema.h"

namespace lantern::pipeline {
namespace {

// Avro binary primitives, appended to one buffer.
class AvroWriter {
 public:
  explicit AvroWriter(std::string* out) : out_(out) {}

  void Long(int64_t v) { codec::WriteVarLong(out_, v); }
  void Bool(bool v) { out_->push_back(v ? 1 : 0); }
  void Double(double v) { Fixed(std::bit_cast<uint64_t>(v), 8); }
  void Float(float v) { Fixed(std::bit_cast<uint32_t>(v), 4); }
  void String(std::string_view s) {
    Long(static_cast<int64_t>(s.size()));
    out_->append(s);
  }
  // ["null", "double"] and ["null", "float"]: NaN is null.
  void OptionalDouble(double v) {
    if (std::isnan(v)) {
      Long(0);
    } else {
      Long(1);
      Double(v);
    }
  }
  void OptionalFloat(double v) {
    if (std::isnan(v)) {
      Long(0);
    } else {
      Long(1);
      Float(static_cast<float>(v));
    }
  }

 private:
  void Fixed(uint64_t bits, int bytes) {
    char buf[8];
    for (int i = 0; i < bytes; ++i) buf[i] = static_cast<char>(bits >> (8 * i));
    out_->append(buf, static_cast<size_t>(bytes));
  }
  std::string* out_;
};

void WriteDetection(const alert::Detection& d, AvroWriter* w) {
  w->Long(d.source_id);
  w->Double(d.mjd);
  w->Double(d.ra);
  w->Double(d.dec);
  w->String(d.band);
  w->Double(d.flux);
  w->Double(d.flux_err);
  w->OptionalDouble(d.mag);
  w->OptionalDouble(d.mag_err);
  w->Bool(d.is_positive);
  w->OptionalFloat(d.reliability);
}

// An Avro array or map as one block: count, items, then the terminating empty block.
template <typename T, typename Fn>
void WriteBlock(const T& items, AvroWriter* w, Fn&& write_item) {
  if (!items.empty()) {
    w->Long(static_cast<int64_t>(items.size()));
    for (const auto& item : items) write_item(item);
  }
  w->Long(0);
}

// Branch indexes of the features map's value union ["null", "double", "long", "string"].
constexpr int64_t kNullBranch = 0;
constexpr int64_t kDoubleBranch = 1;
constexpr int64_t kLongBranch = 2;
constexpr int64_t kStringBranch = 3;

void WriteFeature(const features::FeatureValue& value, AvroWriter* w) {
  if (const auto* d = std::get_if<double>(&value)) {
    w->Long(kDoubleBranch);
    w->Double(*d);
  } else if (const auto* i = std::get_if<int64_t>(&value)) {
    w->Long(kLongBranch);
    w->Long(*i);
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    w->Long(kStringBranch);
    w->String(*s);
  } else {
    w->Long(kNullBranch);
  }
}

std::string WatchlistsJson(std::span<const WatchlistHit> hits) {
  std::string json = "[";
  for (const WatchlistHit& h : hits) {
    if (json.size() > 1) json += ',';
    json += "{\"wl_id\":";
    json += std::to_string(h.watchlist_id);
    json += ",\"name\":";
    codec::AppendJsonString(h.target, &json);
    json += ",\"arcsec\":";
    codec::AppendJsonNumber(h.sep_arcsec, &json);
    json += '}';
  }
  json += ']';
  return json;
}

// Keys written before a row's or object's own fields; a field of the same name would repeat
// the key.
bool IsLeadingRowKey(std::string_view name) {
  return name == "survey" || name == "objectId" || name == "mjd" || name == "band";
}
bool IsObjectRowKey(std::string_view name) {
  return name == "survey" || name == "objectId" || name == "ra" || name == "dec" ||
         name == "context" || name == "latestAlertId";
}

void AppendKey(std::string_view key, std::string* out) {
  codec::AppendJsonString(key, out);
  out->push_back(':');
}

// Finite doubles as numbers, everything else as null.
void AppendNumberOrNull(double v, std::string* out) {
  if (std::isfinite(v)) {
    codec::AppendJsonNumber(v, out);
  } else {
    *out += "null";
  }
}

// The single-object header: the magic, then the schema's fingerprint little-endian.
void AppendSingleObjectHeader(uint64_t fingerprint, std::string* out) {
  out->append(kSingleObjectMagic);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(fingerprint >> (8 * i)));
}

}  // namespace

const std::shared_ptr<const codec::Schema>& EnrichedSchema() {
  static const std::shared_ptr<const codec::Schema> schema = [] {
    auto parsed = codec::Schema::Parse(survey::LanternEnrichedSchema());
    // Invariant: the compiled-in schema always parses (covered by survey and pipeline tests).
    if (!parsed.ok()) {
      std::fprintf(stderr, "built-in enriched schema does not parse: %s\n",
                   std::string(parsed.status().message()).c_str());
      std::abort();
    }
    return *parsed;
  }();
  return schema;
}

uint64_t EnrichedSchemaFingerprint() {
  static const uint64_t fingerprint =
      codec::AvroFingerprint64(codec::CanonicalForm(*EnrichedSchema()));
  return fingerprint;
}

void EncodeEnrichedAlert(const ProcessedAlert& processed, std::span<const WatchlistHit> hits,
                         std::string* out) {
  const alert::Alert& a = *processed.alert;
  out->clear();
  AppendSingleObjectHeader(EnrichedSchemaFingerprint(), out);

  AvroWriter w(out);
  w.String(alert::SurveyName(a.survey));
  w.String(a.schema_version);
  w.Long(a.alert_id);
  w.String(a.object_id);
  WriteDetection(a.detection, &w);
  WriteBlock(a.prv_detections, &w, [&](const alert::Detection& d) { WriteDetection(d, &w); });
  WriteBlock(a.forced, &w, [&](const alert::ForcedPhot& f) {
    w.Long(f.source_id);
    w.Double(f.mjd);
    w.String(f.band);
    w.Double(f.flux);
    w.Double(f.flux_err);
  });
  WriteBlock(a.nondetections, &w, [&](const alert::NonDetection& n) {
    w.Double(n.mjd);
    w.String(n.band);
    w.Double(n.limiting_mag);
    w.Double(n.limiting_flux);
  });
  // The cutoutKind enum lists the kinds in alert::CutoutKind's order.
  WriteBlock(a.cutouts, &w, [&](const alert::Cutout& c) {
    w.Long(static_cast<int64_t>(c.kind));
    w.String(alert::CutoutFormatName(c.format));
    w.Long(static_cast<int64_t>(c.bytes.size()));
    w.String(c.ref);
  });
  WriteBlock(processed.features.columns(), &w, [&](const auto& column) {
    w.String(column.first);
    WriteFeature(column.second, &w);
  });

  const bool context = processed.object != nullptr && !processed.object->context_json.empty();
  const int64_t annotations = (context ? 1 : 0) + (hits.empty() ? 0 : 1);
  if (annotations > 0) {
    w.Long(annotations);
    if (context) {
      w.String("context");
      w.String(processed.object->context_json);
    }
    if (!hits.empty()) {
      w.String("watchlists");
      w.String(WatchlistsJson(hits));
    }
  }
  w.Long(0);
}

void AppendRowJson(alert::Survey survey, std::string_view object_id, const alert::FieldRecord& raw,
                   double mjd, std::string_view band, std::string* out) {
  *out += "{\"survey\":";
  codec::AppendJsonString(alert::SurveyName(survey), out);
  *out += ",\"objectId\":";
  codec::AppendJsonString(object_id, out);
  *out += ",\"mjd\":";
  codec::AppendJsonNumber(mjd, out);
  *out += ",\"band\":";
  codec::AppendJsonString(band, out);
  const auto* datum = dynamic_cast<const codec::Datum*>(raw.packet());
  if (datum != nullptr) {
    const codec::Value record = datum->FromHandle(raw.handle());
    // Null fields are left out (absent = null): a ZTF limit shares the candidate's schema
    // and would otherwise carry ~50 nulls.
    if (record.type() == codec::Type::kRecord) {
      codec::AppendJsonFieldsSkippingNulls(
          record, [](std::string_view name) { return !IsLeadingRowKey(name); }, out);
    }
  }
  out->push_back('}');
}

std::vector<StoredRow> EveryRowOf(std::span<const alert::Alert> alerts) {
  std::vector<StoredRow> rows;
  for (const alert::Alert& a : alerts) {
    auto add = [&](store::Table table, const alert::FieldRecord& raw, double mjd,
                   const std::string& band) { rows.push_back({table, &a, &raw, mjd, &band}); };
    add(store::Table::kDetections, a.detection.raw, a.detection.mjd, a.detection.band);
    for (const auto& d : a.prv_detections) add(store::Table::kDetections, d.raw, d.mjd, d.band);
    for (const auto& f : a.forced) add(store::Table::kForced, f.raw, f.mjd, f.band);
    for (const auto& n : a.nondetections) add(store::Table::kNonDetections, n.raw, n.mjd, n.band);
  }
  return rows;
}

Status ForEachRowArray(
    std::span<const StoredRow> rows, size_t max_bytes,
    const std::function<Status(store::Table, std::string_view, std::string_view)>& emit) {
  constexpr store::Table kTables[3] = {store::Table::kDetections, store::Table::kForced,
                                       store::Table::kNonDetections};
  std::string arrays[3];
  const alert::Alert* owner = nullptr;
  auto publish = [&](int t) -> Status {
    if (arrays[t].empty()) return Status::Ok();
    arrays[t].push_back(']');
    Status st = emit(kTables[t], owner->object_id, arrays[t]);
    arrays[t].clear();
    return st;
  };
  for (const StoredRow& r : rows) {
    if (r.alert != owner) {
      for (int t = 0; t < 3; ++t) RETURN_IF_ERROR(publish(t));
      owner = r.alert;
    }
    const int t = r.table == store::Table::kDetections ? 0
                  : r.table == store::Table::kForced   ? 1
                                                       : 2;
    arrays[t].push_back(arrays[t].empty() ? '[' : ',');
    AppendRowJson(r.alert->survey, r.alert->object_id, *r.raw, r.mjd, *r.band, &arrays[t]);
    if (arrays[t].size() >= max_bytes) RETURN_IF_ERROR(publish(t));
  }
  for (int t = 0; t < 3; ++t) RETURN_IF_ERROR(publish(t));
  return Status::Ok();
}

Result<const InsertRowSchema*> InsertRowSchemas::For(
    const codec::Datum& datum, const codec::Node& record,
    const std::function<Status(const InsertRowSchema&)>& on_new) {
  std::lock_guard lock(mu_);
  if (auto it = known_.find(&record); it != known_.end()) return &it->second.schema;
  const std::string json =
      R"({"type":"record","name":"lantern.insert.Rows","fields":[)"
      R"({"name":"survey","type":"string"},{"name":"objectId","type":"string"},)"
      R"({"name":"rows","type":{"type":"array","items":{"type":"record",)"
      R"("name":"lantern.insert.Row","fields":[{"name":"mjd","type":"double"},)"
      R"({"name":"band","type":"string"},{"name":"row","type":)" +
      codec::NodeToJson(record) + "}]}}}]}";
  ASSIGN_OR_RETURN(std::shared_ptr<const codec::Schema> parsed, codec::Schema::Parse(json));
  Entry e;
  e.schema.fingerprint = codec::AvroFingerprint64(codec::CanonicalForm(*parsed));
  e.schema.json = json;
  e.pin = datum.schema_ptr();
  const bool is_new = !by_fingerprint_.contains(e.schema.fingerprint);
  if (is_new) RETURN_IF_ERROR(on_new(e.schema));
  const InsertRowSchema* made = &known_.emplace(&record, std::move(e)).first->second.schema;
  if (is_new) by_fingerprint_.emplace(made->fingerprint, made);
  return made;
}

Status ForEachAvroRowArray(
    std::span<const StoredRow> rows, size_t max_bytes, InsertRowSchemas* schemas,
    const std::function<Status(const InsertRowSchema&)>& on_new_schema,
    const std::function<Status(store::Table, std::string_view, std::string_view)>& emit) {
  // The arrays of the current alert, in the order they were opened: one per table and schema.
  struct Open {
    store::Table table;
    const InsertRowSchema* schema;
    int64_t count = 0;
    std::string items;
  };
  std::vector<Open> open;
  const alert::Alert* owner = nullptr;
  std::string message;
  auto publish = [&](Open& a) -> Status {
    if (a.count == 0) return Status::Ok();
    message.clear();
    AppendSingleObjectHeader(a.schema->fingerprint, &message);
    AvroWriter w(&message);
    w.String(alert::SurveyName(owner->survey));
    w.String(owner->object_id);
    w.Long(a.count);
    message.append(a.items);
    w.Long(0);
    a.count = 0;
    a.items.clear();
    return emit(a.table, owner->object_id, message);
  };
  auto publish_all = [&]() -> Status {
    for (Open& a : open) RETURN_IF_ERROR(publish(a));
    open.clear();
    return Status::Ok();
  };
  for (const StoredRow& r : rows) {
    if (r.alert != owner) {
      RETURN_IF_ERROR(publish_all());
      owner = r.alert;
    }
    const auto* datum = dynamic_cast<const codec::Datum*>(r.raw->packet());
    if (datum == nullptr) {
      return Internal("avro insert row: the row is not from a decoded Avro packet");
    }
    const codec::Value record = datum->FromHandle(r.raw->handle());
    if (record.type() != codec::Type::kRecord) {
      return Internal("avro insert row: the row's value is not a record");
    }
    ASSIGN_OR_RETURN(const InsertRowSchema* schema,
                     schemas->For(*datum, record.node(), on_new_schema));
    auto it = std::find_if(open.begin(), open.end(), [&](const Open& a) {
      return a.table == r.table && a.schema == schema;
    });
    if (it == open.end()) it = open.insert(open.end(), Open{r.table, schema});
    AvroWriter w(&it->items);
    w.Double(r.mjd);
    w.String(*r.band);
    it->items.append(record.RecordBytes());
    ++it->count;
    if (it->items.size() >= max_bytes) {
      // Cut: the table's arrays opened before this one go first, so a table's messages keep
      // the rows' order (ZTF: the candidate, then its previous detections).
      for (auto a = open.begin(); a != it; ++a) {
        if (a->table == it->table) RETURN_IF_ERROR(publish(*a));
      }
      RETURN_IF_ERROR(publish(*it));
    }
  }
  return publish_all();
}

void AppendObjectRowJson(const store::ObjectRecord& object, std::string* out) {
  const features::LightCurve& lc = object.light_curve;
  *out += "{\"survey\":";
  codec::AppendJsonString(alert::SurveyName(lc.survey), out);
  *out += ",\"objectId\":";
  codec::AppendJsonString(lc.object_id, out);
  *out += ",\"ra\":";
  AppendNumberOrNull(object.ra, out);
  *out += ",\"dec\":";
  AppendNumberOrNull(object.dec, out);
  for (const auto& [name, value] : object.features.columns()) {
    if (IsObjectRowKey(name)) continue;
    out->push_back(',');
    AppendKey(name, out);
    if (const auto* d = std::get_if<double>(&value)) {
      AppendNumberOrNull(*d, out);
    } else if (const auto* i = std::get_if<int64_t>(&value)) {
      *out += std::to_string(*i);
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      codec::AppendJsonString(*s, out);
    } else {
      *out += "null";
    }
  }
  *out += ",\"context\":";
  *out += object.context_json.empty() ? std::string_view("null")
                                      : std::string_view(object.context_json);
  *out += ",\"latestAlertId\":";
  *out += std::to_string(object.latest_alert_id);
  out->push_back('}');
}

}  // namespace lantern::pipeline
