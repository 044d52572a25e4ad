// Watchlist: a user's list of named cones (target position and radius up to 30′), matched
// against batches of alert positions, as Lasair's watchlists are. The cones are indexed by a
// TargetIndex (radius classes, each with its own ZoneIndex), so lists that mix 1″ and 30′
// radii stay fast. Built once, then immutable: Match may be called from any number of threads.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "sky/catalog.h"
#include "sky/target_index.h"
#include "sky/zones.h"

namespace lantern::sky {

// Largest cone radius a watchlist target may have (Lasair's limit).
inline constexpr double kMaxWatchRadiusArcsec = 1800.0;
// Radius given to targets that state none (the CSV loader's `radius` column left empty or
// absent), unless the caller chooses another.
inline constexpr double kDefaultWatchRadiusArcsec = 2.0;

struct WatchTarget {
  std::string name;
  double ra_deg = 0.0;
  double dec_deg = 0.0;
  double radius_arcsec = kDefaultWatchRadiusArcsec;  // in (0, kMaxWatchRadiusArcsec]
};

// One alert inside one target's cone: the alert's index in the batch, the target's index in
// the watchlist (its order on input), their separation.
struct WatchHit {
  uint32_t alert = 0;
  uint32_t target = 0;
  double sep_arcsec = 0.0;
  bool operator==(const WatchHit&) const = default;
};

class Watchlist {
 public:
  Watchlist() = default;
  // Validates every target (finite ra, |dec| <= 90, radius in (0, 1800]); errors name the
  // target by index and name.
  static Result<Watchlist> Build(int64_t id, std::string name, std::vector<WatchTarget> targets);

  // Every (alert, target) pair with the alert inside the target's cone, ordered by alert, then
  // separation, then target. Errors name the first invalid alert position.
  Result<std::vector<WatchHit>> Match(std::span<const SkyPoint> alerts) const;

  int64_t id() const { return id_; }
  const std::string& name() const { return name_; }
  const std::vector<WatchTarget>& targets() const { return targets_; }
  const TargetIndex& index() const { return index_; }

 private:
  int64_t id_ = 0;
  std::string name_;
  std::vector<WatchTarget> targets_;
  TargetIndex index_;
};

// Reads targets from a CSV or CSV.gz file with a header row naming at least `name`, `ra` and
// `dec` (degrees) and optionally `radius` (arcsec; an empty cell takes default_radius_arcsec),
// as Lasair's watchlist upload files are. Column names are matched case-insensitively and
// extra columns are ignored. Errors name the file, line and column.
Result<std::vector<WatchTarget>> LoadWatchTargetsCsv(
    const std::string& path, double default_radius_arcsec = kDefaultWatchRadiusArcsec);
// The same from text already in memory (`source` names it in errors).
Result<std::vector<WatchTarget>> ParseWatchTargetsCsv(
    std::string text, double default_radius_arcsec = kDefaultWatchRadiusArcsec,
    const std::string& source = "<watchlist>");

}  // namespace lantern::sky
