import sys

from buffer_lint.cli import main

sys.exit(main())
