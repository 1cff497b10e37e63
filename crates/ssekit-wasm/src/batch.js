// Turns one `feed` call's output, packed by Rust into a single string and a
// Uint32Array of records, into JavaScript objects and callbacks. One call
// across the wasm boundary per chunk instead of several per event: decoding
// one string and slicing it is far cheaper than decoding many small ones.
//
// Records, in stream order (lengths are in UTF-16 code units of `text`):
//   0 EVENT   typeLen dataLen lastEventIdLen idLen (idLen = 0xFFFFFFFF: no id)
//   1 COMMENT textLen
//   2 RETRY   digitsLen
//   3 ERROR   messageLen
const NO_ID = 0xffffffff;

export function deliverBatch(text, records, handlers) {
  const events = [];
  let failure;
  let firstThrow;
  let at = 0;
  const take = (len) => {
    const s = text.substring(at, at + len);
    at += len;
    return s;
  };
  const call = (fn, arg) => {
    if (typeof fn !== "function") return;
    try {
      fn(arg);
    } catch (e) {
      // A throwing handler must not swallow the rest of the chunk:
      // deliver everything, then rethrow the first exception.
      if (firstThrow === undefined) firstThrow = { error: e };
    }
  };
  for (let i = 0; i < records.length; ) {
    switch (records[i]) {
      case 0: {
        const type = take(records[i + 1]);
        const data = take(records[i + 2]);
        const lastEventId = take(records[i + 3]);
        const idLen = records[i + 4];
        const id = idLen === NO_ID ? undefined : take(idLen);
        const event = { type, data, lastEventId, id };
        events.push(event);
        call(handlers.onEvent, event);
        i += 5;
        break;
      }
      case 1:
        call(handlers.onComment, take(records[i + 1]));
        i += 2;
        break;
      case 2:
        call(handlers.onRetry, Number(take(records[i + 1])));
        i += 2;
        break;
      case 3: {
        const error = new Error(take(records[i + 1]));
        error.name = "SseParseError";
        if (typeof handlers.onError === "function") call(handlers.onError, error);
        else if (failure === undefined) failure = error;
        i += 2;
        break;
      }
      default:
        throw new Error(`ssekit: corrupt batch record ${records[i]}`);
    }
  }
  if (firstThrow !== undefined) throw firstThrow.error;
  if (failure !== undefined) {
    // Nothing is lost: the events parsed around the fault travel with it.
    failure.events = events;
    throw failure;
  }
  return events;
}
