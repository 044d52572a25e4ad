#include "codec/schema.h"

#include <algorithm>
#include <unordered_set>
#include <nlohmann/json.hpp>

#include "codec/json.h"

namespace lantern::codec {
namespace {

using Json = nlohmann::json;

constexpr int kMaxSchemaDepth = 200;

bool IsPrimitive(std::string_view name, Type* type) {
  static const std::pair<std::string_view, Type> kPrimitives[] = {
      {"null", Type::kNull},   {"boolean", Type::kBoolean}, {"int", Type::kInt},
      {"long", Type::kLong},   {"float", Type::kFloat},     {"double", Type::kDouble},
      {"bytes", Type::kBytes}, {"string", Type::kString},
  };
  for (const auto& [n, t] : kPrimitives) {
    if (n == name) {
      *type = t;
      return true;
    }
  }
  return false;
}

std::string FullName(const Json& j, const std::string& enclosing_ns) {
  std::string name = j.value("name", "");
  if (name.find('.') != std::string::npos) return name;
  std::string ns = enclosing_ns;
  if (j.contains("namespace") && j["namespace"].is_string()) ns = j["namespace"].get<std::string>();
  return ns.empty() ? name : ns + "." + name;
}

std::string NamespaceOf(const std::string& full_name) {
  const size_t dot = full_name.rfind('.');
  return dot == std::string::npos ? "" : full_name.substr(0, dot);
}

uint32_t SaturatingAdd(uint32_t a, uint32_t b) {
  return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

}  // namespace

class SchemaParser {
 public:
  explicit SchemaParser(Schema* schema) : schema_(schema) {}

  Status AddDependency(const std::string& text) {
    Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return InvalidArgument("dependency schema is not valid JSON");
    if (j.is_object() && j.contains("name")) {
      std::string name = FullName(j, "");  // before the move below
      pending_[name] = std::move(j);
    }
    return Status::Ok();
  }

  Result<const Node*> ParseNode(const Json& j, const std::string& ns, int depth) {
    if (depth > kMaxSchemaDepth) return InvalidArgument("schema nested too deeply");
    if (j.is_string()) return ParseName(j.get<std::string>(), ns, depth);
    if (j.is_array()) return ParseUnion(j, ns, depth);
    if (!j.is_object()) return InvalidArgument("schema element is neither string, array nor object");
    if (!j.contains("type")) return InvalidArgument("schema object without \"type\"");
    const Json& t = j["type"];
    if (!t.is_string()) return ParseNode(t, ns, depth + 1);  // {"type": {...}} or {"type": [...]}
    const std::string type = t.get<std::string>();
    Type prim;
    if (IsPrimitive(type, &prim)) return NewNode(prim);
    if (type == "record" || type == "error") return ParseRecord(j, ns, depth);
    if (type == "enum") return ParseEnum(j, ns);
    if (type == "fixed") return ParseFixed(j, ns);
    if (type == "array" || type == "map") {
      const char* key = type == "array" ? "items" : "values";
      if (!j.contains(key)) return InvalidArgument(type + " without \"" + key + "\"");
      Node* node = NewNode(type == "array" ? Type::kArray : Type::kMap);
      ASSIGN_OR_RETURN(node->items, ParseNode(j[key], ns, depth + 1));
      node->min_bytes = 1;
      return static_cast<const Node*>(node);
    }
    return ParseName(type, ns, depth);
  }

  void ComputeFieldCodes() {
    for (auto& n : schema_->nodes_) {
      if (n->type != Type::kRecord) continue;
      n->field_codes.clear();
      for (const Field& f : n->fields) n->field_codes.push_back(CodeFor(*f.node));
    }
  }

