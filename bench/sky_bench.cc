// Crossmatch benchmarks: queries/s of ZoneIndex::NearestWithin at 2″ on generated catalogs of
// 1e6 and 1e7 sources (half uniform over the sky, half concentrated toward the Galactic plane),
// 2-D vs 1-D zones, batches in random order vs already sorted on the sky, and a sweep of the
// zone-height constant c in h* = sqrt(c / ρ); BM_NearestKind runs the same query through each
// SkyIndex kind (2-D and 1-D zones, HTM, HEALPix) on 1e6. Queries: half near catalog sources
// (within 1″), half drawn from the catalog's own distribution. Items are queries; one batch of
// 1e6 per iteration, the index's internal sort included.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "sky/catalog.h"
#include "sky/geometry.h"
#include "sky/sky_index.h"
#include "sky/zones.h"

namespace {

using lantern::sky::Catalog;
using lantern::sky::SkyPoint;
using lantern::sky::ZoneIndex;
using lantern::sky::ZoneIndexOptions;
using lantern::sky::ZoneLayout;
namespace sky = lantern::sky;

constexpr double kRadiusArcsec = 2.0;
constexpr size_t kQueries = 1000000;

// Galactic (l, b) -> equatorial (ra, dec), J2000 rotation.
SkyPoint FromGalactic(double l_deg, double b_deg) {
  static constexpr double m[3][3] = {{-0.0548755604, 0.4941094279, -0.8676661490},
                                     {-0.8734370902, -0.4448296300, -0.1980763734},
                                     {-0.4838350155, 0.7469822445, 0.4559837762}};
  const sky::UnitVector g = sky::FromRaDec(l_deg, b_deg);
  // m is the transpose of the ICRS → Galactic matrix (features/galactic.cc), so m · g.
  const double x = m[0][0] * g.x + m[0][1] * g.y + m[0][2] * g.z;
  const double y = m[1][0] * g.x + m[1][1] * g.y + m[1][2] * g.z;
  const double z = m[2][0] * g.x + m[2][1] * g.y + m[2][2] * g.z;
  return {sky::WrapRaDeg(std::atan2(y, x) * sky::kRadToDeg),
          std::asin(std::clamp(z, -1.0, 1.0)) * sky::kRadToDeg};
}

SkyPoint Draw(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  if (u(rng) < 0.5) return {360.0 * u(rng), std::asin(2.0 * u(rng) - 1.0) * sky::kRadToDeg};
  // Plane: |b| exponential with a 5° scale height.
  const double b = std::min(-5.0 * std::log(1.0 - u(rng)), 90.0) * (u(rng) < 0.5 ? -1 : 1);
  return FromGalactic(360.0 * u(rng), b);
}

const Catalog& Generated(size_t n) {
  static std::map<size_t, std::unique_ptr<Catalog>> cache;
  auto& slot = cache[n];
  if (!slot) {
    std::mt19937_64 rng(n);
    std::vector<double> ra(n), dec(n);
    for (size_t i = 0; i < n; ++i) {
      const SkyPoint p = Draw(rng);
      ra[i] = p.ra_deg;
      dec[i] = p.dec_deg;
    }
    slot = std::make_unique<Catalog>(*Catalog::FromPositions(std::move(ra), std::move(dec)));
  }
  return *slot;
}

const std::vector<SkyPoint>& Queries(size_t n_catalog, bool sky_sorted) {
  static std::map<std::pair<size_t, bool>, std::vector<SkyPoint>> cache;
  auto& q = cache[{n_catalog, sky_sorted}];
  if (q.empty()) {
    const Catalog& cat = Generated(n_catalog);
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (size_t i = 0; i < kQueries; ++i) {
      if (i % 2 == 0) {
        const size_t j = rng() % cat.size();
        const double d = u(rng) / 3600.0;  // within about 1″ of source j
        const double cos_dec = std::max(std::cos(cat.dec()[j] * sky::kDegToRad), 1e-3);
        q.push_back({sky::WrapRaDeg(cat.ra()[j] + d / cos_dec),
                     std::clamp(cat.dec()[j] + d * (u(rng) - 0.5), -90.0, 90.0)});
      } else {
        q.push_back(Draw(rng));
      }
    }
    if (sky_sorted) {
      std::sort(q.begin(), q.end(), [](const SkyPoint& a, const SkyPoint& b) {
        const int za = static_cast<int>((a.dec_deg + 90.0) * 10.0);
        const int zb = static_cast<int>((b.dec_deg + 90.0) * 10.0);
        return za != zb ? za < zb : a.ra_deg < b.ra_deg;
      });
    }
  }
  return q;
}

const ZoneIndex& Index(size_t n, ZoneLayout layout, double c) {
  static std::map<std::tuple<size_t, int, double>, std::unique_ptr<ZoneIndex>> cache;
  auto& slot = cache[{n, static_cast<int>(layout), c}];
  if (!slot) {
    ZoneIndexOptions opt;
    opt.layout = layout;
    opt.sources_per_cell = c;
    slot = std::make_unique<ZoneIndex>(*ZoneIndex::Build(Generated(n), opt));
  }
  return *slot;
}

// Args: catalog size, layout (0 = 2-D, 1 = 1-D), sky-sorted (0/1), c ×10.
void BM_Nearest(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const ZoneLayout layout = state.range(1) == 0 ? ZoneLayout::kZones2d : ZoneLayout::kZones1d;
  const double c = state.range(3) / 10.0;
  const ZoneIndex& ix = Index(n, layout, c);
  const auto& q = Queries(n, state.range(2) != 0);
  size_t matches = 0;
  for (auto _ : state) {
    auto m = ix.NearestWithin(q, kRadiusArcsec);
    matches = m->size();
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations() * q.size());
  state.counters["matched"] = static_cast<double>(matches) / q.size();
  state.counters["zone_h_arcmin"] = ix.zone_height_deg() * 60.0;
  state.counters["index_B_per_src"] = static_cast<double>(ix.MemoryBytes()) / ix.size();
}

void Main(benchmark::internal::Benchmark* b) {
  for (const int64_t n : {1000000, 10000000}) {
    for (const int64_t layout : {0, 1}) {
      for (const int64_t sorted : {0, 1}) b->Args({n, layout, sorted, 40});
    }
  }
}

void Sweep(benchmark::internal::Benchmark* b) {
  for (const int64_t c10 : {5, 10, 20, 40, 80, 160, 320, 640}) b->Args({10000000, 0, 0, c10});
}

const sky::SkyIndex& KindIndex(size_t n, sky::IndexKind kind) {
  static std::map<std::pair<size_t, int>, std::unique_ptr<sky::SkyIndex>> cache;
  auto& slot = cache[{n, static_cast<int>(kind)}];
  if (!slot) {
    auto built = sky::BuildIndex(Generated(n), kind);
    slot = std::move(*built);
  }
  return *slot;
}

// The same nearest-within-2″ batch through each index kind, behind the SkyIndex interface.
// Args: catalog size, kind (sky::IndexKind: 0 zones2d, 1 zones1d, 2 htm, 3 healpix),
// sky-sorted (0/1).
void BM_NearestKind(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const auto kind = static_cast<sky::IndexKind>(state.range(1));
  const sky::SkyIndex& ix = KindIndex(n, kind);
  const auto& q = Queries(n, state.range(2) != 0);
  size_t matches = 0;
  for (auto _ : state) {
    auto m = ix.NearestWithin(q, kRadiusArcsec);
    matches = m->size();
    benchmark::DoNotOptimize(m);
  }
  state.SetLabel(std::string(ix.name()) + " " + ix.Describe());
  state.SetItemsProcessed(state.iterations() * q.size());
  state.counters["matched"] = static_cast<double>(matches) / q.size();
  state.counters["index_B_per_src"] = static_cast<double>(ix.MemoryBytes()) / ix.size();
}

void Kinds(benchmark::internal::Benchmark* b) {
  for (const sky::IndexKind kind : sky::kAllIndexKinds) {
    for (const int64_t sorted : {0, 1}) b->Args({1000000, static_cast<int64_t>(kind), sorted});
  }
}

BENCHMARK(BM_Nearest)->Apply(Main)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Nearest)
    ->Name("BM_NearestSweep")
    ->Apply(Sweep)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_NearestKind)->Apply(Kinds)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
