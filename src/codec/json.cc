#include "codec/json.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include <fmt/compile.h>
#include <fmt/format.h>

namespace lantern::codec {
namespace {

// Numbers are formatted into a stack buffer and appended once: the insert streams print ~100
// numbers per row (bench/outputs_bench BM_RowJson). Integers by std::to_chars.
template <typename T>
void AppendFormatted(T v, std::string* out) {
  char buffer[40];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  out->append(buffer, result.ptr);
}

// NaN and the infinities as strings, finite values as the shortest text that reads back the
// same: fmt's Dragonbox with a compiled format (no format-string parsing at run time), 1.2×
// std::to_chars's speed on ZTF rows (BM_RowJson, 2026-12-07). At most 32 characters.
template <typename T>
char* WriteFloating(T v, char* p) {
  if (std::isnan(v)) return fmt::format_to(p, FMT_COMPILE("\"NaN\""));
  if (std::isinf(v)) {
    return v > 0 ? fmt::format_to(p, FMT_COMPILE("\"Infinity\""))
                 : fmt::format_to(p, FMT_COMPILE("\"-Infinity\""));
  }
  return fmt::format_to(p, FMT_COMPILE("{}"), v);
}

template <typename T>
void AppendFloating(T v, std::string* out) {
  char buffer[40];
  out->append(buffer, WriteFloating(v, buffer));
}

// The JSON escape of c, or an empty view when c is written as itself.
std::string_view EscapeOf(char c) {
  switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return {};
  }
}

}  // namespace

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{static_cast<uint8_t>(bytes[i])} << 16) |
                       (uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8) |
                       uint32_t{static_cast<uint8_t>(bytes[i + 2])};
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (i + 1 < bytes.size()) v |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t run = 0;  // start of the characters not yet appended (copied in runs)
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    if (const std::string_view escape = EscapeOf(c); !escape.empty()) {
      out->append(escape);
    } else {
      char buffer[8];
      const auto result =
          fmt::format_to_n(buffer, sizeof buffer, "\\u{:04x}", static_cast<unsigned>(c));
      out->append(buffer, result.out);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendJsonNumber(double d, std::string* out) { AppendFloating(d, out); }

void AppendJson(const Value& v, std::string* out) {
  switch (v.type()) {
    case Type::kNull: out->append("null"); return;
    case Type::kBoolean: out->append(v.AsBool() ? "true" : "false"); return;
    case Type::kInt: case Type::kLong: AppendFormatted(v.AsLong(), out); return;
    case Type::kFloat: AppendFloating(v.AsFloat(), out); return;
    case Type::kDouble: AppendFloating(v.AsDouble(), out); return;
    case Type::kString: AppendJsonString(v.AsString(), out); return;
    case Type::kEnum: AppendJsonString(v.AsEnum(), out); return;
    case Type::kBytes: case Type::kFixed: AppendJsonString(Base64(v.AsString()), out); return;
    case Type::kRecord: {
      out->push_back('{');
      for (uint32_t i = 0; i < v.FieldCount(); ++i) {
        if (i) out->push_back(',');
        out->append(v.node().fields[i].json_key);
        AppendJson(v.FieldAt(i), out);
      }
      out->push_back('}');
      return;
    }
    case Type::kArray: {
      out->push_back('[');
      for (uint32_t i = 0; i < v.Size(); ++i) {
        if (i) out->push_back(',');
        AppendJson(v.At(i), out);
      }
      out->push_back(']');
      return;
    }
    case Type::kMap: {
      out->push_back('{');
      for (uint32_t i = 0; i < v.Size(); ++i) {
        if (i) out->push_back(',');
        AppendJsonString(v.KeyAt(i), out);
        out->push_back(':');
        AppendJson(v.ValueAt(i), out);
      }
      out->push_back('}');
      return;
    }
    case Type::kUnion: return;
  }
}

void AppendJsonFieldsSkippingNulls(const Value& record, bool (*keep)(std::string_view name),
                                   std::string* out) {
  // Fields are written into a stack buffer and appended to `out` in a few large pieces:
  // std::string's append and push_back are out-of-line calls into libstdc++ (it is an extern
  // template), which cost as much as the formatting for short fields.
  char buffer[4096];
  size_t used = 0;
  auto flush = [&] {
    out->append(buffer, used);
    used = 0;
  };
  const Node& node = record.node();
  const FieldCode* codes = node.field_codes.data();
  for (uint32_t i = 0; i < record.FieldCount(); ++i) {
    const FieldCode code = codes[i];
    const Slot& s = record.FieldSlot(i);
    const bool present = s.branch == code.value_branch;  // the kOpt* opcodes
    Type type;
    switch (code.op) {
      case FieldOp::kNull: continue;
      case FieldOp::kOptBoolean: if (!present) continue; [[fallthrough]];
      case FieldOp::kBoolean: type = Type::kBoolean; break;
      case FieldOp::kOptInt: case FieldOp::kOptLong: if (!present) continue; [[fallthrough]];
      case FieldOp::kInt: case FieldOp::kLong: type = Type::kLong; break;
      case FieldOp::kOptFloat: if (!present) continue; [[fallthrough]];
      case FieldOp::kFloat: type = Type::kFloat; break;
      case FieldOp::kOptDouble: if (!present) continue; [[fallthrough]];
      case FieldOp::kDouble: type = Type::kDouble; break;
      default: type = Type::kUnion; break;  // strings, bytes, nested values: through a Value
    }
    const Field& field = node.fields[i];
    if (keep != nullptr && !keep(field.name)) continue;
    const std::string_view key = field.json_key;
    constexpr size_t kLongestScalar = 32;  // "false", an int64, the shortest float text
    if (type == Type::kUnion || key.size() + 1 + kLongestScalar > sizeof buffer - used) {
      flush();
      const Value v = record.FieldAt(i);
      if (v.type() == Type::kNull) continue;
      out->push_back(',');
      out->append(key);
      AppendJson(v, out);
      continue;
    }
    char* p = buffer + used;
    *p++ = ',';
    std::memcpy(p, key.data(), key.size());
    p += key.size();
    char* const limit = p + kLongestScalar;
    switch (type) {
      case Type::kBoolean: p = fmt::format_to(p, FMT_COMPILE("{}"), s.i != 0); break;
      case Type::kLong: p = std::to_chars(p, limit, s.i).ptr; break;
      case Type::kFloat: p = WriteFloating(s.f, p); break;
      default: p = WriteFloating(s.d, p); break;
    }
    used = static_cast<size_t>(p - buffer);
  }
  flush();
}

}  // namespace lantern::codec
