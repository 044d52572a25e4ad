// Read side of the store for the CLI and the web API: an object with its rows as JSON, cone
// searches over the positions table, dead letters by reason. Each call opens its own
// iterators; safe from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"
#include "core/status.h"
#include "store/object_record.h"
#include "store/store.h"

namespace lantern::store {

// The object with this id in either survey (ZTF first), or nullopt.
Result<std::optional<ObjectRecord>> FindObject(const Store& store, std::string_view object_id);

// {"object_id", "survey", "ra", "dec", "latest_alert_id", "features": {column: value},
//  "context": {...} or null, "detections": [...], "forced": [...], "nondetections": [...],
//  "watchlist_hits": [...]}; each row has "mjd", "band" and the survey's own fields.
Result<std::string> ObjectJson(const Store& store, const ObjectRecord& record);

struct ConeHit {
  alert::Survey survey = alert::Survey::kZtf;
  std::string object_id;
  double ra = 0;
  double dec = 0;
  double sep_arcsec = 0;
};
// Objects whose mean position lies within `radius_arcsec` (at most 3600) of (ra, dec),
// nearest first.
Result<std::vector<ConeHit>> Cone(const Store& store, double ra_deg, double dec_deg,
                                  double radius_arcsec);

// SHA-256 (hex) over every key and value of a table, in key order: two stores with equal
// digests hold the same rows (what the idempotency and crash-safety tests compare).
Result<std::string> TableDigest(const Store& store, Table table);

// Dead letters: reason → count.
Result<std::map<std::string, uint64_t>> DeadLettersByReason(const Store& store);

// Dead-letter value: [reason: varint length + bytes][raw packet bytes].
std::string DeadLetterValue(std::string_view reason, std::string_view raw);
// The reason class of a decode error message: without its leading location and with digits
// masked ("byte 4711: record 3: input ends inside a float" → "input ends inside a float"),
// so counters group like errors together.
std::string ReasonClass(std::string_view message);

}  // namespace lantern::store
