import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { FetchError, ErrorCode, type ResultError } from '../core/errors.ts';
import type { DnsCache } from './dns-cache.ts';
import type { DestinationPolicy } from './destination-policy.ts';
import { failure, success, type Outcome } from '../core/outcome.ts';

/** Origins remembered at most (batches repeat a few origins; hostile ones may not). */
const MAX_ORIGINS = 4096;

/** An origin's host, and for an IP literal its verdict (null: allowed); undefined for a name. */
interface OriginFacts {
  readonly host: string;
  readonly literalVerdict: ResultError | null | undefined;
}

/**
 * Applies the destination policy to where a request would go. The connector (inside undici's
 * connect step) is the authority: it checks the very address it opens a socket to. `refusal`
 * answers the same question before a request is handed to undici, when it can be answered
 * without I/O: for an IP-literal host, or a name whose cached DNS answer has no allowed address.
 * A refused connect costs undici a pool teardown and rebuild, an order of magnitude more CPU per
 * URL than a fetch (the hostile batch of `npm run bench`); refusing first costs a map lookup.
 */
class DestinationGuard {
  readonly #policy: DestinationPolicy;
  readonly #dns: DnsCache;
  readonly #origins = new Map<string, OriginFacts>();
  readonly #answerVerdicts = new WeakMap<readonly LookupAddress[], ResultError | null>();

  constructor(policy: DestinationPolicy, dns: DnsCache) {
    this.#policy = policy;
    this.#dns = dns;
  }

  /** Checks an IP literal as written. */
  checkLiteral(ip: string): FetchError | undefined {
    const verdict = this.#policy.check(ip);
    return verdict.allowed ? undefined : blocked(verdict.reason);
  }

  /** The first allowed address of a DNS answer, or why there is none. */
  pick(hostname: string, addresses: readonly LookupAddress[]): Outcome<LookupAddress, FetchError> {
    let firstReason: string | undefined;
    for (const candidate of addresses) {
      const verdict = this.#policy.check(candidate.address);
      if (verdict.allowed) return success(candidate);
      firstReason ??= verdict.reason;
    }
    return failure(addresses.length === 0 ? dnsError(hostname) : blocked(firstReason));
  }

  /** Why a request to `origin` (canonical, as `URL#origin`) would be refused, if known now. */
  refusal(origin: string): ResultError | undefined {
    const { host, literalVerdict } = this.#factsOf(origin);
    if (literalVerdict !== undefined) return literalVerdict ?? undefined;
    const answer = this.#dns.peek(host);
    if (!answer || answer.length === 0) return undefined;
    let verdict = this.#answerVerdicts.get(answer);
    if (verdict === undefined) {
      const picked = this.pick(host, answer);
      verdict = picked.ok ? null : picked.error.toResultError();
      this.#answerVerdicts.set(answer, verdict);
    }
    return verdict ?? undefined;
  }

  #factsOf(origin: string): OriginFacts {
    let facts = this.#origins.get(origin);
    if (!facts) {
      const host = hostOf(origin);
      facts = { host, literalVerdict: isIP(host) === 0 ? undefined : this.checkLiteral(host)?.toResultError() ?? null };
      if (this.#origins.size >= MAX_ORIGINS) this.#origins.clear();
      this.#origins.set(origin, facts);
    }
    return facts;
  }
}

/** The host of a canonical origin, without IPv6 brackets: `http://[::1]:8080` → `::1`. */
function hostOf(origin: string): string {
  const authority = origin.slice(origin.indexOf('//') + 2);
  if (authority.startsWith('[')) return authority.slice(1, authority.indexOf(']'));
  const colon = authority.lastIndexOf(':');
  return colon === -1 ? authority : authority.slice(0, colon);
}

function blocked(reason: string | undefined): FetchError {
  return new FetchError(ErrorCode.BLOCKED_DESTINATION, `destination address is not allowed (${reason ?? 'blocked'})`);
}

function dnsError(hostname: string): FetchError {
  return new FetchError(ErrorCode.DNS_FAILURE, `host name did not resolve: ${hostname}`);
}

export { DestinationGuard };
