"""mineral_compliance: downstream responsible-minerals compliance."""
__version__ = "0.1.0"
