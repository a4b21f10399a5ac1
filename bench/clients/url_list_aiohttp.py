"""Python reference for the many-origin scenarios: aiohttp over a URL list with a shared
TCPConnector(limit=concurrency, limit_per_host=16), no retries. Prints one JSON line: the ok
count and failures by exception type."""
import asyncio
import json
import ssl
import sys

import aiohttp


async def main(path, concurrency, ca_file):
    with open(path) as f:
        urls = [line.strip() for line in f if line.strip()]
    context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=16, ssl=context if context else True)
    errors = {}
    ok = 0
    it = iter(urls)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        async def worker():
            nonlocal ok
            for url in it:
                try:
                    async with session.get(url) as response:
                        await response.read()
                        if response.status == 200:
                            ok += 1
                        else:
                            errors[f"HTTP_{response.status}"] = errors.get(f"HTTP_{response.status}", 0) + 1
                except Exception as error:  # noqa: BLE001 - counted by type, like the Node clients' codes
                    name = type(error).__name__
                    errors[name] = errors.get(name, 0) + 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    print(json.dumps({"ok": ok, "errors": errors}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None))
