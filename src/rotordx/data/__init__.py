"""Labelled data for models: data sets, leak-free splits, the seed's preprocessing, the cache.

Data sets
---------
    Dataset, load_data, kamp_signals, resample_recording, revolutions_to_samples

Splits
------
    Split, WindowConfig, split_dataset, all_windows, block_bounds

The seed's protocol
-------------------
    PreprocessConfig, Preprocessed, preprocess_group, seed_split, seed_inputs, SEED_SPLIT
    preprocess_folder, load_dataset, read_preprocessed, write_preprocessed,
    preprocess_to_parquet
"""

from rotordx.data.dataset import (
    Dataset,
    kamp_signals,
    load_data,
    resample_recording,
    revolutions_to_samples,
)
from rotordx.data.preprocessed import (
    load_dataset,
    preprocess_to_parquet,
    read_preprocessed,
    write_preprocessed,
)
from rotordx.data.seed import (
    SEED_SPLIT,
    PreprocessConfig,
    Preprocessed,
    preprocess_group,
    resample_group,
    seed_inputs,
    seed_split,
)
from rotordx.data.seed_folder import load_preprocessed_folder, preprocess_folder
from rotordx.data.splits import (
    Split,
    WindowConfig,
    all_windows,
    block_bounds,
    split_dataset,
)

__all__ = [
    "SEED_SPLIT",
    "Dataset",
    "PreprocessConfig",
    "Preprocessed",
    "Split",
    "WindowConfig",
    "all_windows",
    "block_bounds",
    "kamp_signals",
    "load_data",
    "load_dataset",
    "load_preprocessed_folder",
    "preprocess_folder",
    "preprocess_group",
    "preprocess_to_parquet",
    "read_preprocessed",
    "resample_group",
    "resample_recording",
    "revolutions_to_samples",
    "seed_inputs",
    "seed_split",
    "split_dataset",
    "write_preprocessed",
]
