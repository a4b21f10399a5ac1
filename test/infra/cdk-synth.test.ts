import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from '../support/temp-dir.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npx cdk synth (the real CDK CLI, offline, no credentials)', () => {
  test('synthesises the app with every option on, passing cdk-nag', async () => {
    const out = tempDir('cdk-out-');
    const env = {
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      HOME: tempDir('home-'),
      CDK_DISABLE_VERSION_CHECK: '1',
      CI: 'true',
    };

    // As the README gives it: cdk.json turns notices and CLI telemetry off (no flags, no env).
    const { stderr } = await promisify(execFile)(join(ROOT, 'node_modules/.bin/cdk'), [
      'synth', '--quiet', '-o', out, '-c', 'exampleSchedule=true', '-c', 'resultsBucket=true', '-c', 'alarmEmail=ops@example.com',
    ], { cwd: ROOT, env, timeout: 120_000 });
    expect(stderr).not.toMatch(/NOTICES|telemetry/i);
    // What keeps it so: the CLI reads `notices` and the `cli-telemetry` context key from cdk.json
    // (https://docs.aws.amazon.com/cdk/v2/guide/cli-telemetry.html).
    expect(JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8'))).toMatchObject({ notices: false, context: { 'cli-telemetry': false } });

    const template = JSON.parse(readFileSync(join(out, 'Batchfetch.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
    const types = Object.values(template.Resources).map((resource) => resource.Type);
    expect(types.filter((type) => type === 'AWS::Lambda::Function')).toHaveLength(2);
    expect(types).toContain('AWS::Scheduler::Schedule');
    expect(types).toContain('AWS::S3::Bucket');
    const report = JSON.parse(readFileSync(join(out, 'validation-report.json'), 'utf8')) as { pluginReports: Array<{ pluginName: string; conclusion: string }> };
    expect(report.pluginReports.find((plugin) => plugin.pluginName === 'AwsSolutions')?.conclusion).toBe('success');
  }, 150_000);
});
