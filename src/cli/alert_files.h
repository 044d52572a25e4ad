// The loop shared by the commands that read alert files (inspect, features): expand paths,
// decode every file, hand each alert to a callback, report each bad file on stderr as
// "lantern <command>: FILE: byte N ...: what" and go on. Single-threaded.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "codec/packet.h"

namespace lantern::cli {

struct AlertFilesOptions {
  std::string command;             // for messages: "inspect", "features"
  std::vector<std::string> paths;  // files or directories (searched for *.avro)
  std::string schema_dir;          // folder or registry URL for Confluent framing
  std::string bare_schema;         // .avsc: read each file as one bare datum
};

// The positional alert paths (required) and --schema-dir, as every file-reading command takes them.
void AddAlertPathOptions(CLI::App* cmd, std::vector<std::string>* paths, std::string* schema_dir);

// Returns the process exit code: 0 when every file decoded, 1 when some failed, 2 when the
// arguments were unusable.
int ForEachAlertInFiles(
    const AlertFilesOptions& opt,
    const std::function<void(const std::string& file, alert::Alert&&,
                             const codec::DecodedRecord&)>& on_alert);

}  // namespace lantern::cli
