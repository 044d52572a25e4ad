// The `lantern` command: one subcommand per file in this folder.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Lantern: a community alert broker for ZTF and Rubin"};
  app.require_subcommand(1);
  lantern::cli::RegisterCommands(app);
  CLI11_PARSE(app, argc, argv);
  return lantern::cli::ExitCode();
}
