// The crossmatch stage's annotators over src/sky: the context classifier (catalogues →
// Sherlock-style context, as JSON with Lasair's sherlock_classifications column names) and
// watchlists. Plus the embedded default's demo sky: a catalogue and a watchlist generated
// around the objects of the simulated stream, so `lantern run` shows matches out of the box.
// Immutable after construction; safe from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pipeline/level1.h"
#include "sky/context.h"
#include "sky/watchlist.h"
#include "stream/simulator.h"

namespace lantern::pipeline {

class SkyContextAnnotator final : public ContextAnnotator {
 public:
  explicit SkyContextAnnotator(sky::ContextClassifier classifier)
      : classifier_(std::move(classifier)) {}
  void Annotate(std::span<const sky::SkyPoint> positions,
                std::vector<std::string>* context_json) const override;
  const sky::ContextClassifier& classifier() const { return classifier_; }

 private:
  sky::ContextClassifier classifier_;
};

// Context as JSON: {"classification", "association_type", "catalogue_table_name",
// "catalogue_object_id", "catalogue_object_type", "separationArcsec", "northSeparationArcsec",
// "eastSeparationArcsec", "z", "distance", "physical_separation_kpc", "Mag", "MagFilter",
// "major_axis_arcsec", "description", "raDeg", "decDeg"}; "" for ORPHAN.
std::string ContextJson(const sky::Context& context);

class SkyWatchlistMatcher final : public WatchlistMatcher {
 public:
  explicit SkyWatchlistMatcher(sky::Watchlist watchlist) : watchlist_(std::move(watchlist)) {}
  void Match(std::span<const sky::SkyPoint> positions,
             std::vector<WatchlistHit>* hits) const override;
  const sky::Watchlist& watchlist() const { return watchlist_; }

 private:
  sky::Watchlist watchlist_;
};

struct DemoSky {
  std::vector<sky::ContextCatalog> catalogs;  // "demo_galaxies", "demo_stars", "demo_qso"
  std::vector<sky::WatchTarget> watchlist;
};
// Looks at the first `prescan` alerts the simulator would produce and places a host galaxy a
// few arcsec from each transient, a star under each variable, a quasar under each AGN, plus
// `background` random galaxies and stars; the watchlist holds every 20th object (3″) and some
// wide random cones.
Result<DemoSky> MakeDemoSky(const stream::SimulatorOptions& options, size_t prescan,
                            size_t background);

}  // namespace lantern::pipeline
