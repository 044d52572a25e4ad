// `lantern filter add|list|show|remove|mute|unmute|test`: edits the filter registry
// (<data-dir>/filters.json, filter/registry.h) that `lantern run` applies to the stream, and
// tries a registered filter over the stored objects with the historical engine
// (cli/store_query.h). The registry is a separate file from the store, so every subcommand
// works while `lantern run` holds the store.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/store_query.h"
#include "filter/filter.h"
#include "filter/registry.h"
#include "filter/schema.h"
#include "store/store.h"

namespace lantern::cli {
namespace {

using Json = nlohmann::ordered_json;

struct FilterOptions {
  std::string dir = "lantern-data";
  std::string owner, name;
  std::string survey = "ztf", mode = "plain";
  std::string selected, tables = "objects", conditions;
  double quota_mb = 0;
  bool muted = false;
  bool json = false;
  size_t limit = 1000;
};

int Fail(const Status& st, int code = 1) {
  std::fprintf(stderr, "lantern filter: %s\n", st.ToString().c_str());
  return code;
}

// The registry entry plus its output topic.
Json SpecJson(const filter::FilterSpec& f) {
  Json j = Json::parse(filter::SpecToJson(f));
  j["topic"] = f.topic();
  return j;
}

// Index of owner/name in `filters`, or -1.
int Find(const std::vector<filter::FilterSpec>& filters, const FilterOptions& o) {
  for (size_t i = 0; i < filters.size(); ++i) {
    if (filters[i].owner == o.owner && filters[i].name == o.name) return static_cast<int>(i);
  }
  return -1;
}

Status NoSuchFilter(const FilterOptions& o, const std::string& path) {
  return NotFound("no filter " + o.owner + "/" + o.name + " in " + path);
}

int Add(const FilterOptions& o) {
  filter::FilterSpec spec;
  spec.owner = o.owner;
  spec.name = o.name;
  if (o.survey == "ztf") {
    spec.survey = alert::Survey::kZtf;
  } else if (o.survey == "lsst") {
    spec.survey = alert::Survey::kLsst;
  } else {
    return Fail(InvalidArgument("--survey must be ztf or lsst, not " + o.survey), 2);
  }
  auto mode = filter::ParseOutputMode(o.mode);
  if (!mode.ok()) return Fail(mode.status(), 2);
  spec.mode = *mode;
  if (!(o.quota_mb >= 0)) return Fail(InvalidArgument("--quota-mb must be >= 0"), 2);
  spec.daily_quota_bytes = static_cast<uint64_t>(o.quota_mb * 1e6);
  spec.selected = o.selected;
  spec.tables = o.tables;
  spec.conditions = o.conditions;
  spec.active = !o.muted;
  if (Status st = filter::ValidateFilter(spec); !st.ok()) return Fail(st, 2);

  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);  // filters may be added before the first run
  if (ec) return Fail(IoError("cannot create " + o.dir + ": " + ec.message()));
  const std::string path = filter::RegistryPath(o.dir);
  auto filters = filter::LoadRegistry(path);
  if (!filters.ok()) return Fail(filters.status());
  const int at = Find(*filters, o);
  if (at >= 0) {
    (*filters)[at] = spec;
  } else {
    filters->push_back(spec);
  }
  if (Status st = filter::SaveRegistry(path, *filters); !st.ok()) return Fail(st);
  std::printf("%s filter %s/%s (topic %s%s) in %s\n", at >= 0 ? "replaced" : "added",
              spec.owner.c_str(), spec.name.c_str(), spec.topic().c_str(),
              spec.active ? "" : ", muted", path.c_str());
  return 0;
}

int List(const FilterOptions& o) {
  auto filters = filter::LoadRegistry(filter::RegistryPath(o.dir));
  if (!filters.ok()) return Fail(filters.status());
  if (o.json) {
    Json all = Json::array();
    for (const auto& f : *filters) all.push_back(SpecJson(f));
    std::printf("%s\n", all.dump().c_str());
    return 0;
  }
  std::printf("owner\tname\tsurvey\tactive\tmode\tquota_bytes\ttopic\n");
  for (const auto& f : *filters) {
    std::printf("%s\t%s\t%s\t%s\t%s\t%llu\t%s\n", f.owner.c_str(), f.name.c_str(),
                std::string(alert::SurveyName(f.survey)).c_str(), f.active ? "yes" : "muted",
                std::string(filter::OutputModeName(f.mode)).c_str(),
                static_cast<unsigned long long>(f.daily_quota_bytes), f.topic().c_str());
  }
  return 0;
}

int Show(const FilterOptions& o) {
  const std::string path = filter::RegistryPath(o.dir);
  auto filters = filter::LoadRegistry(path);
  if (!filters.ok()) return Fail(filters.status());
  const int at = Find(*filters, o);
  if (at < 0) return Fail(NoSuchFilter(o, path));
  std::printf("%s\n", SpecJson((*filters)[at]).dump(2).c_str());
  return 0;
}

// remove, mute, unmute: load, change one entry, save.
int Change(const FilterOptions& o, const char* verb) {
  const std::string path = filter::RegistryPath(o.dir);
  auto filters = filter::LoadRegistry(path);
  if (!filters.ok()) return Fail(filters.status());
  const int at = Find(*filters, o);
  if (at < 0) return Fail(NoSuchFilter(o, path));
  const std::string v = verb;
  if (v == "removed") {
    filters->erase(filters->begin() + at);
  } else {
    (*filters)[at].active = v == "unmuted";
  }
  if (Status st = filter::SaveRegistry(path, *filters); !st.ok()) return Fail(st);
  std::printf("%s filter %s/%s\n", verb, o.owner.c_str(), o.name.c_str());
  return 0;
}

int Test(const FilterOptions& o) {
  const std::string path = filter::RegistryPath(o.dir);
  auto filters = filter::LoadRegistry(path);
  if (!filters.ok()) return Fail(filters.status());
  const int at = Find(*filters, o);
  if (at < 0) return Fail(NoSuchFilter(o, path));
  const filter::FilterSpec& spec = (*filters)[at];
  auto compiled = filter::CompileFilter(spec.selected, spec.tables, spec.conditions,
                                        filter::Schema::For(spec.survey));
  if (!compiled.ok()) return Fail(compiled.status());
  StoreQueryOptions so;
  so.dir = o.dir;
  so.limit = o.limit;
  so.json = o.json;
  const auto start = std::chrono::steady_clock::now();
  auto printed = RunOverStore(*compiled, spec.survey, so);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!printed.ok()) return Fail(printed.status());
  std::fprintf(stderr, "%zu rows in %.1f ms\n", *printed, ms);
  return 0;
}

