"""Segments, probabilities and embeddings for every customer, written in batches: under a
temporary name renamed into place (a crash never leaves half a file), Parquet and CSV
streamed batch by batch (memory stays bounded)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from pandas.api.types import is_integer_dtype

from dec.data.database.read import INTEGER_IDS
from dec.data.readers import ROW_INDEX, csv_header, find_id_column, iter_frames, set_id_column
from dec.data.roles import ID_COLUMN, file_roles, id_like_name, outcome_names, roles_metadata
from dec.errors import DataError
from dec.utils import files, paths
from dec.utils.dates import parse_date
from dec.utils.urls import is_database_url
from dec.value.clv import value_arrays

FORMATS = (".parquet", ".csv", ".npz")
BATCH_ROWS = 100_000


def customer_batches(
    model,
    path: str | Path | None = None,
    *,
    id_column: str | None = None,
    batch_rows: int = BATCH_ROWS,
    table: str | None = None,
    query: str | None = None,
) -> Iterator[pd.DataFrame]:
    """Feature tables to score, ``batch_rows`` customers at a time.

    From ``path`` if given (read in batches, so memory stays bounded), else from the run's
    own data source; ``path`` may be a database URL, with its ``table`` or ``query``
    (:mod:`dec.data.database.read`). The id column is ``id_column`` if given, else the one the model was
    trained with (``--id-column``, or the training table's index name when the new table
    has it), else the one the file declares or its one id-like column
    (:mod:`dec.data.roles`), else the row number. Columns the run dropped or used as labels
    or outcomes are removed.

    Raises
    ------
    DataError
        For an unreadable or empty table, a missing id column or duplicate ids (also
        across batches, found once the last batch is read: writers are atomic, so
        nothing is left behind).
    """
    d, source = model.config_.data, path
    if path is None:
        if d.source == "in-memory":
            raise DataError(
                "this model was fitted in Python on in-memory data; give a customer table to score"
            )
        from dec.data.prepare import load_dataset_from_config

        features = load_dataset_from_config(model.config_).features
        for start in range(0, len(features), batch_rows):
            yield features.iloc[start : start + batch_rows]
        return
    database = is_database_url(str(path))
    if database:
        from dec.data.database.connect import where
        from dec.data.database.read import check_source

        check_source(path, table, query)
        path, declared, header = where(str(path), table, query), {}, []
    else:
        path = Path(path)
        declared, header = file_roles(path), csv_header(path)
    # Outcomes judge segments and are never scored: dropped without a word, as labels are.
    unused = [
        c
        for c in dict.fromkeys(
            [
                d.label_column,
                *d.drop_columns,
                *d.outcome_columns,
                *declared.get("outcome_columns", []),
            ]
        )
        if c
    ]
    index_name = model.preprocessor_.index_name_
    # A run on a log named the log's id column: a customer table has its own.
    trained_id = None if d.is_log else d.id_column
    # Row numbers (ROW_INDEX) were never a column: a feature called "row" is no id.
    candidates = [
        c
        for c in (id_column, declared.get("id_column"), trained_id, index_name)
        if c and c != ROW_INDEX
    ]
    features = set(model.preprocessor_.feature_names_in_)
    candidates += [c for c in header if id_like_name(c) and c not in features]
    id_hashes, rows = [], 0
    if database:
        from dec.data.database.read import iter_frames as database_frames

        frames = database_frames(source, table=table, query=query, batch_rows=batch_rows)
    else:
        frames = iter_frames(path, what="data file", batch_rows=batch_rows, text_columns=candidates)
    for frame in frames:
        if rows == 0 and id_column is None:
            # The file's own id, the run's, the name the run's table was indexed by, or
            # the file's one id-like column (dec.data.roles).
            id_column = declared.get("id_column") or trained_id
            if id_column is None and index_name != ROW_INDEX and index_name in frame.columns:
                id_column = index_name
            if id_column is None:
                id_column = find_id_column(frame, path, exclude=[*features, *unused])
            unused += [c for c in outcome_names(frame.columns) if c not in unused]
        if rows == 0 and d.format == "transactions":
            _check_not_a_log_run(model, frame, path)
        integer = database and id_column in frame and is_integer_dtype(frame[id_column])
        frame = set_id_column(frame, id_column, path)
        if integer:
            frame.attrs[INTEGER_IDS] = True
        if id_column is None:
            frame.index = pd.RangeIndex(rows, rows + len(frame), name=ROW_INDEX)
        else:
            id_hashes.append(pd.util.hash_array(frame.index.astype(str).to_numpy()))
        rows += len(frame)
        yield frame.drop(columns=[c for c in unused if c in frame.columns])
    if rows == 0:
        raise DataError(f"{path} has a header but no customer rows")
    if id_hashes:
        hashes = np.concatenate(id_hashes)
        if len(np.unique(hashes)) < len(hashes):
            raise DataError(
                f"id column '{id_column}' in {path} has duplicate ids; ids must be unique{LOG_HINT}"
            )


#: Said where repeated ids suggest a purchase log was given as a customer table.
LOG_HINT = (
    "; if this is a purchase log (many rows per customer), give it as --transactions "
    "with {data.date_column} and {data.amount_column}"
)


def _check_not_a_log_run(model, frame: pd.DataFrame, path: Path) -> None:
    """A run trained on a purchase log scores logs: a table without its features is most
    likely the log's customers without the log, so say how to score the log."""
    missing = [c for c in model.preprocessor_.feature_names_in_ if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path} lacks the features {missing[:4]}"
            f"{' ...' if len(missing) > 4 else ''} the run computed from its "
            "purchase log; score a log with --transactions LOG (add {data.as_of} D "
            "for another date), or give a table with those columns"
        )


