"""Reader for eagleprep dump shards (docs/shard-format.md): numpy + zstandard; PyTorch datasets in
``eagleprep_shards.torch_data`` (optional torch)."""

from .dataset import DumpDataset
from .shard import DumpShard, Layout, ShardFormatError, used_logit_rows

__all__ = ["DumpDataset", "DumpShard", "Layout", "ShardFormatError", "used_logit_rows"]
__version__ = "0.1.0"
