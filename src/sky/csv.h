// CsvReader: a streaming RFC-4180 reader over a plain or gzip-compressed file (zlib reads
// both transparently) or an in-memory string. Quoted fields may hold commas, doubled quotes and
// line breaks; LF and CRLF line endings are accepted. Errors name the line. One reader per
// thread; not copyable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace lantern::sky {

class CsvReader {
 public:
  static Result<std::unique_ptr<CsvReader>> Open(const std::string& path);
  static std::unique_ptr<CsvReader> FromString(std::string text, std::string name = "<string>");
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record into `fields` (resized to its field count). Returns false at the end
  // of the input. Blank lines are skipped.
  Result<bool> Next(std::vector<std::string>* fields);

  // 1-based line on which the record last returned by Next started.
  uint64_t line() const { return record_line_; }
  // Bytes of the underlying file consumed so far (compressed bytes for .gz) and its size.
  uint64_t bytes_consumed() const;
  uint64_t total_bytes() const { return total_bytes_; }
  const std::string& name() const { return name_; }

 private:
  CsvReader() = default;
  bool Refill();
  // -1 at end of input.
  int Get() {
    if (pos_ == end_ && !Refill()) return -1;
    return static_cast<unsigned char>(buf_[pos_++]);
  }
  int Peek() {
    if (pos_ == end_ && !Refill()) return -1;
    return static_cast<unsigned char>(buf_[pos_]);
  }

  std::string name_;
  void* gz_ = nullptr;  // gzFile, kept opaque so zlib stays out of this header
  std::string buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  uint64_t line_ = 1;
  uint64_t record_line_ = 0;
  uint64_t total_bytes_ = 0;
  bool read_error_ = false;
};

// Index of `name` in `header`, or NotFound naming the file and the columns that exist.
Result<size_t> FindColumn(const std::vector<std::string>& header, const std::string& name,
                          const std::string& file);

}  // namespace lantern::sky
