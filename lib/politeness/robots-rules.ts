/**
 * robots.txt as RFC 9309 defines it, for one crawler: the group of the most specific matching
 * user-agent (our product token, else `*`; groups naming the same agent are merged), its allow and
 * disallow rules (the longest matching path wins, `allow` on a tie; `*` matches any characters,
 * `$` ends a pattern), and the non-standard `Crawl-delay` many sites still send.
 */
interface RobotsRules {
  /** Whether `path` (path and query, as sent) may be fetched. */
  allows(path: string): boolean;
  /** Seconds between requests the site asked for, if any. */
  readonly crawlDelaySeconds: number | undefined;
}

interface Rule {
  readonly allow: boolean;
  readonly pattern: string;
  readonly regex: RegExp;
}

const ALLOW_ALL: RobotsRules = { allows: () => true, crawlDelaySeconds: undefined };
const DISALLOW_ALL: RobotsRules = { allows: (path) => path === '/robots.txt', crawlDelaySeconds: undefined };

function patternToRegex(pattern: string): RegExp {
  const anchored = pattern.endsWith('$');
  const body = (anchored ? pattern.slice(0, -1) : pattern).split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}${anchored ? '$' : ''}`);
}

/** Parses robots.txt text for the crawler whose product token is `agent` (e.g. `batchfetch`). */
function parseRobots(text: string, agent: string): RobotsRules {
  const token = agent.toLowerCase();
  const groups: { agents: string[]; rules: Rule[]; delay?: number }[] = [];
  let current: { agents: string[]; rules: Rule[]; delay?: number } | undefined;
  let lastWasAgent = false;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'user-agent') {
      if (!lastWasAgent || current === undefined) groups.push(current = { agents: [], rules: [] });
      current.agents.push(value.toLowerCase());
      lastWasAgent = true;
      continue;
    }
    lastWasAgent = false;
    if (current === undefined) continue;
    if ((key === 'allow' || key === 'disallow') && value !== '') {
      current.rules.push({ allow: key === 'allow', pattern: value, regex: patternToRegex(value) });
    } else if (key === 'crawl-delay' && /^\d+(\.\d+)?$/.test(value)) {
      current.delay = Number(value);
    }
  }
  const own = groups.filter((group) => group.agents.some((name) => name === token || (name !== '*' && token.startsWith(name))));
  const chosen = own.length > 0 ? own : groups.filter((group) => group.agents.includes('*'));
  const rules = chosen.flatMap((group) => group.rules);
  const delay = chosen.map((group) => group.delay).find((value) => value !== undefined);
  return {
    crawlDelaySeconds: delay,
    allows(path: string): boolean {
      if (path === '/robots.txt') return true;
      let best: Rule | undefined;
      for (const rule of rules) {
        if (!rule.regex.test(path)) continue;
        if (best === undefined || rule.pattern.length > best.pattern.length || (rule.pattern.length === best.pattern.length && rule.allow)) best = rule;
      }
      return best === undefined || best.allow;
    },
  };
}

export { ALLOW_ALL, DISALLOW_ALL, parseRobots };
export type { RobotsRules };
