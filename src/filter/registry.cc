#include "filter/registry.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "filter/filter.h"
#include "filter/schema.h"

namespace lantern::filter {
namespace {

using Json = nlohmann::ordered_json;

Status CheckIdent(std::string_view what, const std::string& value) {
  if (value.empty() || value.size() > 64) {
    return InvalidArgument(std::string(what) + " must be 1 to 64 characters, not " +
                           std::to_string(value.size()));
  }
  for (char c : value) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) {
      return InvalidArgument(std::string(what) + " '" + value +
                             "' may contain only letters, digits, '_' and '-'");
    }
  }
  return Status::Ok();
}

constexpr size_t kMaxPythonSource = 1 << 20;

// SQL entries keep the original shape (no "kind"); Python entries carry "kind" and "python".
Json ToJson(const FilterSpec& f) {
  Json j{{"owner", f.owner}, {"name", f.name}};
  if (f.kind == FilterKind::kPython) j["kind"] = "python";
  j["survey"] = alert::SurveyName(f.survey);
  if (f.kind == FilterKind::kSql) {
    j["selected"] = f.selected;
    j["tables"] = f.tables;
    j["conditions"] = f.conditions;
  } else {
    j["python"] = f.python;
  }
  j["active"] = f.active;
  j["mode"] = OutputModeName(f.mode);
  j["daily_quota_bytes"] = f.daily_quota_bytes;
  if (!f.disabled_reason.empty()) j["disabled_reason"] = f.disabled_reason;
  return j;
}

// One entry of the array; errors name the missing or mistyped field.
Result<FilterSpec> FromJson(const Json& j) {
  if (!j.is_object()) return InvalidArgument("not a JSON object");
  FilterSpec f;
  auto text = [&](const char* key, std::string* out, bool required) -> Status {
    auto it = j.find(key);
    if (it == j.end()) {
      return required ? InvalidArgument(std::string("missing \"") + key + "\"") : Status::Ok();
    }
    if (!it->is_string()) return InvalidArgument(std::string("\"") + key + "\" must be a string");
    *out = it->get<std::string>();
    return Status::Ok();
  };
  RETURN_IF_ERROR(text("owner", &f.owner, true));
  RETURN_IF_ERROR(text("name", &f.name, true));
  std::string kind = "sql";
  RETURN_IF_ERROR(text("kind", &kind, false));
  if (kind == "sql") {
    f.kind = FilterKind::kSql;
  } else if (kind == "python") {
    f.kind = FilterKind::kPython;
  } else {
    return InvalidArgument("\"kind\" must be \"sql\" or \"python\", not \"" + kind + "\"");
  }
  const bool sql = f.kind == FilterKind::kSql;
  RETURN_IF_ERROR(text("selected", &f.selected, sql));
  RETURN_IF_ERROR(text("tables", &f.tables, false));
  RETURN_IF_ERROR(text("conditions", &f.conditions, false));
  RETURN_IF_ERROR(text("python", &f.python, !sql));
  RETURN_IF_ERROR(text("disabled_reason", &f.disabled_reason, false));
  std::string survey = "ztf", mode = "plain";
  RETURN_IF_ERROR(text("survey", &survey, false));
  if (survey == "ztf") {
    f.survey = alert::Survey::kZtf;
  } else if (survey == "lsst") {
    f.survey = alert::Survey::kLsst;
  } else {
    return InvalidArgument("\"survey\" must be \"ztf\" or \"lsst\", not \"" + survey + "\"");
  }
  RETURN_IF_ERROR(text("mode", &mode, false));
  ASSIGN_OR_RETURN(f.mode, ParseOutputMode(mode));
  if (auto it = j.find("active"); it != j.end()) {
    if (!it->is_boolean()) return InvalidArgument("\"active\" must be true or false");
    f.active = it->get<bool>();
  }
  if (auto it = j.find("daily_quota_bytes"); it != j.end()) {
    if (!it->is_number_unsigned()) {
      return InvalidArgument("\"daily_quota_bytes\" must be a non-negative integer");
    }
    f.daily_quota_bytes = it->get<uint64_t>();
  }
  return f;
}

}  // namespace

