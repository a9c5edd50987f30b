"""deploy/prometheus and deploy/grafana against what the services really export: every metric an
alert or a dashboard panel names, and every label it matches or groups by, is served by a live
`trawler api`, `trawler worker` or `trawler scheduler` (promtool is not needed for this)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.api.conftest import start_api
from tests.conftest import free_port
from tests.prometheus import Scraped, scrape, scrape_until
from tests.proxies.servers import LoopbackProxy
from tests.worker.conftest import Processes
from tests.worker.conftest import processes as processes  # the fixture, shared
from worker import SchedulerSettings, WorkerSettings

DEPLOY = Path(__file__).parents[2] / "deploy"
METRIC = re.compile(r"\b(trawler_[a-z0-9_]+)\b(\{[^}]*\})?")
MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
TARGET_LABELS = {"job", "instance"}
"""Labels Prometheus adds to every scraped series."""


def _alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def _panel_queries() -> list[tuple[str, str]]:
    dashboard = json.loads((DEPLOY / "grafana" / "trawler.json").read_text())
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def _faults(expr: str, exported: Scraped) -> list[str]:
    """What `expr` names that the services do not export."""
    faults = []
    used = METRIC.findall(expr)
    known = exported.names()
    carried = set(TARGET_LABELS)
    for name, matchers in used:
        if name not in known:
            faults.append(f"{name} is not exported")
            continue
        labels = exported.labels(name)
        carried |= labels
        for label in MATCHER.findall(matchers):
            if labels and label not in labels:
                faults.append(f"{name} has no label {label!r} (it has {sorted(labels)})")
    for grouping in GROUPING.findall(expr):
        for label in (part.strip() for part in grouping.split(",") if part.strip()):
            if label not in carried:
                faults.append(f"no metric of the query carries {label!r} to group by")
    if not used:
        faults.append("names no trawler metric")
    return faults


async def _exported(processes: Processes) -> Scraped:
    """Everything a live API, worker (with a proxy) and scheduler serve, as one scrape."""
    worker_port, scheduler_port = free_port(), free_port()
    async with LoopbackProxy("deployment") as proxy:
        processes.start(
            "worker",
            TRAWLER_WORKER__METRICS_PORT=str(worker_port),
            TRAWLER_WORKER__METRICS_HOST="127.0.0.1",
            TRAWLER_PROXIES__PROXIES=json.dumps([proxy.url]),
        )
        processes.start(
            "scheduler",
            TRAWLER_SCHEDULER__METRICS_PORT=str(scheduler_port),
            TRAWLER_SCHEDULER__METRICS_HOST="127.0.0.1",
        )
        api_url = start_api(processes)
        assert httpx.get(f"{api_url}/health").status_code == 200  # the request series' samples
        api = scrape(f"{api_url}/metrics")
        worker = await scrape_until(
            f"http://127.0.0.1:{worker_port}/metrics",
            lambda s: s.value("trawler_browser_pool_browsers", state="alive") == 1,
        )
        scheduler = await scrape_until(
            f"http://127.0.0.1:{scheduler_port}/metrics",
            lambda s: s.value("trawler_scheduler_schedules_fired_total") is not None,
        )
    return Scraped(
        api.text + worker.text + scheduler.text, api.samples + worker.samples + scheduler.samples
    )


async def test_alerts_and_panels_use_what_the_services_export(processes: Processes) -> None:
    exported = await _exported(processes)
    rules = _alert_rules()
    assert {rule["alert"] for rule in rules} >= {
        "TrawlerExecutionRunningLong",
        "TrawlerExecutionSuccessRateLow",
        "TrawlerQueueBacklog",
        "TrawlerWorkersFew",
        "TrawlerApiErrorRate",
        "TrawlerApiLatencyHigh",
    }
    faults = {rule["alert"]: _faults(rule["expr"], exported) for rule in rules}
    faults.pop("TrawlerTargetDown")  # Prometheus's own `up`
    assert {alert: found for alert, found in faults.items() if found} == {}
    for rule in rules:
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]

    queries = _panel_queries()
    assert len(queries) > 20
    faults = {f"{title}: {expr}": _faults(expr, exported) for title, expr in queries}
    assert {query: found for query, found in faults.items() if found} == {}


def test_the_dashboard_reads_the_provisioned_prometheus() -> None:
    provisioned = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    uids = {source["uid"] for source in provisioned["datasources"]}
    dashboard = json.loads((DEPLOY / "grafana" / "trawler.json").read_text())
    used = {
        item["datasource"]["uid"]
        for panel in dashboard["panels"]
        for item in [panel, *panel.get("targets", [])]
        if "datasource" in item
    }
    assert used == uids == {"prometheus"}
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_prometheus_scrapes_every_service_where_it_listens_and_loads_the_alerts() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]  # beside it, in /etc/prometheus
    discovered = {
        job["job_name"]: [(sd["names"], sd["port"]) for sd in job["dns_sd_configs"]]
        for job in config["scrape_configs"]
    }
    assert discovered == {
        "api": [(["api"], 8080)],
        "worker": [(["worker"], WorkerSettings().metrics_port)],
        "scheduler": [(["scheduler"], SchedulerSettings().metrics_port)],
    }
