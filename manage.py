#!/usr/bin/env python
"""Django's command-line utility; `medspa` is the same with the project's spelling."""

from medspa.__main__ import main

if __name__ == "__main__":
    main()
