#include "store/rows.h"

#include <algorithm>

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

size_t VarLongSize(int64_t value) {
  uint64_t v = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
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
  for (uint32_t i = 0; i < v.FieldCount(); ++i) codec::EncodeValue(v.FieldAt(i), out);
  return Status::Ok();
}

Status RowEncoder::EncodePacket(const codec::Datum& datum, const alert::Alert& alert,
                                WriteSet* writes, std::string* out) {
  AppendBigEndian64(Fingerprint(datum.schema().root(), datum, writes), out);
  // Splice: copy the packet, replacing each cutout's [length][bytes] with a zero length.
  const std::string_view bytes = datum.bytes();
  std::vector<std::string_view> spans;
  for (const alert::Cutout& c : alert.cutouts) {
    if (c.bytes.empty()) continue;
    if (c.bytes.data() < bytes.data() || c.bytes.data() + c.bytes.size() > bytes.data() + bytes.size()) {
      continue;  // not a view into this packet (already extracted)
    }
    spans.push_back(c.bytes);
  }
  std::sort(spans.begin(), spans.end(),
            [](std::string_view a, std::string_view b) { return a.data() < b.data(); });
  size_t pos = 0;
  for (std::string_view s : spans) {
    const size_t at = static_cast<size_t>(s.data() - bytes.data());
    const size_t header = VarLongSize(static_cast<int64_t>(s.size()));
    if (at < pos + header) return Internal("packet: overlapping cutout spans");
    out->append(bytes.substr(pos, at - header - pos));
    codec::WriteVarLong(out, 0);
    pos = at + s.size();
  }
  out->append(bytes.substr(pos));
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
