#include "cli/alert_files.h"

#include <cstdio>
#include <fmt/format.h>

#include "core/file.h"
#include "survey/alert_decoder.h"

namespace lantern::cli {

void AddAlertPathOptions(CLI::App* cmd, std::vector<std::string>* paths, std::string* schema_dir) {
  cmd->add_option("paths", *paths, "Alert files or directories (searched recursively for *.avro)")
      ->required();
  cmd->add_option("--schema-dir", *schema_dir,
                  "Schemas for Confluent-framed packets: a folder (Rubin: <major>.<minor>/) or a "
                  "schema registry URL");
}

int ForEachAlertInFiles(
    const AlertFilesOptions& opt,
    const std::function<void(const std::string& file, alert::Alert&&,
                             const codec::DecodedRecord&)>& on_alert) {
  auto files = ExpandPaths(opt.paths, {".avro"});
  if (!files.ok()) {
    fmt::print(stderr, "lantern {}: {}\n", opt.command, files.status().message());
    return 2;
  }
  codec::SchemaCache cache;
  std::unique_ptr<codec::SchemaResolver> resolver;
  if (!opt.schema_dir.empty()) resolver = codec::MakeSchemaResolver(opt.schema_dir);
  survey::AlertDecoder decoder(&cache, resolver.get());
  std::shared_ptr<const codec::Schema> bare_schema;
  if (!opt.bare_schema.empty()) {
    auto loaded = codec::LoadSchemaFile(opt.bare_schema);
    if (!loaded.ok()) {
      fmt::print(stderr, "lantern {}: {}\n", opt.command, loaded.status().message());
      return 2;
    }
    bare_schema = *loaded;
  }
  int failed = 0;
  for (const std::string& file : *files) {
    auto bytes = ReadFile(file);
    if (!bytes.ok()) {
      fmt::print(stderr, "lantern {}: {}\n", opt.command, bytes.status().message());
      ++failed;
      continue;
    }
    auto shared = std::make_shared<const std::string>(std::move(bytes).value());
    auto deliver = [&](alert::Alert&& a, const codec::DecodedRecord& r) {
      on_alert(file, std::move(a), r);
    };
    const Status st = bare_schema ? decoder.DecodeBare(bare_schema, shared, deliver)
                                  : decoder.Decode(shared, deliver);
    if (!st.ok()) {
      std::fflush(stdout);  // keep stdout and stderr in file order
      fmt::print(stderr, "lantern {}: {}: {}\n", opt.command, file, st.message());
      ++failed;
    }
  }
  std::fflush(stdout);
  return failed ? 1 : 0;
}

}  // namespace lantern::cli
