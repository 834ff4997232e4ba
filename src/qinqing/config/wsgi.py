"""The WSGI application (gunicorn qinqing.config.wsgi).

At import the services are probed (database, cache, queue, storage): a bad configuration
stops the process with one clear line instead of failing on the first request. Set
QINQING_STARTUP_CHECK=0 to skip (e.g. when the database is migrated after the web starts).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.config.settings")
application = get_wsgi_application()

if os.environ.get("QINQING_STARTUP_CHECK", "1") != "0":
    from qinqing.common.health import check_or_exit

    check_or_exit()
