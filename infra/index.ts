export { BatchFetcher } from './batch-fetcher.ts';
export type { BatchFetcherProps, FetchSchedule } from './batch-fetcher-props.ts';
export { BatchFetcherStack } from './batch-fetcher-stack.ts';
export type { BatchFetcherStackProps } from './batch-fetcher-stack.ts';
export { FetchMonitoring } from './monitoring.ts';
export { FetchSchedules } from './schedules.ts';
