// The floor (benchmark only): a worker in front of the assets that does nothing but
// forward. What it costs, any worker there costs at the least.
export default { fetch: (request, env) => env.ASSETS.fetch(request) };
