import { readFileSync } from 'node:fs';

/**
 * The soft limit on open file descriptors of this process (RLIMIT_NOFILE). Node has no
 * getrlimit(2) binding, so it is read from /proc/self/limits (proc(5)), which Lambda's Linux
 * environments have too. Lambda gives each environment 1,024 descriptors
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), which is also the
 * fallback when the file cannot be read (another OS).
 */
function readDescriptorLimit(limitsText?: string): number {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return FALLBACK_LIMIT;
    }
  }
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(text);
  if (!match) return FALLBACK_LIMIT;
  return match[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(match[1]);
}

const FALLBACK_LIMIT = 1_024;

/** Sockets the engine never exceeds by default, whatever the limit: beyond it idle sockets only cost memory. */
const MAX_DEFAULT_BUDGET = 16_384;

/**
 * The connection budget derived from a descriptor limit: what is left after a reserve for
 * everything else a process holds open — Node's own handles (~20), the AWS SDK clients' sockets,
 * the results writer, the log, and DNS lookups (getaddrinfo opens a socket per query). The reserve
 * is 128 descriptors or an eighth of the limit, whichever is larger, but never more than half.
 * For Lambda's 1,024 this leaves 896 sockets.
 */
function connectionBudgetFor(descriptorLimit: number): number {
  const reserve = Math.min(Math.max(128, Math.floor(descriptorLimit / 8)), Math.floor(descriptorLimit / 2));
  return Math.max(1, Math.min(MAX_DEFAULT_BUDGET, descriptorLimit - reserve));
}

export { connectionBudgetFor, readDescriptorLimit };
