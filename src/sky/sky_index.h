// SkyIndex: one interface over the crossmatch indexes of src/sky — zones with a 2-D RA-cell
// directory or a 1-D RA search (zones.h), HTM trixels (htm_index.h) and nested HEALPix pixels
// (healpix_index.h) — selected by IndexKind, so that which index to use is decided by
// measurement (bench/sky_bench.cc). Every kind returns the same pairs in the same order with the
// same validation errors: the contract of ZoneIndex in zones.h. Built once, then immutable:
// const queries are safe from any number of threads.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sky/catalog.h"
#include "sky/zones.h"

namespace lantern::sky {

enum class IndexKind { kZones2d, kZones1d, kHtm, kHealpix };

inline constexpr std::array<IndexKind, 4> kAllIndexKinds = {
    IndexKind::kZones2d, IndexKind::kZones1d, IndexKind::kHtm, IndexKind::kHealpix};

// "zones2d", "zones1d", "htm", "healpix".
std::string_view IndexKindName(IndexKind kind);
Result<IndexKind> ParseIndexKind(std::string_view name);

// Resolution of every kind; 0 or -1 picks it from the catalog's density so that a cell holds
// about `sources_per_cell` sources on average.
struct SkyIndexOptions {
  double sources_per_cell = kDefaultSourcesPerCell;
  double zone_height_deg = 0.0;  // zones: see ZoneIndexOptions
  int htm_level = -1;            // HTM: 0..kMaxCellLevel
  int healpix_order = -1;        // HEALPix: 0..kMaxCellLevel
};

// Finest HTM level / HEALPix order an index may use (cells of about 0.2″).
inline constexpr int kMaxCellLevel = 20;

class SkyIndex {
 public:
  virtual ~SkyIndex() = default;

  // As ZoneIndex: every row within the radius, ordered by query index, then separation, then
  // row; "within r" is chord² <= ChordSqFromRadians(r). Errors name the first invalid query.
  Result<std::vector<Match>> AllWithin(std::span<const SkyPoint> queries,
                                       double radius_arcsec) const {
    return RunAllWithin(queries, std::span<const double>(&radius_arcsec, 1));
  }
  Result<std::vector<Match>> AllWithin(std::span<const SkyPoint> queries,
                                       std::span<const double> radii_arcsec) const;
  // The nearest row within the radius per query (ties: lowest row), by query index.
  Result<std::vector<Match>> NearestWithin(std::span<const SkyPoint> queries,
                                           double radius_arcsec) const {
    return RunNearestWithin(queries, std::span<const double>(&radius_arcsec, 1));
  }
  Result<std::vector<Match>> NearestWithin(std::span<const SkyPoint> queries,
                                           std::span<const double> radii_arcsec) const;
  // Everything within the radius of one position, nearest first (query index 0).
  Result<std::vector<Match>> Cone(SkyPoint center, double radius_arcsec) const {
    return AllWithin(std::span<const SkyPoint>(&center, 1), radius_arcsec);
  }

  virtual IndexKind kind() const = 0;
  std::string_view name() const { return IndexKindName(kind()); }
  virtual size_t size() const = 0;
  // Bytes held by the index (sorted arrays and directories).
  virtual size_t MemoryBytes() const = 0;
  // The resolution chosen, for logs, e.g. "zone height 0.4063 deg" or "level 7".
  virtual std::string Describe() const = 0;

 protected:
  // radii holds one radius for every query or exactly one per query.
  virtual Result<std::vector<Match>> RunAllWithin(std::span<const SkyPoint> queries,
                                                  std::span<const double> radii) const = 0;
  virtual Result<std::vector<Match>> RunNearestWithin(std::span<const SkyPoint> queries,
                                                      std::span<const double> radii) const = 0;
};

// Builds an index of `kind` over `catalog` (which need not outlive it). Fails on options out of
// range or a catalog of 2^32 - 1 rows or more.
Result<std::unique_ptr<SkyIndex>> BuildIndex(const Catalog& catalog, IndexKind kind,
                                             const SkyIndexOptions& options = {});

}  // namespace lantern::sky
