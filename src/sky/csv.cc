#include "sky/csv.h"

#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <zlib.h>

namespace lantern::sky {
namespace {
constexpr size_t kChunk = 1 << 20;
}  // namespace

Result<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return IoError(fmt::format("{}: {}", path, ec.message()));
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) return IoError(fmt::format("{}: cannot open", path));
  gzbuffer(gz, 1 << 18);
  std::unique_ptr<CsvReader> r(new CsvReader());
  r->name_ = path;
  r->gz_ = gz;
  r->total_bytes_ = size;
  r->buf_.resize(kChunk);
  return r;
}

std::unique_ptr<CsvReader> CsvReader::FromString(std::string text, std::string name) {
  std::unique_ptr<CsvReader> r(new CsvReader());
  r->name_ = std::move(name);
  r->end_ = text.size();
  r->total_bytes_ = text.size();
  r->buf_ = std::move(text);
  return r;
}

CsvReader::~CsvReader() {
  if (gz_ != nullptr) gzclose(static_cast<gzFile>(gz_));
}

bool CsvReader::Refill() {
  if (gz_ == nullptr || read_error_) return false;
  const int n = gzread(static_cast<gzFile>(gz_), buf_.data(), static_cast<unsigned>(buf_.size()));
  if (n < 0) read_error_ = true;
  pos_ = 0;
  end_ = n > 0 ? static_cast<size_t>(n) : 0;
  return end_ > 0;
}

uint64_t CsvReader::bytes_consumed() const {
  if (gz_ == nullptr) return pos_;
  const z_off_t off = gzoffset(static_cast<gzFile>(gz_));
  return off < 0 ? 0 : static_cast<uint64_t>(off);
}

Result<bool> CsvReader::Next(std::vector<std::string>* fields) {
  size_t n = 0;
  auto field = [&]() -> std::string& {
    if (fields->size() <= n) fields->emplace_back();
    return (*fields)[n];
  };
  // Skip blank lines between records.
  for (;;) {
    const int c = Peek();
    if (c == '\n') {
      Get();
      ++line_;
    } else if (c == '\r') {
      Get();
    } else {
      break;
    }
  }
  if (Peek() < 0) {
    if (read_error_) return IoError(fmt::format("{}: read error near line {}", name_, line_));
    return false;
  }
  record_line_ = line_;
  for (;;) {
    std::string& f = field();
    f.clear();
    int c = Get();
    if (c == '"') {
      for (;;) {
        c = Get();
        if (c < 0) {
          return InvalidArgument(fmt::format(
              "{}: line {}: quoted field is not closed before end of file", name_, record_line_));
        }
        if (c == '"') {
          if (Peek() == '"') {
            Get();
            f.push_back('"');
            continue;
          }
          break;
        }
        if (c == '\n') ++line_;
        f.push_back(static_cast<char>(c));
      }
      c = Get();
      if (c == '\r' && Peek() == '\n') c = Get();
      if (c != ',' && c != '\n' && c >= 0) {
        return InvalidArgument(fmt::format(
            "{}: line {}: unexpected character '{}' after a closing quote in field {}", name_,
            line_, static_cast<char>(c), n + 1));
      }
    } else {
      while (c >= 0 && c != ',' && c != '\n') {
        if (c == '"') {
          return InvalidArgument(fmt::format(
              "{}: line {}: quote inside unquoted field {}", name_, line_, n + 1));
        }
        f.push_back(static_cast<char>(c));
        c = Get();
      }
      if (c != ',' && !f.empty() && f.back() == '\r') f.pop_back();
    }
    ++n;
    if (c == ',') continue;
    if (c == '\n') ++line_;
    break;
  }
  fields->resize(n);
  if (read_error_) return IoError(fmt::format("{}: read error near line {}", name_, line_));
  return true;
}

Result<size_t> FindColumn(const std::vector<std::string>& header, const std::string& name,
                          const std::string& file) {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return NotFound(fmt::format("{}: no column '{}' in header (columns: {})", file, name,
                              fmt::join(header, ",")));
}

}  // namespace lantern::sky
