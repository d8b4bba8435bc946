#!/usr/bin/env bash
# Prepare .device/, the kit a lent GPU machine needs (run it HERE, on a
# machine with PyPI, before the first device call):
#
#   tools/gpu_kit.sh [SHARED_DIR]        (default: ../shared)
#
# - copies SHARED_DIR/device/ (the pure-Python OpenMMLab wheels and
#   setup.sh, see its README) into .device/ and git-ignores it
#   (.git/info/exclude), so that the device tool carries it (carry: .device);
# - adds pytest's wheels for Python 3.12 (the GPU machine has no pytest and
#   no network): `pytest -m cuda` is the first check tools/gpu_check.sh runs;
# - copies the two real THUMOS14 annotation files the benchmark's epoch part
#   shapes its data on into .device/shared_data/ (shared/ is not carried).
#
# Then, on the device: bash tools/gpu_check.sh "$OUT/gc" (it sources
# .device/setup.sh itself).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${1:-../shared}
PIP=${PIP:-python3 -m pip}
[ -f "$SHARED/device/setup.sh" ] || {
    echo "error: $SHARED/device/setup.sh not found (pass the shared folder)" >&2
    exit 1
}
mkdir -p .device/shared_data
cp -r "$SHARED/device/." .device/
exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
grep -qx '/.device/' "$exclude" 2>/dev/null || echo '/.device/' >> "$exclude"
# pytest and its dependencies, as pure-Python wheels for the device's Python
$PIP download -q --disable-pip-version-check --only-binary=:all: \
    --python-version 3.12 --platform manylinux2014_x86_64 \
    -d .device/wheels pytest 2>&1 | grep -v '^WARNING: Location' || true
ls .device/wheels/pytest-*.whl > /dev/null
for f in gt_thumos14.json THUMOS14_Background-Click-Annotation_A1.txt; do
    cp "$SHARED/data/$f" .device/shared_data/ 2>/dev/null \
        || echo "note: $SHARED/data/$f missing: the epoch part will use synthetic videos"
done
echo "device kit ready: $(du -sh .device | cut -f1) in .device/ ($(ls .device/wheels | wc -l) wheels)"
