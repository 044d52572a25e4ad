// `lantern xmatch --catalog FILE.csv[.gz] --in QUERIES.csv --out MATCHES.csv --radius ARCSEC
// [--nearest|--all] [--index zones2d|zones1d|htm|healpix]`: crossmatches query positions
// (id,ra,dec and an optional per-row radius column) against a catalog and writes
// query_id,catalog_id,sep_arcsec. Every index gives the same output (sky/sky_index.h).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <memory>

#include "cli/commands.h"
#include "sky/catalog_csv.h"
#include "sky/lcat.h"
#include "sky/sky_index.h"

namespace lantern::cli {
namespace {

struct XmatchOptions {
  std::string catalog;
  std::string id_col = "id";
  std::string ra_col = "ra";
  std::string dec_col = "dec";
  double radius_arcsec = -1.0;
  bool nearest = false;
  bool all = false;
  std::string index = "zones2d";
  std::string in;
  std::string out;
};

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// RFC-4180 quoting for ids that need it.
std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (const char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + '"';
}

Status RunXmatch(const XmatchOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(const sky::IndexKind kind, sky::ParseIndexKind(opt.index));
  // The catalog: a built .lcat (memory-mapped; its zone index is used in place) or a CSV.
  std::function<Result<std::vector<sky::Match>>(std::span<const sky::SkyPoint>,
                                                std::span<const double>)> match;
  std::function<std::string(size_t)> catalog_id;
  std::shared_ptr<sky::LoadedCatalog> lcat;
  sky::CsvCatalog cat;
  std::unique_ptr<sky::SkyIndex> index;
  if (sky::IsLcatFile(opt.catalog) &&
      (kind == sky::IndexKind::kZones2d || kind == sky::IndexKind::kZones1d)) {
    sky::OpenCatalogOptions open;
    open.layout = kind == sky::IndexKind::kZones2d ? sky::ZoneLayout::kZones2d
                                                   : sky::ZoneLayout::kZones1d;
    ASSIGN_OR_RETURN(sky::LoadedCatalog loaded, sky::OpenCatalog(opt.catalog, open));
    lcat = std::make_shared<sky::LoadedCatalog>(std::move(loaded));
    fmt::print(stderr, "xmatch: opened {} ({} sources, {:.1f} B/source hot) in {:.3f} s\n",
               opt.catalog, lcat->size(),
               static_cast<double>(lcat->hot_bytes()) / std::max<size_t>(lcat->size(), 1),
               Seconds(start));
    match = [lcat, nearest = opt.nearest](std::span<const sky::SkyPoint> p,
                                          std::span<const double> r) {
      return nearest ? lcat->index().NearestWithin(p, r) : lcat->index().AllWithin(p, r);
    };
    catalog_id = [lcat](size_t row) { return lcat->IdString(row); };
  } else {
    if (sky::IsLcatFile(opt.catalog)) {
      // HTM and HEALPix indexes are built from the file's positions.
      ASSIGN_OR_RETURN(sky::LoadedCatalog loaded, sky::OpenCatalog(opt.catalog, {}));
      lcat = std::make_shared<sky::LoadedCatalog>(std::move(loaded));
      ASSIGN_OR_RETURN(cat.catalog, sky::Catalog::FromPositions(
                                        {lcat->ra().begin(), lcat->ra().end()},
                                        {lcat->dec().begin(), lcat->dec().end()}));
      catalog_id = [lcat](size_t row) { return lcat->IdString(row); };
    } else {
      sky::CsvCatalogOptions cat_opt;
      cat_opt.id_col = opt.id_col;
      cat_opt.ra_col = opt.ra_col;
      cat_opt.dec_col = opt.dec_col;
      cat_opt.progress = [&](const sky::CsvLoadProgress& p) {
        fmt::print(stderr, "\rxmatch: loading {}: {} rows ({:.0f}%)", opt.catalog, p.rows,
                   100.0 * p.bytes_read / std::max<uint64_t>(p.total_bytes, 1));
      };
      ASSIGN_OR_RETURN(cat, sky::LoadCatalogCsv(opt.catalog, cat_opt));
      catalog_id = [&cat](size_t row) { return cat.catalog.IdString(row); };
    }
    fmt::print(stderr, "\rxmatch: loaded {} sources from {} in {:.2f} s\n", cat.catalog.size(),
               opt.catalog, Seconds(start));
    auto t = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(index, sky::BuildIndex(cat.catalog, kind));
    fmt::print(stderr, "xmatch: {} index, {}, {} MB, built in {:.2f} s\n", index->name(),
               index->Describe(), index->MemoryBytes() >> 20, Seconds(t));
    match = [&index, nearest = opt.nearest](std::span<const sky::SkyPoint> p,
                                            std::span<const double> r) {
      return nearest ? index->NearestWithin(p, r) : index->AllWithin(p, r);
    };
  }

  // Queries: id,ra,dec and, if present, a per-row radius in arcsec.
  ASSIGN_OR_RETURN(const auto header, sky::ReadCsvHeader(opt.in));
  const bool has_radius = std::find(header.begin(), header.end(), "radius") != header.end();
  if (!has_radius && opt.radius_arcsec < 0.0) {
    return InvalidArgument(fmt::format("{} has no radius column; give --radius", opt.in));
  }
  sky::CsvCatalogOptions q_opt;
  if (has_radius) q_opt.numeric_cols = {"radius"};
  ASSIGN_OR_RETURN(sky::CsvCatalog queries, sky::LoadCatalogCsv(opt.in, q_opt));
  const size_t n = queries.catalog.size();
  std::vector<sky::SkyPoint> points(n);
  for (size_t i = 0; i < n; ++i) points[i] = {queries.catalog.ra()[i], queries.catalog.dec()[i]};
  std::vector<double> radii;
  if (has_radius) {
    radii = std::move(queries.numeric[0]);
    for (size_t i = 0; i < n; ++i) {
      if (!std::isnan(radii[i])) continue;
      if (opt.radius_arcsec < 0.0) {
        return InvalidArgument(fmt::format("{}: query {} ({}) has an empty radius and no --radius "
                                           "is given", opt.in, i, queries.catalog.IdString(i)));
      }
      radii[i] = opt.radius_arcsec;  // empty cell: the default radius
    }
  } else {
    radii.assign(n, opt.radius_arcsec);
  }

  auto t = std::chrono::steady_clock::now();
  auto matches = match(points, radii);
  if (!matches.ok()) return matches.status().WithContext(opt.in);
  const double match_s = Seconds(t);

  std::ofstream out(opt.out, std::ios::binary);
  if (!out) return IoError(fmt::format("{}: cannot open for writing", opt.out));
  std::string buf = "query_id,catalog_id,sep_arcsec\n";
  for (const sky::Match& m : *matches) {
    buf += CsvField(queries.catalog.IdString(m.query));
    buf += ',';
    buf += CsvField(catalog_id(m.row));
    buf += fmt::format(",{:.6f}\n", m.sep_arcsec);
    if (buf.size() > (1 << 20)) {
      out << buf;
      buf.clear();
    }
  }
  out << buf;
  out.close();
  if (!out) return IoError(fmt::format("{}: write failed", opt.out));
  fmt::print(stderr,
             "xmatch: {} queries, {} matches ({}) in {:.3f} s ({:.0f} queries/s); wrote {}\n", n,
             matches->size(), opt.nearest ? "nearest" : "all", match_s,
             n / std::max(match_s, 1e-9), opt.out);
  return Status::Ok();
}

}  // namespace

void AddXmatch(CLI::App& app) {
  auto opt = std::make_shared<XmatchOptions>();
  CLI::App* cmd = app.add_subcommand("xmatch", "Crossmatch query positions against a catalog");
  cmd->add_option("--catalog", opt->catalog,
                  "Catalog: CSV or CSV.gz with a header row, or a .lcat from `lantern catalog build`")
      ->required();
  cmd->add_option("--id-col", opt->id_col, "Catalog id column (default id)");
  cmd->add_option("--ra-col", opt->ra_col, "Catalog RA column, degrees (default ra)");
  cmd->add_option("--dec-col", opt->dec_col, "Catalog Dec column, degrees (default dec)");
  cmd->add_option("--radius", opt->radius_arcsec,
                  "Match radius in arcsec (default for queries without a radius column)")
      ->check(CLI::Range(0.0, sky::kMaxRadiusArcsec));
  auto* nearest = cmd->add_flag("--nearest", opt->nearest, "Only the nearest match per query");
  auto* all = cmd->add_flag("--all", opt->all, "Every match within the radius (default)");
  nearest->excludes(all);
  cmd->add_option("--index", opt->index,
                  "Index: zones2d (default), zones1d, htm or healpix (same results)")
      ->check(CLI::IsMember({"zones2d", "zones1d", "htm", "healpix"}));
  cmd->add_option("--in", opt->in, "Queries CSV: id,ra,dec[,radius]")->required();
  cmd->add_option("--out", opt->out, "Output CSV: query_id,catalog_id,sep_arcsec")->required();
  cmd->callback([opt] {
    const Status st = RunXmatch(*opt);
    if (!st.ok()) {
      fmt::print(stderr, "\nlantern xmatch: {}\n", st.message());
      SetExitCode(1);
    }
  });
}

}  // namespace lantern::cli
