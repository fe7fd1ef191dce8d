"""Suite-wide: llmotel's own failures are re-raised under the tests instead of being swallowed."""

import os

os.environ["LLMOTEL_RAISE_INTERNAL_ERRORS"] = "1"
