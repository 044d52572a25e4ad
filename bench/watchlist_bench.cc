// Watchlist matching rate: alerts/s of Watchlist::Match for generated lists of 1e4 and 1e5
// targets with mixed radii (70 % log-uniform 1″..10″, 20 % 10″..300″, 10 % 300″..1800″; 10 % of
// targets in a 10° cap), against one batch of 1e5 alerts per iteration (half within 1.3 r of a
// target). "Split" keeps every power-of-two radius class apart instead of merging them, to show
// what the cost-based merging buys. Items are alerts.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "sky/geometry.h"
#include "sky/target_index.h"
#include "sky/watchlist.h"

namespace {

namespace sky = lantern::sky;

struct Data {
  std::vector<sky::WatchTarget> targets;
  std::vector<sky::SkyPoint> alerts;
};

sky::SkyPoint Offset(sky::SkyPoint p, double d_deg, double pa_deg) {
  const double dec1 = p.dec_deg * sky::kDegToRad, d = d_deg * sky::kDegToRad,
               pa = pa_deg * sky::kDegToRad;
  const double s = std::sin(dec1) * std::cos(d) + std::cos(dec1) * std::sin(d) * std::cos(pa);
  const double dec2 = std::asin(std::clamp(s, -1.0, 1.0));
  const double dra =
      std::atan2(std::sin(pa) * std::sin(d) * std::cos(dec1), std::cos(d) - std::sin(dec1) * s);
  return {sky::WrapRaDeg(p.ra_deg + dra * sky::kRadToDeg), dec2 * sky::kRadToDeg};
}

Data Make(size_t n_targets, size_t n_alerts) {
  std::mt19937_64 rng(n_targets);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto uniform = [&]() -> sky::SkyPoint {
    return {360.0 * u(rng), std::asin(2.0 * u(rng) - 1.0) * sky::kRadToDeg};
  };
  auto dense = [&]() {
    return Offset({359.0, 60.0}, std::acos(1.0 - u(rng) * (1.0 - std::cos(10.0 * sky::kDegToRad))) *
                                     sky::kRadToDeg,
                  360.0 * u(rng));
  };
  auto log_uniform = [&](double lo, double hi) { return lo * std::pow(hi / lo, u(rng)); };
  Data d;
  for (size_t i = 0; i < n_targets; ++i) {
    const double pick = u(rng);
    const double r = pick < 0.7 ? log_uniform(1.0, 10.0)
                                : (pick < 0.9 ? log_uniform(10.0, 300.0)
                                              : log_uniform(300.0, 1800.0));
    const sky::SkyPoint p = u(rng) < 0.1 ? dense() : uniform();
    d.targets.push_back({"t" + std::to_string(i), p.ra_deg, p.dec_deg, r});
  }
  for (size_t i = 0; i < n_alerts; ++i) {
    if (u(rng) < 0.5) {
      const sky::WatchTarget& t = d.targets[rng() % n_targets];
      d.alerts.push_back(
          Offset({t.ra_deg, t.dec_deg}, 1.3 * t.radius_arcsec / 3600.0 * u(rng), 360.0 * u(rng)));
    } else {
      d.alerts.push_back(u(rng) < 0.1 ? dense() : uniform());
    }
  }
  return d;
}

constexpr size_t kAlerts = 100000;

void BM_WatchlistMatch(benchmark::State& state) {
  const Data d = Make(static_cast<size_t>(state.range(0)), kAlerts);
  auto w = sky::Watchlist::Build(1, "bench", d.targets);
  if (!w.ok()) {
    state.SkipWithError(w.status().ToString().c_str());
    return;
  }
  size_t hits = 0;
  for (auto _ : state) {
    auto h = w->Match(d.alerts);
    hits = h->size();
    benchmark::DoNotOptimize(hits);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kAlerts));
  state.counters["classes"] = static_cast<double>(w->index().num_classes());
  state.counters["hits_per_alert"] = static_cast<double>(hits) / kAlerts;
}
BENCHMARK(BM_WatchlistMatch)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_WatchlistMatchSplit(benchmark::State& state) {
  const Data d = Make(static_cast<size_t>(state.range(0)), kAlerts);
  std::vector<double> ra, dec, radii;
  for (const auto& t : d.targets) {
    ra.push_back(t.ra_deg);
    dec.push_back(t.dec_deg);
    radii.push_back(t.radius_arcsec);
  }
  const sky::Catalog cat = *sky::Catalog::FromPositions(ra, dec);
  auto ix = sky::TargetIndex::Build(cat, radii, {.merge_candidates = 0.0});
  for (auto _ : state) {
    auto h = ix->Within(d.alerts);
    benchmark::DoNotOptimize(h->size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kAlerts));
  state.counters["classes"] = static_cast<double>(ix->num_classes());
}
BENCHMARK(BM_WatchlistMatchSplit)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
