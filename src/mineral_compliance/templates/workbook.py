"""The bounded .xlsx reader, for the layers above that read worksheets which are not RMI
templates (user-supplied tables): open a workbook within the byte and cell caps, list its
sheets, read a sheet's cells. The implementation stays private to :mod:`templates`."""

from ._xlsx import RawCell, Workbook, col_to_index, open_workbook

__all__ = ["RawCell", "Workbook", "col_to_index", "open_workbook"]
