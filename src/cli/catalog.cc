// `lantern catalog build --csv FILE[.gz] --out NAME.lcat [--id-col C --ra-col C --dec-col C]
// [--keep a,b]`: turns a CSV catalog into a memory-mappable .lcat file (sky/lcat.h), with a
// progress line on stderr. `lantern catalog info NAME.lcat|FILE.csv`: opens it (timed) and
// prints rows, columns and bytes per source.
#include <chrono>
#include <fmt/format.h>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "sky/lcat.h"

namespace lantern::cli {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

Status RunBuild(const std::string& csv, const std::string& out, sky::LcatBuildOptions opt) {
  const auto start = std::chrono::steady_clock::now();
  auto last = start;
  opt.progress = [&](const sky::CsvLoadProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (p.bytes_read < p.total_bytes && now - last < std::chrono::milliseconds(500)) return;
    last = now;
    const double s = Seconds(start);
    fmt::print(stderr, "\rcatalog build: {} rows, {:.0f}% of input, {:.2f} M rows/s   ", p.rows,
               100.0 * p.bytes_read / std::max<uint64_t>(p.total_bytes, 1),
               p.rows / std::max(s, 1e-9) / 1e6);
  };
  ASSIGN_OR_RETURN(const sky::LcatBuildStats st, sky::BuildLcat(csv, out, opt));
  const double n = std::max<double>(st.rows, 1);
  fmt::print(stderr,
             "\ncatalog build: wrote {} ({} rows, {} bytes; {:.1f} B/source hot, {:.1f} B/source "
             "in all) in {:.2f} s\n",
             out, st.rows, st.file_bytes, st.hot_bytes / n, st.file_bytes / n, Seconds(start));
  return Status::Ok();
}

Status RunInfo(const std::string& path) {
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(const sky::LoadedCatalog cat, sky::OpenCatalog(path));
  const double open_s = Seconds(start);
  const double n = std::max<double>(cat.size(), 1);
  fmt::print("{}: {} rows, {}, opened in {:.4f} s\n", path, cat.size(),
             cat.mapped() ? "memory-mapped .lcat" : "parsed CSV", open_s);
  fmt::print("index: {} zones of {:.4f} deg, {} cells; hot {:.1f} B/source", cat.index().num_zones(),
             cat.index().zone_height_deg(), cat.index().num_cells(), cat.hot_bytes() / n);
  if (cat.mapped()) fmt::print(", file {:.1f} B/source", cat.file_bytes() / n);
  fmt::print("\nid: {}\n", !cat.has_ids()                                  ? "row number"
                           : cat.ids().type == sky::ColumnType::kInt64 ? "int64"
                                                                        : "string");
  for (const sky::ColumnView& c : cat.columns()) {
    fmt::print("column {}: {}\n", c.name,
               c.type == sky::ColumnType::kDouble  ? "double"
               : c.type == sky::ColumnType::kInt64 ? "int64"
                                                   : "string");
  }
  return Status::Ok();
}

void Report(const char* what, const Status& st) {
  if (st.ok()) return;
  fmt::print(stderr, "\nlantern catalog {}: {}\n", what, st.message());
  SetExitCode(1);
}

}  // namespace

void AddCatalog(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("catalog", "Build and inspect .lcat catalog files");
  cmd->require_subcommand(1);

  struct BuildArgs {
    std::string csv, out;
    sky::LcatBuildOptions opt;
  };
  auto b = std::make_shared<BuildArgs>();
  CLI::App* build = cmd->add_subcommand("build", "CSV or CSV.gz -> memory-mappable .lcat");
  build->add_option("--csv", b->csv, "Catalog CSV or CSV.gz with a header row")->required();
  build->add_option("--out", b->out, "Output .lcat file")->required();
  build->add_option("--id-col", b->opt.id_col, "Id column (default id; \"\" for row numbers)");
  build->add_option("--ra-col", b->opt.ra_col, "RA column, degrees (default ra)");
  build->add_option("--dec-col", b->opt.dec_col, "Dec column, degrees (default dec)");
  build->add_option("--keep", b->opt.keep, "Columns to keep, comma-separated")->delimiter(',');
  build->callback([b] { Report("build", RunBuild(b->csv, b->out, b->opt)); });

  auto path = std::make_shared<std::string>();
  CLI::App* info = cmd->add_subcommand("info", "Open a .lcat or CSV catalog and describe it");
  info->add_option("path", *path, "Catalog file")->required();
  info->callback([path] { Report("info", RunInfo(*path)); });
}

}  // namespace lantern::cli
