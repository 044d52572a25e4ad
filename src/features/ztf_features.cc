// Lasair-ZTF `objects` columns (docs/features.md, section ZTF). Follows Lasair's
// pipeline/filter/features_ZTF/insert_query.py where its behaviour is well defined; the
// differences are listed in the docs.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "features/features.h"
#include "features/galactic.h"
#include "sky/htm.h"

namespace lantern::features {
namespace {

constexpr double kJdMinusMjd = 2400000.5;
constexpr double kGoodReal = 0.75;  // rb or drb above this is a "good" candidate

double Jd(double mjd) { return mjd + kJdMinusMjd; }

// Population standard deviation (numpy's default) of `v` in two passes.
double PopulationStd(const std::vector<double>& v) {
  if (v.empty()) return alert::kNaN;
  double sum = 0;
  for (double x : v) sum += x;
  const double mean = sum / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(v.size()));
}

// The statistics of one band (g or r), over its detections with a finite magpsf.
void AddBand(const std::vector<const LightCurvePoint*>& band, const char* b, Features* f,
             Features* dmdt, Features* ema) {
  double min = alert::kNaN, max = alert::kNaN, mean = alert::kNaN;
  if (!band.empty()) {
    min = max = band.front()->mag;
    double sum = 0;
    for (const LightCurvePoint* p : band) {
      min = std::min(min, p->mag);
      max = std::max(max, p->mag);
      sum += p->mag;
    }
    mean = sum / static_cast<double>(band.size());
  }
  f->AddDouble(std::string("mag") + b + "min", min);
  f->AddDouble(std::string("mag") + b + "max", max);
  f->AddDouble(std::string("mag") + b + "mean", mean);

  // Rate of brightening between the two latest detections, both positive.
  double rate = alert::kNaN, rate_err = alert::kNaN;
  if (band.size() >= 2) {
    const LightCurvePoint& last = *band[band.size() - 1];
    const LightCurvePoint& prev = *band[band.size() - 2];
    const double dt = last.mjd - prev.mjd;
    if (last.is_positive && prev.is_positive && dt > 0) {
      rate = (prev.mag - last.mag) / dt;
      rate_err = (prev.mag_err + last.mag_err) / dt;
    }
  }
  dmdt->AddDouble(std::string("dmdt_") + b, rate);
  dmdt->AddDouble(std::string("dmdt_") + b + "_err", rate_err);

  // Exponential moving averages with 2, 8 and 28 day timescales (Lasair EMA.pdf): the first
  // detection sets the average; each next one pulls it by 1 - exp(-dt/tau).
  for (double tau : {2.0, 8.0, 28.0}) {
    double avg = alert::kNaN, t_prev = 0;
    for (const LightCurvePoint* p : band) {
      if (std::isnan(avg)) {
        avg = p->mag;
      } else {
        const double keep = std::exp(-(p->mjd - t_prev) / tau);
        avg = avg * keep + p->mag * (1 - keep);
      }
      t_prev = p->mjd;
    }
    char name[16];
    std::snprintf(name, sizeof(name), "mag_%s%02d", b, static_cast<int>(tau));
    ema->AddDouble(name, avg);
  }
}

}  // namespace

