"""A provider's settings, named after its source: <SOURCE>_API_KEY (the server-wide key; a team's own comes first),
<SOURCE>_BASE_URL and <SOURCE>_RATE_LIMIT_PER_MINUTE (0: no spacing). Read from Django settings when a settings
module or a test sets them, else from the environment, else the provider's defaults; every registered provider's
are checked when Django starts (market_data.apps), so a bad value fails at start naming the variable."""

from dataclasses import dataclass

from django.conf import settings

from mltrainer_site.env import env_int, env_str

from .base import DataProvider, registered


@dataclass(frozen=True)
class ProviderConfig:
    api_key: str
    base_url: str
    rate_limit_per_minute: int


def provider_config(provider: DataProvider) -> ProviderConfig:
    def setting(name: str, from_environment):
        return getattr(settings, name) if hasattr(settings, name) else from_environment(name)

    return ProviderConfig(
        api_key=setting(provider.key_setting, lambda name: env_str(name, "") or ""),
        base_url=setting(provider.base_url_setting, lambda name: env_str(name, "") or provider.default_base_url),
        rate_limit_per_minute=setting(
            provider.rate_limit_setting,
            lambda name: env_int(name, provider.default_rate_limit_per_minute, minimum=0),
        ),
    )


def provider_configs_check() -> None:
    """Raises ImproperlyConfigured naming the variable if any provider's environment value is unusable."""
    for provider in registered():
        provider_config(provider)
