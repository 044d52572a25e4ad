// xmatch_driver: Lantern's side of bench/compare_xmatch.py. Loads a generated catalog and query
// set from .npy float64 arrays (bench/sky_gen.py writes them; 1e8 rows load in seconds, no CSV),
// builds a SkyIndex per kind (zones2d, zones1d, htm, healpix) and cell-size constant, and times
// one thread matching the whole query batch at a fixed radius:
//   nearest_random   NearestWithin on the queries in generated (random) order, the index's
//                    internal (zone, ra) radix sort included
//   nearest_sorted   the same batch pre-sorted by (zone, ra) outside the timer, as a broker
//                    sorts its batch (the zones of a default-height ZoneIndex for constant c;
//                    the index finds the batch in its own order and matches it as it is)
//   all_random       AllWithin in random order (every pair, as the peers report)
// Best of --repeat runs (fewer past --budget seconds; --interleave times the indexes
// round-robin so that load drift hits all alike). Prints one JSON object on stdout; --pairs-out
// writes the AllWithin pairs (query index, catalog row) of the first --pairs-queries queries as an
// int64 (n, 2) .npy so the script can compare match sets with the peers.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <numbers>
#include <string>
#include <vector>

#include "core/status.h"
#include "sky/catalog.h"
#include "sky/sky_index.h"
#include "sky/zones.h"

namespace {

using lantern::Result;
using lantern::Status;
namespace sky = lantern::sky;

constexpr double kSkyAreaDeg2 = 4.0 * std::numbers::pi * sky::kRadToDeg * sky::kRadToDeg;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Reads a 1-D little-endian float64 .npy file (format versions 1-3, C order).
Result<std::vector<double>> ReadNpyF64(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return lantern::IoError(fmt::format("{}: cannot open", path));
  char magic[8];
  if (!in.read(magic, 8) || std::string(magic, 6) != "\x93NUMPY") {
    return lantern::InvalidArgument(fmt::format("{}: not a .npy file", path));
  }
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    uint8_t b[2];
    in.read(reinterpret_cast<char*>(b), 2);
    header_len = b[0] | (b[1] << 8);
  } else {
    uint8_t b[4];
    in.read(reinterpret_cast<char*>(b), 4);
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (uint32_t{b[3]} << 24);
  }
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) {
    return lantern::InvalidArgument(fmt::format("{}: truncated header", path));
  }
  if (header.find("'descr': '<f8'") == std::string::npos ||
      header.find("'fortran_order': False") == std::string::npos) {
    return lantern::InvalidArgument(
        fmt::format("{}: expected a C-order little-endian float64 array, header {}", path, header));
  }
  const size_t open = header.find("'shape': (");
  const size_t close = header.find(')', open);
  if (open == std::string::npos || close == std::string::npos) {
    return lantern::InvalidArgument(fmt::format("{}: no shape in header {}", path, header));
  }
  const std::string shape = header.substr(open + 10, close - open - 10);
  if (shape.find(',') != shape.rfind(',') || shape.find(',') == std::string::npos) {
    return lantern::InvalidArgument(
        fmt::format("{}: expected a 1-D array, shape ({})", path, shape));
  }
  const size_t n = std::stoull(shape);
  std::vector<double> v(n);
  if (!in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * 8))) {
    return lantern::InvalidArgument(fmt::format("{}: {} values promised, file is short", path, n));
  }
  return v;
}

Status WritePairsNpy(const std::string& path, const std::vector<sky::Match>& matches) {
  std::string header =
      fmt::format("{{'descr': '<i8', 'fortran_order': False, 'shape': ({}, 2), }}", matches.size());
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  out.put(static_cast<char>(len & 0xff)).put(static_cast<char>(len >> 8));
  out << header;
  for (const sky::Match& m : matches) {
    const int64_t pair[2] = {m.query, m.row};
    out.write(reinterpret_cast<const char*>(pair), sizeof(pair));
  }
  out.close();
  if (!out) return lantern::IoError(fmt::format("{}: write failed", path));
  return Status::Ok();
}

struct Options {
  std::string dir;
  double radius_arcsec = 2.0;
  int repeat = 3;
  double budget_s = 5.0;
  std::vector<std::string> kinds = {"zones2d", "zones1d", "htm", "healpix"};
  std::vector<double> sources_per_cell = {sky::kDefaultSourcesPerCell};
  bool all_pairs = true;
  bool random_order = true;  // false: time the sky-sorted batch alone (for profiling)
  bool interleave = false;
  std::string pairs_out;
  size_t pairs_queries = 20000;
};

constexpr double kUnmeasured = 1e300;

// One index under test and the best times measured on it so far.
struct Entry {
  std::string kind_name;
  double c = 0.0;
  std::unique_ptr<sky::SkyIndex> index;
  std::vector<sky::SkyPoint> sorted;  // the queries in the broker's (zone, ra) order
  double sort_zone_height_deg = 0.0;
  double build_s = 0.0;
  double random_s = kUnmeasured, sorted_s = kUnmeasured, all_s = kUnmeasured;
  double spent_s = 0.0;
  size_t matched = 0, pairs = 0;
};

