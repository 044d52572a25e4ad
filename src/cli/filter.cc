// `lantern filter add|list|show|remove|mute|unmute|test|results|alerts`: edits the filter
// registry (<data-dir>/filters.json, filter/registry.h) that `lantern run` applies to the
// stream, tries a registered SQL filter over the stored objects with the historical engine
// (cli/store_query.h), and tries a Python function over alert files in the same sandbox as
// `lantern run` (pipeline/python_filter.h). The registry is a separate file from the store, so
// every subcommand works while `lantern run` holds the store.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/alert_files.h"
#include "cli/commands.h"
#include "cli/store_query.h"
#include "core/file.h"
#include "filter/filter.h"
#include "filter/registry.h"
#include "features/features.h"
#include "filter/schema.h"
#include "pipeline/python_filter.h"
#include "store/store.h"

namespace lantern::cli {
namespace {

using Json = nlohmann::ordered_json;

struct FilterOptions {
  std::string dir = "lantern-data";
  std::string owner, name;
  std::string survey = "ztf", mode = "plain";
  std::string selected, tables = "objects", conditions;
  std::string python;  // --python FILE
  double quota_mb = 0;
  bool muted = false;
  bool json = false;
  size_t limit = 1000;
  std::vector<std::string> args;  // test: OWNER NAME, or alert paths with --python
  std::string schema_dir;
  int64_t timeout_ms = 5000;
  uint64_t memory_mb = 1024;
  int repeat = 1;
};

// Python sandbox limits from the command line.
pipeline::SandboxLimits Limits(const FilterOptions& o) {
  pipeline::SandboxLimits limits;
  limits.exchange_timeout = std::chrono::milliseconds(o.timeout_ms);
  limits.memory_bytes = o.memory_mb << 20;
  return limits;
}

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
  if (!o.python.empty()) {
    if (!o.selected.empty() || !o.conditions.empty()) {
      return Fail(
          InvalidArgument("--python replaces --selected/--conditions; give one or the other"), 2);
    }
    auto source = ReadFile(o.python);
    if (!source.ok()) return Fail(source.status(), 2);
    spec.kind = filter::FilterKind::kPython;
    spec.python = std::move(source).value();
  } else if (o.selected.empty() || o.conditions.empty()) {
    return Fail(InvalidArgument("--selected and --conditions are required (or --python FILE)"), 2);
  }
  if (Status st = filter::ValidateFilter(spec); !st.ok()) return Fail(st, 2);
  if (spec.kind == filter::FilterKind::kPython) {
    // Load it once in the sandbox: a syntax error or a missing filter() is refused now.
    pipeline::PythonFilter function(spec.owner + "/" + spec.name, spec.python, Limits(o), 1);
    if (Status st = function.Check(); !st.ok()) return Fail(st, 2);
  }

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
  std::printf("owner\tname\tkind\tsurvey\tactive\tmode\tquota_bytes\ttopic\tdisabled_reason\n");
  for (const auto& f : *filters) {
    std::string reason = f.disabled_reason;
    for (char& c : reason) {
      if (c == '\n' || c == '\t') c = ' ';
    }
    std::printf("%s\t%s\t%s\t%s\t%s\t%s\t%llu\t%s\t%s\n", f.owner.c_str(), f.name.c_str(),
                f.kind == filter::FilterKind::kPython ? "python" : "sql",
                std::string(alert::SurveyName(f.survey)).c_str(),
                !f.disabled_reason.empty() ? "disabled" : f.active ? "yes" : "muted",
                std::string(filter::OutputModeName(f.mode)).c_str(),
                static_cast<unsigned long long>(f.daily_quota_bytes), f.topic().c_str(),
                reason.c_str());
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
    if (v == "unmuted") (*filters)[at].disabled_reason.clear();  // try a disabled one again
  }
  if (Status st = filter::SaveRegistry(path, *filters); !st.ok()) return Fail(st);
  std::printf("%s filter %s/%s\n", verb, o.owner.c_str(), o.name.c_str());
  return 0;
}

// Decoded alerts with what the pipeline would know of their objects from these packets alone
// (no stored history, no context, no watchlists).
struct FileAlerts {
  std::vector<alert::Alert> alerts;
  std::vector<store::ObjectRecord> objects;
  std::vector<pipeline::ProcessedAlert> processed;
  std::vector<pipeline::PythonAlert> json;  // as Python functions receive them
};

int LoadAlerts(const FilterOptions& o, const std::string& command, FileAlerts* out) {
  AlertFilesOptions af;
  af.command = command;
  af.paths = o.args;
  af.schema_dir = o.schema_dir;
  const int code = ForEachAlertInFiles(
      af, [&](const std::string&, alert::Alert&& a, const codec::DecodedRecord&) {
        out->alerts.push_back(std::move(a));
      });
  out->objects.resize(out->alerts.size());
  out->processed.resize(out->alerts.size());
  for (size_t i = 0; i < out->alerts.size(); ++i) {
    store::ObjectRecord& obj = out->objects[i];
    obj.light_curve = features::FromAlert(out->alerts[i]);
    obj.features = features::Compute(obj.light_curve);
    const features::MeanPosition mean = features::ComputeMeanPosition(obj.light_curve);
    obj.ra = mean.ra;
    obj.dec = mean.dec;
    obj.latest_alert_id = out->alerts[i].alert_id;
    pipeline::ProcessedAlert& pa = out->processed[i];
    pa.alert = &out->alerts[i];
    pa.object = &obj;
    pa.features = obj.features;
    out->json.push_back(pipeline::MakePythonAlert(pa, {}));
  }
  return code;
}

// `filter alerts FILES`: the alerts as Python functions receive them, one JSON per line.
int Alerts(const FilterOptions& o) {
  FileAlerts fa;
  const int code = LoadAlerts(o, "filter alerts", &fa);
  for (const pipeline::PythonAlert& a : fa.json) {
    std::printf("%s\n", pipeline::AlertJson(a).c_str());
  }
  return code;
}

// `filter test --python FILE ALERTS...`: the function over the alerts in the sandbox; one line
// per match {"alertId","annotation","objectId"} (keys sorted, as lantern_filter.run prints).
int TestPython(const FilterOptions& o) {
  auto source = ReadFile(o.python);
  if (!source.ok()) return Fail(source.status(), 2);
  if (o.args.empty()) return Fail(InvalidArgument("give alert files or folders to test on"), 2);
  FileAlerts fa;
  const int code = LoadAlerts(o, "filter test", &fa);
  pipeline::PythonFilter function(o.python, *source, Limits(o), 1);
  const auto t0 = std::chrono::steady_clock::now();
  if (Status st = function.Check(); !st.ok()) {
    return Fail(st.WithContext("python filter " + o.python + " disabled"));
  }
  const auto t1 = std::chrono::steady_clock::now();
  Result<std::vector<pipeline::PythonResult>> results = std::vector<pipeline::PythonResult>();
  for (int r = 0; r < std::max(1, o.repeat); ++r) {
    results = function.Run(fa.json);
    if (!results.ok()) {
      return Fail(results.status().WithContext("python filter " + o.python + " disabled"));
    }
  }
  const auto t2 = std::chrono::steady_clock::now();
  size_t matches = 0;
  for (size_t i = 0; i < results->size(); ++i) {
    const pipeline::PythonResult& pr = (*results)[i];
    if (!pr.match) continue;
    ++matches;
    nlohmann::json line = {{"alertId", fa.alerts[i].alert_id},
                           {"objectId", fa.alerts[i].object_id},
                           {"annotation", nlohmann::json::parse(pr.annotation.dump())}};
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::printf("%s\n", text.c_str());
  }
  const double start_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  const double run_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
  const size_t calls = fa.json.size() * static_cast<size_t>(std::max(1, o.repeat));
  std::fprintf(stderr,
               "%zu alerts, %zu matches; sandbox start %.1f ms, %zu calls in %.1f ms "
               "(%.1f us per alert)\n",
               fa.json.size(), matches, start_ms, calls, run_ms,
               calls ? run_ms * 1000.0 / static_cast<double>(calls) : 0.0);
  return code;
}

int Test(FilterOptions o) {
  if (!o.python.empty()) return TestPython(o);
  if (o.args.size() != 2) {
    return Fail(InvalidArgument("filter test takes OWNER NAME (or --python FILE ALERTS...)"), 2);
  }
  o.owner = o.args[0];
  o.name = o.args[1];
  const std::string path = filter::RegistryPath(o.dir);
  auto filters = filter::LoadRegistry(path);
  if (!filters.ok()) return Fail(filters.status());
  const int at = Find(*filters, o);
  if (at < 0) return Fail(NoSuchFilter(o, path));
  const filter::FilterSpec& spec = (*filters)[at];
  if (spec.kind == filter::FilterKind::kPython) {
    return Fail(InvalidArgument("filter " + o.owner + "/" + o.name +
                                " is a Python function: try it with --python FILE ALERTS..."), 2);
  }
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

void AddPythonLimits(CLI::App* cmd, FilterOptions* o) {
  cmd->add_option("--timeout-ms", o->timeout_ms, "Python: wall-clock limit per batch")
      ->capture_default_str();
  cmd->add_option("--memory-mb", o->memory_mb, "Python: address-space limit of the worker")
      ->capture_default_str();
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
  add->add_option("--selected", o->selected, "SELECT list");
  add->add_option("--tables", o->tables, "Tables (default objects)");
  add->add_option("--conditions", o->conditions, "WHERE body, may contain ORDER BY");
  add->add_option("--python", o->python,
                  "A Python file defining filter(alert) -> bool | dict, instead of SQL");
  AddPythonLimits(add, o.get());
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
      "test", "Run a registered SQL filter over the stored objects, or a Python function "
              "(--python FILE) over alert files in the sandbox; prints matches and time taken");
  test->add_option("args", o->args, "OWNER NAME, or with --python the alert files/folders")
      ->required();
  test->add_option("--python", o->python, "Python file defining filter(alert)");
  test->add_option("--schema-dir", o->schema_dir,
                   "Schema folder or registry URL (Confluent framing)");
  test->add_option("--repeat", o->repeat,
                   "Run the function over the alerts this many times (timing)");
  AddPythonLimits(test, o.get());
  test->add_option("--limit", o->limit, "Rows to print")->capture_default_str();
  test->add_flag("--json", o->json, "One JSON object per row");
  AddDataDir(test, o.get());
  test->callback([o] { SetExitCode(Test(*o)); });

  CLI::App* alerts = group->add_subcommand(
      "alerts", "Print alerts as Python filter functions receive them (one JSON object per line)");
  AddAlertPathOptions(alerts, &o->args, &o->schema_dir);
  alerts->callback([o] { SetExitCode(Alerts(*o)); });

  CLI::App* results = group->add_subcommand(
      "results", "Print what the filter matched in `lantern run` (one JSON message per line)");
  AddOwnerName(results, o.get());
  results->add_option("--limit", o->limit, "Messages to print")->capture_default_str();
  AddDataDir(results, o.get());
  results->callback([o] { SetExitCode(Results(*o)); });
}

}  // namespace lantern::cli
