"""Scrapy reference for the many-origin scenarios: one spider over a URL list, CONCURRENT_REQUESTS
= the scenario's in-flight count and 16 per domain (like the other clients), no retries, no
robots.txt, no delay, every response sent to a JSON-lines feed. Scrapy does not verify TLS
certificates by default, so the private CA needs no setting. Prints one JSON line like the other
clients: the ok count and failures by type."""
import json
import sys

import scrapy
from scrapy.crawler import CrawlerProcess


class ListSpider(scrapy.Spider):
    name = "list"
    failures = {}
    ok = 0

    def __init__(self, path, **kwargs):
        super().__init__(**kwargs)
        self.path = path

    def start_requests(self):
        with open(self.path) as f:
            for line in f:
                url = line.strip()
                if url:
                    yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=True)

    def parse(self, response):
        if response.status == 200:
            ListSpider.ok += 1
        else:
            key = f"HTTP_{response.status}"
            ListSpider.failures[key] = ListSpider.failures.get(key, 0) + 1
        yield {"url": response.url, "status": response.status, "bytes": len(response.body)}

    def failed(self, failure):
        key = failure.type.__name__
        ListSpider.failures[key] = ListSpider.failures.get(key, 0) + 1


if __name__ == "__main__":
    path, concurrency, feed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    process = CrawlerProcess(settings={
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": False,
        "RETRY_ENABLED": False,
        "COOKIES_ENABLED": False,
        "LOG_LEVEL": "ERROR",
        "TELNETCONSOLE_ENABLED": False,
        "HTTPERROR_ALLOW_ALL": True,
        "REACTOR_THREADPOOL_MAXSIZE": 20,
        "FEEDS": {feed: {"format": "jsonlines"}},
    })
    process.crawl(ListSpider, path=path)
    process.start()
    print(json.dumps({"ok": ListSpider.ok, "errors": ListSpider.failures}))
