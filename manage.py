#!/usr/bin/env python
import sys

from onewindow.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] if len(sys.argv) > 1 else ["help"]))
