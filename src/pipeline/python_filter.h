// Python filter functions: a user's `def filter(alert) -> bool | dict` run over batches of
// alerts in sandboxed worker processes (python_sandbox.h, python/lantern_filter/worker.py).
// PythonFilter keeps a small pool of workers for one function; a worker that crashes, hangs,
// exceeds a limit, breaks the protocol or tries to leave the sandbox disables the whole filter
// with a recorded reason, and every later Run fails fast. Thread-safe: Run may be called from
// many threads at once (each call borrows one worker).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alert/alert.h"
#include "core/status.h"
#include "features/light_curve.h"
#include "pipeline/level1.h"
#include "pipeline/python_sandbox.h"

namespace lantern::pipeline {

// What the function said about one alert: no match, a match, or a match with an annotation
// (a JSON object).
struct PythonResult {
  bool match = false;
  nlohmann::ordered_json annotation;  // null unless the function returned a dict
};

// One alert as a function receives it, in two parts so that the worker can leave the bulky
// packet unparsed unless the function reads it (docs/filters.md "Python functions"):
//   head:   {"survey","objectId","alertId","ra","dec" (the object's mean position),
//            "features":{Lasair columns},"context":{…}|null,"watchlists":[{"wl_id","name",
//            "arcsec"}],"lightcurve":[{mjd,band,flux,fluxErr,mag,magErr,sourceId}…],
//            "candidate":{the triggering detection: ZTF candidate / Rubin diaSource}|null}
//   packet: {the packet's top-level fields without cutouts} (JSON text; "null" if none)
struct PythonAlert {
  std::string head;
  std::string packet;
};
// `hits` are this alert's watchlist hits.
PythonAlert MakePythonAlert(const ProcessedAlert& alert,
                            std::span<const WatchlistHit* const> hits);
// The head with "alert": packet added — one JSON object per alert, as `lantern filter alerts`
// prints them and the local runner (lantern_filter.run) reads them.
std::string AlertJson(const PythonAlert& alert);

class PythonFilter {
 public:
  // `name` ("owner/name") labels tracebacks; `source` is the Python text defining filter().
  PythonFilter(std::string name, std::string source, SandboxLimits limits, size_t max_workers = 2);
  ~PythonFilter();

  // Starts a worker and loads the source (a syntax error or a missing filter() disables).
  Status Check();
  // One result per alert. A failure disables the filter and returns a status whose message is
  // the reason.
  Result<std::vector<PythonResult>> Run(std::span<const PythonAlert> alerts);

  bool disabled() const;
  std::string reason() const;  // why it was disabled; "" while enabled
  const std::string& source() const { return source_; }

 private:
  struct Worker;
  Result<std::unique_ptr<Worker>> Borrow();
  void Return(std::unique_ptr<Worker> worker);
  Status Disable(const Status& why);

  const std::string name_, source_;
  const SandboxLimits limits_;
  const size_t max_workers_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Worker>> idle_;
  size_t live_ = 0;
  std::string reason_;
};

// Pieces shared with the SQL filters' messages: the light curve as a JSON array of
// {mjd, band, flux, fluxErr, mag, magErr, sourceId}, and the packet's own top-level fields
// without the cutouts (null when the alert has no decoded packet).
nlohmann::ordered_json LightCurveJson(const features::LightCurve& lc);
nlohmann::ordered_json AlertFieldsJson(const alert::Alert& alert);

}  // namespace lantern::pipeline
