#include "survey/alert_decoder.h"

#include <fmt/format.h>

namespace lantern::survey {

Status AlertDecoder::Decode(
    const std::shared_ptr<const std::string>& bytes,
    const std::function<void(alert::Alert&&, const codec::DecodedRecord&)>& on_alert) {
  Status mapping_error;
  Status st = packets_.DecodeAll(bytes, MapEach(&mapping_error, on_alert));
  return mapping_error.ok() ? st : mapping_error;
}

Status AlertDecoder::DecodeBlock(
    const std::shared_ptr<const codec::Schema>& schema, const codec::ContainerBlock& block,
    const std::shared_ptr<const std::string>& file, uint32_t first_index,
    const std::function<void(alert::Alert&&, const codec::DecodedRecord&)>& on_alert) {
  Status mapping_error;
  Status st =
      packets_.DecodeBlock(schema, block, file, first_index, MapEach(&mapping_error, on_alert));
  return mapping_error.ok() ? st : mapping_error;
}

std::function<void(codec::DecodedRecord&&)> AlertDecoder::MapEach(
    Status* mapping_error,
    const std::function<void(alert::Alert&&, const codec::DecodedRecord&)>& on_alert) {
  return [this, mapping_error, &on_alert](codec::DecodedRecord&& record) {
    if (!mapping_error->ok()) return;
    auto mapped = mapper_.Map(record.datum, record.schema_id);
    if (!mapped.ok()) {
      *mapping_error = mapped.status().WithContext(
          fmt::format("record {} at byte {}", record.index, record.offset));
      return;
    }
    on_alert(std::move(mapped).value(), record);
  };
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
