// Full-fidelity rows: a detection, forced-photometry or non-detection row keeps the survey's
// own record exactly as the packet carried it (its Avro bytes) beside a small typed header.
// The record's schema is stored once in the meta table under its fingerprint, so rows of any
// survey and schema version read back by name. The alerts table stores whole packets the same
// way, minus the cutout bytes.
//   row    = [8-byte schema fingerprint, big-endian][f64 mjd][band: varint length + bytes]
//            [Avro binary of the record]
//   packet = [8-byte schema fingerprint][Avro binary of the packet, cutout bytes emptied]
// RowEncoder is per thread; RowReader caches parsed schemas and is per thread too.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alert/alert.h"
#include "codec/datum.h"
#include "codec/schema.h"
#include "core/status.h"
#include "store/store.h"

namespace lantern::store {

class RowEncoder {
 public:
  // Appends the row for `raw` (a record inside a decoded packet). The first time this encoder
  // meets the record's schema it also puts the schema into `writes`.
  Status EncodeRow(const alert::FieldRecord& raw, double mjd, std::string_view band,
                   WriteSet* writes, std::string* out);
  // Appends the compact packet of `datum` (the alerts table): every cutout of `alert` (views
  // into it) emptied, and the root's arrays — the history, stored as rows — emptied too.
  Status EncodePacket(const codec::Datum& datum, const alert::Alert& alert, WriteSet* writes,
                      std::string* out);

 private:
  // The fingerprint of `node`'s standalone schema, stored into `writes` when first met.
  uint64_t Fingerprint(const codec::Node& node, const codec::Datum& datum, WriteSet* writes);

  struct Known {
    uint64_t fingerprint;
    std::shared_ptr<const codec::Schema> pin;  // keeps the node's address valid
  };
  std::unordered_map<const codec::Node*, Known> known_;
};

struct Row {
  double mjd = alert::kNaN;
  std::string band;
  std::shared_ptr<const codec::Datum> record;  // decoded with the stored schema
};

class RowReader {
 public:
  explicit RowReader(const Store* store) : store_(store) {}
  Result<Row> Read(std::string_view row);
  // A stored packet (alerts table value).
  Result<std::shared_ptr<const codec::Datum>> ReadPacket(std::string_view value);

 private:
  Result<std::shared_ptr<const codec::Schema>> SchemaFor(uint64_t fingerprint);
  const Store* store_;
  std::unordered_map<uint64_t, std::shared_ptr<const codec::Schema>> schemas_;
};

// Meta key under which a schema document is stored.
std::string SchemaMetaKey(uint64_t fingerprint);

}  // namespace lantern::store
