// Tests use the same context the local run and worker build (remaining time counts down for real).
export { localContext as lambdaContext } from '../../bin/local/local-context.ts';
