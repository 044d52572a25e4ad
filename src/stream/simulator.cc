#include "stream/simulator.h"

#include <cmath>
#include <deque>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "codec/container.h"
#include "codec/json_encoder.h"
#include "core/file.h"
#include "stream/fits.h"
#include "survey/lantern_schema.h"
#include "survey/units.h"

namespace lantern::stream {

using Json = nlohmann::json;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kLiveObjects = 400;

enum class Class { kSn, kVariable, kAgn, kMoving };
const char* ClassName(Class c) {
  switch (c) {
    case Class::kSn: return "sn";
    case Class::kVariable: return "variable";
    case Class::kAgn: return "agn";
    case Class::kMoving: return "moving";
  }
  return "";
}

}  // namespace

struct Simulator::Epoch {
  double mjd;
  std::string band;
  double flux, flux_err;  // difference flux, nJy
  bool detected;
  int64_t source_id;
  double ra, dec;
  float reliability;
};

struct Simulator::Object {
  Class cls;
  std::string name;
  double ra, dec;
  double born;
  // Light-curve parameters.
  double peak_flux = 0, t0 = 0, rise = 5, fall = 30;    // supernova-like
  double ref_flux = 0, amplitude = 0, period = 1, phase = 0;  // variable
  double agn_mag = 0, agn_mean = 0;                      // AGN: current magnitude (DRW)
  double last_mjd = 0;
  double host_flux = 0;  // template light under the source
  std::vector<Epoch> history;
};

Simulator::Simulator(SimulatorOptions options)
    : opt_(std::move(options)), rng_(opt_.seed), stamp_rng_(opt_.seed ^ 0x9e3779b97f4a7c15ULL),
      now_(opt_.start_mjd) {
  auto schema = codec::Schema::Parse(survey::LanternAlertSchema());
  // Invariant: the compiled-in schema always parses (covered by tests).
  if (!schema.ok()) {
    fmt::print(stderr, "built-in Lantern schema does not parse: {}\n", schema.status().message());
    std::abort();
  }
  schema_ = *schema;
}

Simulator::~Simulator() = default;

std::string Simulator::ObjectName(uint64_t n) const {
  if (opt_.survey == alert::Survey::kLsst) return std::to_string(170000000000000000ULL + n);
  const int year = static_cast<int>((now_ - 51544.5) / 365.25) % 100;  // years since 2000
  std::string letters(7, 'a');
  for (int i = 6; i >= 0 && n; --i, n /= 26) letters[i] = static_cast<char>('a' + n % 26);
  return fmt::format("ZTF{:02d}{}", year, letters);
}

void Simulator::NewObject(double mjd) {
  std::uniform_real_distribution<double> u(0, 1);
  auto obj = std::make_unique<Object>();
  const double r = u(rng_);
  obj->cls = r < 0.35 ? Class::kSn : r < 0.75 ? Class::kVariable : r < 0.9 ? Class::kAgn : Class::kMoving;
  obj->name = ObjectName(next_object_++);
  // Uniform on the sky within the survey's reach.
  const double dec_min = opt_.survey == alert::Survey::kZtf ? -30 : -90;
  const double dec_max = opt_.survey == alert::Survey::kZtf ? 90 : 30;
  const double s0 = std::sin(dec_min * kPi / 180), s1 = std::sin(dec_max * kPi / 180);
  obj->dec = std::asin(s0 + (s1 - s0) * u(rng_)) * 180 / kPi;
  obj->ra = 360 * u(rng_);
  obj->born = mjd;
  const double bright = opt_.survey == alert::Survey::kZtf ? 17.0 : 19.0;
  const double faint = opt_.survey == alert::Survey::kZtf ? 19.8 : 23.5;
  switch (obj->cls) {
    case Class::kSn:
      obj->peak_flux = survey::MagToNjy(bright + (faint - bright) * u(rng_));
      obj->t0 = mjd + 5 + 10 * u(rng_);
      obj->rise = 2 + 6 * u(rng_);
      obj->fall = 15 + 40 * u(rng_);
      obj->host_flux = survey::MagToNjy(faint + 1 + 2 * u(rng_));
      break;
    case Class::kVariable:
      obj->ref_flux = survey::MagToNjy(bright - 2 + (faint - bright) * u(rng_));
      obj->amplitude = 0.3 + 0.9 * u(rng_);
      obj->period = std::exp(std::log(0.2) + (std::log(30.0) - std::log(0.2)) * u(rng_));
      obj->phase = 2 * kPi * u(rng_);
      break;
    case Class::kAgn:
      obj->agn_mean = bright + (faint - bright) * u(rng_);
      obj->agn_mag = obj->agn_mean;
      obj->ref_flux = survey::MagToNjy(obj->agn_mean);
      obj->host_flux = obj->ref_flux * 0.5;
      break;
    case Class::kMoving:
      obj->peak_flux = survey::MagToNjy(bright + 1 + (faint - bright - 1) * u(rng_));
      break;
  }
  obj->last_mjd = mjd;
  objects_.push_back(std::move(obj));
}