def log_customers(
    model,
    path: str | Path | None = None,
    *,
    as_of: str | None = None,
    id_column: str | None = None,
    date_column: str | None = None,
    amount_column: str | None = None,
    quantity_column: str | None = None,
    table: str | None = None,
    query: str | None = None,
) -> pd.DataFrame:
    """Customer features built from a transaction log at ``as_of``, as the run built its own.

    Parameters
    ----------
    model : DeepEmbeddedClustering
        A model trained on a transaction log (CDNOW or ``data.format=transactions``).
    path : str or Path, optional
        A CSV/Parquet log (or folder or glob: DuckDB runs), or a database URL with its
        ``table`` or ``query``; default: the run's own log.
    as_of : str, optional
        Features from purchases on or before this date; default: the log's last date.
    id_column, date_column, amount_column, quantity_column : str, optional
        The log's columns; default: the run's (built-in CDNOW: its own names).

    Returns
    -------
    DataFrame indexed by customer id, one row per customer with a purchase by ``as_of``.
    """
    from dec.data.logs.transactions import CDNOW_COLUMNS, customer_features, load_cdnow
    from dec.data.readers import read_transactions

    d = model.config_.data
    check_date(as_of)
    cdnow = d.source == "cdnow"
    if not d.is_log:
        raise DataError(
            "this run was trained on a customer table, not a transaction log; "
            "score a table with {data.source}"
        )
    if path is None and cdnow:
        log = load_cdnow()
        return customer_features(log, as_of or str(log["date"].max().date()))
    # A run trained on the built-in CDNOW expects CDNOW's own column names.
    trained = (
        CDNOW_COLUMNS
        if cdnow
        else {
            "id": d.id_column,
            "date": d.date_column,
            "amount": d.amount_column,
            "quantity": d.quantity_column,
        }
    )
    given = {
        "id": id_column,
        "date": date_column,
        "amount": amount_column,
        "quantity": quantity_column,
    }
    columns = {role: given[role] or trained[role] for role in given}
    if is_database_url(path or d.source):
        from dec.data.database.read import check_source, read_orders

        if path is None:
            table, query = d.table, d.query
        check_source(path or d.source, table, query)
        orders, _ = read_orders(
            path or d.source,
            table=table,
            query=query,
            id_column=columns["id"],
            date_column=columns["date"],
            amount_column=columns["amount"],
            quantity_column=columns["quantity"],
        )
        features = customer_features(orders, as_of or str(orders["date"].max().date()))
        features.attrs.update(orders.attrs)  # integer ids stay integers when written
        return features
    if d.log_engine == "duckdb" and not cdnow:  # the run's own engine: the same numbers
        from dec.data.logs.sql import log_features

        return log_features(
            path or d.source,
            id_column=columns["id"],
            date_column=columns["date"],
            amount_column=columns["amount"],
            quantity_column=columns["quantity"],
            as_of=as_of,
            memory_limit=d.log_memory_limit,
            temp_directory=d.log_temp_directory,
        )[0]
    log = read_transactions(
        path or d.source,
        id_col=columns["id"],
        date_col=columns["date"],
        amount_col=columns["amount"],
        quantity_col=columns["quantity"],
    )
    return customer_features(log, as_of or str(log["date"].max().date()))


def check_date(as_of: str | None) -> str | None:
    """``as_of`` if it is a date (or None); else ConfigError (empty, ``NaT``, not a date)."""
    if as_of is not None:
        parse_date(as_of)
    return as_of


