"""The `medspa` console script: Django's manage.py plus the project's own commands.

Project commands are spelled with hyphens on the command line (`medspa audit-verify`)
and live as Django management commands with underscores.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medspa.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "medspa"
    if len(argv) > 1 and "-" in argv[1] and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