Features ComputeZtf(const LightCurve& lc) {
  const std::vector<LightCurvePoint>& d = lc.detections;
  Features f;
  f.Reserve(48);  // every column of the survey (a few to spare)
  f.Add("ncand", static_cast<int64_t>(d.size()));

  std::vector<double> ras, decs;
  const MeanPosition pos = ComputeMeanPosition(lc, &ras, &decs);
  f.AddDouble("ramean", pos.ra);
  f.AddDouble("decmean", pos.dec);
  f.AddDouble("rastd", 3600.0 * PopulationStd(ras));
  f.AddDouble("decstd", 3600.0 * PopulationStd(decs));
  if (pos.count > 0) {
    const Galactic g = IcrsToGalactic(pos.ra, pos.dec);
    f.AddDouble("glonmean", g.l);
    f.AddDouble("glatmean", g.b);
  } else {
    f.AddDouble("glonmean", alert::kNaN);
    f.AddDouble("glatmean", alert::kNaN);
  }

  std::vector<const LightCurvePoint*> g_band, r_band;
  for (const LightCurvePoint& p : d) {
    if (!std::isfinite(p.mag)) continue;
    if (p.band == "g") g_band.push_back(&p);
    if (p.band == "r") r_band.push_back(&p);
  }
  const double last_mjd = d.empty() ? alert::kNaN : d.back().mjd;
  f.AddDouble("jdmin", d.empty() ? alert::kNaN : Jd(d.front().mjd));
  f.AddDouble("jdmax", Jd(last_mjd));
  f.AddDouble("jdgmax", g_band.empty() ? alert::kNaN : Jd(g_band.back()->mjd));
  f.AddDouble("jdrmax", r_band.empty() ? alert::kNaN : Jd(r_band.back()->mjd));
  f.AddDouble("gmag", g_band.empty() ? alert::kNaN : g_band.back()->mag);
  f.AddDouble("rmag", r_band.empty() ? alert::kNaN : r_band.back()->mag);

  Features dmdt, ema;
  AddBand(g_band, "g", &f, &dmdt, &ema);
  AddBand(r_band, "r", &f, &dmdt, &ema);
  for (const auto& [name, value] : dmdt.columns()) f.Add(name, value);
  for (const auto& [name, value] : ema.columns()) f.Add(name, value);

  // Good (real-bogus above 0.75) positive detections, in all and in the last 7 and 14 days
  // before the latest detection.
  int64_t gp = 0, gp7 = 0, gp14 = 0;
  for (const LightCurvePoint& p : d) {
    if (!p.is_positive || !(p.rb > kGoodReal || p.drb > kGoodReal)) continue;
    ++gp;
    const double age = last_mjd - p.mjd;
    if (age < 7.0) ++gp7;
    if (age < 14.0) ++gp14;
  }
  f.Add("ncandgp", gp);
  f.Add("ncandgp_7", gp7);
  f.Add("ncandgp_14", gp14);

  // Colour on the latest night (ZTF nid) with positive g and r detections: the latest g
  // magnitude minus the latest r magnitude of that night.
  std::map<int64_t, const LightCurvePoint*> g_night, r_night;
  for (const LightCurvePoint* p : g_band) {
    if (p->is_positive && p->nid) g_night[*p->nid] = p;
  }
  for (const LightCurvePoint* p : r_band) {
    if (p->is_positive && p->nid) r_night[*p->nid] = p;
  }
  double colour = alert::kNaN, colour_jd = alert::kNaN;
  for (auto it = g_night.rbegin(); it != g_night.rend(); ++it) {
    auto r = r_night.find(it->first);
    if (r == r_night.end()) continue;
    colour = it->second->mag - r->second->mag;
    colour_jd = Jd(it->second->mjd);
    break;
  }
  f.AddDouble("g_minus_r", colour);
  f.AddDouble("jd_g_minus_r", colour_jd);

  // Context from the latest detection that carries it.
  const LightCurvePoint* ps1 = nullptr;
  const LightCurvePoint* ss = nullptr;
  for (const LightCurvePoint& p : d) {
    if (p.has_ps1) ps1 = &p;
    if (p.has_ssnamenr) ss = &p;
  }
  f.AddDouble("distpsnr1", ps1 ? ps1->distpsnr1 : alert::kNaN);
  f.AddDouble("sgscore1", ps1 ? ps1->sgscore1 : alert::kNaN);
  f.AddDouble("sgmag1", ps1 ? ps1->sgmag1 : alert::kNaN);
  f.AddDouble("srmag1", ps1 ? ps1->srmag1 : alert::kNaN);
  if (ss && ss->ssnamenr)
    f.Add("ssnamenr", *ss->ssnamenr);
  else
    f.Add("ssnamenr", std::monostate{});
  // Lasair indexes objects by the level-16 HTM trixel of (ramean, decmean).
  if (pos.count > 0)
    f.Add("htm16", static_cast<int64_t>(sky::HtmId(pos.ra, pos.dec, 16)));
  else
    f.Add("htm16", std::monostate{});
  return f;
}

}  // namespace lantern::features
