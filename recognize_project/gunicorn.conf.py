"""gunicorn settings for Recognize: ``gunicorn -c recognize_project/gunicorn.conf.py``.

The access log is the combined format without the HTTP Basic user (the tenant's secret key
is that user) and with credentials redacted; gunicorn's own errors are JSON. Command-line
options (``--bind``, ``--workers``, ``--access-logfile``) still apply on top of these.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recognize_project.gunicorn_support import json_errors_install  # noqa: E402

wsgi_app = "recognize_project.wsgi"
logger_class = "recognize_project.gunicorn_support.RedactingLogger"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

json_errors_install()
