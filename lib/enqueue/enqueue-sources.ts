import type { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { FetchEngine } from '../engine/fetch-engine.ts';
import { parseRequestLine, type ParsedLine } from '../input/parse-request-line.ts';
import { readLines } from '../input/read-lines.ts';
import type { EnqueueEvent } from './enqueue-event.ts';
import { sitemapUrls } from './sitemap.ts';

interface SourceClients {
  /** Loaded when a source is an S3 object (the client is a bundle chunk of its own). */
  readonly s3: () => Promise<S3Client>;
  /** Fetches sitemaps (destination safety applies); must keep bodies. */
  readonly sitemapEngine: () => FetchEngine;
}

/** Inline items become input lines: strings as bare URLs, objects as JSON lines. */
async function* inlineLines(items: readonly unknown[]): AsyncGenerator<ParsedLine> {
  let number = 0;
  for (const item of items) {
    number += 1;
    const text = typeof item === 'string' ? item : JSON.stringify(item) ?? '';
    yield parseRequestLine({ number, text, truncated: false });
  }
}

async function* streamLines(stream: Readable | AsyncIterable<Buffer>): AsyncGenerator<ParsedLine> {
  for await (const line of readLines(stream)) yield parseRequestLine(line);
}

/** The parsed input lines of an enqueue event's one source. */
function linesOf(event: EnqueueEvent, clients: SourceClients): AsyncIterable<ParsedLine> {
  if (event.urls) return inlineLines(event.urls);
  if (event.requests) return inlineLines(event.requests);
  if (event.source) {
    const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(event.source)!;
    return (async function* s3Lines() {
      const [{ GetObjectCommand }, s3] = await Promise.all([import('@aws-sdk/client-s3'), clients.s3()]);
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      yield* streamLines(object.Body as Readable);
    })();
  }
  return (async function* sitemapLines() {
    let number = 0;
    for await (const url of sitemapUrls(clients.sitemapEngine(), event.sitemap!)) {
      yield parseRequestLine({ number: ++number, text: url, truncated: false });
    }
  })();
}

export { inlineLines, linesOf, streamLines };
export type { SourceClients };
