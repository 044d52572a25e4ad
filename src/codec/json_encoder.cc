#include "codec/json_encoder.h"

#include <fmt/format.h>

#include "codec/varint.h"

namespace lantern::codec {
namespace {

using Json = nlohmann::json;

bool Fits(const Node& node, const Json& v) {
  switch (node.type) {
    case Type::kNull: return v.is_null();
    case Type::kBoolean: return v.is_boolean();
    case Type::kInt: case Type::kLong: return v.is_number_integer();
    case Type::kFloat: case Type::kDouble: return v.is_number();
    case Type::kString: return v.is_string();
    case Type::kEnum: return v.is_string();
    case Type::kBytes: return v.is_binary() || v.is_string();
    case Type::kFixed: return v.is_binary() && v.get_binary().size() == node.fixed_size;
    case Type::kRecord: case Type::kMap: return v.is_object();
    case Type::kArray: return v.is_array();
    case Type::kUnion: return false;
  }
  return false;
}

void AppendRaw(std::string_view bytes, std::string* out) {
  WriteVarLong(out, static_cast<int64_t>(bytes.size()));
  out->append(bytes);
}

}  // namespace

Status EncodeJson(const Node& node, const Json& v, std::string* out) {
  if (node.type != Type::kUnion && !Fits(node, v))
    return InvalidArgument(fmt::format("value {} does not fit type {}", v.dump().substr(0, 80),
                                       TypeName(node.type)));
  switch (node.type) {
    case Type::kNull: return Status::Ok();
    case Type::kBoolean: out->push_back(v.get<bool>() ? 1 : 0); return Status::Ok();
    case Type::kInt: {
      const int64_t i = v.get<int64_t>();
      if (i < INT32_MIN || i > INT32_MAX) return InvalidArgument("int out of range");
      WriteVarLong(out, i);
      return Status::Ok();
    }
    case Type::kLong: WriteVarLong(out, v.get<int64_t>()); return Status::Ok();
    case Type::kFloat: {
      const float f = v.get<float>();
      out->append(reinterpret_cast<const char*>(&f), 4);
      return Status::Ok();
    }
    case Type::kDouble: {
      const double d = v.get<double>();
      out->append(reinterpret_cast<const char*>(&d), 8);
      return Status::Ok();
    }
    case Type::kString: AppendRaw(v.get_ref<const std::string&>(), out); return Status::Ok();
    case Type::kBytes:
      if (v.is_binary()) {
        const auto& b = v.get_binary();
        AppendRaw(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), out);
      } else {
        AppendRaw(v.get_ref<const std::string&>(), out);
      }
      return Status::Ok();
    case Type::kFixed: {
      const auto& b = v.get_binary();
      out->append(reinterpret_cast<const char*>(b.data()), b.size());
      return Status::Ok();
    }
    case Type::kEnum: {
      const std::string& s = v.get_ref<const std::string&>();
      for (size_t i = 0; i < node.symbols.size(); ++i) {
        if (node.symbols[i] == s) {
          WriteVarLong(out, static_cast<int64_t>(i));
          return Status::Ok();
        }
      }
      return InvalidArgument("\"" + s + "\" is not a symbol of enum " + node.full_name);
    }
    case Type::kUnion:
      for (size_t i = 0; i < node.branches.size(); ++i) {
        if (Fits(*node.branches[i], v)) {
          WriteVarLong(out, static_cast<int64_t>(i));
          return EncodeJson(*node.branches[i], v, out);
        }
      }
      return InvalidArgument(fmt::format("value {} fits no branch of the union",
                                         v.dump().substr(0, 80)));
    case Type::kRecord:
      for (const Field& f : node.fields) {
        auto it = v.find(f.name);
        if (it == v.end()) {
          if (f.node->type == Type::kUnion && f.node->null_branch >= 0) {
            WriteVarLong(out, f.node->null_branch);
            continue;
          }
          return InvalidArgument(node.full_name + ": missing field " + f.name);
        }
        Status st = EncodeJson(*f.node, *it, out);
        if (!st.ok()) return st.WithContext("field " + f.name);
      }
      return Status::Ok();
    case Type::kArray:
      if (!v.empty()) {
        WriteVarLong(out, static_cast<int64_t>(v.size()));
        for (const Json& item : v) RETURN_IF_ERROR(EncodeJson(*node.items, item, out));
      }
      out->push_back(0);
      return Status::Ok();
    case Type::kMap:
      if (!v.empty()) {
        WriteVarLong(out, static_cast<int64_t>(v.size()));
        for (const auto& [key, item] : v.items()) {
          AppendRaw(key, out);
          RETURN_IF_ERROR(EncodeJson(*node.items, item, out));
        }
      }
      out->push_back(0);
      return Status::Ok();
  }
  return Internal("unreachable");
}

Result<std::string> EncodeJsonDatum(const Schema& schema, const Json& value) {
  std::string out;
  RETURN_IF_ERROR(EncodeJson(schema.root(), value, &out));
  return out;
}

}  // namespace lantern::codec
