#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace lantern::cli {

// -X NAME=VALUE (repeatable): librdkafka properties for every Kafka client the command makes,
// after Lantern's own settings (docs/kafka.md, "Connecting to a secured broker"). Parsed with
// stream::ParseKafkaConfig.
inline void AddKafkaConfigOption(CLI::App* cmd, std::vector<std::string>* assignments) {
  cmd->add_option("-X,--kafka-config", *assignments,
                  "librdkafka property NAME=VALUE for the Kafka clients (repeatable), e.g. "
                  "-X security.protocol=SASL_SSL");
}

}  // namespace lantern::cli
