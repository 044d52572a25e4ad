// Output message encodings: the bytes the Kafka sink (kafka_sink.h) publishes for each alert,
// stored row and object (docs/formats.md "Kafka output formats"). The enriched alert is Avro
// (schemas/lantern/alert_enriched.avsc) in the single-object encoding, written directly from
// the alert model without an intermediate datum; rows are JSON objects or Avro (the packet's
// record bytes), objects JSON. Pure functions of their arguments (InsertRowSchemas: a
// thread-safe cache); safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alert/alert.h"
#include "codec/schema.h"
#include "core/status.h"
#include "pipeline/level1.h"
#include "store/object_record.h"

namespace lantern::pipeline {

// The first two bytes of every Avro single-object encoded message; the schema's fingerprint
// (8 bytes, little-endian) follows, then the datum.
inline constexpr std::string_view kSingleObjectMagic{"\xC3\x01", 2};
inline constexpr size_t kSingleObjectHeaderSize = 10;

// The enriched alert of topic lantern.alerts: the single-object header (kSingleObjectMagic +
// EnrichedSchemaFingerprint() little-endian) and the Avro binary datum of
// survey::LanternEnrichedSchema(). `hits` are this alert's watchlist hits (the caller selects
// them from the batch by WatchlistHit::alert). Replaces *out, reusing its capacity.
// Annotations: "context" (alert.object->context_json, when not empty) and "watchlists"
// (a JSON array [{"wl_id":…,"name":…,"arcsec":…}], when there are hits).
void EncodeEnrichedAlert(const ProcessedAlert& alert, std::span<const WatchlistHit> hits,
                         std::string* out);

// CRC-64-AVRO of the Parsing Canonical Form of the enriched schema (computed once).
uint64_t EnrichedSchemaFingerprint();
// The enriched schema, parsed once (for readers of EncodeEnrichedAlert's output).
const std::shared_ptr<const codec::Schema>& EnrichedSchema();

// One insert-stream row (lantern.insert.detections, .forced, .nondetections; the Kafka sink
// publishes an alert's rows of one table as a JSON array of them) appended to *out as one JSON
// object: {"survey":"ztf","objectId":"…","mjd":…,"band":"g", then every field of
// the survey's own record `raw` by its own name, valued as codec::AppendJson prints it}. A
// survey field named like one of the four leading keys is left out (Rubin's `band`, the same
// value). `raw` must come from a decoded packet (alert::FieldRecord of a codec::Datum);
// otherwise only the leading keys are written.
void AppendRowJson(alert::Survey survey, std::string_view object_id, const alert::FieldRecord& raw,
                   double mjd, std::string_view band, std::string* out);

// The insert-stream messages of `rows` (a batch's StoredRows, each alert's rows adjacent): one
// per alert and table, a JSON array of its rows in order, cut after the row that takes it to
// `max_bytes` or more. Calls emit(table, object id, message) for each, in order; stops at the
// first error emit returns and returns it.
inline constexpr size_t kMaxRowArrayBytes = 256 * 1024;
// Every row `alerts` carry (the detection, previous detections, forced photometry,
// non-detections), each alert's rows adjacent: a batch's StoredRows when all of them are new
// (what the tests and bench/outputs_bench feed the encoders).
std::vector<StoredRow> EveryRowOf(std::span<const alert::Alert> alerts);
Status ForEachRowArray(
    std::span<const StoredRow> rows, size_t max_bytes,
    const std::function<Status(store::Table, std::string_view, std::string_view)>& emit);

// --insert-format avro: the same messages (one per alert and table, cut at `max_bytes`) as
// Avro in the single-object encoding, one message per row schema too (a ZTF alert's candidate
// and its previous detections are different records): an alert's rows of one table in the
// order of their schemas' first rows, each schema's rows in order. The schema of a
// message wraps the survey's own record schema:
//   record lantern.insert.Rows { string survey; string objectId;
//     array<record lantern.insert.Row { double mjd; string band; <the survey record> row }> rows }
// and `row` is the record's bytes exactly as the packet carried them (copied, not re-encoded).
struct InsertRowSchema {
  uint64_t fingerprint = 0;  // CRC-64-AVRO of the canonical form (the message header's)
  std::string json;          // the wrapper schema document, for <prefix>.schemas
};

// The wrapper schema for each survey record schema met, made once; thread-safe.
class InsertRowSchemas {
 public:
  // The wrapper for rows of `record` (a record of `datum`). The first time a wrapper with a
  // new fingerprint is made `on_new` gets it (under this object's lock, so before anyone else
  // gets it back); packets whose schemas differ elsewhere share a record's wrapper.
  Result<const InsertRowSchema*> For(const codec::Datum& datum, const codec::Node& record,
                                     const std::function<Status(const InsertRowSchema&)>& on_new);

 private:
  struct Entry {
    InsertRowSchema schema;
    std::shared_ptr<const codec::Schema> pin;  // keeps the record node's address valid
  };
  std::mutex mu_;
  std::unordered_map<const codec::Node*, Entry> known_;
  std::unordered_map<uint64_t, const InsertRowSchema*> by_fingerprint_;
};

// The Avro insert-stream messages of `rows`, as ForEachRowArray's JSON ones (same emit
// contract); rows whose record did not come from a decoded Avro packet are an error.
Status ForEachAvroRowArray(
    std::span<const StoredRow> rows, size_t max_bytes, InsertRowSchemas* schemas,
    const std::function<Status(const InsertRowSchema&)>& on_new_schema,
    const std::function<Status(store::Table, std::string_view, std::string_view)>& emit);

// One object row (compacted topic lantern.insert.objects) appended to *out as one JSON object:
// {"survey","objectId","ra","dec", every feature column by its Lasair name (null for nulls
// and non-finite doubles), "context": the context JSON or null, "latestAlertId"}. ra and dec
// are null when unknown. object.context_json must be JSON text (as the annotators write it).
void AppendObjectRowJson(const store::ObjectRecord& object, std::string* out);

}  // namespace lantern::pipeline
