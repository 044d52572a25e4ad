// The O(N·M) double-precision reference crossmatch that tests compare indexes against. Pairs
// are chosen by the same predicate as ZoneIndex (chord² on the catalog's unit vectors), while
// separations come from the haversine formula on (ra, dec), independently of the chord path.
// Output order matches ZoneIndex. Stateless; safe from any thread.
#pragma once

#include <span>
#include <vector>

#include "sky/catalog.h"
#include "sky/zones.h"

namespace lantern::sky {

// radii_arcsec holds one radius for all queries, or one per query.
std::vector<Match> BruteForceAll(const Catalog& catalog, std::span<const SkyPoint> queries,
                                 std::span<const double> radii_arcsec);
std::vector<Match> BruteForceNearest(const Catalog& catalog, std::span<const SkyPoint> queries,
                                     std::span<const double> radii_arcsec);

}  // namespace lantern::sky
