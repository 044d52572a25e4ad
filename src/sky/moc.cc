#include "sky/moc.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <fitsio.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <healpix_base.h>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "sky/geometry.h"

namespace lantern::sky {
namespace {

constexpr double kSkyAreaDeg2 = 4.0 * std::numbers::pi * kRadToDeg * kRadToDeg;

// Order-29 cells per cell of `order`, as a shift.
int Shift(int order) { return 2 * (kMocMaxOrder - order); }
uint64_t CellsAt(int order) { return uint64_t{12} << (2 * order); }

// Parses an unsigned decimal that is the whole of `s`.
bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Adds cells [first, last] of `order` as an order-29 range, or says what is wrong.
Status AddCells(int order, uint64_t first, uint64_t last, std::vector<MocRange>* out) {
  if (first > last) return InvalidArgument(fmt::format("range {}-{} is decreasing", first, last));
  if (last >= CellsAt(order)) {
    return InvalidArgument(
        fmt::format("cell {} does not exist at order {} (0..{})", last, order, CellsAt(order) - 1));
  }
  out->push_back({first << Shift(order), (last + 1) << Shift(order)});
  return Status::Ok();
}

// cfitsio's description of a status code.
std::string FitsError(int status) {
  char text[FLEN_STATUS] = {};
  fits_get_errstatus(status, text);
  return fmt::format("{} (cfitsio status {})", text, status);
}

struct FitsCloser {
  void operator()(fitsfile* f) const {
    int status = 0;
    fits_close_file(f, &status);
  }
};

// An integer header keyword, if present.
Result<std::optional<long long>> ReadIntKey(fitsfile* f, const char* key) {
  long long v = 0;
  int status = 0;
  fits_read_key(f, TLONGLONG, key, &v, nullptr, &status);
  if (status == KEY_NO_EXIST) return std::optional<long long>();
  if (status != 0) {
    return InvalidArgument(fmt::format("MOC FITS: keyword {}: {}", key, FitsError(status)));
  }
  return std::optional<long long>(v);
}

Result<std::optional<std::string>> ReadStringKey(fitsfile* f, const char* key) {
  char v[FLEN_VALUE] = {};
  int status = 0;
  fits_read_key(f, TSTRING, key, v, nullptr, &status);
  if (status == KEY_NO_EXIST) return std::optional<std::string>();
  if (status != 0) {
    return InvalidArgument(fmt::format("MOC FITS: keyword {}: {}", key, FitsError(status)));
  }
  return std::optional<std::string>(v);
}

}  // namespace

uint64_t HealpixNested29(double ra_deg, double dec_deg) {
  static const T_Healpix_Base<int64_t> kBase(kMocMaxOrder, NEST);
  const UnitVector v = FromRaDec(ra_deg, dec_deg);
  return static_cast<uint64_t>(kBase.vec2pix(vec3(v.x, v.y, v.z)));
}

Result<Moc> Moc::FromRanges(std::vector<MocRange> ranges, int max_order) {
  if (max_order < 0 || max_order > kMocMaxOrder) {
    return InvalidArgument(fmt::format("MOC order {} is outside 0..{}", max_order, kMocMaxOrder));
  }
  const uint64_t grid = (uint64_t{1} << Shift(max_order)) - 1;
  for (const MocRange& r : ranges) {
    if (r.begin > r.end || r.end > kMocCells29) {
      return InvalidArgument(fmt::format("MOC range [{}, {}) at order 29 is not within [0, {}]",
                                         r.begin, r.end, kMocCells29));
    }
    if ((r.begin & grid) != 0 || (r.end & grid) != 0) {
      return InvalidArgument(fmt::format(
          "MOC range [{}, {}) at order 29 is not on the grid of order {}", r.begin, r.end,
          max_order));
    }
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const MocRange& a, const MocRange& b) { return a.begin < b.begin; });
  Moc moc;
  moc.max_order_ = max_order;
  for (const MocRange& r : ranges) {
    if (r.begin == r.end) continue;
    if (!moc.ranges_.empty() && r.begin <= moc.ranges_.back().end) {
      moc.ranges_.back().end = std::max(moc.ranges_.back().end, r.end);
    } else {
      moc.ranges_.push_back(r);
    }
  }
  return moc;
}