  static FieldCode CodeFor(const Node& node) {
    auto plain = [](Type t, bool optional) -> FieldOp {
      switch (t) {
        case Type::kNull: return optional ? FieldOp::kGeneric : FieldOp::kNull;
        case Type::kBoolean: return optional ? FieldOp::kOptBoolean : FieldOp::kBoolean;
        case Type::kInt: return optional ? FieldOp::kOptInt : FieldOp::kInt;
        case Type::kLong: return optional ? FieldOp::kOptLong : FieldOp::kLong;
        case Type::kFloat: return optional ? FieldOp::kOptFloat : FieldOp::kFloat;
        case Type::kDouble: return optional ? FieldOp::kOptDouble : FieldOp::kDouble;
        case Type::kBytes: case Type::kString: return optional ? FieldOp::kOptBytes : FieldOp::kBytes;
        default: return FieldOp::kGeneric;
      }
    };
    if (node.type != Type::kUnion) return {plain(node.type, false), 0};
    if (node.branches.size() == 2 && node.null_branch >= 0) {
      const uint8_t value_branch = node.null_branch == 0 ? 1 : 0;
      return {plain(node.branches[value_branch]->type, true), value_branch};
    }
    return {FieldOp::kGeneric, 0};
  }

  // The fewest bytes each type can encode to, used to reject counts that cannot fit in the
  // remaining input. Records and unions may be recursive: start them at "infinity" and lower
  // them to the fixed point (each round settles at least one more node, so at most one round
  // per node). A record that stays infinite has no finite value at all (it contains itself
  // with no way out) and is rejected.
  Status ComputeMinBytes() {
    constexpr uint32_t kInfinite = UINT32_MAX;
    for (auto& n : schema_->nodes_)
      if (n->type == Type::kRecord || n->type == Type::kUnion) n->min_bytes = kInfinite;
    for (size_t round = 0; round <= schema_->nodes_.size(); ++round) {
      bool changed = false;
      for (auto& n : schema_->nodes_) {
        uint32_t m = n->min_bytes;
        if (n->type == Type::kRecord) {
          m = 0;
          for (const Field& f : n->fields) m = SaturatingAdd(m, f.node->min_bytes);
        } else if (n->type == Type::kUnion) {
          uint32_t best = kInfinite;
          for (const Node* b : n->branches) best = std::min(best, b->min_bytes);
          m = SaturatingAdd(1, best);
        }
        if (m != n->min_bytes) {
          n->min_bytes = m;
          changed = true;
        }
      }
      if (!changed) break;
    }
    for (auto& n : schema_->nodes_) {
      if (n->min_bytes == kInfinite && n->type == Type::kRecord)
        return InvalidArgument("record " + n->full_name +
                               " contains itself with no null or array branch: no finite value");
    }
    return Status::Ok();
  }

 private:
  Node* NewNode(Type type) {
    auto node = std::make_unique<Node>();
    node->type = type;
    node->id = static_cast<uint32_t>(schema_->nodes_.size());
    switch (type) {
      case Type::kBoolean: node->min_bytes = 1; break;
      case Type::kInt: case Type::kLong: node->min_bytes = 1; break;
      case Type::kFloat: node->min_bytes = 4; break;
      case Type::kDouble: node->min_bytes = 8; break;
      case Type::kBytes: case Type::kString: node->min_bytes = 1; break;
      default: break;
    }
    schema_->nodes_.push_back(std::move(node));
    return schema_->nodes_.back().get();
  }

  Status Register(const std::string& full_name, const Node* node) {
    if (!schema_->named_.emplace(full_name, node).second)
      return InvalidArgument("type \"" + full_name + "\" defined twice");
    return Status::Ok();
  }

