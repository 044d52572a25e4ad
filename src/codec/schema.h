// Avro schemas: parsed from JSON text into an immutable tree of Nodes that the decoder,
// encoder and JSON printer walk. Mapping is by field name (each record keeps a name → index
// table), so records renamed by re-serialisers (Spark's `topLevelRecord`) work the same.
// Writer schemas as real producers emit them are accepted: field defaults are kept as text
// and never validated (ZTF 1.x and some 4.01 files carry union defaults that the Avro spec
// forbids). A Schema is immutable after Parse and safe to share between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/string_hash.h"

namespace lantern::codec {

enum class Type : uint8_t {
  kNull, kBoolean, kInt, kLong, kFloat, kDouble, kBytes, kString,
  kRecord, kEnum, kArray, kMap, kUnion, kFixed
};
std::string_view TypeName(Type type);

struct Node;

// How the decoder reads one record field: a precomputed opcode so the common shapes
// (primitives and ["null", primitive] unions) decode without recursion.
enum class FieldOp : uint8_t {
  kNull, kBoolean, kInt, kLong, kFloat, kDouble, kBytes,
  kOptBoolean, kOptInt, kOptLong, kOptFloat, kOptDouble, kOptBytes,  // two-branch null unions
  kGeneric,
};

struct FieldCode {
  FieldOp op = FieldOp::kGeneric;
  uint8_t value_branch = 0;  // kOpt*: the branch index of the non-null type
};

struct Field {
  std::string name;
  const Node* node = nullptr;
  std::string json_key;  // the name as a JSON object key: quoted, escaped, then ':'
};

struct Node {
  Type type = Type::kNull;
  std::string full_name;                 // records, enums, fixed
  std::vector<Field> fields;             // records
  // Records: name → position.
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> field_index;
  std::vector<const Node*> branches;     // unions
  int null_branch = -1;                  // unions: index of the "null" branch, -1 if none
  const Node* items = nullptr;           // arrays (items) and maps (values)
  std::vector<std::string> symbols;      // enums
  uint32_t fixed_size = 0;               // fixed
  uint32_t min_bytes = 0;                // fewest bytes any encoding of this type takes
  uint32_t id = 0;                       // position in Schema::nodes()
  std::vector<FieldCode> field_codes;    // records: one per field, for the decoder

  // Index of field `name`, or -1.
  int FieldIndex(std::string_view name) const;
};

// A standalone schema document for `node` (named types defined at first use, referenced by
// full name after that; no defaults, docs or logical types: only what decoding needs). Lets a
// part of a packet, such as one detection record, be stored with its own schema.
std::string NodeToJson(const Node& node);

// 64-bit FNV-1a of `text`: a stable content key for schema documents.
uint64_t Fingerprint64(std::string_view text);

class Schema {
 public:
  // Parses a schema. `dependencies` are other schema documents (as in a schema folder where
  // one .avsc file per named type refers to the others by full name); they are parsed on
  // demand when the main document names a type it does not define.
  static Result<std::shared_ptr<const Schema>> Parse(
      std::string_view json, const std::vector<std::string>& dependencies = {});

  const Node& root() const { return *root_; }
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  const std::string& text() const { return text_; }
  // A top-level string attribute such as "version" (ZTF) or "doc"; empty when absent.
  std::string Attribute(std::string_view name) const;
  // Finds a named type by full name; nullptr if absent.
  const Node* FindNamed(std::string_view full_name) const;

 private:
  friend class SchemaParser;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unordered_map<std::string, const Node*> named_;
  std::unordered_map<std::string, std::string> attributes_;
  const Node* root_ = nullptr;
  std::string text_;
};

}  // namespace lantern::codec
