// Test-only access to the real alert files under ../shared/data: where they live (env
// LANTERN_SHARED_DATA, which ctest sets from the CMake cache variable of the same name), whole
// file reads into the shared buffers the decoders take, and the MANIFEST.csv files that list
// every alert file with the values of its first record. Header-only; used by tests and the
// fuzzer, never by the library. Stateless free functions; safe from any thread.
#pragma once

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/file.h"
#include "core/status.h"

namespace lantern::codec::test_data {

// The shared data directory, or "" when LANTERN_SHARED_DATA is unset.
inline std::string SharedDataDir() {
  const char* dir = std::getenv("LANTERN_SHARED_DATA");
  return dir == nullptr ? "" : dir;
}

// Reads a whole file into the shared buffer that PacketDecoder and AlertDecoder take.
inline Result<std::shared_ptr<const std::string>> ReadShared(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return std::make_shared<const std::string>(std::move(bytes));
}

// One CSV row: column name → field text.
using CsvRow = std::map<std::string, std::string, std::less<>>;

// Parses RFC 4180 CSV whose first line names the columns. A field may be quoted ("..."), in
// which case it may contain commas, line breaks and doubled quotes (""); lines end in \n or
// \r\n. Every row must have as many fields as the header.
inline Result<std::vector<CsvRow>> ParseCsv(std::string_view text) {
  std::vector<std::vector<std::string>> lines;
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;  // inside a quoted field
  bool any = false;     // the current line has content (so a final line without \n counts)
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        quoted = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        if (!field.empty())
          return InvalidArgument("CSV byte " + std::to_string(i) +
                                 ": quote inside an unquoted field");
        quoted = any = true;
        break;
      case ',':
        fields.push_back(std::move(field));
        field.clear();
        any = true;
        break;
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') break;
        field += c;
        any = true;
        break;
      case '\n':
        fields.push_back(std::move(field));
        field.clear();
        lines.push_back(std::move(fields));
        fields.clear();
        any = false;
        break;
      default:
        field += c;
        any = true;
    }
  }
  if (quoted) return InvalidArgument("CSV ends inside a quoted field");
  if (any) {
    fields.push_back(std::move(field));
    lines.push_back(std::move(fields));
  }
  if (lines.empty()) return InvalidArgument("CSV has no header line");
  std::vector<CsvRow> rows;
  for (size_t r = 1; r < lines.size(); ++r) {
    if (lines[r].size() != lines[0].size())
      return InvalidArgument("CSV line " + std::to_string(r + 1) + " has " +
                             std::to_string(lines[r].size()) + " fields, the header " +
                             std::to_string(lines[0].size()));
    CsvRow row;
    for (size_t c = 0; c < lines[0].size(); ++c) row.emplace(lines[0][c], std::move(lines[r][c]));
    rows.push_back(std::move(row));
  }
  return rows;
}

inline Result<std::vector<CsvRow>> ReadCsv(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto rows = ParseCsv(text);
  if (!rows.ok()) return rows.status().WithContext(path);
  return rows;
}

}  // namespace lantern::codec::test_data
