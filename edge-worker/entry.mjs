// lyceum's edge worker entry. Every decision and every platform call is made in Rust
// (src/serve.rs, which routes through the gate crate) by synchronous exports; this
// module only awaits the promise a request waits on and hands its value back. A Rust
// future would cost far more per request on workerd (see src/lib.rs). A request in
// progress is a slot number on the Rust side (`begin` … `finish`, or `internal_error`).
import { begin, pending, resume, finish, internal_error } from './build/index.js';

export default {
  async fetch(request, env) {
    let id;
    try {
      id = begin(request, env);
      for (let wait = pending(id); wait; ) wait = resume(id, await wait);
      return finish(id);
    } catch {
      // Never echoes the error: it may quote request data. Frees the slot.
      return internal_error(id);
    }
  },
};
