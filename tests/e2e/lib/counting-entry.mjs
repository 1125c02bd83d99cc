// Test-only entry (never deployed): the real worker entry, with one log line per time the
// Worker runs, so tests/e2e/invocations.test.mjs can count what Cloudflare's router sends
// it. The production entry (edge-worker/entry.mjs) is unchanged and logs nothing per request.
import worker from '../../../edge-worker/entry.mjs';

const MARK = 'lyceum-invocation';

export default {
  async fetch(request, env, ctx) {
    console.log(`${MARK} ${new URL(request.url).pathname}`);
    return worker.fetch(request, env, ctx);
  },
};
