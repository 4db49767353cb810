#!/usr/bin/env python
"""Export id, segment, embeddings z_* and probabilities p_* for every customer; optionally
the encoder as ONNX."""

from dec.cli import Parser, run_cli


def main() -> int:
    parser = Parser(description=__doc__)
    parser.add_argument("--run", required=True, help="run directory")
    parser.add_argument("--data", help="customer table (default: the run's own data)")
    parser.add_argument("--output", help="FILE.parquet, FILE.csv or FILE.npz")
    parser.add_argument("--onnx", help="also write the encoder to FILE.onnx")
    parser.add_argument("--id-column", help="id column of the --data table (default: the "
                        "one the model was trained with, if present)")
    args = parser.parse_args()
    if not args.output and not args.onnx:
        parser.error("give --output FILE and/or --onnx FILE.onnx")
    from dec import DeepEmbeddedClustering
    from dec.export import check_output_path, customer_batches, export_onnx, score_batches, \
        write_batches

    for path, formats in ((args.output, None), (args.onnx, (".onnx",))):
        if path:
            check_output_path(path, **({"formats": formats} if formats else {}))
    model = DeepEmbeddedClustering.load(args.run)
    if args.output:
        batches = customer_batches(model, args.data, id_column=args.id_column)
        rows = write_batches(score_batches(model, batches), args.output)
        print(f"wrote {rows} customers to {args.output}")
    if args.onnx:
        export_onnx(model, args.onnx)
        print(f"wrote the encoder to {args.onnx} (input: preprocessed features, "
              f"{model.preprocessor_.n_features_out} columns)")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_cli(main))
