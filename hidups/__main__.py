"""``python -m hidups`` is the ``hidups`` command."""

import sys

from hidups.cli import main

sys.exit(main())
