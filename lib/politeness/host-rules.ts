import { describeRange, inRange, OPTION_RANGES, PER_HOST_RATE } from '../core/option-ranges.ts';
import { InvalidOptionError } from '../core/errors.ts';

/** Limits for the hosts a rule matches; an absent limit is no limit. */
interface HostLimits {
  /** Requests started per second at most, for the host (fleet-wide with a shared table). */
  readonly rate?: number;
  /** Requests in flight at most, for the host (per environment). */
  readonly concurrency?: number;
}

/** `example.com` matches that host only; `*.example.com` matches its subdomains and itself. */
interface HostRule extends HostLimits {
  readonly pattern: string;
}

const PATTERN = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$|^\*$/;

/**
 * Which limits apply to a host: the first matching rule, else the defaults. Rules are checked
 * once, when the engine starts; lookups are cached per host (bounded).
 */
class HostRules {
  readonly #rules: readonly HostRule[];
  readonly #defaults: HostLimits;
  readonly #cache = new Map<string, HostLimits | undefined>();

  constructor(rules: readonly HostRule[] = [], defaults: HostLimits = {}) {
    for (const rule of rules) {
      if (typeof rule.pattern !== 'string' || !PATTERN.test(rule.pattern)) {
        throw new InvalidOptionError('hostRules', 'host patterns such as example.com, *.example.com or *', rule.pattern);
      }
      checkLimits('hostRules', rule);
    }
    checkLimits('perHost', defaults);
    this.#rules = rules;
    this.#defaults = defaults;
  }

  /** True when no host has any limit: the engine then skips politeness bookkeeping entirely. */
  get empty(): boolean {
    return this.#rules.length === 0 && this.#defaults.rate === undefined && this.#defaults.concurrency === undefined;
  }

  /** The limits of `host`, or undefined when it has none. */
  limitsOf(host: string): HostLimits | undefined {
    if (this.#cache.has(host)) return this.#cache.get(host);
    const rule = this.#rules.find((candidate) => matches(candidate.pattern, host));
    const limits = rule ?? (this.#defaults.rate === undefined && this.#defaults.concurrency === undefined ? undefined : this.#defaults);
    if (this.#cache.size >= 10_000) this.#cache.clear();
    this.#cache.set(host, limits);
    return limits;
  }
}

function matches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host === pattern.slice(2) || host.endsWith(pattern.slice(1));
  return host === pattern;
}


function checkLimits(option: string, limits: HostLimits): void {
  if (limits.rate !== undefined && !(Number.isFinite(limits.rate) && limits.rate >= PER_HOST_RATE.min && limits.rate <= PER_HOST_RATE.max)) {
    throw new InvalidOptionError(option, `a rate from ${PER_HOST_RATE.min} to ${PER_HOST_RATE.max} requests per second`, limits.rate);
  }
  if (limits.concurrency !== undefined && !inRange(limits.concurrency, OPTION_RANGES.perHostConcurrency)) {
    throw new InvalidOptionError(option, `a concurrency that is ${describeRange(OPTION_RANGES.perHostConcurrency)}`, limits.concurrency);
  }
}

/**
 * A rule as the command line and the environment write it: `PATTERN=RATE[/CONCURRENCY]`, e.g.
 * `example.com=2` (2 requests/s), `*.example.com=0.5/2`, `example.org=/4` (4 in flight).
 */
function parseHostRule(text: string): HostRule | string {
  const match = /^\s*([^=\s]+)\s*=\s*([0-9.]*)\s*(?:\/\s*(\d+))?\s*$/.exec(text);
  if (!match || (match[2] === '' && match[3] === undefined)) return `'${text}' is not PATTERN=RATE[/CONCURRENCY] (e.g. example.com=2/4)`;
  const rule: HostRule = {
    pattern: match[1]!.toLowerCase(),
    ...(match[2] === '' ? {} : { rate: Number(match[2]) }),
    ...(match[3] === undefined ? {} : { concurrency: Number(match[3]) }),
  };
  try {
    new HostRules([rule]);
  } catch (error) {
    return `'${text}': ${(error as Error).message}`;
  }
  return rule;
}

/** The host of an origin (`https://a.example:8443` → `a.example`, `http://[::1]:80` → `::1`). */
function hostOfOrigin(origin: string): string {
  const authority = origin.slice(origin.indexOf('//') + 2);
  if (authority.startsWith('[')) return authority.slice(1, authority.indexOf(']'));
  const colon = authority.lastIndexOf(':');
  return colon === -1 ? authority : authority.slice(0, colon);
}

export { hostOfOrigin, HostRules, parseHostRule };
export type { HostLimits, HostRule };
