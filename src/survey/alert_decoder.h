// AlertDecoder: raw packet bytes (container file, Confluent message) → survey-neutral Alerts,
// i.e. codec::PacketDecoder followed by SurveyMapper. This is the decode stage of the
// pipeline and what `lantern inspect` and `lantern bench decode` run. One per thread; the
// SchemaCache and SchemaResolver it is given may be shared between threads.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "alert/alert.h"
#include "codec/packet.h"
#include "survey/mapper.h"

namespace lantern::survey {

class AlertDecoder {
 public:
  AlertDecoder(codec::SchemaCache* cache, codec::SchemaResolver* resolver)
      : packets_(cache, resolver) {}

  // Calls `on_alert` for every alert in `bytes`, in order. Stops at the first record that
  // cannot be decoded or mapped and returns that error (records before it were delivered).
  Status Decode(const std::shared_ptr<const std::string>& bytes,
                const std::function<void(alert::Alert&&, const codec::DecodedRecord&)>& on_alert);

  // One block of a container file (see codec::PacketDecoder::DecodeBlock).
  Status DecodeBlock(const std::shared_ptr<const codec::Schema>& schema,
                     const codec::ContainerBlock& block,
                     const std::shared_ptr<const std::string>& file, uint32_t first_index,
                     const std::function<void(alert::Alert&&, const codec::DecodedRecord&)>& on_alert);

  // A bare datum (no framing) written with `schema`.
  Status DecodeBare(const std::shared_ptr<const codec::Schema>& schema,
                    const std::shared_ptr<const std::string>& bytes,
                    const std::function<void(alert::Alert&&, const codec::DecodedRecord&)>& on_alert);

 private:
  // A record callback that maps each record and hands it on; the first mapping error is kept
  // in *mapping_error and later records are skipped.
  std::function<void(codec::DecodedRecord&&)> MapEach(
      Status* mapping_error,
      const std::function<void(alert::Alert&&, const codec::DecodedRecord&)>& on_alert);

  codec::PacketDecoder packets_;
  SurveyMapper mapper_;
};

}  // namespace lantern::survey