Result<Moc> Moc::ParseAscii(std::string_view text) {
  std::vector<MocRange> ranges;
  int order = -1;
  int max_order = 0;
  size_t i = 0;
  auto is_sep = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ','; };
  while (i < text.size()) {
    if (is_sep(text[i])) {
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < text.size() && !is_sep(text[i])) ++i;
    std::string_view token = text.substr(start, i - start);
    auto error = [&](std::string_view what) {
      return InvalidArgument(fmt::format("MOC ASCII: byte {}: '{}': {}", start, token, what));
    };
    const size_t slash = token.find('/');
    if (slash != std::string_view::npos) {
      uint64_t o = 0;
      if (!ParseU64(token.substr(0, slash), &o) || o > kMocMaxOrder) {
        return error(fmt::format("expected an order 0..{} before '/'", kMocMaxOrder));
      }
      order = static_cast<int>(o);
      max_order = std::max(max_order, order);
      token = token.substr(slash + 1);
      if (token.empty()) continue;
    }
    if (order < 0) return error("cells before any 'order/'");
    const size_t dash = token.find('-');
    uint64_t first = 0, last = 0;
    const bool ok = dash == std::string_view::npos
                        ? ParseU64(token, &first) && (last = first, true)
                        : ParseU64(token.substr(0, dash), &first) &&
                              ParseU64(token.substr(dash + 1), &last);
    if (!ok) return error("expected a cell number or a range 'first-last'");
    const Status st = AddCells(order, first, last, &ranges);
    if (!st.ok()) return error(st.message());
  }
  return FromRanges(std::move(ranges), max_order);
}

Result<Moc> Moc::ParseJson(std::string_view text) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return InvalidArgument(fmt::format("MOC JSON: byte {}: {}", e.byte, e.what()));
  }
  if (!doc.is_object()) {
    return InvalidArgument("MOC JSON: expected an object of order -> [cells]");
  }
  std::vector<MocRange> ranges;
  int max_order = 0;
  for (const auto& [key, cells] : doc.items()) {
    uint64_t o = 0;
    if (!ParseU64(key, &o) || o > kMocMaxOrder) {
      return InvalidArgument(
          fmt::format("MOC JSON: key \"{}\": expected an order 0..{}", key, kMocMaxOrder));
    }
    if (!cells.is_array()) {
      return InvalidArgument(fmt::format("MOC JSON: key \"{}\": expected an array of cells", key));
    }
    const int order = static_cast<int>(o);
    max_order = std::max(max_order, order);
    for (size_t k = 0; k < cells.size(); ++k) {
      const nlohmann::json& c = cells[k];
      if (!c.is_number_unsigned()) {
        return InvalidArgument(fmt::format(
            "MOC JSON: key \"{}\", element {}: {} is not a cell number", key, k, c.dump()));
      }
      const uint64_t cell = c.get<uint64_t>();
      const Status st = AddCells(order, cell, cell, &ranges);
      if (!st.ok()) {
        return InvalidArgument(
            fmt::format("MOC JSON: key \"{}\", element {}: {}", key, k, st.message()));
      }
    }
  }
  return FromRanges(std::move(ranges), max_order);
}

