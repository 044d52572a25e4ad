// Original survey fields, reachable by name. The survey-neutral model (alert.h) keeps common
// columns as typed members; everything else a survey sends stays reachable through a
// FieldRecord, a view into the decoded packet that owns the bytes. The codec implements
// PacketFields; the alert module only defines the contract, so it depends on no codec.
// Views are valid while the Alert (which holds the packet) is alive. Read-only; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace lantern::alert {

// Opaque position of a value inside a decoded packet (meaning defined by the implementation).
struct FieldHandle {
  const void* node = nullptr;
  uint32_t slot = 0;
};

enum class FieldKind : uint8_t {
  kNull, kBool, kInt, kFloat, kDouble, kString, kBytes, kRecord, kArray, kMap
};

// One original value. Ints cover Avro int and long; kFloat is single precision (value in d).
struct FieldValue {
  FieldKind kind = FieldKind::kNull;
  int64_t i = 0;
  double d = 0;
  std::string_view s;  // kString and kBytes (bytes live in the packet)
  FieldHandle handle;  // kRecord, kArray, kMap: pass back to PacketFields
  uint32_t size = 0;   // kArray, kMap: element count

  bool is_null() const { return kind == FieldKind::kNull; }
  bool is_number() const {
    return kind == FieldKind::kInt || kind == FieldKind::kFloat || kind == FieldKind::kDouble;
  }
  // Numeric value as double (ints converted, booleans 0 or 1); NaN for strings, bytes,
  // records, arrays, maps and null.
  double AsDouble() const;
};

class PacketFields {
 public:
  virtual ~PacketFields() = default;
  // The top-level record of the packet.
  virtual FieldHandle Root() const = 0;
  // Field `name` of the record at `record`; nullopt when the record has no such field.
  virtual std::optional<FieldValue> Get(FieldHandle record, std::string_view name) const = 0;
  // As Get, trying position `*hint` among the record's fields first: when the field there is
  // `name` it is read without a lookup by name; otherwise `*hint` becomes the field's position
  // (-1 when there is none). For reading the same names from many records of one shape.
  virtual std::optional<FieldValue> Get(FieldHandle record, std::string_view name,
                                        int* /*hint*/) const {
    return Get(record, name);
  }
  // Element `index` of an array.
  virtual FieldValue At(FieldHandle array, uint32_t index) const = 0;
  // Every field of a record, in schema order.
  virtual void ForEach(FieldHandle record,
                       const std::function<void(std::string_view, const FieldValue&)>& fn) const = 0;
};

// A record inside a packet: the unit a Detection or ForcedPhot points at.
class FieldRecord {
 public:
  FieldRecord() = default;
  FieldRecord(const PacketFields* packet, FieldHandle handle) : packet_(packet), handle_(handle) {}

  bool valid() const { return packet_ != nullptr; }
  std::optional<FieldValue> Get(std::string_view name) const {
    if (!packet_) return std::nullopt;
    return packet_->Get(handle_, name);
  }
  // With a position hint (PacketFields::Get).
  std::optional<FieldValue> Get(std::string_view name, int* hint) const {
    if (!packet_) return std::nullopt;
    return packet_->Get(handle_, name, hint);
  }
  // Numeric field as double; NaN when absent, null or not numeric.
  double GetDouble(std::string_view name) const;
  double GetDouble(std::string_view name, int* hint) const;
  void ForEach(const std::function<void(std::string_view, const FieldValue&)>& fn) const {
    if (packet_) packet_->ForEach(handle_, fn);
  }
  const PacketFields* packet() const { return packet_; }
  FieldHandle handle() const { return handle_; }

 private:
  const PacketFields* packet_ = nullptr;
  FieldHandle handle_;
};

}  // namespace lantern::alert
