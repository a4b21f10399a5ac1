import { failure, success, type Outcome } from '../core/outcome.ts';

/**
 * Which final statuses count as success (`ok: true`): codes and ranges such as `200-399,404`.
 * A link checker accepts redirects it was told not to follow, or a 404 a page is known to give;
 * an uptime check may accept only 200. One bit per status (100-999, RFC 9110 §15), so a test
 * is an array read however long the list.
 */
class StatusSet {
  /** The list as written (normalised: no spaces), for messages and for passing on. */
  readonly text: string;
  readonly #bits: Uint8Array;

  private constructor(text: string, bits: Uint8Array) {
    this.text = text;
    this.#bits = bits;
  }

  has(status: number): boolean {
    return this.#bits[status] === 1;
  }

  /** `200-299`: what counts as success unless a run or a request says otherwise. */
  static readonly SUCCESSFUL = StatusSet.#build('200-299', [[200, 299]]);

  /** Parses `200-399,404`; the reason names the item that is wrong. */
  static parse(text: unknown): Outcome<StatusSet, string> {
    if (typeof text !== 'string') return failure('a list of statuses and ranges such as 200-399,404');
    const cached = parsed.get(text);
    if (cached) return success(cached);
    const ranges: [number, number][] = [];
    const items = text.split(',').map((item) => item.trim());
    for (const item of items) {
      const match = /^(\d{3})(?:-(\d{3}))?$/.exec(item);
      const low = Number(match?.[1]);
      const high = match?.[2] === undefined ? low : Number(match[2]);
      if (!match || low < 100 || high > 999 || low > high) {
        return failure(`statuses from 100 to 999 and ranges such as 200-399, separated by commas; '${item}' is not one`);
      }
      ranges.push([low, high]);
    }
    const set = StatusSet.#build(items.join(','), ranges);
    // Requests of one list repeat one or two lists: keep a few, never grow without bound.
    if (parsed.size >= MAX_CACHED) parsed.clear();
    parsed.set(text, set);
    return success(set);
  }

  static #build(text: string, ranges: readonly (readonly [number, number])[]): StatusSet {
    const bits = new Uint8Array(1000);
    for (const [low, high] of ranges) bits.fill(1, low, high + 1);
    return new StatusSet(text, bits);
  }
}

const parsed = new Map<string, StatusSet>();
const MAX_CACHED = 64;

export { StatusSet };
