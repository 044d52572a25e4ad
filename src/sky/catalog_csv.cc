#include "sky/catalog_csv.h"

#include <charconv>
#include <cmath>
#include <fmt/format.h>
#include <limits>

#include "sky/csv.h"

namespace lantern::sky {
namespace {

bool ParseDouble(const std::string& s, double* out) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  if (b < e && s[b] == '+') ++b;
  const auto [p, ec] = std::from_chars(s.data() + b, s.data() + e, *out);
  return ec == std::errc() && p == s.data() + e && b < e;
}

bool ParseInt(const std::string& s, int64_t* out) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

}  // namespace

Result<std::vector<std::string>> ReadCsvHeader(const std::string& path) {
  ASSIGN_OR_RETURN(auto reader, CsvReader::Open(path));
  std::vector<std::string> header;
  ASSIGN_OR_RETURN(const bool any, reader->Next(&header));
  if (!any) return InvalidArgument(fmt::format("{}: empty file, expected a header row", path));
  return header;
}

Result<CsvCatalog> LoadCatalogCsv(const std::string& path, const CsvCatalogOptions& options) {
  ASSIGN_OR_RETURN(auto reader, CsvReader::Open(path));
  std::vector<std::string> header;
  ASSIGN_OR_RETURN(const bool any, reader->Next(&header));
  if (!any) return InvalidArgument(fmt::format("{}: empty file, expected a header row", path));
  const bool has_id = !options.id_col.empty();
  size_t id_i = 0;
  if (has_id) {
    ASSIGN_OR_RETURN(id_i, FindColumn(header, options.id_col, path));
  }
  ASSIGN_OR_RETURN(const size_t ra_i, FindColumn(header, options.ra_col, path));
  ASSIGN_OR_RETURN(const size_t dec_i, FindColumn(header, options.dec_col, path));
  std::vector<size_t> num_i;
  for (const std::string& name : options.numeric_cols) {
    ASSIGN_OR_RETURN(const size_t i, FindColumn(header, name, path));
    num_i.push_back(i);
  }

  std::vector<double> ra, dec;
  std::vector<std::vector<double>> numeric(num_i.size());
  std::string id_chars;
  std::vector<uint64_t> id_offsets{0};
  std::vector<int64_t> int_ids;
  bool all_int = has_id;
  CsvLoadProgress progress;
  progress.total_bytes = reader->total_bytes();
  std::vector<std::string> row;
  for (;;) {
    ASSIGN_OR_RETURN(const bool more, reader->Next(&row));
    if (!more) break;
    const uint64_t line = reader->line();
    if (row.size() != header.size()) {
      return InvalidArgument(fmt::format("{}: line {}: {} fields, but the header has {}", path,
                                         line, row.size(), header.size()));
    }
    auto number = [&](size_t col, bool allow_empty, double* out) -> Status {
      if (allow_empty && row[col].empty()) {
        *out = std::numeric_limits<double>::quiet_NaN();
        return Status::Ok();
      }
      if (!ParseDouble(row[col], out) || !std::isfinite(*out)) {
        return InvalidArgument(fmt::format("{}: line {}: column '{}': '{}' is not a finite number",
                                           path, line, header[col], row[col]));
      }
      return Status::Ok();
    };
    double r = 0, d = 0;
    RETURN_IF_ERROR(number(ra_i, false, &r));
    RETURN_IF_ERROR(number(dec_i, false, &d));
    if (d < -90.0 || d > 90.0) {
      return InvalidArgument(fmt::format("{}: line {}: column '{}': dec {} is outside [-90, 90]",
                                         path, line, header[dec_i], row[dec_i]));
    }
    ra.push_back(r);
    dec.push_back(d);
    for (size_t k = 0; k < num_i.size(); ++k) {
      double v = 0;
      RETURN_IF_ERROR(number(num_i[k], true, &v));
      numeric[k].push_back(v);
    }
    if (has_id) {
      const std::string& id = row[id_i];
      if (all_int) {
        int64_t v = 0;
        if (ParseInt(id, &v)) {
          int_ids.push_back(v);
        } else {
          all_int = false;
        }
      }
      id_chars += id;
      id_offsets.push_back(id_chars.size());
    }
    if (options.progress && ++progress.rows % options.progress_every == 0) {
      progress.bytes_read = reader->bytes_consumed();
      options.progress(progress);
    }
  }
  progress.rows = ra.size();
  progress.bytes_read = progress.total_bytes;
  if (options.progress) options.progress(progress);

  IdColumn ids;
  if (has_id) {
    ids = all_int ? IdColumn::Ints(std::move(int_ids))
                  : IdColumn::Packed(std::move(id_chars), std::move(id_offsets));
  }
  ASSIGN_OR_RETURN(Catalog catalog,
                   Catalog::FromPositions(std::move(ra), std::move(dec), std::move(ids)));
  return CsvCatalog{std::move(catalog), std::move(numeric)};
}

}  // namespace lantern::sky