  Result<const Node*> ParseName(const std::string& name, const std::string& ns, int depth) {
    Type prim;
    if (IsPrimitive(name, &prim)) return static_cast<const Node*>(NewNode(prim));
    const std::string qualified =
        name.find('.') == std::string::npos && !ns.empty() ? ns + "." + name : name;
    for (const std::string& candidate : {qualified, name}) {
      auto it = schema_->named_.find(candidate);
      if (it != schema_->named_.end()) return it->second;
    }
    for (const std::string& candidate : {qualified, name}) {
      auto it = pending_.find(candidate);
      if (it != pending_.end()) {
        Json doc = std::move(it->second);
        pending_.erase(it);
        return ParseNode(doc, "", depth + 1);
      }
    }
    return InvalidArgument("unknown type \"" + name + "\"");
  }

  Result<const Node*> ParseUnion(const Json& j, const std::string& ns, int depth) {
    Node* node = NewNode(Type::kUnion);
    for (const Json& b : j) {
      ASSIGN_OR_RETURN(const Node* branch, ParseNode(b, ns, depth + 1));
      if (branch->type == Type::kUnion) return InvalidArgument("union directly inside a union");
      if (branch->type == Type::kNull && node->null_branch < 0)
        node->null_branch = static_cast<int>(node->branches.size());
      node->branches.push_back(branch);
    }
    if (node->branches.empty()) return InvalidArgument("empty union");
    return static_cast<const Node*>(node);
  }

  Result<const Node*> ParseRecord(const Json& j, const std::string& ns, int depth) {
    if (!j.contains("name") || !j["name"].is_string()) return InvalidArgument("record without name");
    if (!j.contains("fields") || !j["fields"].is_array())
      return InvalidArgument("record without fields array");
    Node* node = NewNode(Type::kRecord);
    node->full_name = FullName(j, ns);
    RETURN_IF_ERROR(Register(node->full_name, node));
    const std::string inner_ns = NamespaceOf(node->full_name);
    for (const Json& f : j["fields"]) {
      if (!f.is_object() || !f.contains("name") || !f["name"].is_string() || !f.contains("type"))
        return InvalidArgument("record " + node->full_name + ": malformed field");
      Field field;
      field.name = f["name"].get<std::string>();
      auto parsed = ParseNode(f["type"], inner_ns, depth + 1);
      if (!parsed.ok())
        return parsed.status().WithContext("record " + node->full_name + " field " + field.name);
      field.node = *parsed;
      AppendJsonString(field.name, &field.json_key);
      field.json_key.push_back(':');
      if (!node->field_index.emplace(field.name, static_cast<uint32_t>(node->fields.size())).second)
        return InvalidArgument("record " + node->full_name + ": duplicate field " + field.name);
      node->fields.push_back(std::move(field));
    }
    return static_cast<const Node*>(node);
  }

  Result<const Node*> ParseEnum(const Json& j, const std::string& ns) {
    if (!j.contains("symbols") || !j["symbols"].is_array())
      return InvalidArgument("enum without symbols");
    Node* node = NewNode(Type::kEnum);
    node->full_name = FullName(j, ns);
    RETURN_IF_ERROR(Register(node->full_name, node));
    for (const Json& s : j["symbols"]) {
      if (!s.is_string()) return InvalidArgument("enum " + node->full_name + ": bad symbol");
      node->symbols.push_back(s.get<std::string>());
    }
    node->min_bytes = 1;
    return static_cast<const Node*>(node);
  }

  Result<const Node*> ParseFixed(const Json& j, const std::string& ns) {
    if (!j.contains("size") || !j["size"].is_number_unsigned())
      return InvalidArgument("fixed without size");
    Node* node = NewNode(Type::kFixed);
    node->full_name = FullName(j, ns);
    RETURN_IF_ERROR(Register(node->full_name, node));
    const uint64_t size = j["size"].get<uint64_t>();
    if (size > (1u << 30)) return InvalidArgument("fixed size too large");
    node->fixed_size = static_cast<uint32_t>(size);
    node->min_bytes = node->fixed_size;
    return static_cast<const Node*>(node);
  }

