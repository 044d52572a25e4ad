#include "codec/json.h"

#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace lantern::codec {
namespace {

// Numbers are formatted into a stack buffer by std::to_chars (the shortest text that reads
// back as the same value) and appended once: the insert streams print
// ~100 numbers per row, and fmt::format_to_n parses its format string on every call
// (bench/outputs_bench BM_RowJson).
template <typename T>
void AppendFormatted(T v, std::string* out) {
  char buffer[40];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  out->append(buffer, result.ptr);
}

template <typename T>
void AppendFloating(T v, std::string* out) {
  if (std::isnan(v)) {
    out->append("\"NaN\"");
  } else if (std::isinf(v)) {
    out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    AppendFormatted(v, out);
  }
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

}  // namespace lantern::codec
