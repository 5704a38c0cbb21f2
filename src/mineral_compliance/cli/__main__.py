"""``python -m mineral_compliance.cli``, as ``python -m mineral_compliance``."""

import sys

from . import main

sys.exit(main())
