import { readFileSync } from 'node:fs';
import { describeRange, inRange, type IntegerRange } from '../core/option-ranges.ts';
import type { Outcome } from '../core/outcome.ts';
import { parseHostRule, type HostRule } from '../politeness/host-rules.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Reads env vars, collecting every problem into one error (not one cold start per typo). */
class EnvReader {
  readonly problems: string[] = [];
  readonly #env: Env;
  readonly #readFiles: boolean;

  constructor(env: Env, readFiles = true) {
    this.#env = env;
    this.#readFiles = readFiles;
  }

  integer(name: string, range: IntegerRange): number | undefined {
    const text = this.#env[name];
    if (text === undefined || text === '') return undefined;
    if (!/^\d+$/.test(text) || !inRange(Number(text), range)) {
      this.problems.push(`${name} must be ${describeRange(range)}, got '${text}'`);
      return undefined;
    }
    return Number(text);
  }

  text(name: string): string | undefined {
    const text = this.#env[name];
    return text === undefined || text.trim() === '' ? undefined : text.trim();
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const text = this.text(name);
    if (text === undefined) return undefined;
    if (!values.includes(text as T)) {
      this.problems.push(`${name} must be one of ${values.join(', ')}, got '${text}'`);
      return undefined;
    }
    return text as T;
  }

  /** The text of the file a variable names (read at cold start), e.g. a CA bundle in a layer. */
  file(name: string): string | undefined {
    const path = this.text(name);
    if (path === undefined) return undefined;
    if (!this.#readFiles) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      this.problems.push(`${name} must name a readable file, got '${path}' (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return undefined;
    }
  }

  /** A decimal number within [min, max], e.g. a rate of 0.5 requests per second. */
  number(name: string, min: number, max: number): number | undefined {
    const text = this.text(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!/^\d*\.?\d+$/.test(text) || value < min || value > max) {
      this.problems.push(`${name} must be a number from ${min} to ${max}, got '${text}'`);
      return undefined;
    }
    return value;
  }

  /** Host rules, `PATTERN=RATE[/CONCURRENCY]` separated by commas or spaces. */
  hostRules(name: string): HostRule[] | undefined {
    const text = this.text(name);
    if (text === undefined) return undefined;
    const rules: HostRule[] = [];
    for (const item of text.split(/[\s,]+/).filter((part) => part !== '')) {
      const rule = parseHostRule(item);
      if (typeof rule === 'string') this.problems.push(`${name}: ${rule}`);
      else rules.push(rule);
    }
    return rules;
  }

  /** A JSON array of strings (regular expressions hold commas and spaces, so no separator would do). */
  jsonStrings(name: string): string[] | undefined {
    const text = this.text(name);
    if (text === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item !== '')) {
      this.problems.push(`${name} must be a JSON array of non-empty strings, got '${text}'`);
      return undefined;
    }
    for (const item of value as string[]) {
      try {
        new RegExp(item, 'g');
      } catch {
        this.problems.push(`${name}: '${item}' is not a regular expression`);
        return undefined;
      }
    }
    return value as string[];
  }

  /** A value `parse` accepts (it returns why not), e.g. a status list. */
  parsed<T>(name: string, parse: (text: string) => Outcome<T, string>): T | undefined {
    const text = this.text(name);
    if (text === undefined) return undefined;
    const outcome = parse(text);
    if (outcome.ok) return outcome.value;
    this.problems.push(`${name} must be ${outcome.error}, got '${text}'`);
    return undefined;
  }

  list(name: string): string[] {
    return (this.text(name) ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
  }

  /** A boolean variable, or undefined when it is not set (the engine's default then applies). */
  flag(name: string): boolean | undefined {
    return this.#env[name] === undefined ? undefined : this.boolean(name);
  }

  boolean(name: string, fallback = false): boolean {
    const value = this.oneOf(name, ['true', 'false', '1', '0'] as const);
    return value === undefined ? fallback : value === 'true' || value === '1';
  }
}

export { EnvReader };
export type { Env };
