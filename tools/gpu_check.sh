#!/usr/bin/env bash
# One prepared run of the CUDA checks, sized to fit a 10-minute command:
#
#   tools/gpu_check.sh [OUT_DIR]        (default: work_dirs/gpu_check)
#
# 1. the machine: nvidia-smi, torch / CUDA / cuDNN versions;
# 2. `pytest -m cuda`: the same batch and weights on CPU and CUDA (losses,
#    gradients, outputs, detections to 1e-4; tests/e2e/test_devices.py);
# 3. BackTAL trained and tested on the bundled benchmark on the GPU, fp32
#    and --amp, through MMEngine's own device handling;
# 4. the same through torchrun with one GPU (tools/dist_train.sh);
# 5. tools/analysis/benchmark.py --device cuda at THUMOS14 size.
#
# Each step has its own time limit, writes OUT_DIR/<step>.log and goes on
# after a failure; OUT_DIR/summary.txt lists every step's exit status and
# seconds. On a machine without the OpenMMLab packages (the lent GPU
# machines), copy the device kit first (../shared/device/README.md) and add
# pytest's wheels to it on a machine with PyPI:
#   pip download --only-binary=:all: --python-version 3.12 --no-deps \
#       -d .device/wheels pytest pluggy iniconfig packaging
# The script sources .device/setup.sh when it exists.
set -u
cd "$(dirname "$0")/.."
OUT=${1:-work_dirs/gpu_check}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
if [ -f .device/setup.sh ]; then
    # shellcheck disable=SC1091
    source .device/setup.sh > "$OUT/setup.log" 2>&1 || {
        cat "$OUT/setup.log"; exit 1; }
fi
: > "$OUT/summary.txt"

step() {  # step NAME SECONDS COMMAND...
    local name=$1 limit=$2 start rc
    shift 2
    start=$(date +%s)
    timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
    rc=$?
    printf '%-14s rc=%-3s %4ss\n' "$name" "$rc" "$(( $(date +%s) - start ))" \
        | tee -a "$OUT/summary.txt"
}

step machine 60 bash -c "nvidia-smi; $PY -c 'import torch; \
print(\"torch\", torch.__version__, \"cuda\", torch.version.cuda, \
\"cudnn\", torch.backends.cudnn.version(), \
\"gpu\", torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)'"
step pytest_cuda 240 "$PY" -m pytest tests -m cuda -q -rs
step data 240 "$PY" tools/data/generate_synthetic.py --out data/synthetic \
    --exist-ok
CFG=configs/backtal/backtal_synthetic.py
step train_fp32 240 "$PY" tools/train.py "$CFG" --overwrite --test \
    --work-dir "$OUT/train_fp32"
step train_amp 240 "$PY" tools/train.py "$CFG" --overwrite --test --amp \
    --work-dir "$OUT/train_amp"
step torchrun_1gpu 300 env PYTHON="$PY" tools/dist_train.sh "$CFG" 1 \
    --overwrite --test --work-dir "$OUT/torchrun_1gpu"
step benchmark 420 "$PY" tools/analysis/benchmark.py --device cuda \
    --sizes official
# each run's test mAP (its last test epoch), next to the step table
for run in train_fp32 train_amp torchrun_1gpu; do
    grep -h "Epoch(test)" "$OUT/$run.log" 2>/dev/null | tail -1 \
        | sed -n "s/.*\(tal\/mAP_avg: [0-9.]*\).*/$run \1/p" \
        >> "$OUT/summary.txt"
done
cat "$OUT/summary.txt"
