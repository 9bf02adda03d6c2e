"""``python -m sdk.cli`` is ``analytics-kit``."""

import sys

from . import main

sys.exit(main())
