"""``python -m localcloud``: the same command as the ``serverless-patterns`` console script."""

import sys

from localcloud.cli import main

if __name__ == "__main__":
    sys.exit(main())
