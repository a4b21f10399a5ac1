import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionName } from './bundling.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * A function's code, bundled by CDK with this project's one esbuild configuration (the same as
 * `npm run build`, through infra/build.ts), locally: no Docker. The asset hash is the bundle's, so an unchanged bundle is
 * not uploaded again.
 */
function functionCode(name: FunctionName): Code {
  return Code.fromAsset(join(ROOT, 'functions', name), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the API; never used because local bundling always succeeds.
      image: DockerImage.fromRegistry('public.ecr.aws/lambda/nodejs:24'),
      local: {
        tryBundle(outputDir: string): boolean {
          // The build runs in a child process: CDK bundles synchronously, and esbuild's synchronous
          // API cannot run the plugins of the shared configuration.
          const built = spawnSync(process.execPath, [join(ROOT, 'infra/build.ts'), '--function', name, '--outdir', outputDir], { stdio: 'inherit' });
          if (built.status !== 0) throw new Error(`bundling ${name} failed (exit ${built.status})`);
          return true;
        },
      },
    },
  });
}

export { functionCode };
