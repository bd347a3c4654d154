#!/usr/bin/env bash
# Our engine against the PyTorch reference, side by side: for each workload, alternate `gan-bench` and
# ../shared/bench/pytorch_reference.py ROUNDS times, each run in its own process (so its peak memory is its own),
# then print medians and the ratio ours/PyTorch.
#
# Usage: bash Benchmarks/compare.sh [--only W1,W4] [--rounds 3] [--threads 2] [--python PATH]
# PyTorch: python3 -m venv .venv-torch && .venv-torch/bin/pip install "torch==2.13.0+cpu" numpy
#          (../shared/bench/WORKLOADS.md), then --python .venv-torch/bin/python (the default if it exists).
set -euo pipefail
cd "$(dirname "$0")/.."
only="W1,W2,W3,W4,W5,W6"; rounds=3; threads=2; python=""
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --python) python="$2"; shift 2 ;;
    *) echo "compare.sh: unknown argument '$1'" >&2; exit 64 ;;
  esac
done
if [ -z "$python" ]; then
  if [ -x .venv-torch/bin/python ]; then python=.venv-torch/bin/python; else python=python3; fi
fi
[ -x /usr/bin/time ] || { echo "compare.sh: needs /usr/bin/time for peak memory (apt-get install time)" >&2; exit 69; }
"$python" -c "import torch" 2>/dev/null || { echo "compare.sh: $python cannot import torch (see the usage above)" >&2; exit 69; }
reference=../shared/bench/pytorch_reference.py
[ -f "$reference" ] || { echo "compare.sh: $reference not found (../shared beside the repository)" >&2; exit 66; }
swift build --product gan-bench >/dev/null
swift build -c release --product gan-bench >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
IFS=',' read -ra ids <<<"$only"
# Runs a command under /usr/bin/time and appends its workload record, with the process's peak RSS, to a file.
record() {
  local target=$1; shift
  /usr/bin/time -f "%M" -o "$out/mem" "$@" 2>/dev/null | grep '"workload"' >"$out/line" || true
  if [ -s "$out/line" ]; then
    python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read()); d["peak_kb"]=int(open(sys.argv[2]).read().split()[-1]); print(json.dumps(d))' \
      "$out/line" "$out/mem" >>"$target"
  fi
}
for round in $(seq "$rounds"); do
  for id in "${ids[@]}"; do
    echo "round $round/$rounds: $id" >&2
    record "$out/debug.jsonl" .build/debug/gan-bench --only "$id" --threads "$threads" --reps 3
    record "$out/release.jsonl" .build/release/gan-bench --only "$id" --threads "$threads" --reps 3
    record "$out/torch.jsonl" "$python" "$reference" --only "$id" --threads "$threads" --reps 3 --no-flop-count --wait-quiet 2
  done
done
python3 - "$out" "$threads" <<'PY'
import json, statistics, sys, datetime, platform
folder, threads = sys.argv[1], sys.argv[2]
def load(name):
    rows = {}
    for line in open(f"{folder}/{name}.jsonl"):
        line = line.strip()
        if not line: continue
        d = json.loads(line)
        rows.setdefault(d["workload"], []).append(d)
    return rows
ours, release, torch = load("debug"), load("release"), load("torch")
model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"{datetime.date.today()}, {model}, {threads} threads; medians over rounds of each run's median steps/s")
print(f"| workload | ours (debug) steps/s | ours (release) | PyTorch | ours/PyTorch | debug/release | peak MB ours | peak MB PyTorch |")
print("|---|---|---|---|---|---|---|---|")
for w in torch:
    if w not in ours: continue
    m = lambda rows: statistics.median(r["steps_per_s"] for r in rows)
    p = lambda rows: statistics.median(r["peak_kb"] for r in rows) / 1024
    o, r, t = m(ours[w]), m(release.get(w, ours[w])), m(torch[w])
    print(f"| {w} | {o:.2f} | {r:.2f} | {t:.2f} | {o / t:.2f}x | {o / r:.2f} | {p(ours[w]):.0f} | {p(torch[w]):.0f} |")
# The machine's speed drifts within minutes (the two virtual cores sometimes share one physical core), so each
# round's runs, taken back to back, are also compared with each other: the per-round ratios and their median.
print()
print("| workload | ours (debug) by round | PyTorch by round | ours/PyTorch by round | median of round ratios |")
print("|---|---|---|---|---|")
for w in torch:
    if w not in ours: continue
    a = [r["steps_per_s"] for r in ours[w]]
    b = [r["steps_per_s"] for r in torch[w]]
    ratios = [x / y for x, y in zip(a, b)]
    fmt = lambda v: ", ".join(f"{x:.2f}" for x in v)
    print(f"| {w} | {fmt(a)} | {fmt(b)} | {fmt(ratios)} | {statistics.median(ratios):.2f}x |")
PY
