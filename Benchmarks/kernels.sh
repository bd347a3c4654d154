#!/usr/bin/env bash
# The engine's kernel numbers, debug build (what `swift run` uses) next to release, alternating runs, medians.
# Usage: bash Benchmarks/kernels.sh [RUNS]   (default 3 runs of each build, each run itself a median of 5 reps)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
swift build --product gan-bench >/dev/null
swift build -c release --product gan-bench >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for i in $(seq "$runs"); do
  .build/debug/gan-bench --kernels >>"$tmp/debug.jsonl"
  .build/release/gan-bench --kernels >>"$tmp/release.jsonl"
done
python3 - "$tmp" <<'PY'
import json, statistics, sys
folder = sys.argv[1]
def load(name):
    rows = {}
    for line in open(f"{folder}/{name}.jsonl"):
        d = json.loads(line)
        if d["record"] == "blas": blas = d["description"]; continue
        rows.setdefault(d["kernel"], []).append(d)
    return rows, blas
debug, blas = load("debug")
release, _ = load("release")
print(f"BLAS: {blas}")
print(f"{'kernel':48} {'debug GFLOP/s':>14} {'release':>9} {'debug/release':>14} {'of GEMM (debug)':>16}")
for k, ds in debug.items():
    d = statistics.median(x["gflops"] for x in ds)
    r = statistics.median(x["gflops"] for x in release[k])
    frac = [x["fraction_of_gemm"] for x in ds if "fraction_of_gemm" in x]
    extra = f"{statistics.median(frac):16.2f}" if frac else ""
    print(f"{k:48} {d:14.1f} {r:9.1f} {d / r:14.2f} {extra}")
PY
