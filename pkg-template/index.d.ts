// Types for the package entry (browser and Node alike): everything is
// initialised on import, so there is no init function to call.
import type { EventSourceClass } from "./web/ssekit.js";

export { encodeEvent, events, installPolyfill, SseParser } from "./web/ssekit.js";
export type {
  EventSourceClass,
  EventStream,
  RetryPolicyInit,
  SseEvent,
  SseEventFields,
  SseParserOptions,
  SsekitErrorEvent,
  SsekitEventSource,
  SsekitEventSourceEventMap,
  SsekitEventSourceInit,
} from "./web/ssekit.js";

/** ssekit's EventSource: a drop-in for the native one, over fetch(). */
export declare const EventSource: EventSourceClass;
