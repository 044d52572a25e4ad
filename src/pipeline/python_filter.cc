#include "pipeline/python_filter.h"

#include <chrono>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "codec/datum.h"
#include "codec/json.h"

namespace lantern::pipeline {
namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json;

// Alerts per request are cut at this many bytes so that one frame stays moderate.
constexpr size_t kMaxRequestBytes = 8u << 20;

Json NumberOrNull(double d) { return std::isfinite(d) ? Json(d) : Json(); }

Json FeatureJson(const features::FeatureValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return NumberOrNull(*d);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return Json();
}

}  // namespace

Json LightCurveJson(const features::LightCurve& lc) {
  Json out = Json::array();
  for (const features::LightCurvePoint& p : lc.detections) {
    out.push_back({{"mjd", p.mjd},
                   {"band", p.band},
                   {"flux", NumberOrNull(p.flux)},
                   {"fluxErr", NumberOrNull(p.flux_err)},
                   {"mag", NumberOrNull(p.mag)},
                   {"magErr", NumberOrNull(p.mag_err)},
                   {"sourceId", p.source_id}});
  }
  return out;
}

Json AlertFieldsJson(const alert::Alert& a) {
  const auto* datum = dynamic_cast<const codec::Datum*>(a.packet.get());
  if (datum == nullptr) return Json();
  const codec::Value root = datum->root();
  if (root.type() != codec::Type::kRecord) return Json();
  Json out = Json::object();
  for (uint32_t i = 0; i < root.FieldCount(); ++i) {
    const std::string& name = root.node().fields[i].name;
    if (name.find("cutout") != std::string::npos || name.find("Cutout") != std::string::npos) {
      continue;
    }
    std::string text;
    codec::AppendJson(root.FieldAt(i), &text);
    out[name] = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  }
  return out;
}

PythonAlert MakePythonAlert(const ProcessedAlert& pa, std::span<const WatchlistHit* const> hits) {
  Json j = Json::object();
  j["survey"] = std::string(alert::SurveyName(pa.alert->survey));
  j["objectId"] = pa.alert->object_id;
  j["alertId"] = pa.alert->alert_id;
  j["ra"] = pa.object != nullptr ? NumberOrNull(pa.object->ra) : Json();
  j["dec"] = pa.object != nullptr ? NumberOrNull(pa.object->dec) : Json();
  Json features = Json::object();
  for (const auto& [name, value] : pa.features.columns()) features[name] = FeatureJson(value);
  j["features"] = std::move(features);
  Json context;
  if (pa.object != nullptr && !pa.object->context_json.empty()) {
    context = Json::parse(pa.object->context_json, nullptr, /*allow_exceptions=*/false);
    if (context.is_discarded()) context = Json();
  }
  j["context"] = std::move(context);
  Json wl = Json::array();
  for (const WatchlistHit* h : hits) {
    wl.push_back({{"wl_id", h->watchlist_id}, {"name", h->target}, {"arcsec", h->sep_arcsec}});
  }
  j["watchlists"] = std::move(wl);
  j["lightcurve"] = pa.object != nullptr ? LightCurveJson(pa.object->light_curve) : Json::array();
  j["candidate"] = nullptr;
  PythonAlert out;
  out.head = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  // The packet as text, field by field (codec::AppendJson writes valid JSON: NaN as "NaN"),
  // with the triggering detection's text spliced into the head.
  std::string candidate;
  const auto* datum = dynamic_cast<const codec::Datum*>(pa.alert->packet.get());
  if (datum == nullptr || datum->root().type() != codec::Type::kRecord) {
    out.packet = "null";
    return out;
  }
  const codec::Value root = datum->root();
  out.packet = "{";
  for (uint32_t i = 0; i < root.FieldCount(); ++i) {
    const std::string& name = root.node().fields[i].name;
    if (name.find("cutout") != std::string::npos || name.find("Cutout") != std::string::npos) {
      continue;
    }
    if (out.packet.size() > 1) out.packet.push_back(',');
    codec::AppendJsonString(name, &out.packet);
    out.packet.push_back(':');
    const size_t at = out.packet.size();
    codec::AppendJson(root.FieldAt(i), &out.packet);
    if (name == "candidate" || name == "diaSource") candidate = out.packet.substr(at);
  }
  out.packet.push_back('}');
  if (!candidate.empty()) {
    constexpr std::string_view kNull = "\"candidate\":null}";
    out.head.replace(out.head.size() - kNull.size(), kNull.size(),
                     "\"candidate\":" + candidate + "}");
  }
  return out;
}

std::string AlertJson(const PythonAlert& alert) {
  std::string out = alert.head;
  out.pop_back();  // '}'
  out += ",\"alert\":";
  out += alert.packet;
  out.push_back('}');
  return out;
}

struct PythonFilter::Worker {
  std::unique_ptr<SandboxProcess> process;
  Clock::duration busy{};  // wall time spent in batches: retire before RLIMIT_CPU ends it
};

PythonFilter::PythonFilter(std::string name, std::string source, SandboxLimits limits,
                           size_t max_workers)
    : name_(std::move(name)),
      source_(std::move(source)),
      limits_(std::move(limits)),
      max_workers_(max_workers == 0 ? 1 : max_workers) {}

PythonFilter::~PythonFilter() = default;

