"""Purchase logs turned into per-customer features: pandas (:mod:`~dec.data.logs.transactions`)
and DuckDB (:mod:`~dec.data.logs.sql`, reading with :mod:`~dec.data.logs.read`, the
query in :mod:`~dec.data.logs.queries`)."""
