#!/usr/bin/env bash
# Data-parallel reward training on this machine: NP-BTL steps per second for one process with
# all the threads against N processes (--nproc) with threads / N each, on the same global batch
# (B = 64 tasks, T = 20, C = 10), at the synthetic shape (D = 1) and the UltraFeedback shape
# (D = 4096, random features), with BatchNorm synchronised across the processes (the default) and
# local to 2 micro-batches, and the all-reduce time per step (metrics.jsonl's comm_ms).
#   benchmarks/data-parallel/run.sh [threads=2] [steps=120]
# Needs the built jar (mvn -B package -DskipTests). Medians over the steps after the 10th.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; root="$here/../.."
threads="${1:-2}"; steps="${2:-120}"; out="$(mktemp -d)"
jar="$root/java/target/steer4j.jar"
java -cp "$jar:$root/java/target/lib/*" "$here/UfPairs.java" "$out/uf"
median() {  # median step_ms and comm_ms of a model's metrics.jsonl
  python3 - "$1" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"train"' in l]
rows = [r for r in rows if r["step"] > 10]
ms = statistics.median(r["step_ms"] for r in rows)
comm = statistics.median(r["comm_ms"] for r in rows) if "comm_ms" in rows[0] else float("nan")
print(f"{ms:8.1f} ms/step {1000 / ms:6.1f} steps/s  all-reduce {comm:6.2f} ms/step")
PY
}
run() {  # shape, label, extra args...
  local shape="$1" label="$2"; shift 2
  local dir="$out/$shape-$(echo "$label" | tr -c 'a-z0-9' _)"
  local common=(run.output_dir="$dir" runtime.threads="$threads" eval.batches=1 'eval.contexts=[0]' curves=false)
  if [[ "$shape" == synthetic ]]; then
    args=("$root/configs/synthetic/experiment.yaml" 'models=[nppl.yaml]' "${common[@]}"
      "model_overrides=[train.steps=$steps, train.val_every=100000, sampler.min_context=10, sampler.max_context=10]")
  else
    args=("$root/configs/hh_reward/experiment.yaml" data.path="$out/uf" pipeline.prepare=null pipeline.embed=null 'models=[npbtl_mixed.yaml]'
      "${common[@]}" "model_overrides=[train.steps=$steps, train.val_every=100000, sampler.min_context=10, sampler.max_context=10]")
  fi
  java -Xmx8g -Djava.awt.headless=true -jar "$jar" experiment "${args[@]}" "$@" > "$dir.log" 2>&1 || { cat "$dir.log"; exit 1; }
  printf '%-10s %-38s ' "$shape" "$label"
  median "$(ls "$dir"/*/*/models/*/metrics.jsonl)"
}
for shape in synthetic uf; do
  run "$shape" "1 process x $threads threads, 1 micro-batch" runtime.micro_batches=1
  run "$shape" "1 process x $threads threads, 2 micro-batches" runtime.micro_batches=2
  run "$shape" "2 processes x $((threads / 2 > 0 ? threads / 2 : 1)), synchronised BatchNorm" --nproc 2
  run "$shape" "2 processes x $((threads / 2 > 0 ? threads / 2 : 1)), 2 micro-batches" --nproc 2 runtime.micro_batches=2
done
# the all-reduce alone, 2 ranks x 1 thread
for shape in synthetic uf; do
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  for rank in 1 0; do
    MASTER_ADDR=127.0.0.1 MASTER_PORT=$port WORLD_SIZE=2 RANK=$rank java -cp "$jar:$root/java/target/lib/*" "$here/AllReduce.java" "$shape" \
      2>/dev/null | grep -v '^\[Gloo\]' &
  done
  wait
done
rm -rf "$out"
