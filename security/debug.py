"""The DEBUG error page's settings filter: Django hides names with KEY, TOKEN, SECRET or PASS in them; connection
URLs (DATABASE_URL, REDIS_URL, CELERY_BROKER_URL), a cache's LOCATION and the channel layer's hosts carry
passwords too."""

import re

from django.utils.regex_helper import _lazy_re_compile
from django.views.debug import SafeExceptionReporterFilter


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = _lazy_re_compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|(^|_)URL$|BROKER|LOCATION|HOSTS", flags=re.I
    )
