"""The Python reference: aiohttp with a shared TCPConnector(limit, limit_per_host), a semaphore
and retries with exponential backoff on network errors and 5xx, as the sources batchfetch grows
from do it. Prints one JSON line like the Node clients."""
import asyncio
import json
import random
import resource
import sys
import time

import aiohttp


async def fetch(session, sem, url, latencies):
    async with sem:
        started = time.perf_counter()
        for attempt in range(3):
            try:
                async with session.get(url) as response:
                    await response.read()
                    if response.status < 500:
                        latencies.append((time.perf_counter() - started) * 1000)
                        return response.status == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(random.uniform(0, 0.1 * 2 ** attempt))
        latencies.append((time.perf_counter() - started) * 1000)
        return False


async def main(base, total, concurrency):
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    sem = asyncio.Semaphore(concurrency)
    latencies = []
    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        # `concurrency` workers share a counter, like the Node clients (no wave barriers).
        counter = iter(range(total))
        ok = 0

        async def worker():
            nonlocal ok
            for i in counter:
                if await fetch(session, sem, f"{base}/1k?i={i}", latencies):
                    ok += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall_ms = (time.perf_counter() - started) * 1000
    usage = resource.getrusage(resource.RUSAGE_SELF)
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, max(0, int(q * len(latencies) + 0.999999) - 1))]
    print(json.dumps({
        "client": "aiohttp (Python)", "requests": total, "ok": ok, "wallMs": round(wall_ms),
        "cpuMs": (usage.ru_utime + usage.ru_stime) * 1000, "peakRssMb": round(usage.ru_maxrss / 1024),
        "p50": pick(0.5), "p99": pick(0.99),
    }))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
