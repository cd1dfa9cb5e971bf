"""The site's routes plus one streamed response that fails part way (only for tests/security/test_streaming.py)."""

from django.http import StreamingHttpResponse
from django.urls import path

from accounts.models import User
from mltrainer_site.urls import urlpatterns as site_urlpatterns


def failing_stream(request):
    def rows():
        yield "id,name\r\n"
        yield f"{User.objects.count()},first\r\n"  # the stream holds a database connection
        raise ValueError("PostgreSQL text fields cannot contain NUL (0x00) bytes")

    return StreamingHttpResponse(rows(), content_type="text/csv")


urlpatterns = [*site_urlpatterns, path("test/failing-stream.csv", failing_stream)]
