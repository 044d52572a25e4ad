#include "codec/encoder.h"

#include "codec/varint.h"

namespace lantern::codec {
namespace {

void EncodeResolved(const Value& v, std::string* out) {
  switch (v.type()) {
    case Type::kNull: return;
    case Type::kBoolean: out->push_back(v.AsBool() ? 1 : 0); return;
    case Type::kInt: case Type::kLong: case Type::kEnum: WriteVarLong(out, v.AsLong()); return;
    case Type::kFloat: {
      const float f = v.AsFloat();
      out->append(reinterpret_cast<const char*>(&f), 4);
      return;
    }
    case Type::kDouble: {
      const double d = v.AsDouble();
      out->append(reinterpret_cast<const char*>(&d), 8);
      return;
    }
    case Type::kBytes: case Type::kString: {
      const std::string_view s = v.AsString();
      WriteVarLong(out, static_cast<int64_t>(s.size()));
      out->append(s);
      return;
    }
    case Type::kFixed: out->append(v.AsString()); return;
    case Type::kRecord:
      for (uint32_t i = 0; i < v.FieldCount(); ++i) EncodeValue(v.FieldAt(i), out);
      return;
    case Type::kArray: {
      const uint32_t n = v.Size();
      if (n > 0) {
        WriteVarLong(out, n);
        for (uint32_t i = 0; i < n; ++i) EncodeValue(v.At(i), out);
      }
      out->push_back(0);
      return;
    }
    case Type::kMap: {
      const uint32_t n = v.Size();
      if (n > 0) {
        WriteVarLong(out, n);
        for (uint32_t i = 0; i < n; ++i) {
          const std::string_view key = v.KeyAt(i);
          WriteVarLong(out, static_cast<int64_t>(key.size()));
          out->append(key);
          EncodeValue(v.ValueAt(i), out);
        }
      }
      out->push_back(0);
      return;
    }
    case Type::kUnion: return;  // never: Value resolves unions
  }
}

}  // namespace

void EncodeValue(const Value& v, std::string* out) {
  if (v.in_union()) WriteVarLong(out, v.branch());
  EncodeResolved(v, out);
}

}  // namespace lantern::codec
