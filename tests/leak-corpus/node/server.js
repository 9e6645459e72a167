// HTTP/1.1 request handler for the leak corpus.
//   node [--max-old-space-size=MB] server.js PORT MODE BYTES [CACHE_ENTRIES]
// Every request builds a record of BYTES bytes (a request log entry) and
// answers with its checksum. MODE decides what happens to the record:
//   leak   appended to a global request log that is never trimmed
//   clean  dropped once the response is sent (garbage for the GC)
//   cache  kept in an LRU cache of CACHE_ENTRIES keyed by path: fills, then plateaus
'use strict';
const http = require('http');

const [port, mode, bytesArg, entriesArg] = process.argv.slice(2);
const bytes = Number(bytesArg);
const maxEntries = Number(entriesArg || 0);
const requestLog = [];         // leak: grows forever
const cache = new Map();       // cache: Map keeps insertion order, so LRU is cheap

function buildRecord(req) {
  const head = `${new Date().toISOString()} ${req.method} ${req.url} ${req.headers['user-agent'] || ''}\n`;
  let body = head;
  while (body.length < bytes) body += head;
  // A flat string of its own on the V8 heap (not a rope or a slice of a shared
  // one, not an off-heap Buffer), so the heap cap applies to it.
  return Buffer.from(body.slice(0, bytes), 'latin1').toString('latin1');
}

function checksum(s) {
  let h = 0;
  for (let i = 0; i < s.length; i += 64) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h;
}

http.createServer((req, res) => {
  let rec = buildRecord(req);
  if (mode === 'cache') {
    const hit = cache.get(req.url);
    if (hit) { cache.delete(req.url); rec = hit; }
    cache.set(req.url, rec);
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value);
  } else if (mode === 'leak') {
    requestLog.push(rec);
  }
  const out = `ok ${checksum(rec)}\n`;
  res.writeHead(200, {'Content-Type': 'text/plain', 'Content-Length': out.length});
  res.end(out);
}).listen(Number(port), '127.0.0.1');
