#!/usr/bin/env python
"""Train a DEC/IDEC segmentation model: ``python scripts/train.py [--gpus 1] [KEY=VALUE ...]``."""

from dec.cli import config_from_args, is_rank_zero, run_cli, train_parser


def main() -> int:
    args = train_parser().parse_args()
    config, run_dir, resume = config_from_args(args)
    from dec.pipeline import fit

    run_dir = fit(config, run_dir, resume=resume)
    if not is_rank_zero():
        return 0
    print(f"run written to {run_dir}")
    print(f"  evaluate:    python scripts/test.py --run {run_dir}")
    print(f"  tensorboard: tensorboard --logdir {run_dir.parent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
