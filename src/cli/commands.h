// Registration of the `lantern` subcommands. Each Add* lives in its own file and sets the
// process exit code through SetExitCode when its callback runs. Single-threaded.
#pragma once

#include <CLI/CLI.hpp>

namespace lantern::cli {

void AddInspect(CLI::App& app);
void AddBench(CLI::App& app);
void AddSimulate(CLI::App& app);
void AddFeatures(CLI::App& app);
void AddXmatch(CLI::App& app);
void AddHtm(CLI::App& app);
void AddMoc(CLI::App& app);
void AddCatalog(CLI::App& app);
void AddRender(CLI::App& app);
void AddRates(CLI::App& app);
void AddRun(CLI::App& app);
void AddStoreCommands(CLI::App& app);
void AddQuery(CLI::App& app);
void AddFilter(CLI::App& app);
void AddProduce(CLI::App& app);

inline void RegisterCommands(CLI::App& app) {
  AddRun(app);
  AddStoreCommands(app);
  AddQuery(app);
  AddFilter(app);
  AddProduce(app);
  AddInspect(app);
  AddBench(app);
  AddSimulate(app);
  AddFeatures(app);
  AddXmatch(app);
  AddHtm(app);
  AddMoc(app);
  AddCatalog(app);
  AddRender(app);
  AddRates(app);
}

void SetExitCode(int code);
int ExitCode();

}  // namespace lantern::cli
