// `lantern simulate --survey ztf|lsst --count N --out FILE [--seed S]`: writes simulated
// alerts (Lantern schema, Avro container) with a progress line.
#include <chrono>
#include <cstdio>
#include <fmt/format.h>

#include "cli/commands.h"
#include "stream/simulator.h"

namespace lantern::cli {
namespace {

struct SimulateOptions {
  std::string survey = "ztf";
  uint64_t count = 1000;
  std::string out;
  uint64_t seed = 1;
  bool no_cutouts = false;
};

int RunSimulate(const SimulateOptions& opt) {
  stream::SimulatorOptions sim;
  sim.survey = opt.survey == "lsst" ? alert::Survey::kLsst : alert::Survey::kZtf;
  sim.seed = opt.seed;
  sim.cutouts = !opt.no_cutouts;
  const auto start = std::chrono::steady_clock::now();
  const Status st = stream::Simulator::WriteFile(sim, opt.count, opt.out, [&](uint64_t done) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print(stderr, "\rsimulate: {}/{} alerts ({:.0f}%), {:.0f} alerts/s", done, opt.count,
               100.0 * done / opt.count, done / std::max(s, 1e-9));
  });
  if (!st.ok()) {
    fmt::print(stderr, "\nlantern simulate: {}\n", st.message());
    return 1;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(stderr, "\rsimulate: wrote {} {} alerts to {} in {:.1f} s\n", opt.count, opt.survey,
             opt.out, s);
  return 0;
}

}  // namespace

void AddSimulate(CLI::App& app) {
  auto opt = std::make_shared<SimulateOptions>();
  CLI::App* cmd = app.add_subcommand("simulate", "Write simulated alerts (Lantern schema, Avro container)");
  cmd->add_option("--survey", opt->survey, "Survey conventions: ztf or lsst")
      ->check(CLI::IsMember({"ztf", "lsst"}));
  cmd->add_option("--count", opt->count, "Number of alerts")->required();
  cmd->add_option("--out", opt->out, "Output .avro file")->required();
  cmd->add_option("--seed", opt->seed, "Random seed (same seed, same alerts)");
  cmd->add_flag("--no-cutouts", opt->no_cutouts, "Leave the three cutouts out");
  cmd->callback([opt] { SetExitCode(RunSimulate(*opt)); });
}

}  // namespace lantern::cli
