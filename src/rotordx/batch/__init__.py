"""Fleet-scale batches: every recording of a manifest diagnosed on Dask, one Parquet row each.

run_batch                          (:mod:`~rotordx.batch.run`; ``rotordx batch``)
read_results, read_meta            (:mod:`~rotordx.batch.store`: a results folder as one table)
COLUMNS, IDENTITY, result_schema   (:mod:`~rotordx.batch.schema`: the rows)
BatchSummary                       (:mod:`~rotordx.batch.summary`)
plan_items, deal                   (:mod:`~rotordx.batch.plan`)
diagnose_items                     (:mod:`~rotordx.batch.worker`: what a worker runs)

Dask (``pip install 'rotordx[batch]'``) is imported only when a batch runs;
reading results needs pyarrow alone. ``docs/batch.md`` tells how to run on a
laptop or a cluster and how to read the results.
"""

from rotordx.batch.plan import deal, plan_items
from rotordx.batch.run import BatchError, run_batch
from rotordx.batch.schema import COLUMNS, IDENTITY, result_schema
from rotordx.batch.store import read_meta, read_results
from rotordx.batch.summary import BatchSummary
from rotordx.batch.worker import diagnose_items

__all__ = [
    "COLUMNS",
    "IDENTITY",
    "BatchError",
    "BatchSummary",
    "deal",
    "diagnose_items",
    "plan_items",
    "read_meta",
    "read_results",
    "result_schema",
    "run_batch",
]
