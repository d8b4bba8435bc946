#!/usr/bin/env bash
# Distributed training with torchrun: one process per GPU (or per CPU
# worker on a machine without CUDA; tools/train.py then uses gloo).
#
#   tools/dist_train.sh CONFIG GPUS [tools/train.py arguments]
#
# Multi-node: run the same command on every node with
#   NNODES=2 NODE_RANK=<0|1> MASTER_ADDR=<ip of node 0> PORT=29500
# (all nodes must reach MASTER_ADDR:PORT). PYTHON selects the interpreter
# (default: `python` on PATH).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 CONFIG GPUS [train.py args]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
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
    "${ROOT}/tools/train.py" "${CONFIG}" --launcher pytorch "${@:3}"
