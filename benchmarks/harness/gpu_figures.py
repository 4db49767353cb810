"""One line of ``scripts/gpu_check.sh``: a finished run's training speed against the device's
peak arithmetic rate.

Usage: ``python -m benchmarks.harness.gpu_figures RUN_DIR END START NAME`` (END and START in
seconds since the epoch, for the wall time of the whole ``train.py``).
"""

from __future__ import annotations

import sys

from dec.runs.rundir import RunDir

#: Dense peak rates in FLOP/s from NVIDIA's data sheets (SXM parts, no sparsity): plain
#: float32, TF32 tensor cores, bfloat16 tensor cores. The H200 has the H100's arithmetic.
PEAK_FLOPS = {
    "H200": {"float32": 67e12, "tf32": 494.7e12, "bfloat16": 989.4e12},
    "H100": {"float32": 67e12, "tf32": 494.7e12, "bfloat16": 989.4e12},
    "A100": {"float32": 19.5e12, "tf32": 156e12, "bfloat16": 312e12},
}


def training_flops_per_sample(architecture: dict) -> float:
    """Arithmetic of one sample through the autoencoder, forward and backward.

    Each linear layer ``a -> b`` costs ``2ab`` FLOPs forward and about twice that backward
    (the gradients of its input and of its weights), so ``6ab`` in all; the activations,
    the loss and the clustering head (``k x embedding_dim``) are left out.
    """
    widths = [
        architecture["input_dim"],
        *architecture["hidden_dims"],
        architecture["embedding_dim"],
    ]
    encoder = sum(a * b for a, b in zip(widths, widths[1:]))
    return 6.0 * 2 * encoder  # the decoder mirrors the encoder


def arithmetic(config) -> str:
    """The number format the matrix products run in under ``config``."""
    if config.trainer.precision.startswith("bf16"):
        return "bfloat16"
    return "tf32" if config.trainer.matmul_precision != "highest" else "float32"


def peak_rate(device_name: str, number_format: str) -> float | None:
    """The device's dense peak in FLOP/s for that format, None where not in the table."""
    for model, rates in PEAK_FLOPS.items():
        if model in device_name:
            return rates[number_format]
    return None


def figures_line(run_dir: RunDir, wall: float, name: str, device_name: str) -> str:
    metrics, config = run_dir.metrics(), run_dir.config()
    t, n = metrics["timings"], metrics["n_train"]
    rates = {
        "pretrain": n * config.pretrain.epochs / t["pretrain_seconds"],
        "refine": n * metrics["refine_epochs_run"] / t["refine_seconds"],
    }
    flops = training_flops_per_sample(run_dir.architecture())
    number_format = arithmetic(config)
    peak = peak_rate(device_name, number_format)
    shares = ", ".join(
        f"{stage} {rate:,.0f} samples/s"
        + (f" ({100 * rate * flops / peak:.2f} % of the {number_format} peak)" if peak else "")
        for stage, rate in rates.items()
    )
    return (
        f"{name}: {n:,} training customers on {metrics['device']} ({device_name}), "
        f"batch {config.pretrain.batch_size}, {number_format}; wall {wall:.1f} s, "
        f"training stages {t['pretrain_seconds'] + t['refine_seconds']:.1f} s (pretrain "
        f"{t['pretrain_seconds']:.1f} s, init {t['init_seconds']:.1f} s, refine "
        f"{t['refine_seconds']:.1f} s); {shares}; peak GPU memory "
        f"{metrics.get('peak_gpu_memory_mb', 'n/a')} MB"
    )


def main(argv: list[str]) -> int:
    import torch

    run_dir, end, start, name = argv
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device"
    print(figures_line(RunDir(run_dir), float(end) - float(start), name, device))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
