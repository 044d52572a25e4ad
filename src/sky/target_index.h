// TargetIndex: catalog positions that each carry their own match radius (watchlist cones,
// bright-star halos, galaxy extents), matched against batches of alert positions. Targets are
// grouped into radius classes (radii within a factor of kClassRatio of each other); each class
// has its own ZoneIndex, whose zone height is at least the class's largest radius, and is
// queried with that radius; each candidate is then kept only if it lies within its own
// target's radius, by the module's predicate chord² <= ChordSqFromRadians(r). Adjacent classes
// are merged while the merge costs fewer extra candidates per alert than the fixed cost of
// querying one more class (a sparse list with radii 1″..1800″ becomes one class; a dense
// catalog of 1″ targets keeps its own class apart from a few 30′ ones).
// Built once, then immutable: const methods are safe from any number of threads.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "sky/catalog.h"
#include "sky/zones.h"

namespace lantern::sky {

class TargetIndex {
 public:
  struct Options {
    // Radii of one initial class lie in (2^k, 2^(k+1)] arcsec (radii <= 1″ form one class).
    // Adjacent classes merge while the targets moved up would add at most this many expected
    // candidates per alert (uniform sky); 0 keeps every class apart (tests use it).
    double merge_candidates = 16.0;
  };

  TargetIndex() = default;
  // radii_arcsec[i] is the radius of catalog row i, in [0, kMaxRadiusArcsec]; NaN leaves the
  // row out of the index. Errors name the first bad radius.
  static Result<TargetIndex> Build(const Catalog& catalog, std::span<const double> radii_arcsec,
                                   const Options& options);
  static Result<TargetIndex> Build(const Catalog& catalog, std::span<const double> radii_arcsec) {
    return Build(catalog, radii_arcsec, Options());
  }

  // Every (alert, row) pair within the row's radius, ordered by alert index, then separation,
  // then row; Match::query is the alert's index in the batch. Errors name the first invalid
  // alert position.
  Result<std::vector<Match>> Within(std::span<const SkyPoint> alerts) const;

  size_t size() const { return indexed_; }
  size_t num_classes() const { return classes_.size(); }
  // Largest radius of class c (arcsec) and its number of targets.
  double class_max_radius(size_t c) const { return classes_[c].max_radius_arcsec; }
  size_t class_size(size_t c) const { return classes_[c].rows.size(); }
  size_t MemoryBytes() const;

 private:
  struct RadiusClass {
    double max_radius_arcsec = 0.0;
    std::vector<uint32_t> rows;  // class row -> catalog row
    ZoneIndex index;
  };

  std::vector<RadiusClass> classes_;
  // Per catalog row: unit vector and chord² of its radius (the exact per-target test).
  std::vector<double> x_, y_, z_, chord_sq_;
  size_t indexed_ = 0;
};

}  // namespace lantern::sky
