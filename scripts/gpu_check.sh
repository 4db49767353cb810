#!/usr/bin/env bash
# The GPU check: train on one GPU and print, per run, samples per second of each training
# stage, the share of the device's peak arithmetic rate that is, peak GPU memory and the
# test ARI against KMeans where the run is small enough to test quickly.
#
#   default    configs/default.yaml (14,000 training customers), then test.py
#   large      configs/large.yaml (700,000), as shipped and with each speed setting:
#              TF32 (trainer.matmul_precision=high), bf16-mixed, batch 8,192, torch.compile
#   xlarge     configs/xlarge.yaml (7,000,000 training customers of 10 million)
#
# Usage: bash scripts/gpu_check.sh [default] [large] [xlarge]   (all three: about 8 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else \
'error: CUDA is not available; this check needs an NVIDIA GPU and a CUDA build of torch')"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(default large xlarge)

one() {  # one() NAME CONFIG [OVERRIDES...]: train, then print the run's figures
  local name=$1 config=$2 run_dir="checkpoints/gpu_check_$1"
  shift 2
  rm -rf "$run_dir"
  local start
  start=$(date +%s.%N)
  python scripts/train.py --config "configs/${config}.yaml" --gpus 1 --output-dir "$run_dir" \
    trainer.enable_progress_bar=false "$@" > "$run_dir.log" 2>&1 || {
      echo "$name: failed"; tail -3 "$run_dir.log"; return 0; }
  python -m benchmarks.harness.gpu_figures "$run_dir" "$(date +%s.%N)" "$start" "$name"
}

for group in "${groups[@]}"; do
  case $group in
    default)
      one default default
      python scripts/test.py --run checkpoints/gpu_check_default --no-profiles 2>&1 \
        | grep -iE "ari|winner|kmeans" | head -6 || true ;;
    large)
      one large large
      one large_tf32 large trainer.matmul_precision=high
      one large_bf16 large trainer.precision=bf16-mixed
      one large_batch8192 large pretrain.batch_size=8192 refine.batch_size=8192 \
        pretrain.lr=0.0028 refine.lr=0.0028
      one large_compile large trainer.compile=true ;;
    xlarge)
      one xlarge xlarge ;;
    *) echo "error: unknown group '$group'; use default, large or xlarge" >&2; exit 2 ;;
  esac
done
