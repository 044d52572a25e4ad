// The `lantern` command: one subcommand per file in this folder.
#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include "cli/commands.h"
#include "stream/kafka.h"

int main(int argc, char** argv) {
  CLI::App app{"Lantern: a community alert broker for ZTF and Rubin"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] {
    return fmt::format("lantern {} (librdkafka {})", LANTERN_VERSION,
                       lantern::stream::LibraryVersion());
  });
  lantern::cli::RegisterCommands(app);
  CLI11_PARSE(app, argc, argv);
  return lantern::cli::ExitCode();
}
