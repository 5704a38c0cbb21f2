"""RMI workbooks: detection, layout tables and the reader."""

from .detect import Detection, detect
from .reader import read_template, reference_from_template

__all__ = ["Detection", "detect", "read_template", "reference_from_template"]
