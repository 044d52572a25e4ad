#!/usr/bin/env bash
# CPU seconds (user + system, all threads) of one `lantern run` from a Kafka topic to Kafka:
# the A/B measurement of docs/benchmarks.md ("Fewer messages, a prompt idle exit"). Run it
# alternately with two binaries (or with and without an option) on the same topic.
#
# Usage: bench/lantern_cpu.sh LANTERN BOOTSTRAP TOPIC THREADS [extra lantern run options...]
# Prints: cpu <seconds> wall <seconds> alerts <count>
set -euo pipefail
lantern="$1" bootstrap="$2" topic="$3" threads="$4"
shift 4
store="$(mktemp -d)"
trap 'rm -rf "$store"' EXIT
tag="cpu-$$-$RANDOM"
/usr/bin/time -f "TIME %U %S %e" "$lantern" run --source "kafka://$bootstrap/$topic" \
  --group "$tag" --sink "kafka://$bootstrap" --sink-prefix "$tag" --exit-when-idle 2 \
  --threads "$threads" --cutouts count --data-dir "$store/store" --progress 0 "$@" 2>&1 |
  awk '/alerts in/ {a = $1} /^TIME/ {printf "cpu %.2f wall %.1f alerts %s\n", $2 + $3, $4, a}'
