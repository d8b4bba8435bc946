#!/usr/bin/env bash
# One prepared run of the CUDA checks, sized to fit a 10-minute command:
#
#   tools/gpu_check.sh [OUT_DIR]        (default: work_dirs/gpu_check)
#
# Prepare the kit first, on a machine with PyPI: tools/gpu_kit.sh (the
# OpenMMLab and pytest wheels, the THUMOS14 annotation files), and carry
# .device to the GPU machine. The steps, most important first:
#
#  machine         nvidia-smi, torch / CUDA / cuDNN versions;
#  pytest_cuda     `pytest -m cuda`: the same batch and weights on CPU and
#                  CUDA (losses, gradients, outputs, detections to 1e-4;
#                  tests/e2e/test_devices.py);
#  data            the bundled synthetic benchmark;
#  train_fp32      BackTAL trained + tested on it on the GPU (MMEngine's own
#  train_amp       device handling): fp32, --amp (fp16 + dynamic loss
#  train_amp_bf16  scale) and --amp bf16;
#  benchmark       tools/analysis/benchmark.py --device cuda at THUMOS14
#                  size, B=16: limits, conv layer, training step per
#                  precision, test pass, data;
#  epoch           its Runner part: THUMOS14-sized epochs and test pass;
#  torchrun_1gpu   tools/dist_train.sh with one GPU;
#  two_stage       the two-stage pipeline on the bundled benchmark;
#  compile         --compile (torch.compile of the training step);
#  seed1, seed2    fp32 and --amp again with seeds 1 and 2, while time is
#                  left (mAP within noise of the CPU runs: 3 seeds).
#
# Each step has its own time limit, cut to what is left of the budget
# (GPU_CHECK_BUDGET seconds, default 560: the summary is written before a
# 600-second command limit), writes OUT_DIR/<step>.log and goes on after a
# failure; a step with under 20 s left is skipped. OUT_DIR/summary.txt
# lists every step's exit status and seconds, then each run's test mAP.
# PYTHON: the interpreter (default python3); DEVICE_KIT: the kit's folder
# (default .device), whose setup.sh is sourced when present.
set -u
cd "$(dirname "$0")/.."
OUT=${1:-work_dirs/gpu_check}
BUDGET=${GPU_CHECK_BUDGET:-560}
START=$(date +%s)
mkdir -p "$OUT"
PY=${PYTHON:-python3}
KIT=${DEVICE_KIT:-.device}  # tools/gpu_kit.sh's folder
if [ -f "$KIT/setup.sh" ]; then
    # shellcheck disable=SC1091
    source "$KIT/setup.sh" > "$OUT/setup.log" 2>&1 || {
        cat "$OUT/setup.log"; exit 1; }
fi
SHARED_DATA=../shared/data
[ -d "$KIT/shared_data" ] && SHARED_DATA=$KIT/shared_data
: > "$OUT/summary.txt"

step() {  # step NAME SECONDS COMMAND...
    local name=$1 limit=$2 start rc left
    shift 2
    start=$(date +%s)
    left=$(( BUDGET - (start - START) ))
    if [ "$left" -lt 20 ]; then
        printf '%-15s skipped (budget)\n' "$name" | tee -a "$OUT/summary.txt"
        return
    fi
    [ "$limit" -gt "$left" ] && limit=$left
    timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
    rc=$?
    printf '%-15s rc=%-3s %4ss\n' "$name" "$rc" "$(( $(date +%s) - start ))" \
        | tee -a "$OUT/summary.txt"
}

train() {  # train NAME SECONDS [tools/train.py flags...]
    local name=$1 limit=$2
    shift 2
    step "$name" "$limit" "$PY" tools/train.py "$CFG" --overwrite --test \
        --work-dir "$OUT/$name" "$@"
}

CFG=configs/backtal/backtal_synthetic.py
step machine 60 bash -c "nvidia-smi; $PY -c 'import torch; \
print(\"torch\", torch.__version__, \"cuda\", torch.version.cuda, \
\"cudnn\", torch.backends.cudnn.version(), \
\"gpu\", torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)'"
step pytest_cuda 180 "$PY" -m pytest tests -m cuda -q -rs -p no:cacheprovider
step data 120 "$PY" tools/data/generate_synthetic.py --out data/synthetic \
    --exist-ok
train train_fp32 150
train train_amp 150 --amp
train train_amp_bf16 150 --amp bf16
step benchmark 200 "$PY" tools/analysis/benchmark.py --device cuda \
    --sizes official --batch 16 --parts limit conv train testpass data
# the epoch part's 2.5 GB of features go to /tmp, never into OUT_DIR
step epoch 200 "$PY" tools/analysis/benchmark.py --device cuda \
    --sizes official --parts epoch --shared-data "$SHARED_DATA" \
    --epoch-data /tmp/backtal_epoch_data
step torchrun_1gpu 150 env PYTHON="$PY" tools/dist_train.sh "$CFG" 1 \
    --overwrite --test --work-dir "$OUT/torchrun_1gpu"
step two_stage 240 "$PY" tools/two_stage.py \
    configs/two_stage/backtal_then_anchor_free_synthetic.py \
    --work-dir "$OUT/two_stage"
train compile 200 --compile
for seed in 1 2; do
    train "seed${seed}_fp32" 150 --seed "$seed"
    train "seed${seed}_amp" 150 --amp --seed "$seed"
done
# each run's test mAP (its last test epoch), next to the step table
for log in "$OUT"/*.log; do
    run=$(basename "$log" .log)
    grep -h "Epoch(test)" "$log" 2>/dev/null | tail -1 \
        | sed -n "s/.*\(tal\/mAP_avg: [0-9.]*\).*/$run \1/p" \
        >> "$OUT/summary.txt"
done
# the two-stage table: stage 1, each stage-2 round and the kept model
grep -h "^| \(stage\|final\)" "$OUT/two_stage.log" 2>/dev/null \
    | sed 's/^/two_stage /' >> "$OUT/summary.txt"
cat "$OUT/summary.txt"
