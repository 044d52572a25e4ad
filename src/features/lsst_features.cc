// Lasair-LSST `objects` columns (docs/features.md, section LSST). Follows Lasair-LSST's
// pipeline/filter/features/*.py where its behaviour is well defined; the differences are
// listed in the docs.
#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "features/features.h"
#include "features/galactic.h"
#include "sky/htm.h"

namespace lantern::features {
namespace {

constexpr std::array<const char*, 6> kBands = {"u", "g", "r", "i", "z", "y"};
constexpr double kGoodReliability = 0.5;
constexpr double kPairMaxGapDays = 40.0 / (24 * 60);  // a revisit: under 40 minutes apart
// Jump detector windows (days before the latest source) and sample size.
constexpr double kJumpTest = 10.0;
constexpr double kJumpSample = 60.0;
constexpr int kJumpMinSample = 5;

int BandIndex(const std::string& band) {
  for (size_t i = 0; i < kBands.size(); ++i) {
    if (band == kBands[i]) return static_cast<int>(i);
  }
  return -1;
}

// Night of an observation: days since MJD 0 counted from 12:00 UTC, a boundary that falls
// in daytime at the Rubin site (UTC-4), so one night never spans two numbers.
int64_t Night(double mjd) { return static_cast<int64_t>(std::floor(mjd - 0.5)); }

struct Jumps {
  double first = 0;
  double second = 0;
};

// Per band: mean and sample standard deviation of the fluxes 10-70 days before the latest
// source (at least 5 of them), then the largest |flux - mean| / sd over the sources of the
// last 10 days (excluding the latest time itself). jump1/jump2 are the two largest of the six
// per-band values (0 where a band has no value).
Jumps ComputeJumps(const std::vector<const LightCurvePoint*>& f) {
  const double latest = f.back()->mjd;
  std::array<std::vector<double>, 6> sample;
  for (const LightCurvePoint* p : f) {
    const int b = BandIndex(p->band);
    const double delta = latest - p->mjd;
    if (b >= 0 && delta > kJumpTest && delta < kJumpTest + kJumpSample)
      sample[b].push_back(p->flux);
  }
  std::array<double, 6> mean{}, sd{}, jump{};
  std::array<bool, 6> usable{};
  for (size_t b = 0; b < kBands.size(); ++b) {
    const std::vector<double>& s = sample[b];
    if (static_cast<int>(s.size()) < kJumpMinSample) continue;
    double sum = 0;
    for (double x : s) sum += x;
    mean[b] = sum / static_cast<double>(s.size());
    double ss = 0;
    for (double x : s) ss += (x - mean[b]) * (x - mean[b]);
    sd[b] = std::sqrt(ss / static_cast<double>(s.size() - 1));
    usable[b] = sd[b] > 0 && std::isfinite(sd[b]);
  }
  for (const LightCurvePoint* p : f) {
    const int b = BandIndex(p->band);
    const double delta = latest - p->mjd;
    if (b < 0 || !usable[b] || !(delta > 0 && delta < kJumpTest)) continue;
    jump[b] = std::max(jump[b], std::fabs(p->flux - mean[b]) / sd[b]);
  }
  std::sort(jump.begin(), jump.end());
  return {jump[5], jump[4]};
}

struct Pair {
  double mjd = alert::kNaN;
  double colour = alert::kNaN;
  std::string bands;
};

// A pair is two consecutive flux-light-curve sources under 40 minutes apart, in two different
// bands of ugrizy, both with positive flux; colour = -2.5 log10(bluer flux / redder flux),
// bands "bluer-redder", time of the later source. Latest pair: the first found scanning back
// from the end; penultimate: the next one found that shares no source with it.
void FindPairs(const std::vector<const LightCurvePoint*>& f, Pair* latest, Pair* penultimate) {
  size_t next_allowed = f.size();  // pairs must end before this index
  Pair* want = latest;
  for (size_t i = f.size(); i-- > 1 && want != nullptr;) {
    if (i >= next_allowed) continue;
    const LightCurvePoint& a = *f[i - 1];
    const LightCurvePoint& b = *f[i];
    const int ia = BandIndex(a.band), ib = BandIndex(b.band);
    if (!(b.mjd - a.mjd < kPairMaxGapDays) || ia < 0 || ib < 0 || ia == ib) continue;
    if (!(a.flux > 0 && b.flux > 0)) continue;
    const LightCurvePoint& blue = ia < ib ? a : b;
    const LightCurvePoint& red = ia < ib ? b : a;
    want->mjd = b.mjd;
    want->colour = -2.5 * std::log10(blue.flux / red.flux);
    want->bands = blue.band + "-" + red.band;
    want = want == latest ? penultimate : nullptr;
    next_allowed = i - 1;
  }
}

void AddPair(const char* prefix, const Pair& p, Features* f) {
  f->AddDouble(std::string(prefix) + "MJD", p.mjd);
  f->AddDouble(std::string(prefix) + "ColourMag", p.colour);
  if (p.bands.empty())
    f->Add(std::string(prefix) + "ColourBands", std::monostate{});
  else
    f->Add(std::string(prefix) + "ColourBands", p.bands);
}

}  // namespace

Features ComputeLsst(const LightCurve& lc) {
  const std::vector<LightCurvePoint>& d = lc.detections;
  // The flux light curve: sources with a finite psfFlux, in time order.
  std::vector<const LightCurvePoint*> f;
  for (const LightCurvePoint& p : d) {
    if (std::isfinite(p.flux)) f.push_back(&p);
  }

  Features out;
  out.Reserve(64);  // every column of the survey (a few to spare)
  out.Add("nDiaSources", static_cast<int64_t>(d.size()));
  int64_t positive = 0;
  std::set<int64_t> nights;
  for (const LightCurvePoint* p : f) {
    if (p->flux > 0) {
      ++positive;
      nights.insert(Night(p->mjd));
    }
  }
  out.Add("nPosDiaSources", positive);
  out.Add("nPosDiaSourcesNights", static_cast<int64_t>(nights.size()));
  for (const char* band : kBands) {
    const auto n = std::count_if(f.begin(), f.end(),
                                 [&](const LightCurvePoint* p) { return p->band == band; });
    out.Add(std::string("n") + band + "Sources", static_cast<int64_t>(n));
  }

  for (const char* band : kBands) {
    const LightCurvePoint* latest = nullptr;
    double wsum = 0, wfsum = 0;
    for (const LightCurvePoint* p : f) {
      if (p->band != band) continue;
      latest = p;
      if (std::isfinite(p->flux_err) && p->flux_err > 0) {
        const double w = 1.0 / (p->flux_err * p->flux_err);
        wsum += w;
        wfsum += w * p->flux;
      }
    }
    const std::string b(band);
    out.AddDouble(b + "_psfFlux", latest ? latest->flux : alert::kNaN);
    out.AddDouble(b + "_latestMJD", latest ? latest->mjd : alert::kNaN);
    out.AddDouble(b + "_psfFluxMean", wsum > 0 ? wfsum / wsum : alert::kNaN);
    out.AddDouble(b + "_psfFluxMeanErr", wsum > 0 ? 1.0 / std::sqrt(wsum) : alert::kNaN);
  }
  out.AddDouble("latest_psfFlux", f.empty() ? alert::kNaN : f.back()->flux);

  std::vector<double> reliabilities;
  double latest_r = alert::kNaN;
  int64_t good = 0;
  for (const LightCurvePoint& p : d) {
    if (!std::isfinite(p.reliability)) continue;
    reliabilities.push_back(p.reliability);
    latest_r = p.reliability;
    if (p.reliability > kGoodReliability) ++good;
  }
  double median = alert::kNaN;
  if (!reliabilities.empty()) {
    std::sort(reliabilities.begin(), reliabilities.end());
    const size_t n = reliabilities.size();
    median = n % 2 ? reliabilities[n / 2] : (reliabilities[n / 2 - 1] + reliabilities[n / 2]) / 2.0;
  }
  out.AddDouble("medianR", median);
  out.AddDouble("latestR", latest_r);
  out.Add("nSourcesGood", good);

  out.AddDouble("firstDiaSourceMjdTai", d.empty() ? alert::kNaN : d.front().mjd);
  out.AddDouble("lastDiaSourceMjdTai", d.empty() ? alert::kNaN : d.back().mjd);
  const MeanPosition pos = ComputeMeanPosition(lc);
  out.AddDouble("glat", pos.count > 0 ? IcrsToGalactic(pos.ra, pos.dec).b : alert::kNaN);

  if (f.empty()) {
    out.AddDouble("jump1", alert::kNaN);
    out.AddDouble("jump2", alert::kNaN);
  } else {
    const Jumps j = ComputeJumps(f);
    out.AddDouble("jump1", j.first);
    out.AddDouble("jump2", j.second);
  }

  Pair latest, penultimate;
  FindPairs(f, &latest, &penultimate);
  AddPair("latestPair", latest, &out);
  AddPair("penultimatePair", penultimate, &out);
  // Level-16 HTM trixel of the mean detection position (the same position as glat).
  if (pos.count > 0)
    out.Add("htm16", static_cast<int64_t>(sky::HtmId(pos.ra, pos.dec, 16)));
  else
    out.Add("htm16", std::monostate{});
  return out;
}

}  // namespace lantern::features
