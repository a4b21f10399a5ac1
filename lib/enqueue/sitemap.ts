import { gunzipSync } from 'node:zlib';
import type { FetchEngine } from '../engine/fetch-engine.ts';
import { FetchError, ErrorCode } from '../core/errors.ts';

/** sitemaps.org: at most 50,000 URLs and 50 MB (uncompressed) per sitemap file. */
const MAX_SITEMAP_BYTES = 50 * 1024 * 1024;
/** Child sitemaps read from one sitemap index at most. */
const MAX_CHILD_SITEMAPS = 1_000;

const LOC = /<loc>\s*(?:<!\[CDATA\[([\s\S]*?)\]\]>|([^<]*?))\s*<\/loc>/g;
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'" };

function decodeXml(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|apos);/g, (entity) => ENTITIES[entity]!);
}

/** The `<loc>` values of a sitemap or sitemap index, in order. */
function locations(xml: string): string[] {
  const found: string[] = [];
  for (const match of xml.matchAll(LOC)) found.push(decodeXml((match[1] ?? match[2] ?? '').trim()));
  return found;
}

/**
 * Fetches a sitemap through the (safe) engine, gunzipping `.xml.gz` files, and decodes it to text.
 * The engine must keep bodies (`bodyMode: 'keep'`).
 */
async function fetchSitemap(engine: FetchEngine, url: string): Promise<string> {
  const result = await engine.fetch({ url });
  if (!result.ok || result.body === undefined) {
    throw new FetchError(result.error?.code ?? ErrorCode.INTERNAL, `sitemap ${url} could not be read: ${result.error?.message ?? 'no body'}`);
  }
  let bytes = Buffer.from(result.body, 'base64');
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: MAX_SITEMAP_BYTES });
    } catch {
      throw new FetchError(ErrorCode.BODY_TOO_LARGE, `sitemap ${url} is not valid gzip or inflates past ${MAX_SITEMAP_BYTES} bytes`);
    }
  }
  return bytes.toString('utf8');
}

/**
 * Yields the page URLs of a sitemap; a sitemap index is followed one level down (the protocol does
 * not nest indexes), reading at most 1,000 child sitemaps.
 */
async function* sitemapUrls(engine: FetchEngine, url: string): AsyncGenerator<string> {
  const xml = await fetchSitemap(engine, url);
  if (!/<sitemapindex[\s>]/.test(xml)) {
    yield* locations(xml);
    return;
  }
  for (const child of locations(xml).slice(0, MAX_CHILD_SITEMAPS)) {
    yield* locations(await fetchSitemap(engine, child));
  }
}

export { locations, MAX_SITEMAP_BYTES, sitemapUrls };
