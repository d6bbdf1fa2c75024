"""`python -m curate.train CONFIG.json`: one training process (what the launchers start)."""

from __future__ import annotations

import sys

from .run import main

sys.exit(main())
