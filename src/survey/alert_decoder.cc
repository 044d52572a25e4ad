#include "survey/alert_decoder.h"

#include <fmt/format.h>

namespace lantern::survey {

Status AlertDecoder::Decode(
    const std::shared_ptr<const std::string>& bytes,
    const std::function<void(alert::Alert&&, const codec::DecodedRecord&)>& on_alert) {
  Status mapping_error;
  Status st = packets_.DecodeAll(bytes, [&](codec::DecodedRecord&& record) {
    if (!mapping_error.ok()) return;
    auto mapped = mapper_.Map(record.datum, record.schema_id);
    if (!mapped.ok()) {
      mapping_error = mapped.status().WithContext(
          fmt::format("record {} at byte {}", record.index, record.offset));
      return;
    }
    on_alert(std::move(mapped).value(), record);
  });
  return mapping_error.ok() ? st : mapping_error;
}

Status AlertDecoder::DecodeBare(
    const std::shared_ptr<const codec::Schema>& schema,
    const std::shared_ptr<const std::string>& bytes,
    const std::function<void(alert::Alert&&, const codec::DecodedRecord&)>& on_alert) {
  ASSIGN_OR_RETURN(codec::DecodedRecord record, packets_.DecodeBare(schema, bytes));
  auto mapped = mapper_.Map(record.datum, record.schema_id);
  if (!mapped.ok()) return mapped.status();
  on_alert(std::move(mapped).value(), record);
  return Status::Ok();
}

}  // namespace lantern::survey