Status BuildEntry(const sky::Catalog& catalog, const std::vector<sky::SkyPoint>& queries,
                  Entry* e) {
  ASSIGN_OR_RETURN(const sky::IndexKind kind, sky::ParseIndexKind(e->kind_name));
  sky::SkyIndexOptions ix_opt;
  ix_opt.sources_per_cell = e->c;
  const double t = Now();
  ASSIGN_OR_RETURN(e->index, sky::BuildIndex(catalog, kind, ix_opt));
  e->build_s = Now() - t;
  // The zones a default-height ZoneIndex picks for this c (zones.cc), so a zones index sees
  // the batch exactly in its own order.
  const double density = std::max<double>(catalog.size(), 1.0) / kSkyAreaDeg2;
  const int nz =
      static_cast<int>(std::ceil(180.0 / std::clamp(std::sqrt(e->c / density), 0.002, 10.0)));
  const double h = 180.0 / nz;
  const double zones_per_deg = nz / 180.0;  // ZoneIndex's own expression, to the last bit
  e->sort_zone_height_deg = h;
  auto zone = [&](const sky::SkyPoint& p) {
    return std::min(static_cast<int>((p.dec_deg + 90.0) * zones_per_deg), nz - 1);
  };
  e->sorted = queries;
  std::sort(e->sorted.begin(), e->sorted.end(),
            [&](const sky::SkyPoint& a, const sky::SkyPoint& b) {
              const int za = zone(a), zb = zone(b);
              return za != zb ? za < zb : a.ra_deg < b.ra_deg;
            });
  return Status::Ok();
}

// One timed run of each measurement on e, keeping the best times.
Status MeasureOnce(const Options& opt, const std::vector<sky::SkyPoint>& queries, Entry* e) {
  double t = Now();
  ASSIGN_OR_RETURN(const auto sorted, e->index->NearestWithin(e->sorted, opt.radius_arcsec));
  e->sorted_s = std::min(e->sorted_s, Now() - t);
  e->matched = sorted.size();
  if (!opt.random_order) return Status::Ok();
  t = Now();
  ASSIGN_OR_RETURN(const auto random, e->index->NearestWithin(queries, opt.radius_arcsec));
  e->random_s = std::min(e->random_s, Now() - t);
  if (random.size() != sorted.size()) {
    return lantern::Internal(fmt::format("{}: {} matches in random order, {} sorted", e->kind_name,
                                         random.size(), sorted.size()));
  }
  if (opt.all_pairs) {
    t = Now();
    ASSIGN_OR_RETURN(const auto all, e->index->AllWithin(queries, opt.radius_arcsec));
    e->all_s = std::min(e->all_s, Now() - t);
    e->pairs = all.size();
  }
  return Status::Ok();
}

nlohmann::json Report(const Entry& e, size_t catalog_size, double nq) {
  nlohmann::json r = {
      {"index", e.kind_name},
      {"sources_per_cell", e.c},
      {"resolution", e.index->Describe()},
      {"sort_zone_height_arcmin", e.sort_zone_height_deg * 60.0},
      {"build_s", e.build_s},
      {"index_bytes_per_source", static_cast<double>(e.index->MemoryBytes()) / catalog_size},
      {"nearest_sorted_qps", nq / e.sorted_s},
      {"matched_fraction", e.matched / nq}};
  if (e.random_s < kUnmeasured) r["nearest_random_qps"] = nq / e.random_s;
  if (e.all_s < kUnmeasured) {
    r["all_random_qps"] = nq / e.all_s;
    r["all_pairs"] = e.pairs;
  }
  return r;
}

