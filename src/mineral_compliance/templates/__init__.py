"""RMI workbooks: detection, layout tables, the reader and the writer."""

from .detect import Detection, detect
from .reader import read_template, reference_from_template
from .writer import write_template

__all__ = ["Detection", "detect", "read_template", "reference_from_template", "write_template"]
