// The alert simulator: a realistic, deterministic stream of alerts in Lantern's own schema
// (schemas/lantern/alert.avsc), so the main job and the tests need no third-party files.
// Objects of four classes — supernova-like transients (rise and exponential decline),
// periodic variable stars, AGN-like stochastic variables (damped random walk) and moving
// objects (one detection each, never at the same place) — are observed on a nightly cadence
// in the survey's bands; each alert carries the object's earlier detections, non-detection
// limits (ZTF-like) or forced photometry (Rubin-like), and three FITS cutouts with a PSF-like
// source (gzipped for ZTF). Single-threaded; same seed, same stream.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "codec/schema.h"
#include "core/status.h"

namespace lantern::stream {

struct SimulatorOptions {
  alert::Survey survey = alert::Survey::kZtf;
  uint64_t seed = 1;
  double start_mjd = 61000.0;     // first night
  int cutout_size = 63;           // pixels per side (ZTF 63; Rubin stamps are similar)
  bool cutouts = true;
  int max_history = 30;           // earlier detections carried per alert (ZTF: 30 days)
};

class Simulator {
 public:
  explicit Simulator(SimulatorOptions options);
  ~Simulator();  // defined where Object is complete

  // The next alert's encoded datum (Lantern schema) and its true class.
  Result<std::string> NextDatum(std::string* sim_class = nullptr);
  const std::shared_ptr<const codec::Schema>& schema() const { return schema_; }

  // Writes `count` alerts as an Avro container file (null codec), calling `progress` every
  // 1000 alerts.
  static Status WriteFile(const SimulatorOptions& options, uint64_t count, const std::string& path,
                          const std::function<void(uint64_t)>& progress = {});

 private:
  struct Epoch;
  struct Object;
  void NewObject(double mjd);
  std::string ObjectName(uint64_t n) const;

  SimulatorOptions opt_;
  std::mt19937_64 rng_;
  // Pixel noise has its own generator, so the stream of objects and epochs is the same with
  // and without cutouts (the demo sky is planned from a stream without them).
  std::mt19937_64 stamp_rng_;
  std::shared_ptr<const codec::Schema> schema_;
  std::vector<std::unique_ptr<Object>> objects_;
  double now_;
  uint64_t next_object_ = 0;
  uint64_t next_source_ = 0;
};

}  // namespace lantern::stream
