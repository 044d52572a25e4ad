// Moc: an IVOA MOC 2.0 spatial coverage (HEALPix NESTED cells of orders 0..29) held as sorted,
// disjoint, non-adjacent half-open ranges of order-29 cells, read from the ASCII, JSON and FITS
// (NUNIQ or RANGE) serialisations and written back as ASCII or JSON. Watchmap names a Moc.
// Immutable after parsing; const methods are safe from any number of threads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sky/zones.h"

namespace lantern::sky {

inline constexpr int kMocMaxOrder = 29;
// Cells at order 29: 12 · 4^29.
inline constexpr uint64_t kMocCells29 = uint64_t{12} << (2 * kMocMaxOrder);

enum class MocFormat { kAscii, kJson, kFits };

// Cells [begin, end) at order 29.
struct MocRange {
  uint64_t begin = 0;
  uint64_t end = 0;
  bool operator==(const MocRange&) const = default;
};

class Moc {
 public:
  Moc() = default;

  // Sorts and merges `ranges` (order 29, overlaps allowed). Every bound must lie on the cell
  // grid of `max_order` (a multiple of 4^(29 - max_order)) and within the sphere.
  static Result<Moc> FromRanges(std::vector<MocRange> ranges, int max_order);

  // "3/1-3 10 4/20 5/": orders and cell numbers or ranges, separated by spaces, newlines or
  // commas; an order with no cells ("5/") only raises the MOC's order. Errors name the byte.
  static Result<Moc> ParseAscii(std::string_view text);
  // {"3":[1,2,3],"4":[20],"5":[]}. Errors name the byte or the key.
  static Result<Moc> ParseJson(std::string_view text);
  // A FITS file in memory whose first extension is a binary table with one integer column:
  // NUNIQ cells (ORDERING = NUNIQ, the MOC 1.x default) or MOC 2.0 RANGE pairs at order 29;
  // the order from MOCORD_S or MOCORDER. Errors name the keyword or row.
  static Result<Moc> ParseFits(std::string_view bytes);
  // Detects the format by content: FITS starts with "SIMPLE", JSON with '{' (after
  // whitespace), anything else is ASCII.
  static MocFormat DetectFormat(std::string_view bytes);
  static Result<Moc> Parse(std::string_view bytes);

  // Whether the order-29 cell holding (ra, dec) in degrees is covered. Positions outside the
  // sphere (non-finite, |dec| > 90) are not.
  bool Contains(double ra_deg, double dec_deg) const;
  // flags->at(i) = Contains(points[i]); the flags vector is resized to points.size().
  void ContainsBatch(std::span<const SkyPoint> points, std::vector<uint8_t>* flags) const;

  // The covered area in square degrees.
  double AreaDeg2() const;
  // The order the MOC was given at (the deepest order its serialisation names).
  int max_order() const { return max_order_; }
  std::span<const MocRange> ranges() const { return ranges_; }
  bool empty() const { return ranges_.empty(); }

  // Serialisations at max_order(), each cell at the lowest order that holds it; parsing the
  // text gives back an equal Moc.
  std::string ToAscii() const;
  std::string ToJson() const;

  bool operator==(const Moc&) const = default;

 private:
  // For each order 0..max_order, the cells of the minimal decomposition, ascending.
  std::vector<std::vector<uint64_t>> CellsByOrder() const;

  std::vector<MocRange> ranges_;
  int max_order_ = 0;
};

// The order-29 NESTED HEALPix cell holding (ra, dec) in degrees (healpix_cxx).
uint64_t HealpixNested29(double ra_deg, double dec_deg);

// A MOC users watch: alerts inside it are tagged with its id.
struct Watchmap {
  int64_t id = 0;
  std::string name;
  Moc moc;
};

// Reads a MOC file in any of the three formats (DetectFormat); errors name the file.
Result<Moc> LoadMoc(const std::string& path);
Result<Watchmap> LoadWatchmap(const std::string& path, int64_t id, std::string name);

}  // namespace lantern::sky