namespace {

// True difference flux (nJy) of an object at `mjd` in `band`, relative to its template.
double SnFlux(double mjd, const std::string& band, double peak_flux,
                double t0, double rise, double fall) {
  const double t = mjd - t0;
  // Bluer bands peak earlier and fade faster, as real supernovae do.
  const double colour = band == "g" || band == "u" ? 0.8 : band == "r" ? 1.0 : 1.15;
  return peak_flux * std::exp(-t / (fall * colour)) / (1 + std::exp(-t / rise)) * 2;
}

std::vector<float> Stamp(int size, double source_counts, double host_counts, double sigma_noise,
                         std::mt19937_64& rng) {
  std::normal_distribution<float> noise(0, static_cast<float>(sigma_noise));
  std::vector<float> px(static_cast<size_t>(size) * size);
  const double c = (size - 1) / 2.0;
  const double psf = 1.0, host_r = 3.0;
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const double r2 = (x - c) * (x - c) + (y - c) * (y - c);
      const double v = source_counts * std::exp(-r2 / (2 * psf * psf)) / (2 * kPi * psf * psf) +
                       host_counts * std::exp(-r2 / (2 * host_r * host_r)) / (2 * kPi * host_r * host_r);
      px[static_cast<size_t>(y) * size + x] = static_cast<float>(100 + v) + noise(rng);
    }
  }
  return px;
}

}  // namespace

