// Alert rates: how many alerts a stream carries per second, per minute and per night, from
// the alerts' own observation times, compared with the LSST rate targets (DESIGN.md: 1 kHz
// minimum, 10 kHz design, 100 kHz stretch). RateCounter collects times; CountAlertTimes feeds
// it from any MessageSource (files here; a whole Kafka topic in src/cli/rates.cc, through
// stream/topic_reader.h). RateCounter is a single-threaded value type.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "codec/schema_source.h"
#include "core/status.h"

namespace lantern::stream {

inline constexpr double kUnixEpochMjd = 40587.0;
inline constexpr double kTaiMinusUtcSeconds = 37.0;  // since 2017-01-01
inline constexpr double kMinPlausibleMjd = 40000, kMaxPlausibleMjd = 100000;

// The alert's detection time (survey::SurveyMapper gives MJD) as Unix seconds (UTC). ZTF times
// are UTC (candidate.jd); Rubin's midpointMjdTai is TAI, so 37 s are taken off.
double AlertUnixSeconds(alert::Survey survey, double mjd);

// The night an alert belongs to: the observatory's local evening date, i.e. the days from
// local mean noon to the next local mean noon (Palomar 116.865° W for ZTF, Cerro Pachón
// 70.749° W for Rubin), as the MJD of that date.
int64_t NightOf(alert::Survey survey, double mjd);

struct NightRates {
  std::string date;  // the local evening date, YYYY-MM-DD
  uint64_t alerts = 0;
  int64_t first_second = 0, last_second = 0;  // Unix seconds
  uint64_t peak_per_second = 0;
  uint64_t peak_per_minute = 0;
};

struct RateStats {
  uint64_t alerts = 0;               // alerts with a usable time
  uint64_t alerts_without_time = 0;  // time missing, not finite or outside MJD 40000…100000
  int64_t first_second = 0, last_second = 0;
  uint64_t span_seconds = 0;              // last - first + 1
  uint64_t seconds_with_alerts = 0;
  uint64_t seconds_without_alerts = 0;    // in the span
  // Per second, over the seconds that have alerts.
  uint64_t min_per_second = 0, max_per_second = 0;
  double mean_per_second = 0, median_per_second = 0;
  uint64_t peak_per_minute = 0;           // the busiest minute (UTC minute boundaries)
  std::vector<NightRates> nights;
  // max_per_second divided by the LSST targets.
  double ratio_lsst_minimum = 0, ratio_lsst_design = 0, ratio_lsst_stretch = 0;
};

inline constexpr double kLsstMinimumHz = 1e3, kLsstDesignHz = 1e4, kLsstStretchHz = 1e5;

class RateCounter {
 public:
  // One alert observed at `mjd` (as the survey mapper gives it); an implausible time is
  // counted in alerts_without_time.
  void Add(alert::Survey survey, double mjd);
  // One alert at Unix second `second` in night `night` (an MJD, see NightOf).
  void AddSecond(int64_t second, int64_t night);

  RateStats Stats() const;
  // Unix second → alerts in it.
  const std::map<int64_t, uint64_t>& per_second() const { return per_second_; }

 private:
  std::map<int64_t, uint64_t> per_second_;
  std::map<int64_t, std::map<int64_t, uint64_t>> per_night_;  // night → second → alerts
  uint64_t without_time_ = 0;
};

// A source of raw messages: calls `on_message(bytes, origin)` for each message in order, and
// returns an error only when it cannot go on (bad messages are the consumer's business).
using MessageFn =
    std::function<void(const std::shared_ptr<const std::string>& bytes, const std::string& origin)>;
using MessageSource = std::function<Status(const MessageFn& on_message)>;

// Every *.avro file under `paths` (files or directories), one message each; an unreadable
// file is an error.
MessageSource FileMessages(std::vector<std::string> paths);

struct CountReport {
  uint64_t messages = 0;
  uint64_t alerts = 0;
  std::vector<std::string> errors;  // "origin: what was wrong", one per bad message
};

// Decodes every message of `source` (container files, Confluent messages with schemas from
// `resolver`, which may be null) and adds each alert's time to `counter`.
Result<CountReport> CountAlertTimes(const MessageSource& source, codec::SchemaResolver* resolver,
                                    RateCounter* counter);

}  // namespace lantern::stream
