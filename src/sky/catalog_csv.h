// Loading a Catalog from a CSV or CSV.gz file with a header row: id, ra and dec columns chosen
// by name, optional extra numeric columns kept alongside. Bad rows are errors naming the file,
// line and column. Stateless free functions; safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "sky/catalog.h"

namespace lantern::sky {

struct CsvLoadProgress {
  uint64_t rows = 0;
  uint64_t bytes_read = 0;   // of the file as stored (compressed bytes for .gz)
  uint64_t total_bytes = 0;
};

struct CsvCatalogOptions {
  std::string id_col = "id";  // empty: row index is the id
  std::string ra_col = "ra";
  std::string dec_col = "dec";
  // Numeric columns to keep, by name, in this order (e.g. a per-query radius). An empty cell
  // reads as NaN.
  std::vector<std::string> numeric_cols;
  // Called every `progress_every` rows and once at the end.
  std::function<void(const CsvLoadProgress&)> progress;
  uint64_t progress_every = 1 << 16;
};

struct CsvCatalog {
  Catalog catalog;
  std::vector<std::vector<double>> numeric;  // one vector per numeric_cols entry
};

Result<CsvCatalog> LoadCatalogCsv(const std::string& path, const CsvCatalogOptions& options);

// The header row of a CSV or CSV.gz file.
Result<std::vector<std::string>> ReadCsvHeader(const std::string& path);

}  // namespace lantern::sky
