// lyceum's edge worker entry. Every decision and every platform call is made in Rust
// (src/serve.rs, which routes through the gate crate) by synchronous exports; this
// module only awaits the promise each step holds and hands its value back. A Rust
// future would cost far more per request on workerd (see src/lib.rs).
import { begin, internal_error } from './build/index.js';

export default {
  async fetch(request, env) {
    try {
      const step = begin(request, env);
      for (let wait = step.wait; wait; wait = step.wait) step.resume(await wait);
      return step.finish();
    } catch {
      // Never echoes the error: it may quote request data.
      return internal_error();
    }
  },
};
