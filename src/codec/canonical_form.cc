#include "codec/canonical_form.h"

#include <array>
#include <unordered_set>

#include <nlohmann/json.hpp>

namespace lantern::codec {
namespace {

// Names and symbols are JSON strings; nlohmann writes non-ASCII as UTF-8, as PCF's [STRINGS]
// rule asks.
void AppendQuoted(std::string_view s, std::string* out) {
  *out += nlohmann::json(s).dump();
}

void AppendCanonical(const Node& node, std::unordered_set<const Node*>* defined,
                     std::string* out) {
  const bool named =
      node.type == Type::kRecord || node.type == Type::kEnum || node.type == Type::kFixed;
  if (named && !defined->insert(&node).second) {
    AppendQuoted(node.full_name, out);
    return;
  }
  switch (node.type) {
    case Type::kRecord:
      *out += R"({"name":)";
      AppendQuoted(node.full_name, out);
      *out += R"(,"type":"record","fields":[)";
      for (size_t i = 0; i < node.fields.size(); ++i) {
        if (i) *out += ',';
        *out += R"({"name":)";
        AppendQuoted(node.fields[i].name, out);
        *out += R"(,"type":)";
        AppendCanonical(*node.fields[i].node, defined, out);
        *out += '}';
      }
      *out += "]}";
      return;
    case Type::kEnum:
      *out += R"({"name":)";
      AppendQuoted(node.full_name, out);
      *out += R"(,"type":"enum","symbols":[)";
      for (size_t i = 0; i < node.symbols.size(); ++i) {
        if (i) *out += ',';
        AppendQuoted(node.symbols[i], out);
      }
      *out += "]}";
      return;
    case Type::kFixed:
      *out += R"({"name":)";
      AppendQuoted(node.full_name, out);
      *out += R"(,"type":"fixed","size":)" + std::to_string(node.fixed_size) + '}';
      return;
    case Type::kArray:
    case Type::kMap:
      *out += node.type == Type::kArray ? R"({"type":"array","items":)"
                                        : R"({"type":"map","values":)";
      AppendCanonical(*node.items, defined, out);
      *out += '}';
      return;
    case Type::kUnion:
      *out += '[';
      for (size_t i = 0; i < node.branches.size(); ++i) {
        if (i) *out += ',';
        AppendCanonical(*node.branches[i], defined, out);
      }
      *out += ']';
      return;
    default:
      *out += '"';
      *out += TypeName(node.type);
      *out += '"';
  }
}

constexpr uint64_t kEmpty64 = 0xc15d213aa4d7a795ull;

constexpr std::array<uint64_t, 256> MakeTable() {
  std::array<uint64_t, 256> table{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t fp = i;
    for (int j = 0; j < 8; ++j) fp = (fp >> 1) ^ (kEmpty64 & (0 - (fp & 1)));
    table[i] = fp;
  }
  return table;
}

constexpr std::array<uint64_t, 256> kTable = MakeTable();

}  // namespace

std::string CanonicalForm(const Node& node) {
  std::unordered_set<const Node*> defined;
  std::string out;
  AppendCanonical(node, &defined, &out);
  return out;
}

uint64_t AvroFingerprint64(std::string_view canonical) {
  uint64_t fp = kEmpty64;
  for (unsigned char c : canonical) fp = (fp >> 8) ^ kTable[(fp ^ c) & 0xff];
  return fp;
}

std::string FingerprintHex(uint64_t fingerprint) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    const unsigned b = (fingerprint >> (8 * i)) & 0xff;
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace lantern::codec
