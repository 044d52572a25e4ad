// Built catalog files (.lcat) and LoadedCatalog, a catalog ready to match: its ZoneIndex, ids,
// positions and kept columns. BuildLcat turns a CSV/CSV.gz into a .lcat once; OpenCatalog maps
// a .lcat (nothing parsed: the index arrays are used in place, only the header is checksummed
// and the sizes and index offsets checked) or parses a CSV and builds the index.
// A LoadedCatalog is immutable; const methods are safe from any number of threads.
//
// File layout (little-endian, version 1): a header (magic "LCAT\r\n\x1a\n", version, header
// size, rows, file size, zones, id type, a table of sections {role, offset, bytes, name},
// column names, FNV-1a 64 checksum of the header) and then 64-byte aligned sections. Rows are
// stored in the index's (zone, ra) order, so a catalog row is a sorted position: x, y, z
// (double, the hot data read by queries), zone and cell offsets (uint32), ra, dec (double),
// ids (int64, or uint64 offsets + characters) and each kept column (double, int64 or strings).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sky/catalog_csv.h"
#include "sky/zones.h"

namespace lantern::sky {

enum class ColumnType { kDouble, kInt64, kString };

// A read-only column view; strings are chars[offsets[i], offsets[i + 1]).
struct ColumnView {
  std::string name;
  ColumnType type = ColumnType::kDouble;
  std::span<const double> doubles;
  std::span<const int64_t> ints;
  std::span<const uint64_t> offsets;
  std::string_view chars;

  // Cell `row` as text ("" for NaN doubles). An out-of-range string offset in a damaged file
  // reads as "" (string columns are not scanned when a file is opened).
  std::string CellString(size_t row) const;
  std::string_view String(size_t row) const;
};

struct LcatBuildOptions {
  std::string id_col = "id";  // empty: the input row number (from 0) is the id
  std::string ra_col = "ra";
  std::string dec_col = "dec";
  // Columns kept alongside, by name. Each is stored as int64 when every cell is an integer,
  // else as double when every cell is a number or empty (NaN), else as strings.
  std::vector<std::string> keep;
  double sources_per_cell = kDefaultSourcesPerCell;
  std::function<void(const CsvLoadProgress&)> progress;
};

struct LcatBuildStats {
  uint64_t rows = 0;
  uint64_t file_bytes = 0;
  uint64_t hot_bytes = 0;  // x, y, z and the zone/cell directory: what queries read
};

Result<LcatBuildStats> BuildLcat(const std::string& csv_path, const std::string& out_path,
                                 const LcatBuildOptions& options);

struct OpenCatalogOptions {
  ZoneLayout layout = ZoneLayout::kZones2d;
  // CSV only (a .lcat knows its columns): which columns hold id, ra, dec, and numeric columns
  // to keep (as double).
  std::string id_col = "id";
  std::string ra_col = "ra";
  std::string dec_col = "dec";
  std::vector<std::string> numeric_cols;
  std::function<void(const CsvLoadProgress&)> progress;  // CSV loading
};

class LoadedCatalog {
 public:
  size_t size() const { return ra_.size(); }
  // Rows as the index numbers them (Match::row): file order for .lcat, input order for CSV.
  const ZoneIndex& index() const { return index_; }
  std::span<const double> ra() const { return ra_; }
  std::span<const double> dec() const { return dec_; }
  bool has_ids() const { return has_ids_; }
  const ColumnView& ids() const { return ids_; }
  // The id of `row` as text; the row number when a CSV catalog has no id column.
  std::string IdString(size_t row) const;
  const std::vector<ColumnView>& columns() const { return columns_; }
  // Index into columns() or -1.
  int FindColumn(std::string_view name) const;
  bool mapped() const { return mapped_; }
  uint64_t file_bytes() const { return file_bytes_; }
  uint64_t hot_bytes() const { return hot_bytes_; }

 private:
  friend Result<LoadedCatalog> OpenLcat(const std::string& path, ZoneLayout layout);
  friend Result<LoadedCatalog> OpenCatalog(const std::string& path,
                                           const OpenCatalogOptions& options);

  std::shared_ptr<const void> storage_;  // the mapping or the parsed CSV
  ZoneIndex index_;
  std::span<const double> ra_, dec_;
  bool has_ids_ = false;
  ColumnView ids_;
  std::vector<ColumnView> columns_;
  bool mapped_ = false;
  uint64_t file_bytes_ = 0;
  uint64_t hot_bytes_ = 0;
};


// True when the file starts with the .lcat magic.
bool IsLcatFile(const std::string& path);
// Maps a .lcat file; errors name the file and what is wrong (magic, version, checksum, size).
Result<LoadedCatalog> OpenLcat(const std::string& path, ZoneLayout layout = ZoneLayout::kZones2d);
// A .lcat (by its magic) or a CSV/CSV.gz.
Result<LoadedCatalog> OpenCatalog(const std::string& path, const OpenCatalogOptions& options = {});

}  // namespace lantern::sky
