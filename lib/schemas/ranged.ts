import * as v from 'valibot';
import type { IntegerRange } from '../core/option-ranges.ts';

/** An optional integer within one of the shared ranges (core/option-ranges.ts). */
const ranged = (range: IntegerRange) => v.optional(v.pipe(v.number(), v.integer(), v.minValue(range.min), v.maxValue(range.max)));

export { ranged };
