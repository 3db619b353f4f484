"""`python -m conformance.speclint`: see the package docstring."""

from __future__ import annotations

import sys

from conformance.speclint import main

sys.exit(main())