Result<Moc> Moc::ParseFits(std::string_view bytes) {
  // cfitsio reads from a buffer it may grow; give it a private copy.
  std::string copy(bytes);
  void* buffer = copy.data();
  size_t size = copy.size();
  fitsfile* raw = nullptr;
  int status = 0;
  fits_open_memfile(&raw, "moc.fits", READONLY, &buffer, &size, 0, nullptr, &status);
  if (status != 0) {
    if (raw != nullptr) FitsCloser()(raw);
    return InvalidArgument(fmt::format("MOC FITS: not a readable FITS file: {}",
                                       FitsError(status)));
  }
  std::unique_ptr<fitsfile, FitsCloser> f(raw);
  int hdu_type = 0;
  fits_movabs_hdu(f.get(), 2, &hdu_type, &status);
  if (status != 0 || hdu_type != BINARY_TBL) {
    return InvalidArgument(fmt::format("MOC FITS: HDU 2 is not a binary table{}",
                                       status != 0 ? ": " + FitsError(status) : ""));
  }
  ASSIGN_OR_RETURN(const auto dim, ReadStringKey(f.get(), "MOCDIM"));
  if (dim && *dim != "SPACE") {
    return InvalidArgument(fmt::format("MOC FITS: MOCDIM = '{}'; only SPACE MOCs are read", *dim));
  }
  ASSIGN_OR_RETURN(const auto ordering_key, ReadStringKey(f.get(), "ORDERING"));
  const std::string ordering = ordering_key.value_or("NUNIQ");
  if (ordering != "NUNIQ" && ordering != "RANGE") {
    return InvalidArgument(
        fmt::format("MOC FITS: ORDERING = '{}'; expected NUNIQ or RANGE", ordering));
  }
  ASSIGN_OR_RETURN(auto order_key, ReadIntKey(f.get(), "MOCORD_S"));
  if (!order_key) {
    ASSIGN_OR_RETURN(order_key, ReadIntKey(f.get(), "MOCORDER"));
  }
  if (order_key && (*order_key < 0 || *order_key > kMocMaxOrder)) {
    return InvalidArgument(
        fmt::format("MOC FITS: order keyword {} is outside 0..{}", *order_key, kMocMaxOrder));
  }
  int ncols = 0;
  long long nrows = 0;
  int type = 0;
  long repeat = 0, width = 0;
  fits_get_num_cols(f.get(), &ncols, &status);
  fits_get_num_rowsll(f.get(), &nrows, &status);
  if (status == 0 && ncols >= 1) fits_get_coltype(f.get(), 1, &type, &repeat, &width, &status);
  if (status != 0) return InvalidArgument(fmt::format("MOC FITS: table: {}", FitsError(status)));
  if (ncols != 1 || repeat != 1 || (type != TLONGLONG && type != TLONG && type != TINT)) {
    return InvalidArgument(fmt::format(
        "MOC FITS: expected one scalar 32- or 64-bit integer column, found {} column(s), first of "
        "type code {} repeat {}", ncols, type, repeat));
  }
  // Bound the allocation by the input: each row takes at least 4 bytes of the file.
  if (nrows < 0 || static_cast<uint64_t>(nrows) > bytes.size() / 4) {
    return InvalidArgument(
        fmt::format("MOC FITS: NAXIS2 = {} rows do not fit in {} bytes", nrows, bytes.size()));
  }
  std::vector<long long> values(nrows);
  int any_null = 0;
  if (nrows > 0) {
    fits_read_col(f.get(), TLONGLONG, 1, 1, 1, nrows, nullptr, values.data(), &any_null, &status);
  }
  if (status != 0) return InvalidArgument(fmt::format("MOC FITS: data: {}", FitsError(status)));

  std::vector<MocRange> ranges;
  int max_order = order_key ? static_cast<int>(*order_key) : 0;
  if (ordering == "RANGE") {
    if (!order_key) max_order = kMocMaxOrder;
    if (nrows % 2 != 0) {
      return InvalidArgument(fmt::format("MOC FITS: RANGE table has an odd row count {}", nrows));
    }
    for (long long r = 0; r < nrows; r += 2) {
      if (values[r] < 0 || values[r + 1] < values[r] ||
          static_cast<uint64_t>(values[r + 1]) > kMocCells29) {
        return InvalidArgument(fmt::format("MOC FITS: rows {}-{}: [{}, {}) is not a range of "
                                           "order-29 cells", r + 1, r + 2, values[r], values[r + 1]));
      }
      ranges.push_back({static_cast<uint64_t>(values[r]), static_cast<uint64_t>(values[r + 1])});
    }
  } else {
    for (long long r = 0; r < nrows; ++r) {
      const long long u = values[r];
      // uniq = 4 · 4^order + cell, with cell < 12 · 4^order.
      const int order = u >= 4 ? (std::bit_width(static_cast<uint64_t>(u)) - 3) / 2 : -1;
      if (order < 0 || order > kMocMaxOrder) {
        return InvalidArgument(fmt::format("MOC FITS: row {}: {} is not a NUNIQ cell", r + 1, u));
      }
      if (order_key && order > max_order) {
        return InvalidArgument(fmt::format("MOC FITS: row {}: cell of order {} is deeper than "
                                           "the header's order {}", r + 1, order, max_order));
      }
      max_order = std::max(max_order, order);
      const uint64_t cell = static_cast<uint64_t>(u) - (uint64_t{4} << (2 * order));
      RETURN_IF_ERROR(AddCells(order, cell, cell, &ranges));
    }
  }
  auto moc = FromRanges(std::move(ranges), max_order);
  if (!moc.ok()) return moc.status().WithContext("MOC FITS");
  return moc;
}

