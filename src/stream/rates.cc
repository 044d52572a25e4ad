#include "stream/rates.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/file.h"
#include "survey/alert_decoder.h"

namespace lantern::stream {
namespace {

constexpr double kPalomarLongitudeDeg = -116.865;
constexpr double kCerroPachonLongitudeDeg = -70.749;

// Floor division for negative times too.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Civil date of an MJD (proleptic Gregorian), as YYYY-MM-DD.
std::string MjdDate(int64_t mjd) {
  // Days since 1970-01-01 → y/m/d (H. Hinnant's days_from_civil inverse).
  int64_t z = mjd - static_cast<int64_t>(kUnixEpochMjd) + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2);
  return fmt::format("{:04d}-{:02d}-{:02d}", y, m, d);
}

// Largest number of alerts in one UTC minute.
uint64_t PeakPerMinute(const std::map<int64_t, uint64_t>& per_second) {
  uint64_t peak = 0, current = 0;
  int64_t minute = 0;
  bool any = false;
  for (const auto& [s, n] : per_second) {
    const int64_t m = FloorDiv(s, 60);
    if (!any || m != minute) {
      current = 0;
      minute = m;
      any = true;
    }
    current += n;
    peak = std::max(peak, current);
  }
  return peak;
}

}  // namespace

double AlertUnixSeconds(alert::Survey survey, double mjd) {
  const double s = (mjd - kUnixEpochMjd) * 86400.0;
  return survey == alert::Survey::kLsst ? s - kTaiMinusUtcSeconds : s;
}

int64_t NightOf(alert::Survey survey, double mjd) {
  const double lon =
      survey == alert::Survey::kLsst ? kCerroPachonLongitudeDeg : kPalomarLongitudeDeg;
  return static_cast<int64_t>(std::floor(mjd + lon / 360.0 - 0.5));
}

void RateCounter::Add(alert::Survey survey, double mjd) {
  const double unix_s = AlertUnixSeconds(survey, mjd);
  // Outside MJD 40000 … 100000 (1968 … 2132) a value is no observation time (Rubin's 7.x
  // sample alerts carry Unix seconds in midpointMjdTai).
  if (!(mjd >= kMinPlausibleMjd && mjd <= kMaxPlausibleMjd)) {
    ++without_time_;
    return;
  }
  AddSecond(static_cast<int64_t>(std::floor(unix_s)), NightOf(survey, mjd));
}

void RateCounter::AddSecond(int64_t second, int64_t night) {
  ++per_second_[second];
  ++per_night_[night][second];
}

RateStats RateCounter::Stats() const {
  RateStats st;
  st.alerts_without_time = without_time_;
  if (per_second_.empty()) return st;
  std::vector<uint64_t> counts;
  counts.reserve(per_second_.size());
  for (const auto& [s, n] : per_second_) {
    counts.push_back(n);
    st.alerts += n;
  }
  st.first_second = per_second_.begin()->first;
  st.last_second = per_second_.rbegin()->first;
  st.span_seconds = static_cast<uint64_t>(st.last_second - st.first_second) + 1;
  st.seconds_with_alerts = counts.size();
  st.seconds_without_alerts = st.span_seconds - st.seconds_with_alerts;
  std::sort(counts.begin(), counts.end());
  st.min_per_second = counts.front();
  st.max_per_second = counts.back();
  st.mean_per_second = static_cast<double>(st.alerts) / counts.size();
  const size_t h = counts.size() / 2;
  st.median_per_second =
      counts.size() % 2 ? counts[h] : (static_cast<double>(counts[h - 1]) + counts[h]) / 2;
  st.peak_per_minute = PeakPerMinute(per_second_);
  for (const auto& [night, seconds] : per_night_) {
    NightRates nr;
    nr.date = MjdDate(night);
    nr.first_second = seconds.begin()->first;
    nr.last_second = seconds.rbegin()->first;
    for (const auto& [s, n] : seconds) {
      nr.alerts += n;
      nr.peak_per_second = std::max(nr.peak_per_second, n);
    }
    nr.peak_per_minute = PeakPerMinute(seconds);
    st.nights.push_back(std::move(nr));
  }
  const double peak = static_cast<double>(st.max_per_second);
  st.ratio_lsst_minimum = peak / kLsstMinimumHz;
  st.ratio_lsst_design = peak / kLsstDesignHz;
  st.ratio_lsst_stretch = peak / kLsstStretchHz;
  return st;
}

MessageSource FileMessages(std::vector<std::string> paths) {
  return [paths = std::move(paths)](const MessageFn& on_message) -> Status {
    ASSIGN_OR_RETURN(const std::vector<std::string> files, ExpandPaths(paths, {".avro"}));
    for (const std::string& file : files) {
      ASSIGN_OR_RETURN(std::string bytes, ReadFile(file));
      on_message(std::make_shared<const std::string>(std::move(bytes)), file);
    }
    return Status::Ok();
  };
}

Result<CountReport> CountAlertTimes(const MessageSource& source, codec::SchemaResolver* resolver,
                                    RateCounter* counter) {
  codec::SchemaCache cache;
  survey::AlertDecoder decoder(&cache, resolver);
  CountReport report;
  const Status st = source([&](const std::shared_ptr<const std::string>& bytes,
                               const std::string& origin) {
    ++report.messages;
    const Status decoded = decoder.Decode(bytes, [&](alert::Alert&& a, const codec::DecodedRecord&) {
      ++report.alerts;
      counter->Add(a.survey, a.detection.mjd);
    });
    if (!decoded.ok()) report.errors.push_back(fmt::format("{}: {}", origin, decoded.message()));
  });
  RETURN_IF_ERROR(st);
  return report;
}

}  // namespace lantern::stream
