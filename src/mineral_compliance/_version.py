"""The package version, alone in its module so that reading it loads nothing else."""

__version__ = "0.1.0"
