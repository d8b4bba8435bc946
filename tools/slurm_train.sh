#!/usr/bin/env bash
# Training on a Slurm cluster (srun starts one task per GPU; MMEngine's
# slurm launcher reads the SLURM_* variables).
#
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS="..."] \
#   tools/slurm_train.sh PARTITION JOB_NAME CONFIG [tools/train.py args]
#
# e.g. GPUS=16 tools/slurm_train.sh gpu backtal configs/backtal/\
#      backtal_thumos14.py --work-dir work_dirs/thumos  (2 nodes x 8 GPUs)
# Requeued jobs can always pass --resume: it continues from the work dir's
# last (atomically saved) checkpoint, or starts from scratch if none.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG [train.py args]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

# shellcheck disable=SC2086  # SRUN_ARGS is a list of options
PYTHONPATH="${ROOT}:${PYTHONPATH:-}" \
srun -p "${PARTITION}" \
    --job-name="${JOB_NAME}" \
    --gres=gpu:"${GPUS_PER_NODE}" \
    --ntasks="${GPUS}" \
    --ntasks-per-node="${GPUS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "${PYTHON:-python}" -u "${ROOT}/tools/train.py" "${CONFIG}" --launcher slurm "${@:4}"
