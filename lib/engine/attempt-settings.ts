import type { AttemptSettings } from './attempt.ts';
import type { FetchRequest } from './fetch-types.ts';
import { BodyMode, type ResolvedEngineOptions } from './options.ts';
import type { UrlState } from './url-state.ts';

/** Statuses that redirect (RFC 9110 §15.4); followed unless `maxRedirects` is 0. */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** The attempt settings an engine's options give: one object per engine, shared by its URLs. */
function attemptSettingsOf(options: ResolvedEngineOptions): AttemptSettings {
  return {
    timeoutMs: options.timeoutMs,
    urlTimeoutMs: options.urlTimeoutMs,
    maxBodyBytes: options.truncateAt ?? options.maxBodyBytes,
    truncate: options.truncateAt !== undefined,
    acceptTypes: options.acceptTypes,
    okStatus: options.okStatus,
    timings: options.timings,
    tlsInfo: options.tlsInfo,
    bodyMode: options.bodyMode,
    decompress: options.decompress,
    ignore: options.ignoreInBody,
    discardBodyOf: (status) => REDIRECT_STATUSES.has(status) && options.maxRedirects > 0,
  };
}

/**
 * The attempt settings of one URL: the engine's, unless the URL hashes for a comparison, has a
 * message's tighter limits or its own `okStatus` (then a copy; most URLs share the engine's).
 */
function settingsFor(request: FetchRequest, state: UrlState, base: AttemptSettings): AttemptSettings {
  const limits = request.limits;
  let settings = comparing(request, base);
  if (limits?.timeoutMs !== undefined || limits?.maxBodyBytes !== undefined || state.okStatus !== base.okStatus) {
    settings = {
      ...settings,
      timeoutMs: Math.min(settings.timeoutMs, limits?.timeoutMs ?? Number.POSITIVE_INFINITY),
      maxBodyBytes: Math.min(settings.maxBodyBytes, limits?.maxBodyBytes ?? Number.POSITIVE_INFINITY),
      okStatus: state.okStatus,
    };
  }
  return settings;
}

/** The hashing twin of each engine's attempt settings: one object per engine, not one per URL. */
const hashingSettings = new WeakMap<AttemptSettings, AttemptSettings>();

/** A run that compares hashes every body, whatever the body mode (the content is what it compares). */
function comparing(request: FetchRequest, settings: AttemptSettings): AttemptSettings {
  if (request.previous === undefined || settings.bodyMode !== BodyMode.DISCARD) return settings;
  let hashing = hashingSettings.get(settings);
  if (!hashing) {
    hashing = { ...settings, bodyMode: BodyMode.HASH };
    hashingSettings.set(settings, hashing);
  }
  return hashing;
}

export { attemptSettingsOf, REDIRECT_STATUSES, settingsFor };
