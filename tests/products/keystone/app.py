"""Keystone's public WSGI application for gunicorn.

Keystone's configuration parser reads the process's command line, which under gunicorn holds gunicorn's own
options: it is emptied before the application is built. The config file comes from OS_KEYSTONE_CONFIG_FILES.

SQLite takes one writer at a time, and Keystone on SQLite answers 500 ("database is locked") to concurrent
writes: writes are served one at a time here (reads stay concurrent), as a production database would allow.
"""

import sys
import threading

sys.argv = sys.argv[:1]

from keystone.server import wsgi  # noqa: E402

_keystone = wsgi.initialize_public_application()
_writes = threading.Lock()


def application(environ, start_response):
    if environ.get("REQUEST_METHOD") in ("GET", "HEAD", "OPTIONS"):
        return _keystone(environ, start_response)
    with _writes:
        return list(_keystone(environ, start_response))
