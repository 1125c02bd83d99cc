//! The Cloudflare Worker adapter around the gate (filled in by the worker issue).
