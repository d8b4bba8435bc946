#!/usr/bin/env bash
# Distributed testing with torchrun: the test videos are split across the
# processes and MMEngine gathers the results before the mAP.
#
#   tools/dist_test.sh CONFIG CHECKPOINT GPUS [tools/test.py arguments]
#
# Multi-node: NNODES / NODE_RANK / MASTER_ADDR / PORT as in dist_train.sh.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 CONFIG CHECKPOINT GPUS [test.py args]" >&2
    exit 2
fi
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

PYTHONPATH="${ROOT}:${PYTHONPATH:-}" \
"${PYTHON:-python}" -m torch.distributed.run \
    --nnodes="${NNODES}" \
    --node_rank="${NODE_RANK}" \
    --master_addr="${MASTER_ADDR}" \
    --master_port="${PORT}" \
    --nproc_per_node="${GPUS}" \
    "${ROOT}/tools/test.py" "${CONFIG}" "${CHECKPOINT}" --launcher pytorch \
    "${@:4}"