  Schema* schema_;
  std::unordered_map<std::string, Json> pending_;
};

std::string_view TypeName(Type type) {
  static constexpr std::string_view kNames[] = {"null",   "boolean", "int",    "long",  "float",
                                                "double", "bytes",   "string", "record", "enum",
                                                "array",  "map",     "union",  "fixed"};
  return kNames[static_cast<int>(type)];
}

int Node::FieldIndex(std::string_view name) const {
  auto it = field_index.find(name);
  return it == field_index.end() ? -1 : static_cast<int>(it->second);
}

Result<std::shared_ptr<const Schema>> Schema::Parse(std::string_view json,
                                                    const std::vector<std::string>& dependencies) {
  auto schema = std::make_shared<Schema>();
  schema->text_ = std::string(json);
  Json j = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("schema is not valid JSON");
  // nlohmann's accessors throw on type mismatches; no exception leaves this module.
  try {
    SchemaParser parser(schema.get());
    for (const std::string& dep : dependencies) RETURN_IF_ERROR(parser.AddDependency(dep));
    ASSIGN_OR_RETURN(schema->root_, parser.ParseNode(j, "", 0));
    RETURN_IF_ERROR(parser.ComputeMinBytes());
    parser.ComputeFieldCodes();
    if (j.is_object()) {
      for (const auto& [key, value] : j.items()) {
        if (value.is_string()) schema->attributes_[key] = value.get<std::string>();
        else if (value.is_number()) schema->attributes_[key] = value.dump();
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("malformed schema: ") + e.what());
  }
  return std::shared_ptr<const Schema>(std::move(schema));
}

std::string Schema::Attribute(std::string_view name) const {
  auto it = attributes_.find(std::string(name));
  return it == attributes_.end() ? "" : it->second;
}

const Node* Schema::FindNamed(std::string_view full_name) const {
  auto it = named_.find(std::string(full_name));
  return it == named_.end() ? nullptr : it->second;
}

namespace {

void AppendNodeJson(const Node& node, std::unordered_set<const Node*>* defined, std::string* out) {
  const bool named =
      node.type == Type::kRecord || node.type == Type::kEnum || node.type == Type::kFixed;
  if (named && !defined->insert(&node).second) {
    *out += Json(node.full_name).dump();
    return;
  }
  switch (node.type) {
    case Type::kRecord:
      *out += R"({"type":"record","name":)" + Json(node.full_name).dump() + R"(,"fields":[)";
      for (size_t i = 0; i < node.fields.size(); ++i) {
        if (i) *out += ',';
        *out += R"({"name":)" + Json(node.fields[i].name).dump() + R"(,"type":)";
        AppendNodeJson(*node.fields[i].node, defined, out);
        *out += '}';
      }
      *out += "]}";
      return;
    case Type::kEnum:
      *out += R"({"type":"enum","name":)" + Json(node.full_name).dump() +
              R"(,"symbols":)" + Json(node.symbols).dump() + '}';
      return;
    case Type::kFixed:
      *out += R"({"type":"fixed","name":)" + Json(node.full_name).dump() +
              R"(,"size":)" + std::to_string(node.fixed_size) + '}';
      return;
    case Type::kArray:
    case Type::kMap:
      *out += node.type == Type::kArray ? R"({"type":"array","items":)"
                                        : R"({"type":"map","values":)";
      AppendNodeJson(*node.items, defined, out);
      *out += '}';
      return;
    case Type::kUnion:
      *out += '[';
      for (size_t i = 0; i < node.branches.size(); ++i) {
        if (i) *out += ',';
        AppendNodeJson(*node.branches[i], defined, out);
      }
      *out += ']';
      return;
    default:
      *out += '"';
      *out += TypeName(node.type);
      *out += '"';
  }
}

}  // namespace

std::string NodeToJson(const Node& node) {
  std::unordered_set<const Node*> defined;
  std::string out;
  AppendNodeJson(node, &defined, &out);
  return out;
}

uint64_t Fingerprint64(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace lantern::codec