// The messages the streaming engine stored for one filter (store table filter_results), one
// JSON object per line, in alert id order.
int Results(const FilterOptions& o) {
  store::StoreOptions so;
  so.read_only = true;
  if (!std::filesystem::exists(std::filesystem::path(o.dir) / "CURRENT")) {
    return Fail(NotFound("no store in " + o.dir + " (run `lantern run` first)"));
  }
  auto db = store::Store::Open(o.dir, so);
  if (!db.ok()) return Fail(db.status());
  std::string prefix = o.owner + "." + o.name;
  prefix.push_back('\0');
  size_t n = 0;
  Status st = (*db)->ScanPrefix(store::Table::kFilterResults, prefix,
                                [&](std::string_view, std::string_view value) {
                                  if (n >= o.limit) return false;
                                  std::fwrite(value.data(), 1, value.size(), stdout);
                                  std::fputc('\n', stdout);
                                  ++n;
                                  return true;
                                });
  if (!st.ok()) return Fail(st);
  std::fprintf(stderr, "%zu results\n", n);
  return 0;
}

void AddDataDir(CLI::App* cmd, FilterOptions* o) {
  cmd->add_option("--data-dir", o->dir, "Data directory holding filters.json (default ./lantern-data)");
}

void AddOwnerName(CLI::App* cmd, FilterOptions* o) {
  cmd->add_option("owner", o->owner, "Filter owner")->required();
  cmd->add_option("name", o->name, "Filter name")->required();
}

}  // namespace

void AddFilter(CLI::App& app) {
  auto o = std::make_shared<FilterOptions>();
  CLI::App* group = app.add_subcommand(
      "filter", "Register, list and try the filters `lantern run` applies (docs/filters.md)");
  group->require_subcommand(1);

  CLI::App* add = group->add_subcommand("add", "Add or replace a filter (compiled first)");
  add->add_option("--owner", o->owner, "Owner: [A-Za-z0-9_-]{1,64}")->required();
  add->add_option("--name", o->name, "Name: [A-Za-z0-9_-]{1,64}")->required();
  add->add_option("--selected", o->selected, "SELECT list")->required();
  add->add_option("--tables", o->tables, "Tables (default objects)");
  add->add_option("--conditions", o->conditions, "WHERE body, may contain ORDER BY")->required();
  add->add_option("--survey", o->survey, "ztf or lsst")->capture_default_str();
  add->add_option("--mode", o->mode, "Output: plain, lite or full")->capture_default_str();
  add->add_option("--quota-mb", o->quota_mb, "Daily output quota in MB (0 = unlimited)");
  add->add_flag("--muted", o->muted, "Register muted (not applied until unmuted)");
  AddDataDir(add, o.get());
  add->callback([o] { SetExitCode(Add(*o)); });

  CLI::App* list = group->add_subcommand("list", "List the registered filters");
  list->add_flag("--json", o->json, "One JSON array");
  AddDataDir(list, o.get());
  list->callback([o] { SetExitCode(List(*o)); });

  CLI::App* show = group->add_subcommand("show", "Print one filter as JSON");
  AddOwnerName(show, o.get());
  AddDataDir(show, o.get());
  show->callback([o] { SetExitCode(Show(*o)); });

  for (const char* verb : {"remove", "mute", "unmute"}) {
    const std::string v = verb;
    const char* done = v == "remove" ? "removed" : v == "mute" ? "muted" : "unmuted";
    CLI::App* cmd = group->add_subcommand(
        verb, v == "remove" ? "Delete a filter"
                            : v == "mute" ? "Stop applying a filter (kept in the registry)"
                                          : "Apply a muted filter again");
    AddOwnerName(cmd, o.get());
    AddDataDir(cmd, o.get());
    cmd->callback([o, done] { SetExitCode(Change(*o, done)); });
  }

  CLI::App* test = group->add_subcommand(
      "test", "Run a registered filter over the stored objects; prints matches and time taken");
  AddOwnerName(test, o.get());
  test->add_option("--limit", o->limit, "Rows to print")->capture_default_str();
  test->add_flag("--json", o->json, "One JSON object per row");
  AddDataDir(test, o.get());
  test->callback([o] { SetExitCode(Test(*o)); });

  CLI::App* results = group->add_subcommand(
      "results", "Print what the filter matched in `lantern run` (one JSON message per line)");
  AddOwnerName(results, o.get());
  results->add_option("--limit", o->limit, "Messages to print")->capture_default_str();
  AddDataDir(results, o.get());
  results->callback([o] { SetExitCode(Results(*o)); });
}

}  // namespace lantern::cli
