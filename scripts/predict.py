#!/usr/bin/env python
"""Segments and segment probabilities for new customers, from a trained run."""

from dec.cli import Parser, run_cli


def main() -> int:
    parser = Parser(description=__doc__)
    parser.add_argument("--run", required=True, help="run directory")
    parser.add_argument("--data", required=True, help="customer table (.csv or .parquet)")
    parser.add_argument("--output", required=True, help="FILE.csv, FILE.parquet or FILE.npz")
    parser.add_argument("--id-column", help="id column of the --data table (default: the "
                        "one the model was trained with, if present)")
    args = parser.parse_args()
    from dec import DeepEmbeddedClustering
    from dec.export import check_output_path, customer_batches, score_batches, write_batches

    check_output_path(args.output)
    model = DeepEmbeddedClustering.load(args.run)
    batches = customer_batches(model, args.data, id_column=args.id_column)
    rows = write_batches(score_batches(model, batches, embeddings=False), args.output)
    print(f"wrote segments for {rows} customers to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
