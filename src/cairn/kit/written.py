"""How many rows of each kind the API wrote (Prometheus counters; exposed by cairn.system.metrics)."""

from prometheus_client import Counter

_WRITTEN = Counter("cairn_rows_written_total", "Build statuses, reports, annotations and deployments written",
                   ["kind"])
BUILD_STATUSES = _WRITTEN.labels("build_status")
REPORTS = _WRITTEN.labels("report")
ANNOTATIONS = _WRITTEN.labels("annotation")
DEPLOYMENTS = _WRITTEN.labels("deployment")
