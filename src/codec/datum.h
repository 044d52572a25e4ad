// Datum: one decoded Avro value (usually a whole alert packet), held as a flat array of
// 16-byte slots that index into the encoded bytes, so strings and cutouts are never copied.
// A record occupies one slot per field in a contiguous block; arrays and maps point at a block
// of element slots; a union slot remembers its branch. The Datum keeps its schema and the
// buffer holding the bytes alive. Value is a cheap view (datum, schema node, slot) for walking
// it; it is valid while the Datum lives. Immutable after decoding; safe to read from any thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alert/fields.h"
#include "codec/schema.h"

namespace lantern::codec {

// Trivially constructible on purpose: the decoder allocates slot arrays without zeroing them
// and writes every slot that a schema-guided walk can later read.
struct Slot {
  uint32_t branch;      // unions: the branch taken
  uint32_t n;           // strings/bytes/fixed: length; records/arrays/maps: element count
  union {
    int64_t i;          // boolean, int, long, enum index
    double d;           // double
    float f;            // float (bit-exact)
    uint64_t u;         // strings/bytes/fixed: byte offset; records/arrays/maps: first slot
  };
};
static_assert(sizeof(Slot) == 16);

class Datum;

class Value {
 public:
  Value() = default;
  Value(const Datum* datum, const Node* node, uint32_t slot);

  // The type after resolving a union to its branch.
  Type type() const { return node_->type; }
  const Node& node() const { return *node_; }
  // True when the schema puts a union at this position; branch() is then the branch taken.
  bool in_union() const { return in_union_; }
  uint32_t branch() const { return slot().branch; }
  uint32_t slot_index() const { return slot_; }
  bool valid() const { return datum_ != nullptr; }
  bool is_null() const { return node_->type == Type::kNull; }

  bool AsBool() const { return slot().i != 0; }
  int64_t AsLong() const { return slot().i; }  // int and long
  float AsFloat() const { return slot().f; }
  double AsDouble() const { return slot().d; }
  // Any numeric type as double.
  double AsNumber() const;
  std::string_view AsString() const;  // string, bytes, fixed
  std::string_view AsEnum() const { return node_->symbols[static_cast<size_t>(slot().i)]; }

  // Records: field access. Field(name) returns an invalid Value when there is no such field.
  uint32_t FieldCount() const { return static_cast<uint32_t>(node_->fields.size()); }
  Value FieldAt(uint32_t index) const;
  // The raw slot of field `index`, for hot paths that interpret it with the record node's
  // FieldCode (see schema.h) instead of building a Value.
  const Slot& FieldSlot(uint32_t index) const;
  Value Field(std::string_view name) const;
  // Records: the encoded bytes of this record (its fields' Avro binary, exactly as decoded).
  std::string_view RecordBytes() const;

  // Arrays and maps.
  uint32_t Size() const { return slot().n; }
  Value At(uint32_t index) const;           // array element
  std::string_view KeyAt(uint32_t index) const;  // map key
  Value ValueAt(uint32_t index) const;      // map value

 private:
  const Slot& slot() const;
  const Datum* datum_ = nullptr;
  const Node* node_ = nullptr;
  uint32_t slot_ = 0;
  bool in_union_ = false;
};

class Datum final : public alert::PacketFields {
 public:
  Datum(std::shared_ptr<const Schema> schema, std::shared_ptr<const std::string> storage,
        std::string_view bytes, std::unique_ptr<Slot[]> slots, uint32_t slot_count)
      : schema_(std::move(schema)), storage_(std::move(storage)), bytes_(bytes),
        slots_(std::move(slots)), slot_count_(slot_count) {}

  const Schema& schema() const { return *schema_; }
  const std::shared_ptr<const Schema>& schema_ptr() const { return schema_; }
  // The encoded bytes of this datum (exactly the bytes it was decoded from).
  std::string_view bytes() const { return bytes_; }
  uint32_t slot_count() const { return slot_count_; }
  Value root() const { return Value(this, &schema_->root(), 0); }

  // alert::PacketFields
  alert::FieldHandle Root() const override;
  std::optional<alert::FieldValue> Get(alert::FieldHandle record,
                                       std::string_view name) const override;
  std::optional<alert::FieldValue> Get(alert::FieldHandle record, std::string_view name,
                                       int* hint) const override;
  alert::FieldValue At(alert::FieldHandle array, uint32_t index) const override;
  void ForEach(alert::FieldHandle record,
               const std::function<void(std::string_view, const alert::FieldValue&)>& fn)
      const override;

  static alert::FieldValue ToFieldValue(const Value& v);
  static alert::FieldHandle Handle(const Value& v) { return {&v.node(), v.slot_index()}; }
  Value FromHandle(alert::FieldHandle h) const {
    return Value(this, static_cast<const Node*>(h.node), h.slot);
  }

 private:
  friend class Value;
  std::shared_ptr<const Schema> schema_;
  std::shared_ptr<const std::string> storage_;
  std::string_view bytes_;
  std::unique_ptr<Slot[]> slots_;
  uint32_t slot_count_;
};

inline Value::Value(const Datum* datum, const Node* node, uint32_t slot)
    : datum_(datum), node_(node), slot_(slot) {
  if (node_->type == Type::kUnion) {
    node_ = node_->branches[datum_->slots_[slot_].branch];
    in_union_ = true;
  }
}

inline const Slot& Value::slot() const { return datum_->slots_[slot_]; }

inline std::string_view Value::RecordBytes() const {
  const Slot& span = datum_->slots_[slot().u - 1];  // the decoder's span slot (decoder.cc)
  return datum_->bytes_.substr(span.u, span.n);
}

inline std::string_view Value::AsString() const {
  const Slot& s = slot();
  return datum_->bytes_.substr(s.u, s.n);
}

inline Value Value::FieldAt(uint32_t index) const {
  return Value(datum_, node_->fields[index].node, static_cast<uint32_t>(slot().u) + index);
}

inline const Slot& Value::FieldSlot(uint32_t index) const {
  return datum_->slots_[slot().u + index];
}

inline Value Value::At(uint32_t index) const {
  return Value(datum_, node_->items, static_cast<uint32_t>(slot().u) + index);
}

}  // namespace lantern::codec
