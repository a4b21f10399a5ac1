import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionName } from './bundling.ts';

/**
 * The package root: this file is infra/function-code.ts in the repository and
 * dist/infra/function-code.js in the published package (tsconfig.build.json).
 */
const COMPILED = import.meta.url.endsWith('.js');
const ROOT = fileURLToPath(new URL(COMPILED ? '../..' : '..', import.meta.url));

/**
 * A function's code. In the repository, bundled by CDK with this project's one esbuild
 * configuration (the same as `npm run build`, through infra/build.ts), locally: no Docker; the
 * asset hash is the bundle's, so an unchanged bundle is not uploaded again.
 * From the installed package, the bundles `npm pack` built with that same configuration
 * (`prepack`: dist/<name>/, shipped in the package), as they are: no esbuild at synth, and the
 * asset hash is that of the directory's files (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda.Code.html#static-fromwbrassetpath-options).
 */
function functionCode(name: FunctionName): Code {
  if (COMPILED) {
    const bundle = join(ROOT, 'dist', name);
    if (!existsSync(join(bundle, 'index.mjs'))) throw new Error(`batchfetch: the ${name} bundle is missing (${bundle}/index.mjs); the package was packed without \`npm run build\``);
    return Code.fromAsset(bundle);
  }
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