MocFormat Moc::DetectFormat(std::string_view bytes) {
  if (bytes.starts_with("SIMPLE")) return MocFormat::kFits;
  const size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && bytes[first] == '{') return MocFormat::kJson;
  return MocFormat::kAscii;
}

Result<Moc> Moc::Parse(std::string_view bytes) {
  switch (DetectFormat(bytes)) {
    case MocFormat::kFits:
      return ParseFits(bytes);
    case MocFormat::kJson:
      return ParseJson(bytes);
    case MocFormat::kAscii:
      break;
  }
  return ParseAscii(bytes);
}

bool Moc::Contains(double ra_deg, double dec_deg) const {
  if (!std::isfinite(ra_deg) || !(dec_deg >= -90.0 && dec_deg <= 90.0)) return false;
  const uint64_t cell = HealpixNested29(ra_deg, dec_deg);
  // The last range starting at or before the cell.
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), cell,
                             [](uint64_t c, const MocRange& r) { return c < r.begin; });
  return it != ranges_.begin() && cell < std::prev(it)->end;
}

void Moc::ContainsBatch(std::span<const SkyPoint> points, std::vector<uint8_t>* flags) const {
  flags->resize(points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    (*flags)[i] = Contains(points[i].ra_deg, points[i].dec_deg) ? 1 : 0;
  }
}

double Moc::AreaDeg2() const {
  uint64_t cells = 0;
  for (const MocRange& r : ranges_) cells += r.end - r.begin;
  return static_cast<double>(cells) / static_cast<double>(kMocCells29) * kSkyAreaDeg2;
}

std::vector<std::vector<uint64_t>> Moc::CellsByOrder() const {
  std::vector<std::vector<uint64_t>> cells(max_order_ + 1);
  for (MocRange r : ranges_) {
    while (r.begin < r.end) {
      // The largest cell that starts at r.begin and fits; bounds lie on the max_order grid,
      // so max_order always fits.
      for (int o = 0; o <= max_order_; ++o) {
        const uint64_t size = uint64_t{1} << Shift(o);
        if (r.begin % size == 0 && r.end - r.begin >= size) {
          cells[o].push_back(r.begin >> Shift(o));
          r.begin += size;
          break;
        }
      }
    }
  }
  for (auto& c : cells) std::sort(c.begin(), c.end());
  return cells;
}

std::string Moc::ToAscii() const {
  const auto cells = CellsByOrder();
  std::string out;
  for (int o = 0; o <= max_order_; ++o) {
    const auto& c = cells[o];
    if (c.empty() && o != max_order_) continue;
    if (!out.empty()) out += ' ';
    out += fmt::format("{}/", o);
    for (size_t i = 0; i < c.size();) {
      size_t j = i;
      while (j + 1 < c.size() && c[j + 1] == c[j] + 1) ++j;
      if (i > 0) out += ' ';
      out += j == i ? fmt::format("{}", c[i]) : fmt::format("{}-{}", c[i], c[j]);
      i = j + 1;
    }
  }
  return out + '\n';
}

std::string Moc::ToJson() const {
  const auto cells = CellsByOrder();
  std::string out = "{";
  for (int o = 0; o <= max_order_; ++o) {
    if (cells[o].empty() && o != max_order_) continue;
    if (out.size() > 1) out += ',';
    out += fmt::format("\"{}\":[{}]", o, fmt::join(cells[o], ","));
  }
  return out + "}\n";
}

Result<Moc> LoadMoc(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string bytes, ReadFile(path));
  auto moc = Moc::Parse(bytes);
  if (!moc.ok()) return moc.status().WithContext(path);
  return moc;
}

Result<Watchmap> LoadWatchmap(const std::string& path, int64_t id, std::string name) {
  ASSIGN_OR_RETURN(Moc moc, LoadMoc(path));
  return Watchmap{id, std::move(name), std::move(moc)};
}

}  // namespace lantern::sky