Result<std::string> Simulator::NextDatum(std::string* sim_class) {
  std::uniform_real_distribution<double> u(0, 1);
  const bool ztf = opt_.survey == alert::Survey::kZtf;
  static const std::vector<std::string> kZtfBands = {"g", "r", "r", "g", "i"};
  static const std::vector<std::string> kLsstBands = {"u", "g", "r", "i", "z", "y"};
  const auto& bands = ztf ? kZtfBands : kLsstBands;
  const double limit_mag = ztf ? 20.5 : 24.2;
  const double sigma = survey::MagToNjy(limit_mag) / 5;  // 5-sigma limit

  while (objects_.size() < kLiveObjects) NewObject(now_);
  for (int attempt = 0; attempt < 100000; ++attempt) {
    // About one visit per object per night.
    now_ += std::exponential_distribution<double>(kLiveObjects)(rng_);
    const size_t pick = static_cast<size_t>(u(rng_) * static_cast<double>(objects_.size()));
    Object& o = *objects_[pick];
    const std::string band = bands[static_cast<size_t>(u(rng_) * bands.size())];
    double flux = 0;
    double ra = o.ra, dec = o.dec;
    switch (o.cls) {
      case Class::kSn: flux = SnFlux(now_, band, o.peak_flux, o.t0, o.rise, o.fall); break;
      case Class::kVariable:
        flux = o.ref_flux * (std::pow(10.0, -0.4 * o.amplitude * std::sin(2 * kPi * now_ / o.period + o.phase)) - 1);
        break;
      case Class::kAgn: {
        // Damped random walk (tau 100 d, long-term sigma 0.3 mag).
        const double dt = now_ - o.last_mjd, tau = 100, sf = 0.3;
        const double e = std::exp(-dt / tau);
        o.agn_mag = o.agn_mean + (o.agn_mag - o.agn_mean) * e +
                    sf * std::sqrt(1 - e * e) * std::normal_distribution<double>(0, 1)(rng_);
        flux = survey::MagToNjy(o.agn_mag) - o.ref_flux;
        break;
      }
      case Class::kMoving:
        flux = o.peak_flux;
        ra = std::fmod(o.ra + 0.5 * (now_ - o.born) + 360, 360.0);
        break;
    }
    o.last_mjd = now_;
    const double observed = flux + std::normal_distribution<double>(0, sigma)(rng_);
    Epoch ep{now_, band, observed, sigma, std::fabs(observed) >= 5 * sigma, 0, ra, dec, 0};
    if (!ep.detected) {
      o.history.push_back(ep);
      if (o.history.size() > 200) o.history.erase(o.history.begin());
      // Retire faded transients and moving objects that were never seen.
      if ((o.cls == Class::kSn && now_ > o.t0 + 6 * o.fall) || o.cls == Class::kMoving) {
        objects_.erase(objects_.begin() + static_cast<long>(pick));
        NewObject(now_);
      }
      continue;
    }
    // Detected: jitter the position by the astrometric error (~0.1").
    ep.ra = ra + std::normal_distribution<double>(0, 0.1 / 3600)(rng_) / std::cos(dec * kPi / 180);
    ep.dec = dec + std::normal_distribution<double>(0, 0.1 / 3600)(rng_);
    ep.source_id = static_cast<int64_t>((ztf ? 2000000000000000000ULL : 180000000000000000ULL) + next_source_++);
    ep.reliability = static_cast<float>(0.6 + 0.4 * u(rng_));

    auto det_json = [&](const Epoch& e) {
      Json d = {{"sourceId", e.source_id}, {"mjd", e.mjd}, {"ra", e.ra}, {"dec", e.dec},
                {"band", e.band}, {"flux", e.flux}, {"fluxErr", e.flux_err},
                {"isPositive", e.flux >= 0}, {"reliability", e.reliability}};
      const double mag = survey::NjyToMag(std::fabs(e.flux));
      d["mag"] = std::isnan(mag) ? Json() : Json(mag);
      const double mag_err = survey::FluxErrToMagErr(e.flux, e.flux_err);
      d["magErr"] = std::isnan(mag_err) ? Json() : Json(mag_err);
      return d;
    };
    Json prv = Json::array(), forced = Json::array(), nondet = Json::array();
    const double window = ztf ? 30 : 365;
    int carried = 0;
    for (auto it = o.history.rbegin(); it != o.history.rend(); ++it) {
      if (it->mjd < now_ - window || carried >= opt_.max_history) break;
      ++carried;
      if (it->detected) prv.insert(prv.begin(), det_json(*it));
      else if (ztf)
        nondet.insert(nondet.begin(), Json{{"mjd", it->mjd}, {"band", it->band},
                                           {"limitingMag", limit_mag},
                                           {"limitingFlux", 5 * it->flux_err}});
      if (!ztf)
        forced.insert(forced.begin(), Json{{"sourceId", static_cast<int64_t>(190000000000000000ULL) + (it->source_id ? it->source_id % 1000000000 : static_cast<int64_t>(it->mjd * 1000))},
                                           {"mjd", it->mjd}, {"band", it->band},
                                           {"flux", it->flux}, {"fluxErr", it->flux_err}});
    }
    Json a = {{"survey", ztf ? "ztf" : "lsst"}, {"schemaVersion", "1.0"},
              {"alertId", ep.source_id}, {"objectId", o.name}, {"simClass", ClassName(o.cls)},
              {"detection", det_json(ep)}, {"prvDetections", prv}, {"forcedPhot", forced},
              {"nonDetections", nondet}};
    if (opt_.cutouts) {
      const double counts_per_njy = ztf ? 0.05 : 0.005;
      const double noise = sigma * counts_per_njy / 3;
      std::vector<float> tmpl = Stamp(opt_.cutout_size, o.ref_flux * counts_per_njy,
                                      o.host_flux * counts_per_njy, noise, stamp_rng_);
      std::vector<float> sci = Stamp(opt_.cutout_size, (o.ref_flux + observed) * counts_per_njy,
                                     o.host_flux * counts_per_njy, noise, stamp_rng_);
      std::vector<float> diff(sci.size());
      for (size_t i = 0; i < sci.size(); ++i) diff[i] = sci[i] - tmpl[i];
      const std::vector<std::string> cards = {
          fmt::format("{:<8}= '{}'", "OBJECT", o.name),
          fmt::format("{:<8}= {:>20.6f}", "MJD-OBS", now_),
          fmt::format("{:<8}= '{}'", "FILTER", band),
          fmt::format("{:<8}= '{}'", "ORIGIN", "Lantern simulator")};
      for (const auto& [key, px] : {std::pair<const char*, const std::vector<float>*>{"cutoutScience", &sci},
                                    {"cutoutTemplate", &tmpl}, {"cutoutDifference", &diff}}) {
        std::string fits = WriteFitsImage(*px, opt_.cutout_size, opt_.cutout_size, cards);
        if (ztf) fits = Gzip(fits);
        a[key] = Json::binary(std::vector<uint8_t>(fits.begin(), fits.end()));
      }
    }
    if (sim_class) *sim_class = ClassName(o.cls);
    o.history.push_back(ep);
    if (o.history.size() > 200) o.history.erase(o.history.begin());
    if (o.cls == Class::kMoving) {  // never seen again at this place
      objects_.erase(objects_.begin() + static_cast<long>(pick));
      NewObject(now_);
    }
    return codec::EncodeJsonDatum(*schema_, a);
  }
  return Internal("simulator found nothing detectable");
}

Status Simulator::WriteFile(const SimulatorOptions& options, uint64_t count, const std::string& path,
                            const std::function<void(uint64_t)>& progress) {
  Simulator sim(options);
  codec::ContainerWriter writer(std::string(survey::LanternAlertSchema()), codec::Codec::kNull);
  for (uint64_t i = 0; i < count; ++i) {
    ASSIGN_OR_RETURN(std::string datum, sim.NextDatum());
    writer.Append(datum);
    if (progress && (i + 1) % 1000 == 0) progress(i + 1);
  }
  ASSIGN_OR_RETURN(std::string file, writer.Finish());
  return lantern::WriteFile(path, file);
}

}  // namespace lantern::stream
