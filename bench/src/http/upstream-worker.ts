// Child-process entry: the tiny upstream every proxy row forwards to (a plain node:http server
// answering a small JSON document), in its own process so it never shares an event loop with
// the proxy under test. Sends its port to the parent; exits when the parent disconnects.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UPSTREAM_BODY } from './upstream.js';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(UPSTREAM_BODY) });
    res.end(UPSTREAM_BODY);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
