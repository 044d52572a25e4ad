#include "codec/datum.h"

#include <limits>

namespace lantern::codec {

double Value::AsNumber() const {
  switch (node_->type) {
    case Type::kInt: case Type::kLong: return static_cast<double>(slot().i);
    case Type::kFloat: return slot().f;
    case Type::kDouble: return slot().d;
    case Type::kBoolean: return slot().i ? 1.0 : 0.0;
    default: return std::numeric_limits<double>::quiet_NaN();
  }
}

Value Value::Field(std::string_view name) const {
  if (node_->type != Type::kRecord) return Value();
  const int index = node_->FieldIndex(name);
  return index < 0 ? Value() : FieldAt(static_cast<uint32_t>(index));
}

std::string_view Value::KeyAt(uint32_t index) const {
  const Slot& key = datum_->slots_[slot().u + 2 * index];
  return datum_->bytes_.substr(key.u, key.n);
}

Value Value::ValueAt(uint32_t index) const {
  return Value(datum_, node_->items, static_cast<uint32_t>(slot().u + 2 * index + 1));
}

alert::FieldValue Datum::ToFieldValue(const Value& v) {
  alert::FieldValue out;
  using alert::FieldKind;
  switch (v.type()) {
    case Type::kNull: out.kind = FieldKind::kNull; break;
    case Type::kBoolean: out.kind = FieldKind::kBool; out.i = v.AsBool(); break;
    case Type::kInt: case Type::kLong: out.kind = FieldKind::kInt; out.i = v.AsLong(); break;
    case Type::kFloat: out.kind = FieldKind::kFloat; out.d = v.AsFloat(); break;
    case Type::kDouble: out.kind = FieldKind::kDouble; out.d = v.AsDouble(); break;
    case Type::kString: out.kind = FieldKind::kString; out.s = v.AsString(); break;
    case Type::kEnum: out.kind = FieldKind::kString; out.s = v.AsEnum(); out.i = v.AsLong(); break;
    case Type::kBytes: case Type::kFixed: out.kind = FieldKind::kBytes; out.s = v.AsString(); break;
    case Type::kRecord: out.kind = FieldKind::kRecord; out.handle = Handle(v); break;
    case Type::kArray: out.kind = FieldKind::kArray; out.handle = Handle(v); out.size = v.Size(); break;
    case Type::kMap: out.kind = FieldKind::kMap; out.handle = Handle(v); out.size = v.Size(); break;
    case Type::kUnion: break;  // resolved by Value's constructor
  }
  return out;
}

alert::FieldHandle Datum::Root() const { return Handle(root()); }

std::optional<alert::FieldValue> Datum::Get(alert::FieldHandle record,
                                            std::string_view name) const {
  int hint = -1;
  return Get(record, name, &hint);
}

std::optional<alert::FieldValue> Datum::Get(alert::FieldHandle record, std::string_view name,
                                            int* hint) const {
  const Value r = FromHandle(record);
  if (r.type() != Type::kRecord) return std::nullopt;
  const std::vector<Field>& fields = r.node().fields;
  if (*hint < 0 || static_cast<size_t>(*hint) >= fields.size() || fields[*hint].name != name) {
    *hint = r.node().FieldIndex(name);
    if (*hint < 0) return std::nullopt;
  }
  return ToFieldValue(r.FieldAt(static_cast<uint32_t>(*hint)));
}

alert::FieldValue Datum::At(alert::FieldHandle array, uint32_t index) const {
  const Value a = FromHandle(array);
  if (a.type() != Type::kArray || index >= a.Size()) return {};
  return ToFieldValue(a.At(index));
}

void Datum::ForEach(alert::FieldHandle record,
                    const std::function<void(std::string_view, const alert::FieldValue&)>& fn)
    const {
  const Value r = FromHandle(record);
  if (r.type() != Type::kRecord) return;
  for (uint32_t i = 0; i < r.FieldCount(); ++i)
    fn(r.node().fields[i].name, ToFieldValue(r.FieldAt(i)));
}

}  // namespace lantern::codec
