#include "sky/sky_index.h"

#include <fmt/format.h>

#include "sky/healpix_index.h"
#include "sky/htm_index.h"

namespace lantern::sky {
namespace {

// ZoneIndex behind the SkyIndex interface, unchanged (its hot loops stay non-virtual).
class ZoneSkyIndex final : public SkyIndex {
 public:
  explicit ZoneSkyIndex(ZoneIndex index) : index_(std::move(index)) {}

  IndexKind kind() const override {
    return index_.layout() == ZoneLayout::kZones2d ? IndexKind::kZones2d : IndexKind::kZones1d;
  }
  size_t size() const override { return index_.size(); }
  size_t MemoryBytes() const override { return index_.MemoryBytes(); }
  std::string Describe() const override {
    return fmt::format("zone height {:.4f} deg ({} zones)", index_.zone_height_deg(),
                       index_.num_zones());
  }

 private:
  // One radius goes to ZoneIndex's scalar overload; with exactly one query both overloads mean
  // the same.
  Result<std::vector<Match>> RunAllWithin(std::span<const SkyPoint> queries,
                                          std::span<const double> radii) const override {
    return radii.size() == 1 ? index_.AllWithin(queries, radii[0])
                             : index_.AllWithin(queries, radii);
  }
  Result<std::vector<Match>> RunNearestWithin(std::span<const SkyPoint> queries,
                                              std::span<const double> radii) const override {
    return radii.size() == 1 ? index_.NearestWithin(queries, radii[0])
                             : index_.NearestWithin(queries, radii);
  }

  ZoneIndex index_;
};

Status CheckRadiiCount(size_t radii, size_t queries) {
  if (radii == queries) return Status::Ok();
  return InvalidArgument(fmt::format("{} radii for {} queries", radii, queries));
}

}  // namespace

std::string_view IndexKindName(IndexKind kind) {
  switch (kind) {
    case IndexKind::kZones2d:
      return "zones2d";
    case IndexKind::kZones1d:
      return "zones1d";
    case IndexKind::kHtm:
      return "htm";
    case IndexKind::kHealpix:
      return "healpix";
  }
  return "unknown";
}

Result<IndexKind> ParseIndexKind(std::string_view name) {
  for (const IndexKind kind : kAllIndexKinds) {
    if (IndexKindName(kind) == name) return kind;
  }
  return InvalidArgument(
      fmt::format("unknown index '{}'; expected zones2d, zones1d, htm or healpix", name));
}

Result<std::vector<Match>> SkyIndex::AllWithin(std::span<const SkyPoint> queries,
                                               std::span<const double> radii_arcsec) const {
  RETURN_IF_ERROR(CheckRadiiCount(radii_arcsec.size(), queries.size()));
  return RunAllWithin(queries, radii_arcsec);
}

Result<std::vector<Match>> SkyIndex::NearestWithin(std::span<const SkyPoint> queries,
                                                   std::span<const double> radii_arcsec) const {
  RETURN_IF_ERROR(CheckRadiiCount(radii_arcsec.size(), queries.size()));
  return RunNearestWithin(queries, radii_arcsec);
}

Result<std::unique_ptr<SkyIndex>> BuildIndex(const Catalog& catalog, IndexKind kind,
                                             const SkyIndexOptions& options) {
  switch (kind) {
    case IndexKind::kZones2d:
    case IndexKind::kZones1d: {
      ZoneIndexOptions zo;
      zo.layout = kind == IndexKind::kZones2d ? ZoneLayout::kZones2d : ZoneLayout::kZones1d;
      zo.zone_height_deg = options.zone_height_deg;
      zo.sources_per_cell = options.sources_per_cell;
      ASSIGN_OR_RETURN(ZoneIndex ix, ZoneIndex::Build(catalog, zo));
      return std::unique_ptr<SkyIndex>(std::make_unique<ZoneSkyIndex>(std::move(ix)));
    }
    case IndexKind::kHtm: {
      ASSIGN_OR_RETURN(HtmIndex ix,
                       HtmIndex::Build(catalog, {options.htm_level, options.sources_per_cell}));
      return std::unique_ptr<SkyIndex>(std::make_unique<HtmIndex>(std::move(ix)));
    }
    case IndexKind::kHealpix: {
      ASSIGN_OR_RETURN(HealpixIndex ix, HealpixIndex::Build(
                                            catalog, {options.healpix_order,
                                                      options.sources_per_cell}));
      return std::unique_ptr<SkyIndex>(std::make_unique<HealpixIndex>(std::move(ix)));
    }
  }
  return InvalidArgument("unknown index kind");
}

}  // namespace lantern::sky
