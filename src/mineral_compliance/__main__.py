"""``python -m mineral_compliance``."""

import sys

from .cli import main

sys.exit(main())
