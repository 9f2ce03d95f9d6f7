"""``recognize`` (or ``python -m recognize_project``): Django's manage.py for an installed server.

A source checkout keeps using ``python manage.py``; after ``pip install .`` there is no
manage.py, and this console entry point runs the same commands (``recognize migrate``,
``recognize fetch_models``, ``recognize createsuperuser`` ...).
"""

import os
import sys


def main() -> None:
    """Run a Django management command with Recognize's settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recognize_project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
