#!/usr/bin/env bash
# The GPU check: train the default config (20,000 customers) and configs/large.yaml
# (1,000,000) on one GPU, and print samples per second, wall time and peak GPU memory.
# Usage: bash scripts/gpu_check.sh        (about 5 minutes on one modern GPU)
set -euo pipefail
cd "$(dirname "$0")/.."
python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else \
'error: CUDA is not available; this check needs an NVIDIA GPU and a CUDA build of torch')"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
for config in default large; do
  run_dir="checkpoints/gpu_check_${config}"
  rm -rf "$run_dir"
  start=$(date +%s.%N)
  python scripts/train.py --config "configs/${config}.yaml" --gpus 1 --output-dir "$run_dir" \
    trainer.enable_progress_bar=false "$@"
  wall=$(python -c "print($(date +%s.%N) - $start)")
  python - "$run_dir" "$wall" <<'PY'
import sys

from dec.rundir import RunDir

run_dir, wall = RunDir(sys.argv[1]), float(sys.argv[2])
metrics, config = run_dir.metrics(), run_dir.config()
t, n = metrics["timings"], metrics["n_train"]
pretrain = n * config.pretrain.epochs / t["pretrain_seconds"]
refine = n * metrics["refine_epochs_run"] / t["refine_seconds"]
print(f"{run_dir.path.name}: {n:,} training customers on {metrics['device']}, wall {wall:.1f} s "
      f"(pretrain {t['pretrain_seconds']:.1f} s, init {t['init_seconds']:.1f} s, refine "
      f"{t['refine_seconds']:.1f} s); samples/s pretrain {pretrain:,.0f}, refine {refine:,.0f}; "
      f"peak GPU memory {metrics.get('peak_gpu_memory_mb', 'n/a')} MB")
PY
done
