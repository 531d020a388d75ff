import sys

from workbench.cli import run

sys.exit(run())