def score_batches(
    model, batches: Iterable[pd.DataFrame], *, embeddings: bool = True, value: dict | None = None
) -> Iterator[pd.DataFrame]:
    """Yield an ``id, segment, [z_*], p_*`` table for each feature table in ``batches`` (the
    id column is :data:`ID_COLUMN` whatever the input called it: ``chunk``'s index), and
    with ``value`` (``value_model.json``) :data:`dec.value.clv.VALUE_COLUMNS`. Unseen categories
    are warned about once per batch, with counts per column."""
    for chunk in batches:
        x = model.preprocess(chunk)
        q = model.model_.soft_assign(x).numpy()
        columns = {ID_COLUMN: chunk.index.astype(str).to_numpy(), "segment": q.argmax(1)}
        if embeddings:
            z = model.model_.embed(x).numpy()
            columns.update({f"z_{j}": z[:, j] for j in range(z.shape[1])})
        columns.update({f"p_{j}": q[:, j] for j in range(q.shape[1])})
        if value is not None:
            columns.update(value_arrays(chunk, value))
        scores = pd.DataFrame(columns)
        scores.attrs.update(chunk.attrs)  # a database's integer ids (dec.data.database.read)
        yield scores


def check_output_path(path: str | Path, formats=FORMATS, inputs: tuple = ()) -> Path:
    """Fail before any work if ``path`` has an unknown format, cannot be written, or is
    one of the ``inputs``."""
    return paths.check_output_file(path, tuple(formats), inputs=inputs)


def check_output(
    output: str, table: str | None = None, *, overwrite: bool = False, inputs: tuple = ()
) -> str:
    """Fail before any work where ``output`` (a file, or a database URL with its ``table``)
    cannot be written; return how messages name it."""
    if is_database_url(output):
        from dec.data.database.connect import where
        from dec.data.database.write import check_output_table

        check_output_table(output, table, overwrite=overwrite)
        return where(output, table)
    return str(check_output_path(output, inputs=inputs))


def write_output(
    batches: Iterator[pd.DataFrame],
    output: str,
    table: str | None = None,
    *,
    overwrite: bool = False,
) -> int:
    """Write the batches to the file ``output`` or, for a database URL, as ``table``
    (:func:`dec.data.database.write.write_table`); whole or not at all. Return the rows."""
    if is_database_url(output):
        from dec.data.database.write import write_table

        return write_table(batches, output, table, overwrite=overwrite)
    return write_batches(batches, output)


def write_batches(batches: Iterator[pd.DataFrame], path: str | Path) -> int:
    """Write the batches to ``path`` atomically; return the number of rows."""
    path = check_output_path(path)
    with files.atomic_path(path) as tmp:
        return write_rows(batches, tmp, path.suffix)


def write_rows(batches: Iterator[pd.DataFrame], target: Path, suffix: str) -> int:
    """Write the batches to ``target`` (a temporary file) in the format of ``suffix``."""
    return _WRITERS[suffix.lower()](batches, target)


def _write_parquet(batches, tmp: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer, rows = None, 0
    try:
        for batch in batches:
            table = pa.Table.from_pandas(batch, preserve_index=False)
            if ID_COLUMN in batch.columns:  # the file says which column is the id
                table = table.replace_schema_metadata(
                    {**(table.schema.metadata or {}), **roles_metadata(ID_COLUMN, [])}
                )
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
            rows += len(batch)
    finally:
        if writer is not None:
            writer.close()
    return rows


def _write_csv(batches, tmp: Path) -> int:
    rows = 0
    with open(tmp, "w", newline="") as handle:
        for i, batch in enumerate(batches):
            batch.to_csv(handle, index=False, header=(i == 0))
            rows += len(batch)
    return rows


def _write_npz(batches, tmp: Path) -> int:
    frame = pd.concat(list(batches), ignore_index=True)
    arrays = {
        ID_COLUMN: frame[ID_COLUMN].to_numpy().astype(str),
        "segment": frame["segment"].to_numpy(),
    }
    for prefix in ("z", "p"):
        cols = [c for c in frame.columns if c.startswith(f"{prefix}_")]
        if cols:
            arrays[prefix] = frame[cols].to_numpy(dtype=np.float32)
    with open(tmp, "wb") as handle:
        np.savez(handle, **arrays)
    return len(frame)


_WRITERS = {".parquet": _write_parquet, ".csv": _write_csv, ".npz": _write_npz}


def export_onnx(model, path: str | Path) -> Path:
    """Export the encoder (preprocessed inputs -> embeddings) to ONNX, atomically.

    The graph takes ``inputs`` of shape (batch, n_features_out) — the preprocessed matrix
    (see ``preprocessor.json``) — and returns ``embeddings`` of shape (batch, embedding_dim).
    """
    path = check_output_path(path, formats=(".onnx",))
    encoder = model.model_.autoencoder.encoder.cpu().eval()
    example = torch.zeros(2, model.preprocessor_.n_features_out)
    with files.atomic_path(path) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
        torch.onnx.export(
            encoder,
            (example,),
            str(tmp),
            input_names=["inputs"],
            output_names=["embeddings"],
            dynamo=False,
            dynamic_axes={"inputs": {0: "batch"}, "embeddings": {0: "batch"}},
        )
    return path
