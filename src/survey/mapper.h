// SurveyMapper fills the survey-neutral Alert (alert/alert.h) from a decoded packet: ZTF
// (schemas 1.5 … 4.02, and Fink's Spark re-serialisations), Rubin (7.0 … 11.1) and Lantern's
// own schema (schemas/lantern). Fields are found by name, never by record name or position;
// per writer schema the field positions are resolved once and cached, so mapping costs a few
// slot reads per detection. One SurveyMapper per thread.
#pragma once

#include <memory>
#include <unordered_map>

#include "alert/alert.h"
#include "codec/datum.h"
#include "core/status.h"

namespace lantern::survey {

struct SchemaPlan;

class SurveyMapper {
 public:
  SurveyMapper();
  ~SurveyMapper();

  // `schema_id` is the Confluent id when the packet came framed that way (-1 otherwise); it
  // gives the Rubin schema version when the schema itself does not.
  Result<alert::Alert> Map(std::shared_ptr<const codec::Datum> datum, int32_t schema_id = -1);

 private:
  SchemaPlan& PlanFor(const codec::Datum& datum);
  std::unordered_map<const codec::Schema*, std::unique_ptr<SchemaPlan>> plans_;
  // Keeps the schemas alive so the cache keys stay valid.
  std::vector<std::shared_ptr<const codec::Schema>> schemas_;
};

}  // namespace lantern::survey
