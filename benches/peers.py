#!/usr/bin/env python3
"""mcpd side by side with its peers, in one run (called by benches/run.sh; prints Markdown).

The code is the package benches/peerbench/ (its __init__.py says what is measured); this file only
runs it, so that `python3 benches/peers.py --mcpd ... --cache ... --npm-kit ...` keeps working.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from peerbench.main import main  # noqa: E402

if __name__ == "__main__":
    main()