Status Run(const Options& opt) {
  double t = Now();
  ASSIGN_OR_RETURN(std::vector<double> cat_ra, ReadNpyF64(opt.dir + "/catalog_ra.npy"));
  ASSIGN_OR_RETURN(std::vector<double> cat_dec, ReadNpyF64(opt.dir + "/catalog_dec.npy"));
  ASSIGN_OR_RETURN(const std::vector<double> q_ra, ReadNpyF64(opt.dir + "/queries_ra.npy"));
  ASSIGN_OR_RETURN(const std::vector<double> q_dec, ReadNpyF64(opt.dir + "/queries_dec.npy"));
  if (cat_ra.size() != cat_dec.size() || q_ra.size() != q_dec.size()) {
    return lantern::InvalidArgument(fmt::format("{}: ra and dec arrays differ in length", opt.dir));
  }
  const double read_s = Now() - t;
  ASSIGN_OR_RETURN(const sky::Catalog catalog,
                   sky::Catalog::FromPositions(std::move(cat_ra), std::move(cat_dec)));
  std::vector<sky::SkyPoint> queries(q_ra.size());
  for (size_t i = 0; i < queries.size(); ++i) queries[i] = {q_ra[i], q_dec[i]};
  const double load_s = Now() - t;
  const double nq = static_cast<double>(queries.size());

  nlohmann::json out = {{"catalog", catalog.size()},
                        {"queries", queries.size()},
                        {"radius_arcsec", opt.radius_arcsec},
                        {"repeat", opt.repeat},
                        {"interleave", opt.interleave},
                        {"read_s", read_s},
                        {"load_s", load_s}};
  std::vector<Entry> entries;
  for (const std::string& kind_name : opt.kinds) {
    for (const double c : opt.sources_per_cell) {
      Entry e;
      e.kind_name = kind_name;
      e.c = c;
      entries.push_back(std::move(e));
    }
  }
  if (!opt.pairs_out.empty()) {
    RETURN_IF_ERROR(BuildEntry(catalog, queries, &entries[0]));
    const size_t k = std::min(opt.pairs_queries, queries.size());
    ASSIGN_OR_RETURN(const auto pairs,
                     entries[0].index->AllWithin(std::span(queries).first(k), opt.radius_arcsec));
    RETURN_IF_ERROR(WritePairsNpy(opt.pairs_out, pairs));
    out["pairs_queries"] = k;
    out["pairs"] = pairs.size();
  }
  // Runs up to opt.repeat rounds on e, fewer once opt.budget_s is spent (slow kinds).
  auto measure = [&](Entry* e, int rounds) -> Status {
    for (int i = 0; i < rounds && e->spent_s < opt.budget_s; ++i) {
      const double t0 = Now();
      RETURN_IF_ERROR(MeasureOnce(opt, queries, e));
      e->spent_s += Now() - t0;
    }
    return Status::Ok();
  };
  nlohmann::json results = nlohmann::json::array();
  if (opt.interleave) {
    // Every index built first, then round-robin rounds: load drift hits all of them alike.
    for (Entry& e : entries) {
      if (!e.index) RETURN_IF_ERROR(BuildEntry(catalog, queries, &e));
    }
    for (int round = 0; round < opt.repeat; ++round) {
      for (Entry& e : entries) RETURN_IF_ERROR(measure(&e, 1));
    }
    for (const Entry& e : entries) results.push_back(Report(e, catalog.size(), nq));
  } else {
    // One index in memory at a time (1e8 sources).
    for (Entry& e : entries) {
      if (!e.index) RETURN_IF_ERROR(BuildEntry(catalog, queries, &e));
      RETURN_IF_ERROR(measure(&e, opt.repeat));
      results.push_back(Report(e, catalog.size(), nq));
      fmt::print(stderr, "xmatch_driver: {} c={} nearest {:.0f}/s random, {:.0f}/s sorted\n",
                 e.kind_name, e.c, nq / e.random_s, nq / e.sorted_s);
      e = Entry{};
    }
  }
  out["results"] = results;
  fmt::print("{}\n", out.dump());
  return Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app("Lantern crossmatch rate on .npy catalog and query arrays (one thread, JSON out)");
  app.add_option("--dir", opt.dir,
                 "Directory with catalog_ra.npy, catalog_dec.npy, queries_ra.npy, queries_dec.npy")
      ->required();
  app.add_option("--radius", opt.radius_arcsec, "Match radius, arcsec (default 2)")
      ->check(CLI::Range(0.0, sky::kMaxRadiusArcsec));
  app.add_option("--repeat", opt.repeat, "Runs per measurement; the fastest counts (default 3)")
      ->check(CLI::Range(1, 100));
  app.add_option("--budget", opt.budget_s,
                 "Stop repeating a measurement after this many seconds (default 5)");
  app.add_option("--index", opt.kinds, "Index kinds to time (default zones2d zones1d htm healpix)")
      ->check(CLI::IsMember({"zones2d", "zones1d", "htm", "healpix"}));
  app.add_option("--sources-per-cell", opt.sources_per_cell,
                 "Sources per cell c (zones: h = sqrt(c / density)); default 4; several = sweep")
      ->check(CLI::PositiveNumber);
  app.add_flag("!--no-all", opt.all_pairs, "Skip the AllWithin timing");
  app.add_flag("!--sorted-only", opt.random_order,
               "Time only NearestWithin on the sky-sorted batch (implies --no-all; for profiling)");
  app.add_flag("--interleave", opt.interleave,
               "Build every index first, then time them round-robin (sweeps on a noisy machine)");
  app.add_option("--pairs-out", opt.pairs_out, "Write AllWithin pairs of the first queries here");
  app.add_option("--pairs-queries", opt.pairs_queries, "Queries in --pairs-out (default 20000)");
  CLI11_PARSE(app, argc, argv);
  if (!opt.random_order) opt.all_pairs = false;
  const Status st = Run(opt);
  if (!st.ok()) {
    fmt::print(stderr, "xmatch_driver: {}\n", st.message());
    return 1;
  }
  return 0;
}