bool PythonFilter::disabled() const {
  std::lock_guard lock(mu_);
  return !reason_.empty();
}

std::string PythonFilter::reason() const {
  std::lock_guard lock(mu_);
  return reason_;
}

Status PythonFilter::Disable(const Status& why) {
  std::lock_guard lock(mu_);
  if (reason_.empty()) reason_ = why.message();
  idle_.clear();  // kills the idle workers
  live_ = 0;
  cv_.notify_all();
  return Status(why.code(), reason_);
}

Result<std::unique_ptr<PythonFilter::Worker>> PythonFilter::Borrow() {
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !reason_.empty() || !idle_.empty() || live_ < max_workers_; });
    if (!reason_.empty()) return Internal(reason_);
    if (!idle_.empty()) {
      auto w = std::move(idle_.back());
      idle_.pop_back();
      return w;
    }
    ++live_;
  }
  auto fail = [&](const Status& st) {
    {
      std::lock_guard lock(mu_);
      if (live_ > 0) --live_;
    }
    return Disable(st);
  };
  auto process = SandboxProcess::Start(limits_);
  if (!process.ok()) {
    // Not the function's fault (bwrap or the package is missing): report, do not disable.
    std::lock_guard lock(mu_);
    if (live_ > 0) --live_;
    cv_.notify_all();
    return process.status();
  }
  const Json hello = {{"name", name_}, {"source", source_}, {"nproc", 16}};
  auto reply = (*process)->Exchange(hello.dump(), limits_.start_timeout);
  if (!reply.ok()) return fail(reply.status().WithContext("starting the function"));
  const Json r = Json::parse(*reply, nullptr, /*allow_exceptions=*/false);
  if (r.is_object() && r.contains("fatal") && r["fatal"].is_string()) {
    return fail(InvalidArgument(r["fatal"].get<std::string>()));
  }
  if (!r.is_object() || r.value("ready", false) != true) {
    return fail(Internal("python worker broke the protocol: no ready reply"));
  }
  auto w = std::make_unique<Worker>();
  w->process = std::move(process).value();
  return w;
}

void PythonFilter::Return(std::unique_ptr<Worker> worker) {
  std::lock_guard lock(mu_);
  const bool worn = worker->busy > std::chrono::seconds(limits_.cpu_seconds) / 2;
  if (reason_.empty() && !worn && worker->process->alive()) {
    idle_.push_back(std::move(worker));
  } else if (reason_.empty() && live_ > 0) {
    --live_;  // a fresh worker replaces it on demand
  }
  cv_.notify_one();
}

Status PythonFilter::Check() {
  ASSIGN_OR_RETURN(auto w, Borrow());
  Return(std::move(w));
  return Status::Ok();
}

Result<std::vector<PythonResult>> PythonFilter::Run(std::span<const PythonAlert> alerts) {
  std::vector<PythonResult> results;
  results.reserve(alerts.size());
  if (alerts.empty()) return results;
  ASSIGN_OR_RETURN(auto w, Borrow());
  size_t next = 0;
  std::string request;
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) request[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  };
  auto append = [&](const std::string& text) {
    const size_t at = request.size();
    request.resize(at + 4);
    put32(at, static_cast<uint32_t>(text.size()));
    request.append(text);
  };
  while (next < alerts.size()) {
    // A batch request: count, then per alert the head and the packet, each length-prefixed.
    request.assign(4, '\0');
    const size_t first = next;
    while (next < alerts.size() &&
           (next == first ||
            request.size() + alerts[next].head.size() + alerts[next].packet.size() <
                kMaxRequestBytes)) {
      append(alerts[next].head);
      append(alerts[next].packet);
      ++next;
    }
    put32(0, static_cast<uint32_t>(next - first));
    const auto start = Clock::now();
    auto reply = w->process->Exchange(request, limits_.exchange_timeout);
    w->busy += Clock::now() - start;
    if (!reply.ok()) {
      return Disable(reply.status().WithContext(
          fmt::format("batch of {} alerts", next - first)));
    }
    const Json r = Json::parse(*reply, nullptr, /*allow_exceptions=*/false);
    if (r.is_object() && r.contains("fatal") && r["fatal"].is_string()) {
      std::string why = r["fatal"].get<std::string>();
      const std::string tail = w->process->stderr_tail();
      if (!tail.empty()) {
        why += "; stderr: " + tail.substr(tail.size() > 1000 ? tail.size() - 1000 : 0);
      }
      return Disable(InvalidArgument(why));
    }
    if (!r.is_object() || !r.contains("results") || !r["results"].is_array() ||
        r["results"].size() != next - first) {
      return Disable(Internal(fmt::format(
          "python worker broke the protocol: expected {} results", next - first)));
    }
    for (const Json& item : r["results"]) {
      PythonResult pr;
      if (item.is_boolean()) {
        pr.match = item.get<bool>();
      } else if (item.is_object() && item.contains("annotation") &&
                 item["annotation"].is_object()) {
        pr.match = true;
        pr.annotation = item["annotation"];
      } else {
        return Disable(Internal("python worker broke the protocol: bad result " + item.dump()));
      }
      results.push_back(std::move(pr));
    }
  }
  Return(std::move(w));
  return results;
}

}  // namespace lantern::pipeline
