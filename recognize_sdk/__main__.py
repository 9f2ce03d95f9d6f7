"""``python -m recognize_sdk``."""

import sys

from recognize_sdk.cli import main

sys.exit(main())
