#!/usr/bin/env python
"""Django's command-line utility for mlTrainer."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mltrainer_site.settings")
    from mltrainer_site.local import local_defaults

    local_defaults(os.environ)  # from a checkout with nothing set: what `make run` uses (DEBUG=1, keys in var/)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
