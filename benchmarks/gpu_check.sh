#!/usr/bin/env bash
# The GPU checks of issue 18 in one run, on a machine with an NVIDIA GPU, CuPy and PyTorch
# and no package index (the device machine). From the repository root:
#
#     bash benchmarks/gpu_check.sh                 logs under $OUT (else ./gpu_logs)
#
# It runs descend from this working tree (PYTHONPATH=src: nothing is pip-installed), then,
# in order of value, each step logged to its own file (8 files at most come back):
#   env.log      GPU, CuPy, PyTorch, and what descend sees
#   cuda.log     the CUDA test cases (the device fixture's 'cuda' cases, PyTorch on CUDA)
#   digits.log   descend train on the built-in digits, --device cuda and --device cpu
#   mnist.log    the same with --model lenet on MNIST ($MNIST_DIR, ./shared/data/mnist
#                or ../shared/data/mnist; skipped when none is there)
#   bench.log    benchmarks/gpu.py (and bench.json)
#   suite.log    the whole test suite, in the time left of $DEADLINE seconds (default 560:
#                the device tool stops a command at 600)
#   summary.txt  each step's command, status, time and last lines
# Needs tomli-w (descend writes config.toml with it): if python3 lacks it, put its wheel in
# $WHEELS (default .whl) first, on a machine with an index: pip download --no-deps tomli-w
# CPU-only machines can check the script itself: CPU_ONLY=1 bash benchmarks/gpu_check.sh
set -u -o pipefail
OUT=${OUT:-$PWD/gpu_logs}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
RUNS=${RUNS:-/tmp/descend_gpu_runs}
export PYTHONPATH="$PWD/src:$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
DEVICE=cuda
[ "${CPU_ONLY:-0}" = 1 ] && DEVICE=cpu
status=0

step() {  # step NAME COMMAND...: run it, log to $OUT/NAME.log, note it in summary.txt
    local name=$1 start rc
    shift
    echo "== $name: $*" >> "$OUT/summary.txt"
    start=$(date +%s)
    "$@" >> "$OUT/$name.log" 2>&1
    rc=$?
    echo "   exit $rc after $(($(date +%s) - start)) s" >> "$OUT/summary.txt"
    tail -n 8 "$OUT/$name.log" | sed 's/^/   | /' >> "$OUT/summary.txt"
    [ "$rc" -eq 0 ] || status=1
    return 0
}

WHEELS=${WHEELS:-.whl}
if ! $PY -c "import tomli_w" 2>/dev/null && ls "$WHEELS"/tomli_w-*.whl >/dev/null 2>&1; then
    $PY -m pip install -q --no-index --no-deps --target /tmp/gpu_site "$WHEELS"/tomli_w-*.whl
    export PYTHONPATH="$PYTHONPATH:/tmp/gpu_site"
fi

step env bash -c "nvidia-smi -L; $PY - <<'EOF'
import numpy, descend as ds
print('numpy', numpy.__version__, '| descend from', ds.__file__)
for name in ('cupy', 'torch', 'tomli_w'):
    try:
        module = __import__(name)
        print(name, getattr(module, '__version__', 'present'))
    except ImportError as error:
        print(name, 'MISSING:', error)
print('ds.cuda.is_available()', ds.cuda.is_available(), 'device_count()', ds.cuda.device_count())
if ds.cuda.is_available():
    print('device', ds.backend.describe('cuda'))
EOF"

# The CUDA cases: every test parametrized by device runs its 'cuda' case here.
step cuda "$PY" -m pytest -q -n 8 -p no:cacheprovider -rs -k "$DEVICE" \
    tests/tensor tests/nn tests/optim tests/train tests/cli/test_device.py

compare() {  # compare NAME ARGS...: train on $DEVICE and on the CPU, test accuracies side by side
    local name=$1
    shift
    for device in "$DEVICE" cpu; do
        $PY -m descend train "$@" --device "$device" --out "$RUNS/$name-$device" --force \
            --quiet || return 1
    done
    $PY - "$RUNS/$name-$DEVICE" "$RUNS/$name-cpu" <<'EOF'
import json, sys
device, cpu = (json.load(open(f"{folder}/metrics.json"))["test"]["accuracy"] for folder in sys.argv[1:])
gap = 100 * abs(device - cpu)
print(f"test accuracy: {sys.argv[1]} {device:.4f}, {sys.argv[2]} {cpu:.4f}, gap {gap:.2f} points")
sys.exit(0 if gap <= 0.5 else 1)
EOF
}

step digits compare digits --epochs 30 --seed 0

MNIST=${MNIST_DIR:-}
for candidate in shared/data/mnist ../shared/data/mnist; do
    [ -z "$MNIST" ] && [ -d "$candidate" ] && MNIST=$candidate
done
if [ -n "$MNIST" ]; then
    step mnist compare mnist --data "$MNIST" --model lenet --epochs 5 --seed 0
else
    echo "== mnist: skipped, no MNIST folder (set MNIST_DIR)" >> "$OUT/summary.txt"
fi

if [ "$DEVICE" = cuda ]; then
    step bench "$PY" benchmarks/gpu.py --rounds 2 --json "$OUT/bench.json"
else
    step bench "$PY" benchmarks/gpu.py --cpu-only --rounds 1 --samples 4000
fi

left=$((${DEADLINE:-560} - SECONDS))
if [ "$left" -gt 30 ]; then
    step suite timeout "$left" "$PY" -m pytest -q -n 8 -p no:cacheprovider tests
else
    echo "== suite: skipped, ${left} s left of the deadline" >> "$OUT/summary.txt"
fi

cat "$OUT/summary.txt"
exit $status
