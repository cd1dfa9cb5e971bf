"""Reading /metrics the way Prometheus does."""

from prometheus_client.parser import text_string_to_metric_families

TOKEN = "metrics-test-token-0123456789"


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    """GET /metrics with the token; {(sample name, sorted labels): value}."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **headers)
    assert response.status_code == 200, response.content
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    """A sample's value; 0 when the series does not exist yet (a counter nobody has touched)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
