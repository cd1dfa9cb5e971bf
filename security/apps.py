from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"

    def ready(self) -> None:
        # The login receiver that starts a session's idle clock lives beside its middleware; connect it at start,
        # not when the first request happens to import the middleware (a login before that would miss it).
        from . import middleware  # noqa: F401
