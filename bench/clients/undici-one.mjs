// The start-up baseline: a bare undici script (plain JavaScript, no type stripping) making one
// request, printing its own CPU as the other clients do.
import { request } from 'undici';

const { statusCode, body } = await request(process.argv[2]);
await body.dump();
const usage = process.resourceUsage();
process.stdout.write(`${JSON.stringify({ ok: statusCode === 200 ? 1 : 0, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000 })}\n`);
