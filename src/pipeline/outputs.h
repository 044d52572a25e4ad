// Output message encodings: the bytes the Kafka sink (kafka_sink.h) publishes for each alert,
// stored row and object (docs/formats.md "Kafka output formats"). The enriched alert is Avro
// (schemas/lantern/alert_enriched.avsc) in the single-object encoding, written directly from
// the alert model without an intermediate datum; rows and objects are JSON objects. Pure
// functions of their arguments; safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

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
Status ForEachRowArray(
    std::span<const StoredRow> rows, size_t max_bytes,
    const std::function<Status(store::Table, std::string_view, std::string_view)>& emit);

// One object row (compacted topic lantern.insert.objects) appended to *out as one JSON object:
// {"survey","objectId","ra","dec", every feature column by its Lasair name (null for nulls
// and non-finite doubles), "context": the context JSON or null, "latestAlertId"}. ra and dec
// are null when unknown. object.context_json must be JSON text (as the annotators write it).
void AppendObjectRowJson(const store::ObjectRecord& object, std::string* out);

}  // namespace lantern::pipeline