Result<OutputMode> ParseOutputMode(std::string_view name) {
  if (name == "plain") return OutputMode::kPlain;
  if (name == "lite") return OutputMode::kLite;
  if (name == "full") return OutputMode::kFull;
  return InvalidArgument("output mode must be plain, lite or full, not \"" + std::string(name) +
                         "\"");
}

std::string_view OutputModeName(OutputMode mode) {
  switch (mode) {
    case OutputMode::kPlain: return "plain";
    case OutputMode::kLite: return "lite";
    case OutputMode::kFull: return "full";
  }
  return "plain";
}

std::string FilterSpec::topic() const { return "lantern.filter." + owner + "." + name; }

std::string RegistryPath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "filters.json").string();
}

Result<std::vector<FilterSpec>> LoadRegistry(const std::string& path) {
  std::vector<FilterSpec> out;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return out;  // no file yet: no filters
    return IoError("cannot read filter registry " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  const Json doc = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("filter registry " + path + ": not valid JSON");
  if (!doc.is_array()) {
    return InvalidArgument("filter registry " + path + ": must be a JSON array of filters");
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < doc.size(); ++i) {
    auto spec = FromJson(doc[i]);
    Status st = spec.status();
    if (st.ok()) st = CheckIdent("owner", spec->owner);
    if (st.ok()) st = CheckIdent("name", spec->name);
    if (st.ok() && !seen.emplace(spec->owner, spec->name).second) {
      st = InvalidArgument("duplicate filter " + spec->owner + "/" + spec->name);
    }
    if (!st.ok()) {
      std::string where = "filter registry " + path + " entry " + std::to_string(i);
      const Json& e = doc[i];
      if (e.is_object()) {
        const auto owner = e.find("owner");
        const auto name = e.find("name");
        if (owner != e.end() && owner->is_string() && name != e.end() && name->is_string()) {
          where += " (" + owner->get<std::string>() + "/" + name->get<std::string>() + ")";
        }
      }
      return st.WithContext(where);
    }
    out.push_back(std::move(*spec));
  }
  return out;
}

std::string SpecToJson(const FilterSpec& spec) { return ToJson(spec).dump(); }

Status SaveRegistry(const std::string& path, const std::vector<FilterSpec>& filters) {
  Json doc = Json::array();
  for (const FilterSpec& f : filters) doc.push_back(ToJson(f));
  const std::string text = doc.dump(2) + "\n";
  // The temporary file sits in the same directory so that rename() replaces atomically.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::FILE* out = std::fopen(tmp.c_str(), "wb");
    if (out == nullptr) return IoError("cannot write " + tmp);
    const bool written = std::fwrite(text.data(), 1, text.size(), out) == text.size();
    const bool synced = std::fflush(out) == 0 && ::fsync(::fileno(out)) == 0;
    if (std::fclose(out) != 0 || !written || !synced) {
      std::remove(tmp.c_str());
      return IoError("cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return IoError("cannot replace " + path + " with " + tmp);
  }
  return Status::Ok();
}

Status ValidateFilter(const FilterSpec& spec) {
  RETURN_IF_ERROR(CheckIdent("owner", spec.owner));
  RETURN_IF_ERROR(CheckIdent("name", spec.name));
  if (spec.kind == FilterKind::kPython) {
    if (spec.python.empty()) return InvalidArgument("the Python source must not be empty");
    if (spec.python.size() > kMaxPythonSource) {
      return InvalidArgument("the Python source is " + std::to_string(spec.python.size()) +
                             " bytes; at most " + std::to_string(kMaxPythonSource));
    }
    return Status::Ok();
  }
  if (spec.selected.empty()) return InvalidArgument("selected must not be empty");
  auto compiled = CompileFilter(spec.selected, spec.tables, spec.conditions,
                                Schema::For(spec.survey));
  return compiled.status();
}

Status DisableInRegistry(const std::string& path, const std::string& owner,
                         const std::string& name, const std::string& reason) {
  ASSIGN_OR_RETURN(std::vector<FilterSpec> filters, LoadRegistry(path));
  for (FilterSpec& f : filters) {
    if (f.owner == owner && f.name == name) {
      f.disabled_reason = reason.empty() ? "disabled" : reason;
      return SaveRegistry(path, filters);
    }
  }
  return NotFound("no filter " + owner + "/" + name + " in " + path);
}

}  // namespace lantern::filter
