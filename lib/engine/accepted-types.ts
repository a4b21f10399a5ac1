import { failure, success, type Outcome } from '../core/outcome.ts';

/**
 * The media types a run wants (`text/html`, `application/*`, `*\/*`): a response of any other
 * type ends before its body is read. Matching follows the media-range rules of `Accept`
 * (RFC 9110 §12.5.1): type and subtype compared without case, parameters ignored.
 */
class AcceptedTypes {
  readonly list: readonly string[];
  readonly #exact: ReadonlySet<string>;
  readonly #types: ReadonlySet<string>;
  readonly #any: boolean;

  private constructor(list: readonly string[]) {
    this.list = list;
    this.#exact = new Set(list.filter((range) => !range.endsWith('/*')));
    this.#types = new Set(list.filter((range) => range.endsWith('/*')).map((range) => range.slice(0, -2)));
    this.#any = this.#types.has('*');
  }

  /**
   * Whether a response with this `Content-Type` is wanted. A response without one is
   * `application/octet-stream` (RFC 9110 §8.3: the recipient may assume it).
   */
  accepts(contentType: string | undefined): boolean {
    if (this.#any) return true;
    const mediaType = mediaTypeOf(contentType);
    return this.#exact.has(mediaType) || this.#types.has(mediaType.slice(0, mediaType.indexOf('/')));
  }

  /** Parses media ranges (`type/subtype`, `type/*`, `*\/*`), given as a list or comma-separated. */
  static parse(ranges: unknown): Outcome<AcceptedTypes, string> {
    const items = typeof ranges === 'string' ? ranges.split(',') : ranges;
    if (!Array.isArray(items)) return failure('media types such as text/html or image/*');
    const list: string[] = [];
    for (const raw of items as unknown[]) {
      const item = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
      if (!MEDIA_RANGE.test(item)) {
        return failure(`media types such as text/html or image/*; '${String(raw)}' is not one`);
      }
      list.push(item);
    }
    if (list.length === 0) return failure('at least one media type such as text/html');
    return success(new AcceptedTypes(list));
  }
}

/** `type/subtype`, `type/*` or `*\/*`, in RFC 9110's token characters. */
const MEDIA_RANGE = /^(?:\*\/\*|[a-z0-9!#$&^_.+-]+\/(?:\*|[a-z0-9!#$&^_.+-]+))$/;

function mediaTypeOf(contentType: string | undefined): string {
  if (contentType === undefined) return 'application/octet-stream';
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

export { AcceptedTypes };
