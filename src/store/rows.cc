#include "store/rows.h"

#include <algorithm>
#include <span>

#include "codec/decoder.h"
#include "codec/encoder.h"
#include "codec/varint.h"
#include "store/bytes.h"
#include "store/keys.h"

namespace lantern::store {
namespace {

const codec::Datum* DatumOf(const alert::FieldRecord& raw) {
  return dynamic_cast<const codec::Datum*>(raw.packet());
}

// Re-encodes `v` with what other tables hold left out: every cutout (a bytes value that is one
// of `cutouts`, views into the packet) becomes empty, and so does every array of the root
// record — the history, whose rows are in detections, forced and nondetections.
void EncodeCompact(const codec::Value& v, bool root, std::span<const std::string_view> cutouts,
                   std::string* out) {
  if (v.type() == codec::Type::kRecord) {
    if (v.in_union()) codec::WriteVarLong(out, v.branch());
    if (!root) {
      // A nested record without cutout bytes (the candidate) is copied as decoded.
      const std::string_view bytes = v.RecordBytes();
      const bool has_cutout = std::any_of(cutouts.begin(), cutouts.end(), [&](std::string_view c) {
        return c.data() >= bytes.data() && c.data() < bytes.data() + bytes.size();
      });
      if (!has_cutout) {
        out->append(bytes);
        return;
      }
    }
    for (uint32_t i = 0; i < v.FieldCount(); ++i) {
      const codec::Value f = v.FieldAt(i);
      if (root && f.type() == codec::Type::kArray) {
        if (f.in_union()) codec::WriteVarLong(out, f.branch());
        out->push_back(0);
      } else {
        EncodeCompact(f, false, cutouts, out);
      }
    }
    return;
  }
  if (v.type() == codec::Type::kBytes) {
    const std::string_view bytes = v.AsString();
    const bool cutout = std::any_of(cutouts.begin(), cutouts.end(), [&](std::string_view c) {
      return c.data() == bytes.data() && c.size() == bytes.size();
    });
    if (cutout) {
      if (v.in_union()) codec::WriteVarLong(out, v.branch());
      out->push_back(0);
      return;
    }
  }
  codec::EncodeValue(v, out);
}

}  // namespace

std::string SchemaMetaKey(uint64_t fingerprint) {
  std::string key = "schema/";
  AppendBigEndian64(fingerprint, &key);
  return key;
}

uint64_t RowEncoder::Fingerprint(const codec::Node& node, const codec::Datum& datum,
                                 WriteSet* writes) {
  auto it = known_.find(&node);
  if (it == known_.end()) {
    const std::string json = codec::NodeToJson(node);
    const uint64_t fp = codec::Fingerprint64(json);
    writes->Put(Table::kMeta, SchemaMetaKey(fp), json);
    if (known_.size() > 4096) known_.clear();
    it = known_.emplace(&node, Known{fp, datum.schema_ptr()}).first;
  }
  return it->second.fingerprint;
}

Status RowEncoder::EncodeRow(const alert::FieldRecord& raw, double mjd, std::string_view band,
                             WriteSet* writes, std::string* out) {
  const codec::Datum* datum = DatumOf(raw);
  if (!datum) return InvalidArgument("row: the record does not come from a decoded packet");
  const codec::Value v = datum->FromHandle(raw.handle());
  if (v.type() != codec::Type::kRecord) return InvalidArgument("row: not a record");
  AppendBigEndian64(Fingerprint(v.node(), *datum, writes), out);
  ByteWriter w(out);
  w.F64(mjd);
  w.Str(band);
  out->append(v.RecordBytes());  // the fields' Avro binary, as decoded: no re-encoding
  return Status::Ok();
}

Status RowEncoder::EncodePacket(const codec::Datum& datum, const alert::Alert& alert,
                                WriteSet* writes, std::string* out) {
  AppendBigEndian64(Fingerprint(datum.schema().root(), datum, writes), out);
  std::vector<std::string_view> cutouts;
  for (const alert::Cutout& c : alert.cutouts) {
    if (!c.bytes.empty()) cutouts.push_back(c.bytes);
  }
  EncodeCompact(datum.root(), /*root=*/true, cutouts, out);
  return Status::Ok();
}

Result<std::shared_ptr<const codec::Schema>> RowReader::SchemaFor(uint64_t fingerprint) {
  auto it = schemas_.find(fingerprint);
  if (it != schemas_.end()) return it->second;
  ASSIGN_OR_RETURN(std::optional<std::string> json,
                   store_->Get(Table::kMeta, SchemaMetaKey(fingerprint)));
  if (!json) return NotFound("row: schema " + std::to_string(fingerprint) + " is not stored");
  ASSIGN_OR_RETURN(std::shared_ptr<const codec::Schema> schema, codec::Schema::Parse(*json));
  schemas_.emplace(fingerprint, schema);
  return schema;
}

Result<Row> RowReader::Read(std::string_view row) {
  if (row.size() < 8) return InvalidArgument("row: too short");
  ASSIGN_OR_RETURN(std::shared_ptr<const codec::Schema> schema, SchemaFor(ReadBigEndian64(row)));
  ByteReader r(row.substr(8));
  Row out;
  out.mjd = r.F64();
  out.band = std::string(r.Str());
  if (!r.ok()) return InvalidArgument("row: truncated header");
  auto storage = std::make_shared<const std::string>(r.rest());
  codec::Decoder decoder;
  ASSIGN_OR_RETURN(out.record, decoder.Decode(schema, storage, *storage));
  return out;
}

Result<std::shared_ptr<const codec::Datum>> RowReader::ReadPacket(std::string_view value) {
  if (value.size() < 8) return InvalidArgument("packet: too short");
  ASSIGN_OR_RETURN(std::shared_ptr<const codec::Schema> schema,
                   SchemaFor(ReadBigEndian64(value)));
  auto storage = std::make_shared<const std::string>(value.substr(8));
  codec::Decoder decoder;
  return decoder.Decode(schema, storage, *storage);
}

}  // namespace lantern::store
