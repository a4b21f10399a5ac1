import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedBuildOptions, type FunctionName } from './bundling.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * A function's code, bundled by CDK with this project's one esbuild configuration (the same as
 * `npm run build`), locally: no Docker. The asset hash is the bundle's, so an unchanged bundle is
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
          buildSync({ ...sharedBuildOptions, entryPoints: [join(ROOT, 'functions', name, 'index.ts')], outfile: join(outputDir, 'index.mjs') });
          return true;
        },
      },
    },
  });
}

export { functionCode };
