"""The add-on wires every component once: defaults, priorities, the environment, switches, distributed mode."""

from __future__ import annotations

import subprocess
import sys

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.addon import DEFAULTS, DOWNLOADER_MIDDLEWARES, EXTENSIONS, ITEM_PIPELINES
from crawler.archivequeries import ArchiveQueries
from crawler.conditional import ConditionalRequestMiddleware
from crawler.recorder import WarcRecorderMiddleware
from crawler.settings import ADDONS
from pipelines.dedup import DedupPipeline
from pipelines.sql import SqlStorePipeline
from pipelines.warcmeta import WarcMetadataPipeline


def crawler_with(settings: dict | None = None):
    return get_crawler(Spider, {"ADDONS": ADDONS, **(settings or {})})


def test_the_addon_installs_every_component_and_every_default() -> None:
    settings = crawler_with().settings
    for name, components in (("DOWNLOADER_MIDDLEWARES", DOWNLOADER_MIDDLEWARES), ("ITEM_PIPELINES", ITEM_PIPELINES),
                             ("EXTENSIONS", EXTENSIONS)):
        assert {path: settings[name][path] for path in components} == components
    assert settings["DATABASE_URL"] == DEFAULTS["DATABASE_URL"] == "sqlite:///data/newsarchive.db"
    assert settings.getint("SQL_BATCH_SIZE") == 100 and settings.getbool("WARC_ENABLED")
    assert settings["TWISTED_DNS_RESOLVER"] == "crawler.safety.PublicAddressResolver"
    assert settings["USER_AGENT"].startswith("newsarchive/")
    assert settings.getint("CONCURRENT_ITEMS") == 4  # Scrapy's 100 is overridden at the add-on's priority
    assert settings["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"  # no REDIS_URL: not distributed


def test_the_environment_and_the_user_override_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSARCHIVE_SQL_BATCH_SIZE", "7")
    monkeypatch.setenv("NEWSARCHIVE_ALLOW_PRIVATE_ADDRESSES", "yes")
    disabled = {"pipelines.dedup.DedupPipeline": None}
    settings = crawler_with({"WARC_DIR": "elsewhere", "ITEM_PIPELINES": disabled}).settings
    assert settings.getint("SQL_BATCH_SIZE") == 7 and settings.getbool("ALLOW_PRIVATE_ADDRESSES")
    assert settings["WARC_DIR"] == "elsewhere"
    assert settings["ITEM_PIPELINES"]["pipelines.dedup.DedupPipeline"] is None  # a user's None disables it


def test_redis_switches_on_distributed_mode_scoped_by_the_job() -> None:
    settings = crawler_with({"REDIS_URL": "redis://127.0.0.1:6379/0", "CRAWL_JOB": "nightly"}).settings
    assert settings["SCHEDULER"] == "scrapy_redis.scheduler.Scheduler"
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST")
    assert settings["SCHEDULER_QUEUE_KEY"] == "newsarchive:nightly:requests"
    assert settings["SCHEDULER_DUPEFILTER_KEY"] == "newsarchive:nightly:dupefilter"


@pytest.mark.parametrize(
    ("switch", "components"),
    [
        ("WARC_ENABLED", (WarcRecorderMiddleware, WarcMetadataPipeline)),
        ("SQL_ENABLED", (SqlStorePipeline, ArchiveQueries)),
        ("DEDUP_ENABLED", (DedupPipeline,)),
        ("CONDITIONAL_REQUESTS_ENABLED", (ConditionalRequestMiddleware,)),
    ],
)
def test_each_optional_component_has_a_switch(switch: str, components: tuple[type, ...], tmp_path) -> None:
    for component in components:
        with pytest.raises(NotConfigured):
            component.from_crawler(crawler_with({switch: False}))
    on = crawler_with({"WARC_DIR": str(tmp_path / "warc"), "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"})
    for component in components:
        assert isinstance(component.from_crawler(on), component)


# What Scrapy loads of the crawl's extensions (as its ExtensionManager does), in a fresh process; prints whether the
# modules of its listening servers were imported.
EXTENSIONS_PROBE = """
import sys

from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from crawler.settings import ADDONS

crawler = get_crawler(settings_dict={"ADDONS": ADDONS, **dict(a.split("=") for a in sys.argv[1:])})
for path in build_component_list(crawler.settings.getwithbase("EXTENSIONS")):
    load_object(path)
print([name in sys.modules for name in ("scrapy.extensions.remote_control", "scrapy.extensions.telnet")])
"""


@pytest.mark.parametrize(
    ("switches", "imported"),
    [((), [False, False]), (("REMOTE_CONTROL_ENABLED=true", "TELNETCONSOLE_ENABLED=true"), [True, True])],
)
def test_scrapys_listening_servers_are_not_even_imported_unless_switched_on(switches, imported) -> None:
    # The remote control imports aiohttp: ~0.2 s of every crawl's start, for a server the crawl does not run.
    result = subprocess.run([sys.executable, "-c", EXTENSIONS_PROBE, *switches],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(imported)


def test_a_scrapy_without_the_remote_control_gets_the_addon_too() -> None:
    older = {"scrapy.extensions.corestats.CoreStats": 0, "scrapy.extensions.telnet.TelnetConsole": 0}
    assert dict(crawler_with({"EXTENSIONS_BASE": older}).settings["EXTENSIONS_BASE"]) == older  # the user's wins
