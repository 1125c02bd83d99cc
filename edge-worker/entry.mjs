// lyceum's edge worker entry. Every decision and every platform call is made in Rust;
// this module only awaits. The protocol (README "Request plumbing"): a request is a
// slot number; the synchronous path (src/serve.rs) hands back the promise it waits on
// until its response is ready; a request that needs awaited platform calls (src/awaited.rs)
// ends it with `finish` giving undefined, and is answered by one async export.
import { begin, pending, resume, finish, respond_async, internal_error } from './build/index.js';

export default {
  async fetch(request, env, ctx) {
    let id;
    try {
      id = begin(request, env);
      for (let wait = pending(id); wait; ) wait = resume(id, await wait);
      return finish(id) ?? (await respond_async(id, ctx));
    } catch {
      // Never echoes the error: it may quote request data. Frees the slot.
      return internal_error(id);
    }
  },
};
